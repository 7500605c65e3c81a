//! Mergeable histograms (HdrHistogram's log-linear layout, 3 significant
//! digits): latencies over microseconds and session costs over nano-dollars.
//! Fixed memory whatever the number of samples, exact merge by `add`.

use crate::time::SimDuration;

/// Integer samples in HdrHistogram's bucket layout (lowest discernible value
/// 1, 3 significant digits): values below 2,048 exactly, then 1,024 counters
/// per power of two. Every quantile is the one the `hdrhistogram` crate
/// gives for the same samples (a test checks it against the crate), read
/// from counts this type owns: a quantile scans only the counters between
/// the smallest and the largest sample, from the nearer end, and the counts
/// grow only as far as the largest sample.
#[derive(Clone, Debug, Default)]
struct Hdr {
    counts: Vec<u64>,
    total: u64,
    /// Indices of the smallest and largest non-empty counters (meaningless when empty).
    lowest: usize,
    highest: usize,
}

/// log2 of the counters per power of two (half of the 2,048 sub-buckets).
const HALF_MAGNITUDE: u32 = 10;
const HALF: u64 = 1 << HALF_MAGNITUDE;
/// Values below 2,048 each have their own counter.
const SUB_BUCKET_MASK: u64 = 2 * HALF - 1;

/// The counter of `v`.
fn index_of(v: u64) -> usize {
    let bucket = 53 - (v | SUB_BUCKET_MASK).leading_zeros();
    let sub_bucket = v >> bucket;
    (((bucket + 1) as usize) << HALF_MAGNITUDE) + sub_bucket as usize - HALF as usize
}

/// The highest value counted by counter `i` (what `value_at_quantile` reports).
fn highest_of(i: usize) -> u64 {
    let (bucket, sub_bucket) = match (i >> HALF_MAGNITUDE).checked_sub(1) {
        Some(b) => (b as u32, (i as u64 & (HALF - 1)) + HALF),
        None => (0, i as u64 & (HALF - 1)),
    };
    let lowest = sub_bucket << bucket;
    lowest.saturating_add(1u64 << bucket) - 1
}

impl Hdr {
    fn record(&mut self, v: u64) {
        let i = index_of(v);
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
        self.note_range(i, i);
        self.total += 1;
    }

    /// Widens the non-empty range to `lo..=hi`.
    fn note_range(&mut self, lo: usize, hi: usize) {
        if self.total == 0 {
            (self.lowest, self.highest) = (lo, hi);
        } else {
            self.lowest = self.lowest.min(lo);
            self.highest = self.highest.max(hi);
        }
    }

    /// The counter holding the `need`-th smallest sample (1-based).
    fn counter_of_rank(&self, need: u64) -> usize {
        debug_assert!(need >= 1 && need <= self.total);
        let range = self.lowest..=self.highest;
        if need <= self.total / 2 {
            let mut running = 0;
            for i in range {
                running += self.counts[i];
                if running >= need {
                    return i;
                }
            }
        } else {
            // From the top: counter `i` holds it when more than `total - need`
            // samples lie at or above it, and no more than that above it.
            let above_allowed = self.total - need;
            let mut above = 0;
            for i in range.rev() {
                above += self.counts[i];
                if above > above_allowed {
                    return i;
                }
            }
        }
        unreachable!("the counts sum to the total")
    }

    /// The rank `value_at_quantile` looks for: `max(1, ceil(q * total))`, `q` capped at 1.
    fn rank_of(&self, q: f64) -> u64 {
        ((q.min(1.0) * self.total as f64).ceil() as u64).clamp(1, self.total)
    }

    /// The sample at quantile `q` (in (0, 1]) divided by `per_unit`; `None` when empty.
    fn quantile(&self, q: f64, per_unit: f64) -> Option<f64> {
        (self.total > 0).then(|| highest_of(self.counter_of_rank(self.rank_of(q))) as f64 / per_unit)
    }

    /// [`Hdr::quantile`] at each of `qs` (ascending, each in (0, 1]) in one
    /// pass over the counts: a replicate's 101-point grids read each
    /// histogram once instead of 101 times.
    fn quantiles(&self, qs: &[f64], per_unit: f64) -> Vec<Option<f64>> {
        if self.total == 0 {
            return vec![None; qs.len()];
        }
        debug_assert!(qs.windows(2).all(|w| w[0] <= w[1]) && qs.iter().all(|&q| q > 0.0 && q <= 1.0));
        let mut out = Vec::with_capacity(qs.len());
        let (mut i, mut running) = (self.lowest, self.counts[self.lowest]);
        for &q in qs {
            let need = self.rank_of(q);
            while running < need {
                i += 1;
                running += self.counts[i];
            }
            out.push(Some(highest_of(i) as f64 / per_unit));
        }
        out
    }

    fn merge(&mut self, other: &Hdr) {
        if other.total == 0 {
            return;
        }
        if other.highest >= self.counts.len() {
            self.counts.resize(other.highest + 1, 0);
        }
        let range = other.lowest..=other.highest;
        for (mine, theirs) in self.counts[range.clone()].iter_mut().zip(&other.counts[range]) {
            *mine += theirs;
        }
        self.note_range(other.lowest, other.highest);
        self.total += other.total;
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
        self.hist.total
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
        self.hist.total
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

    /// Heavy-tailed samples with exact repeats, so that quantile ranks land
    /// inside counters and on their edges, from 1 to 2^40.
    fn samples(n: usize, seed: u64) -> Vec<u64> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let bits = rng.random_range(1..41);
                if rng.random_bool(0.2) { 1_000 } else { rng.random_range(1..1u64 << bits) }
            })
            .collect()
    }

    fn reference(values: &[u64]) -> hdrhistogram::Histogram<u64> {
        let mut h = hdrhistogram::Histogram::<u64>::new(3).unwrap();
        for &v in values {
            h.record(v).unwrap();
        }
        h
    }

    /// Every quantile a run reads (the summary's and the 101-point grid),
    /// plus the edges.
    fn read_quantiles() -> Vec<f64> {
        let mut qs = crate::metrics::distribution::quantile_grid().to_vec();
        qs.extend([0.9995, 1.0]);
        qs.extend([1e-9, 0.25, 0.75, 0.95, 0.99, 0.999]);
        qs.sort_by(f64::total_cmp);
        qs
    }

    #[test]
    fn quantiles_are_the_hdrhistogram_crates_one_by_one_and_in_one_pass() {
        let qs = read_quantiles();
        for (n, seed) in [(1usize, 1), (2, 2), (3, 3), (7, 4), (100, 5), (5_000, 6), (40_000, 7)] {
            let values = samples(n, seed);
            let want = reference(&values);
            let mut h = Hdr::default();
            for &v in &values {
                h.record(v);
            }
            assert_eq!(h.total, want.len());
            let want: Vec<Option<f64>> = qs.iter().map(|&q| Some(want.value_at_quantile(q) as f64 / 7.0)).collect();
            let one_by_one: Vec<_> = qs.iter().map(|&q| h.quantile(q, 7.0)).collect();
            assert_eq!(one_by_one, want, "{n} samples");
            assert_eq!(h.quantiles(&qs, 7.0), want, "{n} samples, one pass");
        }
        assert_eq!(Hdr::default().quantiles(&qs, 1.0), vec![None; qs.len()]);
        assert_eq!(Hdr::default().quantile(0.5, 1.0), None);
    }

    #[test]
    fn counters_match_the_crates_layout_at_every_bucket_edge() {
        // The first and last value of every counter's range up to 2^63, and u64::MAX.
        let mut edges: Vec<u64> = (0..2048).collect();
        for bucket in 1..53u32 {
            for sub in [1024u64, 1025, 1536, 2047] {
                let low = sub << bucket;
                edges.extend([low, low + (1 << bucket) - 1]);
            }
        }
        let want = reference(&edges);
        for &v in &edges {
            assert_eq!(highest_of(index_of(v)), want.highest_equivalent(v), "value {v}");
        }
        assert_eq!(highest_of(index_of(u64::MAX)), u64::MAX - 1);
        assert!(index_of(u64::MAX) < 56_320, "every u64 has a counter");
    }

    #[test]
    fn merged_quantiles_are_those_of_all_the_samples() {
        let qs = read_quantiles();
        let (a, b) = (samples(3_000, 8), samples(50, 9).iter().map(|v| v >> 20).collect::<Vec<_>>());
        let mut all = a.clone();
        all.extend(&b);
        let want = reference(&all);
        let mut x = Hdr::default();
        let mut y = Hdr::default();
        a.iter().for_each(|&v| x.record(v));
        b.iter().for_each(|&v| y.record(v));
        // Both directions: the longer into the shorter and back; an empty one changes nothing.
        let (mut xy, mut yx) = (x.clone(), y.clone());
        xy.merge(&y);
        yx.merge(&x);
        xy.merge(&Hdr::default());
        let mut from_empty = Hdr::default();
        from_empty.merge(&xy);
        for h in [&xy, &yx, &from_empty] {
            assert_eq!(h.total, all.len() as u64);
            for &q in &qs {
                assert_eq!(h.quantile(q, 1.0), Some(want.value_at_quantile(q) as f64), "q {q}");
            }
        }
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
