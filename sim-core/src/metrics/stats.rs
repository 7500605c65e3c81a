//! Across-replicate statistics: mean, sample standard deviation and the 95%
//! Student-t confidence interval of the mean.

use serde::Serialize;

/// The summary of one metric over the replicates in which it was defined.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
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
    /// Summarises per-replicate values; `None` entries (undefined in that
    /// replicate) and non-finite ones are left out and reduce `n`. Sums run in replicate order, so
    /// the result is identical however the replicates were scheduled.
    pub fn from_values(values: impl IntoIterator<Item = Option<f64>>) -> Self {
        // A non-finite value (an overflowing ratio) is treated as undefined, so
        // summary.json (null) and summary.csv (empty) agree and no `inf`/`NaN`
        // reaches a file.
        let xs: Vec<f64> = values.into_iter().flatten().filter(|x| x.is_finite()).collect();
        let n = xs.len();
        if n == 0 {
            return MetricStats { mean: None, std: None, ci95_low: None, ci95_high: None, n: 0 };
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return MetricStats { mean: Some(mean), std: None, ci95_low: None, ci95_high: None, n: 1 };
        }
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
        let std = var.sqrt();
        let half = student_t_975(n - 1) * std / (n as f64).sqrt();
        MetricStats {
            mean: Some(mean),
            std: Some(std),
            ci95_low: Some(mean - half),
            ci95_high: Some(mean + half),
            n: n as u32,
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
    let z3 = z.powi(3);
    let z5 = z.powi(5);
    let z7 = z.powi(7);
    let z9 = z.powi(9);
    z + (z3 + z) / (4.0 * v)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v.powi(3))
        + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / (92_160.0 * v.powi(4))
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
    fn single_and_empty_samples_have_no_interval() {
        let one = MetricStats::from_values([Some(5.0)]);
        assert_eq!((one.mean, one.std, one.ci95_low, one.n), (Some(5.0), None, None, 1));
        let none = MetricStats::from_values([None, None]);
        assert_eq!((none.mean, none.n), (None, 0));
    }
}
