//! Validation of admission settings: a provider's `rate_limits`, `outages`,
//! `degraded` windows and `tiers`; a workload's `retry`, `max_tokens` and
//! `objectives`.

use super::admission_config::*;
use super::context::*;
use super::leaf::{JitterText, OnFailureText, OutageModeText, RateLimitScopeText, Raw};
use super::location::KeyPath;
use super::raw::*;
use crate::time::{SimDuration, SimTime};

/// A provider's admission rules.
pub(super) fn provider_admission(cx: &mut Ctx<'_>, raw: &RawProvider, path: &KeyPath) -> Option<ProviderAdmission> {
    let rate_limits = match &raw.rate_limits {
        None => Some(None),
        Some(r) => rate_limits(cx, r, &path.key("rate_limits")).map(Some),
    };
    let outages = windows(cx, raw.outages.as_deref().unwrap_or_default(), &path.key("outages"), |cx, o, p| {
        // Both read before either is used, so a bad span does not hide a bad mode.
        let window = span(cx, &o.start, &o.end, p);
        let mode = cx.opt(&o.mode, &p.key("mode"), OutageModeText::FailFast);
        let (start, end) = window?;
        Some(Outage { start, end, hang: mode? == OutageModeText::Hang })
    });
    let degraded = windows(cx, raw.degraded.as_deref().unwrap_or_default(), &path.key("degraded"), |cx, d, p| {
        let window = span(cx, &d.start, &d.end, p);
        let factor = match &d.factor {
            None => {
                cx.missing(&p.key("factor"), "the throughput multiplier in (0, 1], e.g. factor = 0.5");
                None
            }
            Some(f) => cx.read(f, &p.key("factor")).filter(|x| {
                cx.ensure(*x > 0.0 && *x <= 1.0, &p.key("factor"), || format!("must be in (0, 1], got {x}"))
            }),
        };
        let (start, end) = window?;
        Some(Degraded { start, end, factor: factor? })
    });
    let outages = outages.filter(|w| no_overlap(cx, w.iter().map(|o| (o.start, o.end)), &path.key("outages")));
    let degraded = degraded.filter(|w| no_overlap(cx, w.iter().map(|d| (d.start, d.end)), &path.key("degraded")));
    let tiers = tiers(cx, raw.tiers.as_ref().unwrap_or(&RawTiers::default()), &path.key("tiers"));
    Some(ProviderAdmission { rate_limits: rate_limits?, outages: outages?, degraded: degraded?, tiers: tiers? })
}

fn rate_limits(cx: &mut Ctx<'_>, raw: &RawRateLimits, path: &KeyPath) -> Option<RateLimitConfig> {
    let mut limit = |leaf: &Option<Raw<u64>>, key: &str| -> Option<Option<u64>> {
        let n = cx.maybe(leaf, &path.key(key))?;
        match n {
            Some(n) if !cx.ensure(n >= 1, &path.key(key), || format!("must be >= 1, got {n}")) => None,
            n => Some(n),
        }
    };
    let rpm = limit(&raw.requests_per_min, "requests_per_min");
    let itpm = limit(&raw.input_tokens_per_min, "input_tokens_per_min");
    let otpm = limit(&raw.output_tokens_per_min, "output_tokens_per_min");
    let scope = cx.opt(&raw.scope, &path.key("scope"), RateLimitScopeText::ApiKey);
    let cache_reads_count = cx.opt(&raw.cache_reads_count, &path.key("cache_reads_count"), false);
    let reserve_output = cx.opt(&raw.reserve_output, &path.key("reserve_output"), false);
    let (rpm, itpm, otpm) = (rpm?, itpm?, otpm?);
    if rpm.is_none() && itpm.is_none() && otpm.is_none() {
        cx.issues.key(
            path,
            "sets no limit: give requests_per_min, input_tokens_per_min or output_tokens_per_min, or remove the table"
                .to_string(),
        );
        return None;
    }
    Some(RateLimitConfig {
        requests_per_min: rpm,
        input_tokens_per_min: itpm,
        output_tokens_per_min: otpm,
        per_api_key: scope? == RateLimitScopeText::ApiKey,
        cache_reads_count: cache_reads_count?,
        reserve_output: reserve_output?,
    })
}

/// Reads every window of a list (all problems at once).
fn windows<R, T>(
    cx: &mut Ctx<'_>,
    raw: &[R],
    path: &KeyPath,
    mut one: impl FnMut(&mut Ctx<'_>, &R, &KeyPath) -> Option<T>,
) -> Option<Vec<T>> {
    let read: Vec<Option<T>> = raw.iter().enumerate().map(|(i, r)| one(cx, r, &path.index(i))).collect();
    read.into_iter().collect()
}

/// `start` < `end`, both required, as simulated instants.
fn span(
    cx: &mut Ctx<'_>,
    start: &Option<Raw<super::leaf::DurationText>>,
    end: &Option<Raw<super::leaf::DurationText>>,
    path: &KeyPath,
) -> Option<(SimTime, SimTime)> {
    let s = cx.req(start, &path.key("start"), "when the window starts, a duration from time zero, e.g. \"2h\"");
    let e = cx.req(end, &path.key("end"), "when the window ends, a duration from time zero, e.g. \"150m\"");
    let (s, e) = (SimTime::ZERO + s?, SimTime::ZERO + e?);
    cx.ensure(s < e, &path.key("end"), || {
        format!("must be after `start`: start {} but end {}", shown(start), shown(end))
    })
    .then_some((s, e))
}

/// Windows of one kind must not overlap (report the first pair that does).
fn no_overlap(cx: &mut Ctx<'_>, spans: impl Iterator<Item = (SimTime, SimTime)>, path: &KeyPath) -> bool {
    let mut spans: Vec<(usize, (SimTime, SimTime))> = spans.enumerate().collect();
    spans.sort_by_key(|(_, s)| *s);
    for pair in spans.windows(2) {
        let ((i, a), (j, b)) = (pair[0], pair[1]);
        if b.0 < a.1 {
            cx.issues.value(
                &path.index(i.max(j)),
                format!("overlaps {path}[{}]: windows of one kind may touch but not overlap", i.min(j)),
            );
            return false;
        }
    }
    true
}

fn tiers(cx: &mut Ctx<'_>, raw: &RawTiers, path: &KeyPath) -> Option<TierRules> {
    let d = TierRules::default();
    let flex = cx.opt(&raw.flex_max_utilization, &path.key("flex_max_utilization"), d.flex_max_utilization);
    let flex = flex.filter(|x| {
        cx.ensure(*x > 0.0 && *x <= 1.0, &path.key("flex_max_utilization"), || format!("must be in (0, 1], got {x}"))
    });
    let delay = match &raw.batch_delay {
        None => Some(d.batch_delay.clone()),
        Some(_) => cx.time_dist(&raw.batch_delay, &path.key("batch_delay")),
    };
    let window =
        cx.positive_duration(&raw.batch_window, &path.key("batch_window")).map(|w| w.unwrap_or(d.batch_window));
    let in_limits = cx.opt(&raw.batch_in_rate_limits, &path.key("batch_in_rate_limits"), d.batch_in_rate_limits);
    Some(TierRules {
        flex_max_utilization: flex?,
        batch_delay: delay?,
        batch_window: window?,
        batch_in_rate_limits: in_limits?,
    })
}

/// The workload's retry policy; `None` without a `retry` table (the
/// provider's `failures` settings apply).
pub(super) fn retry(cx: &mut Ctx<'_>, raw: Option<&RawRetry>, path: &KeyPath) -> Option<Option<RetryConfig>> {
    let Some(raw) = raw else { return Some(None) };
    let max_attempts = cx.opt(&raw.max_attempts, &path.key("max_attempts"), 3);
    let max_attempts =
        max_attempts.filter(|n| cx.ensure(*n >= 1, &path.key("max_attempts"), || format!("must be >= 1, got {n}")));
    let base = cx.positive_duration(&raw.backoff_base, &path.key("backoff_base"));
    let cap = cx.positive_duration(&raw.backoff_cap, &path.key("backoff_cap"));
    let jitter = cx.opt(&raw.jitter, &path.key("jitter"), JitterText::Full);
    let on_failure = cx.opt(&raw.on_failure, &path.key("on_failure"), OnFailureText::Abort);
    let timeout = cx.positive_duration(&raw.timeout, &path.key("timeout"));
    let base = base?.unwrap_or(SimDuration::from_secs(1));
    let cap = cap?.unwrap_or(SimDuration::from_secs(60));
    if !cx.ensure(cap >= base, &path.key("backoff_cap"), || {
        format!(
            "must be at least `backoff_base`: cap {} but base {}",
            shown(&raw.backoff_cap),
            shown(&raw.backoff_base)
        )
    }) {
        return None;
    }
    Some(Some(RetryConfig {
        max_attempts: max_attempts?,
        backoff_base: base,
        backoff_cap: cap,
        full_jitter: jitter? == JitterText::Full,
        on_failure: match on_failure? {
            OnFailureText::Abort => StepFailure::Abort,
            OnFailureText::SkipStep => StepFailure::Skip,
        },
        timeout: timeout?,
    }))
}

pub(super) fn objectives(cx: &mut Ctx<'_>, raw: Option<&RawObjectives>, path: &KeyPath) -> Option<Objectives> {
    let Some(raw) = raw else { return Some(Objectives::default()) };
    let ttft = cx.positive_duration(&raw.ttft, &path.key("ttft"));
    let tpot = cx.positive_duration(&raw.tpot, &path.key("tpot"));
    let e2e = cx.positive_duration(&raw.e2e, &path.key("e2e"));
    let o = Objectives { ttft: ttft?, tpot: tpot?, e2e: e2e? };
    cx.ensure(o.any(), path, || "sets no objective: give ttft, tpot or e2e, or remove the table".to_string())
        .then_some(o)
}
