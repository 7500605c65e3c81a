//! Mergeable histograms (HdrHistogram, 3 significant digits): latencies over
//! microseconds and session costs over nano-dollars. Fixed memory whatever the
//! number of samples, exact merge by `add`.

use crate::time::SimDuration;
use hdrhistogram::Histogram;

/// Integer samples, auto-resizing: what both histograms are built on.
#[derive(Clone, Debug)]
struct Hdr(Histogram<u64>);

impl Default for Hdr {
    fn default() -> Self {
        // 3 significant digits: quantiles within 0.1% of the true sample value.
        let mut hist = Histogram::new(3).expect("3 significant digits is a valid precision");
        hist.auto(true);
        Hdr(hist)
    }
}

impl Hdr {
    fn record(&mut self, v: u64) {
        // Auto-resize grows the range on demand (`saturating_record` would not);
        // only a value beyond what the counters can address saturates.
        if self.0.record(v).is_err() {
            self.0.saturating_record(v);
        }
    }

    /// The sample at quantile `q` divided by `per_unit`; `None` when empty.
    fn quantile(&self, q: f64, per_unit: f64) -> Option<f64> {
        (!self.0.is_empty()).then(|| self.0.value_at_quantile(q) as f64 / per_unit)
    }

    /// [`Hdr::quantile`] at each of `qs` (ascending, each in (0, 1]) in one
    /// pass over the counts: a replicate's 101-point grids read each
    /// histogram once instead of 101 times. Each value is exactly what
    /// `value_at_quantile` gives: the highest value equivalent to the first
    /// bucket whose running count reaches `max(1, ceil(q * total))`.
    fn quantiles(&self, qs: &[f64], per_unit: f64) -> Vec<Option<f64>> {
        if self.0.is_empty() {
            return vec![None; qs.len()];
        }
        debug_assert!(qs.windows(2).all(|w| w[0] <= w[1]) && qs.iter().all(|&q| q > 0.0 && q <= 1.0));
        let total = self.0.len() as f64;
        let target = |q: f64| ((q * total).ceil() as u64).max(1);
        let mut out = Vec::with_capacity(qs.len());
        let mut running = 0u64;
        let mut buckets = self.0.iter_recorded();
        for &q in qs {
            let need = target(q);
            let value = loop {
                if running >= need {
                    break out.last().copied().flatten();
                }
                match buckets.next() {
                    Some(b) => {
                        running += b.count_at_value();
                        if running >= need {
                            break Some(b.value_iterated_to() as f64 / per_unit);
                        }
                    }
                    // As `value_at_quantile` when the counts fall short of the total.
                    None => break Some(0.0),
                }
            };
            out.push(value);
        }
        out
    }

    fn merge(&mut self, other: &Hdr) {
        self.0.add(&other.0).expect("auto-resizing histograms always merge");
    }
}

/// Latency distribution of one scope; percentiles are read in seconds.
#[derive(Clone, Debug, Default)]
pub struct LatencyHistogram {
    hist: Hdr,
}

impl LatencyHistogram {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn record(&mut self, d: SimDuration) {
        self.hist.record(d.as_micros());
    }

    pub fn count(&self) -> u64 {
        self.hist.0.len()
    }

    /// The value at quantile `q` (0..=1) in seconds; `None` when empty.
    pub fn quantile_s(&self, q: f64) -> Option<f64> {
        self.hist.quantile(q, 1e6)
    }

    /// [`LatencyHistogram::quantile_s`] at each of `qs` (ascending, in (0, 1]), in one pass.
    pub fn quantiles_s(&self, qs: &[f64]) -> Vec<Option<f64>> {
        self.hist.quantiles(qs, 1e6)
    }

    /// Adds every sample of `other` (histograms grow to fit, so this cannot fail).
    pub fn merge(&mut self, other: &LatencyHistogram) {
        self.hist.merge(&other.hist);
    }
}

/// Per-session cost distribution of one scope, over nano-dollars: a session
/// of a cheap model can cost well under a micro-dollar, and 3 significant
/// digits of a nano-dollar count still cover sessions of thousands of dollars.
#[derive(Clone, Debug, Default)]
pub struct CostHistogram {
    hist: Hdr,
}

impl CostHistogram {
    const PER_USD: f64 = 1e9;

    /// One session's cost; costs are never negative (a negative or NaN amount
    /// would be a pricing bug, and records as zero).
    pub fn record_usd(&mut self, usd: f64) {
        self.hist.record((usd * Self::PER_USD).round().max(0.0) as u64);
    }

    pub fn count(&self) -> u64 {
        self.hist.0.len()
    }

    /// The cost at quantile `q` (0..=1) in dollars; `None` when empty.
    pub fn quantile_usd(&self, q: f64) -> Option<f64> {
        self.hist.quantile(q, Self::PER_USD)
    }

    /// [`CostHistogram::quantile_usd`] at each of `qs` (ascending, in (0, 1]), in one pass.
    pub fn quantiles_usd(&self, qs: &[f64]) -> Vec<Option<f64>> {
        self.hist.quantiles(qs, Self::PER_USD)
    }

    pub fn merge(&mut self, other: &CostHistogram) {
        self.hist.merge(&other.hist);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_within_precision_and_merge_is_exact() {
        let mut a = LatencyHistogram::new();
        let mut b = LatencyHistogram::new();
        for i in 1..=1000u64 {
            a.record(SimDuration::from_millis(i));
            b.record(SimDuration::from_millis(1000 + i));
        }
        let p50 = a.quantile_s(0.5).unwrap();
        assert!((p50 - 0.5).abs() / 0.5 < 1e-3, "{p50}");
        a.merge(&b);
        assert_eq!(a.count(), 2000);
        let p50 = a.quantile_s(0.5).unwrap();
        assert!((p50 - 1.0).abs() < 2e-3, "{p50}");
        assert_eq!(LatencyHistogram::new().quantile_s(0.5), None);
    }

    #[test]
    fn one_pass_quantiles_are_value_at_quantile() {
        use rand::{Rng, SeedableRng};
        let grid = crate::metrics::distribution::quantile_grid();
        let mut qs = grid.to_vec();
        qs.extend([0.9995, 1.0]);
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(5);
        for n in [1usize, 2, 7, 100, 5_000] {
            let mut h = LatencyHistogram::new();
            let mut c = CostHistogram::default();
            for _ in 0..n {
                // Heavy-tailed, with exact repeats: thresholds land inside buckets and on their edges.
                let bits = rng.random_range(1..40);
                let us = if rng.random_bool(0.2) { 1_000 } else { rng.random_range(1..1u64 << bits) };
                h.record(SimDuration::from_micros(us));
                c.record_usd(us as f64 * 1e-9);
            }
            let one_by_one: Vec<_> = qs.iter().map(|&q| h.quantile_s(q)).collect();
            assert_eq!(h.quantiles_s(&qs), one_by_one, "{n} samples");
            let one_by_one: Vec<_> = qs.iter().map(|&q| c.quantile_usd(q)).collect();
            assert_eq!(c.quantiles_usd(&qs), one_by_one, "{n} samples");
        }
        assert_eq!(LatencyHistogram::new().quantiles_s(&qs), vec![None; qs.len()]);
    }

    #[test]
    fn session_costs_keep_sub_micro_dollar_resolution() {
        let mut c = CostHistogram::default();
        for i in 1..=100u64 {
            c.record_usd(i as f64 * 1e-8);
        }
        assert_eq!(c.count(), 100);
        // 50 x 1e-8 USD = 500 nano-dollars: below 2048, exact at 3 digits.
        assert_eq!(c.quantile_usd(0.5), Some(5e-7));
        assert_eq!(c.quantile_usd(1.0), Some(1e-6));
        assert_eq!(CostHistogram::default().quantile_usd(0.5), None);
    }
}
