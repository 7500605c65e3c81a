//! Replicate count by precision (`--target-ci`): replicates are added in
//! index order until the 95% confidence interval of every target metric, in
//! every variant, is narrow relative to its mean. The rule is checked on the
//! in-order fold after each replicate, so where a run stops depends only on
//! the scenario and the seed, never on threads or timing.

use super::stats::MetricStats;
use serde::{Deserialize, Serialize};

/// The default target metric: what a session costs.
pub const DEFAULT_TARGET_METRIC: &str = "cost_usd_per_session";

/// What `--target-ci` asked for, and whether it was reached (`summary.json`'s
/// `target_ci`; the summary's `replicates` is how many were used).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetCi {
    /// The largest relative half-width accepted: (ci95_high - ci95_low) / 2 / |mean|.
    pub rel: f64,
    /// Overall metrics that must all reach it, in every variant.
    pub metrics: Vec<String>,
    /// The replicate scenario's count the run started from.
    pub min_replicates: u32,
    /// The most replicates the run would add up to.
    pub max_replicates: u32,
    /// Every metric of every variant reached `rel`; false when the run
    /// stopped at `max_replicates` without.
    pub reached: bool,
}

/// A metric's relative 95% half-width; `None` when it is not defined (fewer
/// than two values, or a mean of zero).
pub fn relative_half_width(s: &MetricStats) -> Option<f64> {
    let (mean, low, high) = (s.mean?, s.ci95_low?, s.ci95_high?);
    (mean != 0.0).then(|| (high - low) / 2.0 / mean.abs())
}

/// Whether `s` meets a relative half-width of `rel` (an undefined one never does).
pub fn meets(s: &MetricStats, rel: f64) -> bool {
    relative_half_width(s).is_some_and(|h| h <= rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_width_is_relative_to_the_absolute_mean() {
        let s = |mean, low, high| MetricStats { mean, std: None, ci95_low: low, ci95_high: high, n: 2 };
        assert_eq!(relative_half_width(&s(Some(-4.0), Some(-5.0), Some(-3.0))), Some(0.25));
        assert_eq!(relative_half_width(&s(Some(0.0), Some(-1.0), Some(1.0))), None);
        assert_eq!(relative_half_width(&s(Some(1.0), None, None)), None);
        assert!(meets(&s(Some(10.0), Some(9.0), Some(11.0)), 0.1));
        assert!(!meets(&s(Some(10.0), Some(9.0), Some(11.0)), 0.099));
    }
}
