//! Across-replicate statistics: mean, sample standard deviation and the 95%
//! Student-t confidence interval of the mean.

use crate::maths;
use serde::{Deserialize, Serialize};

/// The summary of one metric over the replicates in which it was defined.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricStats {
    /// `None` when no replicate defined the metric (e.g. latency with no request).
    pub mean: Option<f64>,
    /// Sample standard deviation (n - 1); `None` when n < 2.
    pub std: Option<f64>,
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
    /// Replicates that defined the metric.
    pub n: u32,
}

impl MetricStats {
    /// Summarises per-replicate values in order; `None` entries (undefined in
    /// that replicate) are left out and reduce `n`.
    pub fn from_values(values: impl IntoIterator<Item = Option<f64>>) -> Self {
        let mut acc = StatsAccumulator::default();
        for v in values {
            acc.push(v);
        }
        acc.finish()
    }
}

/// Streaming mean and variance (Welford's update) of one metric over
/// replicates: constant memory whatever the replicate count. Values are
/// pushed in replicate order, so the result is identical however the
/// replicates were scheduled.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StatsAccumulator {
    n: u32,
    mean: f64,
    /// Sum of squared deviations from the running mean.
    m2: f64,
}

impl StatsAccumulator {
    /// Adds one replicate's value; `None` (undefined in that replicate) is
    /// skipped. Engines refuse non-finite metrics (`engine::SimLimit`), so a
    /// non-finite value here is a bug and is skipped rather than poisoning
    /// the mean (debug builds stop on it).
    pub fn push(&mut self, value: Option<f64>) {
        let Some(x) = value else { return };
        debug_assert!(x.is_finite(), "non-finite metric value {x}");
        if !x.is_finite() {
            return;
        }
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / f64::from(self.n);
        self.m2 += delta * (x - self.mean);
    }

    pub fn finish(&self) -> MetricStats {
        let n = self.n;
        if n == 0 {
            return MetricStats { mean: None, std: None, ci95_low: None, ci95_high: None, n: 0 };
        }
        if n == 1 {
            return MetricStats { mean: Some(self.mean), std: None, ci95_low: None, ci95_high: None, n: 1 };
        }
        let std = (self.m2.max(0.0) / f64::from(n - 1)).sqrt();
        let half = student_t_975(n as usize - 1) * std / f64::from(n).sqrt();
        MetricStats {
            mean: Some(self.mean),
            std: Some(std),
            ci95_low: Some(self.mean - half),
            ci95_high: Some(self.mean + half),
            n,
        }
    }
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom: exact table
/// values to df = 30, then the Cornish-Fisher expansion (error < 1e-6 there).
pub fn student_t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706_204_736,
        4.302_652_730,
        3.182_446_305,
        2.776_445_105,
        2.570_581_836,
        2.446_911_851,
        2.364_624_252,
        2.306_004_135,
        2.262_157_163,
        2.228_138_852,
        2.200_985_160,
        2.178_812_830,
        2.160_368_656,
        2.144_786_688,
        2.131_449_546,
        2.119_905_299,
        2.109_815_578,
        2.100_922_040,
        2.093_024_054,
        2.085_963_447,
        2.079_613_845,
        2.073_873_068,
        2.068_657_610,
        2.063_898_562,
        2.059_538_553,
        2.055_529_439,
        2.051_830_516,
        2.048_407_142,
        2.045_229_642,
        2.042_272_456,
    ];
    assert!(df >= 1, "t quantile needs at least one degree of freedom");
    if df <= 30 {
        return TABLE[df - 1];
    }
    let z: f64 = 1.959_963_984_540_054;
    let v = df as f64;
    let z3 = maths::powi(z, 3);
    let z5 = maths::powi(z, 5);
    let z7 = maths::powi(z, 7);
    let z9 = maths::powi(z, 9);
    z + (z3 + z) / (4.0 * v)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * maths::powi(v, 3))
        + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / (92_160.0 * maths::powi(v, 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_reference_values() {
        // Reference: R qt(0.975, df).
        for (df, q) in
            [(1, 12.706_204_74), (10, 2.228_138_85), (31, 2.039_513_45), (60, 2.000_297_82), (1000, 1.962_339_23)]
        {
            assert!((student_t_975(df) - q).abs() < 1e-6, "df {df}: {} vs {q}", student_t_975(df));
        }
    }

    #[test]
    fn stats_of_known_sample() {
        let s = MetricStats::from_values([Some(1.0), Some(2.0), None, Some(3.0)]);
        assert_eq!(s.n, 3);
        assert_eq!(s.mean, Some(2.0));
        assert_eq!(s.std, Some(1.0));
        let half = 4.302_652_730 / 3f64.sqrt();
        assert!((s.ci95_low.unwrap() - (2.0 - half)).abs() < 1e-12);
        assert!((s.ci95_high.unwrap() - (2.0 + half)).abs() < 1e-12);
    }

    #[test]
    fn streaming_matches_two_pass_on_large_offsets() {
        // Welford's update stays accurate where sum-of-squares would cancel.
        let xs: Vec<f64> = (0..1000).map(|i| 1e9 + f64::from(i % 7)).collect();
        let s = MetricStats::from_values(xs.iter().map(|x| Some(*x)));
        let mean = xs.iter().sum::<f64>() / 1000.0;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / 999.0;
        assert!((s.mean.unwrap() - mean).abs() < 1e-6);
        assert!((s.std.unwrap() - var.sqrt()).abs() < 1e-6, "{:?} vs {}", s.std, var.sqrt());
    }

    #[test]
    fn single_and_empty_samples_have_no_interval() {
        let one = MetricStats::from_values([Some(5.0)]);
        assert_eq!((one.mean, one.std, one.ci95_low, one.n), (Some(5.0), None, None, 1));
        let none = MetricStats::from_values([None, None]);
        assert_eq!((none.mean, none.n), (None, 0));
    }
}
