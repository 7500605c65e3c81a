//! The report's key findings: the cheapest and the fastest variant (or
//! provider) with their intervals, each variant's paired saving against the
//! baseline, what another start time would cost where prices follow the time
//! of day, and whether the run's objectives hold.

use super::Block;
use crate::data::RunData;
use crate::style::significant;
use crate::subjects::{Kind, Subject, subjects, with_interval};
use sim_core::metrics::{StartCost, VariantSummary};

const COST: &str = "cost_usd_per_session";
const LATENCY: &str = "ttft_s_p95";

/// The subject with the lowest mean of `metric`, if any defines it.
fn lowest<'a, 'b>(all: &'b [Subject<'a>], metric: &str) -> Option<&'b Subject<'a>> {
    let mean = |s: &Subject| s.stats(metric).and_then(|m| m.mean);
    all.iter()
        .filter(|s| mean(s).is_some())
        .min_by(|a, b| mean(a).partial_cmp(&mean(b)).unwrap_or(std::cmp::Ordering::Equal))
}

pub(super) fn key_findings(run: &RunData) -> Vec<Block> {
    let (kind, all) = subjects(run);
    let noun = kind.noun();
    let mut items = Vec::new();
    match lowest(&all, COST) {
        Some(s) => {
            items.push(format!("Cheapest {noun}: {}, {} per session.", s.name, with_interval(s.stats(COST), "USD")))
        }
        None => items.push("No replicate defined the cost per session.".to_string()),
    }
    match lowest(&all, LATENCY) {
        Some(s) => items.push(format!(
            "Fastest {noun} (95th percentile of time to first token): {}, {}.",
            s.name,
            with_interval(s.stats(LATENCY), "s")
        )),
        None => items.push("No request was answered: no latency.".to_string()),
    }
    if kind == Kind::Variants {
        items.extend(all.iter().skip(1).map(|s| saving(s, &all[0])));
    }
    items.extend(run.summary.variants.iter().filter_map(|v| start_time(v, run.summary.variants.len() > 1)));
    items.push(objectives(run));
    vec![
        Block::List(items),
        Block::Paragraph(
            "Intervals are 95% confidence intervals over the replicates; savings are paired differences \
             (every variant runs on the same random numbers as the baseline)."
                .into(),
        ),
    ]
}

/// What the variant's requests would cost per session started at its
/// cheapest and dearest whole hour (summary.json's `start_time_spread`), or
/// why the run could not be repriced; nothing without time-of-day prices.
fn start_time(v: &VariantSummary, named: bool) -> Option<String> {
    let spread = v.start_time_spread.as_ref()?;
    let who = if named { format!(" ({})", v.name) } else { String::new() };
    if !spread.exact {
        let why = spread.not_exact_because.as_deref().unwrap_or("the traffic depends on the start");
        return Some(format!(
            "Start time{who}: the cost depends on the start, {} UTC, and was not repriced at other starts because {why}.",
            spread.start_utc
        ));
    }
    let own = spread.own()?.cost_usd_per_session?;
    let end = |c: Option<&StartCost>| -> Option<String> {
        let c = c?;
        let usd = c.cost_usd_per_session?;
        let change = match spread.change_percent(c) {
            _ if c.start_utc == spread.start_utc => ", this run's start".to_string(),
            Some(p) => format!(", {}{}%", if p > 0.0 { "+" } else { "" }, significant(p, 3)),
            None => String::new(),
        };
        Some(format!("{} UTC ({} USD{change})", c.start_utc, significant(usd, 4)))
    };
    Some(format!(
        "Start time{who}: started at {} UTC the run cost {} USD per session; the same requests would cost the least \
         started at {} and the most at {}, repriced exactly at every whole hour.",
        spread.start_utc,
        significant(own, 4),
        end(spread.cheapest.as_ref())?,
        end(spread.dearest.as_ref())?
    ))
}

/// "v against baseline: cost per session -23% [-27, -19] (-0.012 USD [...])".
fn saving(s: &Subject, baseline: &Subject) -> String {
    let Some(d) = s.diff.and_then(|d| d.get(COST)) else {
        return format!("{} against {}: no paired difference of cost per session.", s.name, baseline.name);
    };
    let pct = |x: f64| significant(100.0 * x, 3);
    let rel = match (d.rel, d.rel_ci95_low, d.rel_ci95_high) {
        (Some(r), Some(lo), Some(hi)) => format!("{}% [{}, {}]", pct(r), pct(lo), pct(hi)),
        (Some(r), _, _) => format!("{}% (no interval)", pct(r)),
        _ => "undefined".to_string(),
    };
    let abs = match (d.mean, d.ci95_low, d.ci95_high) {
        (Some(m), Some(lo), Some(hi)) => {
            format!("{} USD [{}, {}]", significant(m, 3), significant(lo, 3), significant(hi, 3))
        }
        _ => "no interval".to_string(),
    };
    let verdict = match (d.ci95_low, d.ci95_high) {
        (_, Some(hi)) if hi < 0.0 => "cheaper",
        (Some(lo), _) if lo > 0.0 => "dearer",
        _ => "no clear difference",
    };
    format!("{} against {}: cost per session {rel}, {abs} per session: {verdict}.", s.name, baseline.name)
}

/// A run's only objective is `--target-ci`; latency and cost objectives
/// are checked by `agentsim plan --slo`.
fn objectives(run: &RunData) -> String {
    match &run.summary.target_ci {
        Some(t) if t.reached => format!(
            "Objective --target-ci {}: reached (every interval's relative half-width at most {}).",
            t.rel, t.rel
        ),
        Some(t) => format!(
            "Objective --target-ci {}: not reached within {} replicates; the intervals are wider than asked.",
            t.rel, t.max_replicates
        ),
        None => "No objective was set for this run (latency and cost objectives are checked by agentsim plan --slo)."
            .to_string(),
    }
}
