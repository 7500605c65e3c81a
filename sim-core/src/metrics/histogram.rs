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
