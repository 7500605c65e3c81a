//! The gate between a client and its provider: rate limits, outages, the
//! flex and batch tiers, and the client's retry decisions. What the engine
//! asks before a request may join a provider's queue.

use crate::model::admission::{
    BatchCompletion, BatchOutcome, DegradedWindow, Demand, FaultTimeline, FlexAdmission, Jitter, OutageMode,
    OutageWindow, OutputRule, RateLimiter, RateLimits, RetryPolicy,
};
use crate::rng::{KeyedStreams, ReplicateSeed, RequestKey};
use crate::scenario::{Scenario, ServiceTier};
use crate::time::{SimDuration, SimTime};

/// What happens to an attempt the client sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// It joins the provider's queue.
    Admit,
    /// 429: a bucket lacks tokens; retry after this long.
    RateLimited(SimDuration),
    /// 429 "resource unavailable": a flex request while the provider is busy.
    FlexRefused,
    /// The request needs more than a bucket can ever hold: an error, never retried.
    TooLarge,
    /// An outage: an error at once.
    Unavailable,
    /// An outage: no answer until the client's timeout.
    Hang,
    /// A batch request, completing after this long.
    Batch(SimDuration),
    /// A batch request that expires at the end of the window.
    Expired(SimDuration),
}

pub(super) struct Gate {
    limiters: Vec<RateLimiter>,
    /// Per workload and candidate provider: its limiter in `limiters`, when
    /// that provider limits.
    workload_limiter: Vec<Vec<Option<usize>>>,
    /// Per provider, `None` without outages or degraded windows.
    faults: Vec<Option<FaultTimeline>>,
    flex: Vec<FlexAdmission>,
    batch: Vec<BatchCompletion>,
    /// Batch delays, drawn per request.
    batch_streams: KeyedStreams,
    /// Per workload and candidate provider (a provider's own retry settings
    /// apply when the workload sets none).
    retry: Vec<Vec<RetryPolicy>>,
    /// Retry jitter, drawn per failed attempt.
    jitter_streams: KeyedStreams,
}

impl Gate {
    pub(super) fn new(sc: &Scenario, seed: &ReplicateSeed) -> Self {
        let mut limiters = Vec::new();
        let mut keys: Vec<(usize, &str)> = Vec::new();
        let workload_limiter = sc
            .workloads
            .iter()
            .map(|w| {
                let mut at = |p: usize| {
                    let admission = &sc.providers[p].admission;
                    // Batch requests are outside the real-time limits unless the provider says otherwise.
                    if w.service_tier == ServiceTier::Batch && !admission.tiers.batch_in_rate_limits {
                        return None;
                    }
                    let rl = admission.rate_limits.as_ref()?;
                    let key = (p, if rl.per_api_key { w.api_key.as_str() } else { "" });
                    Some(keys.iter().position(|k| *k == key).unwrap_or_else(|| {
                        keys.push(key);
                        let limits = RateLimits {
                            requests_per_min: rl.requests_per_min,
                            input_tokens_per_min: rl.input_tokens_per_min,
                            output_tokens_per_min: rl.output_tokens_per_min,
                        };
                        let rule = if rl.reserve_output { OutputRule::Reserve } else { OutputRule::ChargeOnCompletion };
                        limiters.push(RateLimiter::new(limits, rule).expect("validated: every limit >= 1"));
                        limiters.len() - 1
                    }))
                };
                w.candidates().iter().map(|&p| at(p)).collect()
            })
            .collect();
        let faults = sc
            .providers
            .iter()
            .map(|p| {
                let a = &p.admission;
                if a.outages.is_empty() && a.degraded.is_empty() {
                    return None;
                }
                let mut outages: Vec<OutageWindow> = a
                    .outages
                    .iter()
                    .map(|o| OutageWindow {
                        start: o.start,
                        end: o.end,
                        mode: if o.hang { OutageMode::Hang } else { OutageMode::FailFast },
                    })
                    .collect();
                let mut degraded: Vec<DegradedWindow> = a
                    .degraded
                    .iter()
                    .map(|d| DegradedWindow { start: d.start, end: d.end, factor: d.factor })
                    .collect();
                outages.sort_by_key(|o| o.start);
                degraded.sort_by_key(|d| d.start);
                Some(FaultTimeline::new(outages, degraded).expect("validated: windows of one kind do not overlap"))
            })
            .collect();
        let retry = sc
            .workloads
            .iter()
            .map(|w| {
                let at = |&p: &usize| {
                    let c = w.retry.unwrap_or_else(|| sc.providers[p].failures.retry_config());
                    RetryPolicy {
                        base: c.backoff_base,
                        cap: c.backoff_cap,
                        max_attempts: c.max_attempts,
                        jitter: if c.full_jitter { Jitter::Full } else { Jitter::None },
                    }
                };
                w.candidates().iter().map(at).collect()
            })
            .collect();
        Gate {
            limiters,
            workload_limiter,
            faults,
            flex: sc
                .providers
                .iter()
                .map(|p| FlexAdmission::new(p.admission.tiers.flex_max_utilization).expect("validated: in (0, 1]"))
                .collect(),
            batch: sc
                .providers
                .iter()
                .map(|p| BatchCompletion {
                    delay_s: p.admission.tiers.batch_delay.clone(),
                    window: p.admission.tiers.batch_window,
                })
                .collect(),
            batch_streams: seed.keyed("tiers.batch"),
            retry,
            jitter_streams: seed.keyed("retry.jitter"),
        }
    }

    /// Whether attempt `key` of workload `w` sent at `now` to its candidate
    /// `slot` (`at` = (w, slot)) may join the queue. `input_tokens` are
    /// counted as that provider counts them; `load` gives its busy capacity
    /// and capacity (asked for flex only).
    pub(super) fn check(
        &mut self,
        sc: &Scenario,
        (w, slot): (usize, usize),
        key: RequestKey,
        now: SimTime,
        input_tokens: u64,
        load: impl FnOnce() -> (u64, u64),
    ) -> Verdict {
        let wl = &sc.workloads[w];
        let p = wl.candidates()[slot];
        if let Some(f) = &self.faults[p] {
            match f.outage_at(now) {
                Some(OutageMode::FailFast) => return Verdict::Unavailable,
                Some(OutageMode::Hang) => return Verdict::Hang,
                None => {}
            }
        }
        // Before the rate limits: a refused flex request takes nothing from them.
        if wl.service_tier == ServiceTier::Flex {
            let (busy, capacity) = load();
            if self.flex[p].admit(busy, capacity).is_err() {
                return Verdict::FlexRefused;
            }
        }
        if let Some(li) = self.workload_limiter[w][slot] {
            let reserve = sc.providers[p].admission.rate_limits.as_ref().is_some_and(|r| r.reserve_output);
            let demand =
                Demand { requests: 1, input_tokens, output_tokens_reserved: if reserve { wl.max_tokens } else { 0 } };
            let limiter = &mut self.limiters[li];
            if limiter.impossible(demand).is_some() {
                return Verdict::TooLarge;
            }
            if let Err(refused) = limiter.try_admit(now, demand) {
                return Verdict::RateLimited(refused.wait);
            }
        }
        match wl.service_tier {
            ServiceTier::Batch => match self.batch[p].sample(&mut self.batch_streams.request(key)) {
                BatchOutcome::Completes(d) => Verdict::Batch(d),
                BatchOutcome::Expires(window) => Verdict::Expired(window),
            },
            _ => Verdict::Admit,
        }
    }

    /// An admitted attempt of workload `w` at its candidate `slot` ended at
    /// `now` with `output` tokens produced: the output bucket is corrected
    /// or charged.
    pub(super) fn completed(&mut self, sc: &Scenario, w: usize, slot: usize, now: SimTime, output: u64) {
        let Some(li) = self.workload_limiter[w][slot] else { return };
        let wl = &sc.workloads[w];
        let rl = sc.providers[wl.candidates()[slot]].admission.rate_limits.as_ref().expect("a limiter has limits");
        if rl.reserve_output {
            self.limiters[li].correct_output(now, wl.max_tokens, output);
        } else {
            self.limiters[li].charge(now, output);
        }
    }

    /// The wait before retrying after attempt `key` of workload `w` failed
    /// at its candidate `slot`, at least `retry_after`; `None` when it was
    /// the last. `tries` counts the attempts before it at that provider (the
    /// jitter is drawn by `key`, so a failover's retries draw afresh).
    pub(super) fn retry_delay(
        &self,
        w: usize,
        slot: usize,
        key: RequestKey,
        tries: u32,
        retry_after: Option<SimDuration>,
    ) -> Option<SimDuration> {
        self.retry[w][slot].next_delay(tries, retry_after, &mut self.jitter_streams.request(key))
    }

    /// Provider `p`'s speed multiplier at `now` (degraded windows).
    pub(super) fn speed_factor(&self, p: usize, now: SimTime) -> f64 {
        self.faults[p].as_ref().map_or(1.0, |f| f.speed_factor_at(now))
    }

    /// Whether provider `p` has degraded windows or outages at all.
    pub(super) fn has_faults(&self, p: usize) -> bool {
        self.faults[p].is_some()
    }
}
