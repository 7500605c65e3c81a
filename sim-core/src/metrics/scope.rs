//! Streaming metrics of one scope (everything, one provider or one workload) in
//! one replicate: counters, sums and histograms, never stored samples.

use super::histogram::LatencyHistogram;
use crate::time::SimDuration;

/// Every metric name reported per scope, in the order they are written.
/// Renaming one requires a `schema_version` bump (see docs/outputs.md).
pub const METRIC_NAMES: [&str; 25] = [
    "sessions_started",
    "sessions_completed",
    "requests",
    "tokens_input",
    "tokens_uncached",
    "tokens_cache_read",
    "tokens_cache_write",
    "tokens_output",
    "cache_hit_rate",
    "cost_usd",
    "cost_usd_per_session",
    "blended_usd_per_mtok",
    "ttft_s_mean",
    "ttft_s_p50",
    "ttft_s_p95",
    "ttft_s_p99",
    "e2e_s_p50",
    "e2e_s_p95",
    "e2e_s_p99",
    "queue_wait_s_mean",
    "session_duration_s_p50",
    "session_duration_s_p95",
    "errors",
    "retries",
    "rate_limited",
];

/// Token counts of one request, by billing class. `uncached + cache_read +
/// cache_write == input` always holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenCounts {
    pub input: u64,
    pub uncached: u64,
    pub cache_read: u64,
    pub cache_write: u64,
    pub output: u64,
}

/// Dollar cost of one request, by billing class.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CostBreakdown {
    pub uncached: f64,
    pub cache_read: f64,
    pub cache_write: f64,
    pub output: f64,
}

impl CostBreakdown {
    pub fn total(&self) -> f64 {
        self.uncached + self.cache_read + self.cache_write + self.output
    }
}

/// What a finished request contributes to the metrics.
#[derive(Clone, Copy, Debug)]
pub struct RequestOutcome {
    pub tokens: TokenCounts,
    pub cost: CostBreakdown,
    pub queue_wait: SimDuration,
    pub ttft: SimDuration,
    pub e2e: SimDuration,
}

/// Accumulators for one scope of one replicate.
#[derive(Clone, Debug, Default)]
pub struct ScopeMetrics {
    pub sessions_started: u64,
    pub sessions_completed: u64,
    pub requests: u64,
    pub tokens: TokenCounts,
    pub cost: CostBreakdown,
    pub errors: u64,
    pub retries: u64,
    pub rate_limited: u64,
    ttft_sum_us: u128,
    queue_wait_sum_us: u128,
    pub ttft: LatencyHistogram,
    pub e2e: LatencyHistogram,
    pub session_duration: LatencyHistogram,
}

impl ScopeMetrics {
    pub fn record_request(&mut self, r: &RequestOutcome) {
        self.requests += 1;
        let t = &mut self.tokens;
        t.input += r.tokens.input;
        t.uncached += r.tokens.uncached;
        t.cache_read += r.tokens.cache_read;
        t.cache_write += r.tokens.cache_write;
        t.output += r.tokens.output;
        let c = &mut self.cost;
        c.uncached += r.cost.uncached;
        c.cache_read += r.cost.cache_read;
        c.cache_write += r.cost.cache_write;
        c.output += r.cost.output;
        self.ttft_sum_us += r.ttft.as_micros() as u128;
        self.queue_wait_sum_us += r.queue_wait.as_micros() as u128;
        self.ttft.record(r.ttft);
        self.e2e.record(r.e2e);
    }

    /// Adds `other`'s counts and samples: the merged scope is what one scope
    /// recording both streams would hold.
    pub fn merge(&mut self, other: &ScopeMetrics) {
        self.sessions_started += other.sessions_started;
        self.sessions_completed += other.sessions_completed;
        self.requests += other.requests;
        let (t, o) = (&mut self.tokens, &other.tokens);
        t.input += o.input;
        t.uncached += o.uncached;
        t.cache_read += o.cache_read;
        t.cache_write += o.cache_write;
        t.output += o.output;
        let (c, o) = (&mut self.cost, &other.cost);
        c.uncached += o.uncached;
        c.cache_read += o.cache_read;
        c.cache_write += o.cache_write;
        c.output += o.output;
        self.errors += other.errors;
        self.retries += other.retries;
        self.rate_limited += other.rate_limited;
        self.ttft_sum_us += other.ttft_sum_us;
        self.queue_wait_sum_us += other.queue_wait_sum_us;
        self.ttft.merge(&other.ttft);
        self.e2e.merge(&other.e2e);
        self.session_duration.merge(&other.session_duration);
    }

    pub fn record_session_end(&mut self, duration: SimDuration) {
        self.sessions_completed += 1;
        self.session_duration.record(duration);
    }

    /// The value of every metric in `METRIC_NAMES` order; `None` where the
    /// metric is undefined in this replicate (a ratio or latency of no requests).
    pub fn values(&self) -> [Option<f64>; METRIC_NAMES.len()] {
        let req = self.requests;
        let ratio = |num: f64, den: f64| if den > 0.0 { Some(num / den) } else { None };
        let t = &self.tokens;
        let cost = self.cost.total();
        [
            Some(self.sessions_started as f64),
            Some(self.sessions_completed as f64),
            Some(req as f64),
            Some(t.input as f64),
            Some(t.uncached as f64),
            Some(t.cache_read as f64),
            Some(t.cache_write as f64),
            Some(t.output as f64),
            ratio(t.cache_read as f64, t.input as f64),
            Some(cost),
            ratio(cost, self.sessions_started as f64),
            ratio(cost * 1e6, (t.input + t.output) as f64),
            ratio(self.ttft_sum_us as f64 / 1e6, req as f64),
            self.ttft.quantile_s(0.50),
            self.ttft.quantile_s(0.95),
            self.ttft.quantile_s(0.99),
            self.e2e.quantile_s(0.50),
            self.e2e.quantile_s(0.95),
            self.e2e.quantile_s(0.99),
            ratio(self.queue_wait_sum_us as f64 / 1e6, req as f64),
            self.session_duration.quantile_s(0.50),
            self.session_duration.quantile_s(0.95),
            Some(self.errors as f64),
            Some(self.retries as f64),
            Some(self.rate_limited as f64),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(input: u64, read: u64, ttft_ms: u64) -> RequestOutcome {
        RequestOutcome {
            tokens: TokenCounts {
                input,
                uncached: 0,
                cache_read: read,
                cache_write: input - read,
                output: 10,
            },
            cost: CostBreakdown {
                uncached: 0.0,
                cache_read: 0.1,
                cache_write: 0.2,
                output: 0.3,
            },
            queue_wait: SimDuration::from_millis(ttft_ms / 2),
            ttft: SimDuration::from_millis(ttft_ms),
            e2e: SimDuration::from_millis(ttft_ms * 3),
        }
    }

    #[test]
    fn merged_scopes_equal_one_scope_recording_everything() {
        let (mut a, mut b, mut all) = (
            ScopeMetrics::default(),
            ScopeMetrics::default(),
            ScopeMetrics::default(),
        );
        for i in 1..50u64 {
            let o = outcome(1_000 + i, i * 10, i * 7);
            if i % 3 == 0 { &mut a } else { &mut b }.record_request(&o);
            all.record_request(&o);
        }
        a.sessions_started = 2;
        b.sessions_started = 3;
        all.sessions_started = 5;
        a.merge(&b);
        // Equal up to float summation order (the engine always merges in the
        // same order, so its results stay deterministic).
        for (x, y) in a.values().iter().zip(all.values()) {
            match (x, y) {
                (Some(x), Some(y)) => {
                    assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{x} vs {y}")
                }
                _ => assert_eq!(*x, y),
            }
        }
    }

    #[test]
    fn ratios_are_undefined_without_requests() {
        let v = ScopeMetrics::default().values();
        let at = |name: &str| v[METRIC_NAMES.iter().position(|n| *n == name).unwrap()];
        assert_eq!(at("requests"), Some(0.0));
        assert_eq!(at("cache_hit_rate"), None);
        assert_eq!(at("ttft_s_p50"), None);
        assert_eq!(at("cost_usd_per_session"), None);
    }
}
