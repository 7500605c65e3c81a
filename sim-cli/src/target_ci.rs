//! `--target-ci REL [--target-metric M]... [--max-replicates N]`: the flags
//! checked against the scenario, the stopping rule applied to the in-order
//! fold (`sim_core::metrics::target`), and the line the run prints.

use crate::args::RunArgs;
use crate::exit::InputRefused;
use anyhow::Context as _;
use sim_core::metrics::{DEFAULT_TARGET_METRIC, FoldNames, RankBy, RunFold, TargetCi};

/// The most replicates `--target-ci` adds up to without `--max-replicates`.
pub const DEFAULT_MAX_REPLICATES: u32 = 1000;

/// The target of this run, if `--target-ci` was given; every target metric
/// must be one of every variant's, and the maximum at least `start`.
pub fn of_args(args: &RunArgs, names: &FoldNames, start: u32) -> anyhow::Result<Option<TargetCi>> {
    let Some(rel) = args.target_ci else {
        return Ok(None);
    };
    let metrics = if args.target_metrics.is_empty() {
        vec![DEFAULT_TARGET_METRIC.to_string()]
    } else {
        args.target_metrics.clone()
    };
    for m in &metrics {
        // The same check as the ranking metric's: an overall metric every variant has.
        let variants = names.variants.iter().map(|(n, t)| (n.as_str(), t.as_slice()));
        RankBy { metric: m.clone(), better: Default::default() }.check(variants).context("--target-metric")?;
    }
    let max = args.max_replicates.unwrap_or(DEFAULT_MAX_REPLICATES.max(start));
    if max < start {
        return Err(InputRefused(format!(
            "--max-replicates {max} is below the {start} replicates the run starts with (--replicates or the \
             scenario's simulation.replicates)"
        ))
        .into());
    }
    Ok(Some(TargetCi { rel, metrics, min_replicates: start, max_replicates: max, reached: false }))
}

/// Parses REL: a finite number above 0.
pub fn parse_rel(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("expected a relative half-width above 0, e.g. 0.02 for ±2% of the mean, got `{s}`")),
    }
}

/// Whether the run stops after the replicates folded so far: at least the
/// starting count, and every target metric of every variant precise enough.
pub fn reached(t: &TargetCi, fold: &RunFold) -> bool {
    fold.folded() >= t.min_replicates && fold.meets(&t.metrics, t.rel)
}

/// What the run prints about it.
pub fn line(t: &TargetCi, used: u32) -> String {
    // Rounded so 0.07 prints as 7, not 7.000000000000001.
    let pct = format!("{:.4}", 100.0 * t.rel).trim_end_matches('0').trim_end_matches('.').to_string();
    let what = format!("95% CI half-width within {pct}% of the mean for {}", t.metrics.join(", "));
    if t.reached {
        format!("target CI: {what}: reached after {used} replicates\n")
    } else {
        format!("target CI: {what}: NOT reached; stopped at the maximum of {used} replicates (--max-replicates)\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_must_be_positive_and_finite() {
        assert_eq!(parse_rel("0.05"), Ok(0.05));
        for bad in ["0", "-0.1", "inf", "NaN", "x", ""] {
            assert!(parse_rel(bad).is_err(), "{bad}");
        }
    }
}
