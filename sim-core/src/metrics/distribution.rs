//! The distributions a run reports beyond three percentiles: the overall
//! scope's time to first token, end-to-end latency and completed sessions'
//! cost, each read at a fixed grid of quantiles per replicate and folded
//! over replicates as the mean of each quantile (`distributions.csv`, the
//! CDF charts of `agentsim report`).
//!
//! Why the mean of quantiles (quantile averaging, the "Vincentized"
//! distribution): it needs only the grid of each replicate, so it is exact
//! and mergeable across shards and resumed runs, where pooling the samples
//! would need every replicate's histogram. It is the distribution whose
//! quantile function is the mean of the replicates' quantile functions: the
//! typical replicate's distribution, not the pooled samples' (the two agree
//! when replicates are alike; the pooled one weights busier replicates more).
//! At a grid quantile it equals the mean over replicates of that percentile,
//! so its p50, p95 and p99 are summary.json's `*_p50/p95/p99` means.

use super::record::ScopeValues;
use super::scope::ScopeMetrics;
use super::stats::StatsAccumulator;

/// Quantiles on the grid: 0.01 to 0.99 by 0.01, then 0.995 and 0.999.
pub const GRID_LEN: usize = 101;

/// The grid, ascending. Each percent is `i / 100`, the f64 nearest to the
/// decimal, so 0.5, 0.95 and 0.99 are the same numbers the p50/p95/p99
/// metrics read.
pub fn quantile_grid() -> [f64; GRID_LEN] {
    let mut grid = [0.0; GRID_LEN];
    for (i, q) in grid.iter_mut().take(99).enumerate() {
        *q = (i + 1) as f64 / 100.0;
    }
    grid[99] = 0.995;
    grid[100] = 0.999;
    grid
}

/// The distributions, in the order their grids are stored and written.
pub const DISTRIBUTIONS: [&str; 3] = ["ttft_s", "e2e_s", "session_cost_usd"];

/// One replicate's grids of the overall scope: each distribution's
/// [`GRID_LEN`] quantiles in [`DISTRIBUTIONS`] order; `None` where the
/// replicate had no sample.
pub fn grid_values(m: &ScopeMetrics) -> ScopeValues {
    let grid = quantile_grid();
    let grids = [m.ttft.quantiles_s(&grid), m.e2e.quantiles_s(&grid), m.session_cost.quantiles_usd(&grid)];
    ScopeValues(grids.concat())
}

/// A variant's grids being folded over replicates, in replicate order.
#[derive(Clone, Debug)]
pub struct DistributionAccumulator(Vec<StatsAccumulator>);

impl Default for DistributionAccumulator {
    fn default() -> Self {
        DistributionAccumulator(vec![StatsAccumulator::default(); DISTRIBUTIONS.len() * GRID_LEN])
    }
}

impl DistributionAccumulator {
    /// Adds the next replicate's grids. A record without grids (written
    /// before they existed) adds nothing.
    pub fn push(&mut self, grids: &ScopeValues) {
        for (acc, v) in self.0.iter_mut().zip(&grids.0) {
            acc.push(*v);
        }
    }

    pub fn finish(&self) -> Distributions {
        Distributions(self.0.iter().map(|a| a.finish().mean).collect())
    }
}

/// A variant's folded grids: per distribution and quantile, the mean over the
/// replicates that had samples (`None` when none had).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Distributions(pub Vec<Option<f64>>);

impl Distributions {
    /// (distribution, quantile, value) in [`DISTRIBUTIONS`] then grid order;
    /// nothing for a summary that was not folded from records (one read
    /// back from summary.json).
    pub fn rows(&self) -> impl Iterator<Item = (&'static str, f64, Option<f64>)> + '_ {
        let grid = quantile_grid();
        self.0.iter().enumerate().map(move |(i, v)| (DISTRIBUTIONS[i / GRID_LEN], grid[i % GRID_LEN], *v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MetricStats;
    use crate::time::SimDuration;

    #[test]
    fn the_grid_holds_the_reported_percentiles_exactly() {
        let grid = quantile_grid();
        assert!(grid.windows(2).all(|w| w[0] < w[1]));
        for q in [0.01, 0.5, 0.95, 0.99, 0.995, 0.999] {
            assert!(grid.contains(&q), "{q}");
        }
    }

    #[test]
    fn the_fold_is_the_mean_of_each_quantile_over_replicates() {
        let replicate = |ms: u64| {
            let mut m = ScopeMetrics::default();
            m.ttft.record(SimDuration::from_millis(ms));
            m.e2e.record(SimDuration::from_millis(ms * 2));
            m
        };
        let (a, b) = (replicate(100), replicate(300));
        let mut acc = DistributionAccumulator::default();
        acc.push(&grid_values(&a));
        acc.push(&grid_values(&b));
        // A record from before the grids existed changes nothing.
        acc.push(&ScopeValues(vec![]));
        let rows: Vec<_> = acc.finish().rows().collect();
        assert_eq!(rows.len(), 3 * GRID_LEN);
        // What summary.json's mean of the per-replicate percentile is, bit for bit.
        let mean = |q: f64, h: fn(&ScopeMetrics) -> &crate::metrics::LatencyHistogram| {
            MetricStats::from_values([h(&a).quantile_s(q), h(&b).quantile_s(q)]).mean
        };
        assert_eq!(rows[0], ("ttft_s", 0.01, mean(0.01, |m| &m.ttft)));
        assert_eq!(rows[GRID_LEN + 94], ("e2e_s", 0.95, mean(0.95, |m| &m.e2e)));
        assert!((rows[GRID_LEN + 94].2.unwrap() - 0.4).abs() < 0.4e-3);
        // No session completed in either replicate.
        assert_eq!(rows[2 * GRID_LEN], ("session_cost_usd", 0.01, None));
    }
}
