//! Ranking of variants: for one metric of the overall scope, the probability
//! that each variant (baseline included) is the best, estimated as the share
//! of replicates in which its value is the best of all. Every variant runs on
//! the same replicates (common random numbers), so comparing their values
//! replicate by replicate is the "probability of correct selection" estimate
//! of ranking-and-selection (Law, "Simulation Modeling and Analysis", 5th ed.,
//! section 10.4; Kim and Nelson, "Selecting the best system", Handbooks in
//! OR & MS vol. 13, 2006).

use super::record::VariantRecord;
use super::registry::metric_names;
use serde::{Deserialize, Serialize};

/// The metric ranked by default: what a session costs.
pub const DEFAULT_RANK_METRIC: &str = "cost_usd_per_session";

/// Which end of a metric is best.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    #[default]
    Lower,
    Higher,
}

/// The metric to rank by and which end of it is best (`--rank-by METRIC[:max|:min]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RankBy {
    pub metric: String,
    pub better: Better,
}

impl Default for RankBy {
    fn default() -> Self {
        RankBy { metric: DEFAULT_RANK_METRIC.to_string(), better: Better::default() }
    }
}

/// Why a `--rank-by` cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RankError {
    #[error("empty metric name (expected METRIC, METRIC:min or METRIC:max)")]
    Empty,
    #[error("unknown direction `{0}` (expected METRIC, METRIC:min or METRIC:max)")]
    Direction(String),
    #[error("variant `{variant}` has no metric `{metric}` (see docs/outputs.md for the metric names)")]
    UnknownMetric { metric: String, variant: String },
}

impl RankBy {
    /// The flag's text for this choice, which [`RankBy::parse`] reads back.
    pub fn arg(&self) -> String {
        match (self.better, Self::natural(&self.metric)) {
            (b, n) if b == n => self.metric.clone(),
            (Better::Lower, _) => format!("{}:min", self.metric),
            (Better::Higher, _) => format!("{}:max", self.metric),
        }
    }

    /// Which end of `metric` is best when `--rank-by` does not say: higher for
    /// hit rates, speeds and attainment (the registry's `higher_is_better`),
    /// lower for the rest.
    fn natural(metric: &str) -> Better {
        if super::registry::higher_is_better(metric) { Better::Higher } else { Better::Lower }
    }

    /// Parses `METRIC` (its natural direction), `METRIC:min` or `METRIC:max`.
    pub fn parse(s: &str) -> Result<Self, RankError> {
        let (metric, better) = match s.rsplit_once(':') {
            None => (s, Self::natural(s)),
            Some((m, "min")) => (m, Better::Lower),
            Some((m, "max")) => (m, Better::Higher),
            Some((_, d)) => return Err(RankError::Direction(d.to_string())),
        };
        if metric.is_empty() {
            return Err(RankError::Empty);
        }
        Ok(RankBy { metric: metric.to_string(), better })
    }

    /// Checks that every variant, given as (name, cache tier names), has the metric.
    pub fn check<'a>(&self, variants: impl IntoIterator<Item = (&'a str, &'a [String])>) -> Result<(), RankError> {
        for (name, tiers) in variants {
            if !metric_names(tiers).contains(&self.metric) {
                return Err(RankError::UnknownMetric { metric: self.metric.clone(), variant: name.to_string() });
            }
        }
        Ok(())
    }
}

/// One variant's probability of being best.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RankEntry {
    pub name: String,
    /// `null` when no replicate could be used.
    pub p_best: Option<f64>,
}

/// `ranking` in summary.json.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    pub metric: String,
    pub better: Better,
    /// Replicates in which every variant defined the metric.
    pub replicates: u32,
    pub variants: Vec<RankEntry>,
}

/// Wins per variant, folded one replicate index at a time once every
/// variant's metrics of that replicate are known; memory is one counter per
/// variant whatever the number of replicates.
#[derive(Clone, Debug)]
pub struct RankingAccumulator {
    rank_by: RankBy,
    /// Per variant: its name and the metric's index among its metrics
    /// (`None` if it lacks the metric: never usable).
    variants: Vec<(String, Option<usize>)>,
    /// Per variant: replicates won, a tie of k counting 1/k to each.
    wins: Vec<f64>,
    used: u32,
}

impl RankingAccumulator {
    /// `variants`: (name, cache tier names), baseline first.
    pub fn new<'a>(rank_by: RankBy, variants: impl IntoIterator<Item = (&'a str, &'a [String])>) -> Self {
        let variants: Vec<_> = variants
            .into_iter()
            .map(|(name, tiers)| {
                let at = metric_names(tiers).iter().position(|m| *m == rank_by.metric);
                (name.to_string(), at)
            })
            .collect();
        RankingAccumulator { wins: vec![0.0; variants.len()], variants, rank_by, used: 0 }
    }

    /// Adds one replicate index: every variant's metrics, in variant order.
    pub fn push(&mut self, reps: &[&VariantRecord]) {
        debug_assert_eq!(reps.len(), self.variants.len(), "one replicate per variant");
        let values: Option<Vec<f64>> = self
            .variants
            .iter()
            .zip(reps)
            .map(|((_, at), r)| at.and_then(|i| r.overall.0[i]).filter(|v| v.is_finite()))
            .collect();
        if let Some(values) = values {
            self.push_values(&values);
        }
    }

    /// Adds one replicate's defined, finite values, in variant order.
    fn push_values(&mut self, values: &[f64]) {
        let best = match self.rank_by.better {
            Better::Lower => values.iter().copied().fold(f64::INFINITY, f64::min),
            Better::Higher => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        };
        let tied = values.iter().filter(|v| **v == best).count();
        for (w, v) in self.wins.iter_mut().zip(values) {
            if *v == best {
                *w += 1.0 / tied as f64;
            }
        }
        self.used += 1;
    }

    pub fn finish(&self) -> Ranking {
        let n = self.used;
        Ranking {
            metric: self.rank_by.metric.clone(),
            better: self.rank_by.better,
            replicates: n,
            variants: self
                .variants
                .iter()
                .zip(&self.wins)
                .map(|((name, _), w)| RankEntry { name: name.clone(), p_best: (n > 0).then(|| w / f64::from(n)) })
                .collect(),
        }
    }
}

#[cfg(test)]
#[path = "ranking_tests.rs"]
mod tests;
