//! Paired differences between a variant and the baseline. Both run on the
//! same replicate indices and seed, and every random draw is keyed by request
//! or by name (common random numbers), so replicate i of the variant and of
//! the baseline saw the same arrivals and sizes: the difference of their
//! values varies far less than either value, and its interval is narrower
//! than the difference of two independent means (Law, "Simulation Modeling
//! and Analysis", 5th ed., section 10.2, paired-t confidence interval).

use super::record::{ScopeValues, VariantRecord};
use super::registry::metric_names;
use super::stats::student_t_975;
use super::summary::{ordered_map, ordered_pairs};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A metric's paired difference, variant minus baseline, over the replicates
/// in which both defined it. `rel_*` is the relative difference
/// `mean(diff) / mean(baseline)` (a ratio estimator) with a delta-method
/// interval; absent when the baseline mean is 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DiffStats {
    pub mean: Option<f64>,
    /// Sample standard deviation of the per-replicate differences.
    pub std: Option<f64>,
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
    pub rel: Option<f64>,
    pub rel_ci95_low: Option<f64>,
    pub rel_ci95_high: Option<f64>,
    /// Replicates in which both the variant and the baseline defined the metric.
    pub n: u32,
}

/// Streaming (Welford) means, variances and covariance of the baseline value
/// b and the difference d = v - b, pushed in replicate order.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PairedAccumulator {
    n: u32,
    mean_b: f64,
    mean_d: f64,
    m2_b: f64,
    m2_d: f64,
    /// Sum of co-deviations of b and d.
    c_bd: f64,
}

impl PairedAccumulator {
    /// Adds one replicate's baseline and variant values; skipped unless both are defined.
    pub fn push(&mut self, base: Option<f64>, variant: Option<f64>) {
        let (Some(b), Some(v)) = (base, variant) else { return };
        if !(b.is_finite() && v.is_finite()) {
            return;
        }
        let d = v - b;
        self.n += 1;
        let n = f64::from(self.n);
        let db = b - self.mean_b;
        self.mean_b += db / n;
        let dd = d - self.mean_d;
        self.mean_d += dd / n;
        self.m2_b += db * (b - self.mean_b);
        self.m2_d += dd * (d - self.mean_d);
        self.c_bd += db * (d - self.mean_d);
    }

    pub fn finish(&self) -> DiffStats {
        let n = self.n;
        if n == 0 {
            return DiffStats::default();
        }
        let rel = (self.mean_b != 0.0).then(|| self.mean_d / self.mean_b);
        let mut s = DiffStats { mean: Some(self.mean_d), rel, n, ..DiffStats::default() };
        if n < 2 {
            return s;
        }
        let (nf, df) = (f64::from(n), f64::from(n - 1));
        let t = student_t_975(n as usize - 1);
        let std = (self.m2_d.max(0.0) / df).sqrt();
        let half = t * std / nf.sqrt();
        s.std = Some(std);
        s.ci95_low = Some(self.mean_d - half);
        s.ci95_high = Some(self.mean_d + half);
        if let Some(r) = rel {
            // Delta method for the ratio of means R = d/b:
            // Var(R) ~ Var(d - R b) / (n b^2).
            let var_resid = (self.m2_d - 2.0 * r * self.c_bd + r * r * self.m2_b).max(0.0) / df;
            let half_r = t * (var_resid / (nf * self.mean_b * self.mean_b)).sqrt();
            s.rel_ci95_low = Some(r - half_r);
            s.rel_ci95_high = Some(r + half_r);
        }
        s
    }
}

/// Metric name -> paired difference, in `metric_names` order.
#[derive(Clone, Debug, PartialEq)]
pub struct DiffTable(pub Vec<(String, DiffStats)>);

impl DiffTable {
    pub fn get(&self, name: &str) -> Option<&DiffStats> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }
}

impl Serialize for DiffTable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ordered_map(s, &self.0)
    }
}

impl<'de> Deserialize<'de> for DiffTable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ordered_pairs(d).map(Self)
    }
}

/// Named difference tables (per provider or per workload), in scenario order.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedDiffs(pub Vec<(String, DiffTable)>);

impl Serialize for NamedDiffs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ordered_map(s, &self.0)
    }
}

impl<'de> Deserialize<'de> for NamedDiffs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ordered_pairs(d).map(Self)
    }
}

/// `diff_vs_baseline` of a variant in summary.json: every scope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiffSummary {
    pub metrics: DiffTable,
    pub by_provider: NamedDiffs,
    pub by_workload: NamedDiffs,
}

/// A variant's paired differences from the baseline, accumulated replicate
/// by replicate, for every metric of the baseline. The variant has the
/// baseline's providers and workloads (scenario `load_variants` checks), so
/// scopes pair up by position; its cache tiers may differ (a TTL names its
/// tier), so metrics pair up by name, and a per-tier metric of a tier the
/// variant lacks has no difference (n = 0).
#[derive(Clone, Debug)]
pub struct DiffAccumulator {
    metric_names: Vec<String>,
    /// For each baseline metric, its index among the variant's metrics.
    pairing: Vec<Option<usize>>,
    overall: Vec<PairedAccumulator>,
    by_provider: Vec<(String, Vec<PairedAccumulator>)>,
    by_workload: Vec<(String, Vec<PairedAccumulator>)>,
}

impl DiffAccumulator {
    pub fn new(
        provider_names: &[String],
        workload_names: &[String],
        tier_names: &[String],
        variant_tier_names: &[String],
    ) -> Self {
        let metric_names = metric_names(tier_names);
        let variant_names = super::registry::metric_names(variant_tier_names);
        let pairing = metric_names.iter().map(|m| variant_names.iter().position(|v| v == m)).collect();
        let empty = vec![PairedAccumulator::default(); metric_names.len()];
        let scopes = |names: &[String]| names.iter().map(|n| (n.clone(), empty.clone())).collect();
        DiffAccumulator {
            pairing,
            by_provider: scopes(provider_names),
            by_workload: scopes(workload_names),
            overall: empty,
            metric_names,
        }
    }

    /// Adds one replicate of the baseline and the same replicate of the variant.
    pub fn push(&mut self, base: &VariantRecord, variant: &VariantRecord) {
        let pairing = &self.pairing;
        let pair = |accs: &mut [PairedAccumulator], b: &ScopeValues, v: &ScopeValues| {
            for ((acc, b), at) in accs.iter_mut().zip(&b.0).zip(pairing) {
                acc.push(*b, at.and_then(|i| v.0[i]));
            }
        };
        pair(&mut self.overall, &base.overall, &variant.overall);
        for (((_, accs), b), v) in self.by_provider.iter_mut().zip(&base.by_provider).zip(&variant.by_provider) {
            pair(accs, b, v);
        }
        for (((_, accs), b), v) in self.by_workload.iter_mut().zip(&base.by_workload).zip(&variant.by_workload) {
            pair(accs, b, v);
        }
    }

    pub fn finish(&self) -> DiffSummary {
        let table = |accs: &[PairedAccumulator]| {
            DiffTable(self.metric_names.iter().zip(accs).map(|(n, a)| (n.clone(), a.finish())).collect())
        };
        let named = |scopes: &[(String, Vec<PairedAccumulator>)]| {
            NamedDiffs(scopes.iter().map(|(n, accs)| (n.clone(), table(accs))).collect())
        };
        DiffSummary {
            metrics: table(&self.overall),
            by_provider: named(&self.by_provider),
            by_workload: named(&self.by_workload),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(pairs: &[(f64, f64)]) -> DiffStats {
        let mut acc = PairedAccumulator::default();
        for &(b, v) in pairs {
            acc.push(Some(b), Some(v));
        }
        acc.finish()
    }

    #[test]
    fn paired_difference_of_a_known_sample() {
        // d = 1, 2, 3 (mean 2, sd 1); b = 10, 20, 30 (mean 20).
        let s = diff(&[(10.0, 11.0), (20.0, 22.0), (30.0, 33.0)]);
        assert_eq!((s.n, s.mean, s.std), (3, Some(2.0), Some(1.0)));
        let half = 4.302_652_730 / 3f64.sqrt();
        assert!((s.ci95_low.unwrap() - (2.0 - half)).abs() < 1e-12);
        assert!((s.ci95_high.unwrap() - (2.0 + half)).abs() < 1e-12);
        // Every d_i is 0.1 b_i, so d - R b = 0 and the ratio interval has no
        // width, up to rounding: the residual variance cancels to ~1e-16 of
        // the terms it is computed from, and its square root is ~1e-8.
        assert!((s.rel.unwrap() - 0.1).abs() < 1e-15);
        let width = s.rel_ci95_high.unwrap() - s.rel_ci95_low.unwrap();
        assert!(width.abs() < 1e-7, "{width}");
    }

    #[test]
    fn ratio_interval_by_the_delta_method() {
        // b = 2, 4; d = 1, 0: mean b 3, mean d 0.5, R = 1/6.
        // Residuals d - R b = 2/3, -2/3: variance (8/9)/1; Var(R) = (8/9) / (2 * 9).
        let s = diff(&[(2.0, 3.0), (4.0, 4.0)]);
        let r = 1.0 / 6.0;
        let half = 12.706_204_736 * (8.0f64 / 9.0 / 18.0).sqrt();
        assert!((s.rel.unwrap() - r).abs() < 1e-15);
        assert!((s.rel_ci95_low.unwrap() - (r - half)).abs() < 1e-12, "{s:?}");
        assert!((s.rel_ci95_high.unwrap() - (r + half)).abs() < 1e-12);
    }

    #[test]
    fn unpaired_and_zero_baselines() {
        let mut acc = PairedAccumulator::default();
        acc.push(Some(1.0), None);
        acc.push(None, Some(1.0));
        assert_eq!(acc.finish(), DiffStats::default());
        let s = diff(&[(0.0, 1.0), (0.0, 3.0)]);
        assert_eq!((s.mean, s.rel, s.rel_ci95_low), (Some(2.0), None, None));
    }
}
