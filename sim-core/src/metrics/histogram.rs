//! A mergeable latency histogram over microseconds (HdrHistogram, 3 significant
//! digits): fixed memory whatever the number of samples, exact merge by `add`.

use crate::time::SimDuration;
use hdrhistogram::Histogram;

/// Latency distribution of one scope; percentiles are read in seconds.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    hist: Histogram<u64>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    pub fn new() -> Self {
        // 3 significant digits: quantiles within 0.1% of the true sample value.
        let mut hist = Histogram::new(3).expect("3 significant digits is a valid precision");
        hist.auto(true);
        LatencyHistogram { hist }
    }

    pub fn record(&mut self, d: SimDuration) {
        // Auto-resize grows the range on demand (`saturating_record` would not);
        // only a value beyond what the counters can address saturates.
        if self.hist.record(d.as_micros()).is_err() {
            self.hist.saturating_record(d.as_micros());
        }
    }

    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// The value at quantile `q` (0..=1) in seconds; `None` when empty.
    pub fn quantile_s(&self, q: f64) -> Option<f64> {
        if self.hist.is_empty() {
            return None;
        }
        Some(self.hist.value_at_quantile(q) as f64 / 1e6)
    }

    /// Adds every sample of `other` (histograms grow to fit, so this cannot fail).
    pub fn merge(&mut self, other: &LatencyHistogram) {
        self.hist.add(&other.hist).expect("auto-resizing histograms always merge");
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
}
