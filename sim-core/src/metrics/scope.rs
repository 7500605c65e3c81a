//! Streaming metrics of one scope (everything, one provider or one workload) in
//! one replicate: counters, sums and histograms, never stored samples. What
//! each metric reads from them is declared in `registry.rs`.

use super::gauge::Area;
use super::histogram::{CostHistogram, LatencyHistogram};
use crate::time::SimDuration;

/// Cache tiers a scenario may name in all (per-tier write counters are fixed arrays).
pub const MAX_CACHE_TIERS: usize = 8;

/// Token counts of one request, by billing class. `uncached + cache_read +
/// cache_write == input` always holds, and `cache_write` is the sum of
/// `cache_write_by_tier`. `output` includes `reasoning`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenCounts {
    pub input: u64,
    pub uncached: u64,
    pub cache_read: u64,
    pub cache_write: u64,
    /// Indexed by cache tier (the provider's tiers in a request; the
    /// scenario's tier names in a scope).
    pub cache_write_by_tier: [u64; MAX_CACHE_TIERS],
    pub output: u64,
    pub reasoning: u64,
}

impl TokenCounts {
    /// Adds `o`; false (leaving `self` partly added) when a counter would
    /// pass `u64::MAX`. Callers turn that into an error: a saturated or
    /// wrapped count never reaches a result.
    #[must_use]
    fn checked_add(&mut self, o: &TokenCounts) -> bool {
        let mut ok = true;
        let mut add = |a: &mut u64, b: u64| match a.checked_add(b) {
            Some(x) => *a = x,
            None => ok = false,
        };
        add(&mut self.input, o.input);
        add(&mut self.uncached, o.uncached);
        add(&mut self.cache_read, o.cache_read);
        add(&mut self.cache_write, o.cache_write);
        for (a, b) in self.cache_write_by_tier.iter_mut().zip(&o.cache_write_by_tier) {
            add(a, *b);
        }
        add(&mut self.output, o.output);
        add(&mut self.reasoning, o.reasoning);
        ok
    }
}

/// Dollar cost, by billing class.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CostBreakdown {
    pub uncached: f64,
    pub cache_read: f64,
    pub cache_write: f64,
    pub output: f64,
    pub storage: f64,
    /// Self-hosted replicas: their hourly price over the simulated span
    /// (provider and overall scopes only).
    pub compute: f64,
}

impl CostBreakdown {
    /// The sum of the classes: `cost_usd` is defined as this, so the ledger
    /// reconciles by construction.
    pub fn total(&self) -> f64 {
        self.uncached + self.cache_read + self.cache_write + self.output + self.storage + self.compute
    }

    pub fn add(&mut self, o: &CostBreakdown) {
        self.uncached += o.uncached;
        self.cache_read += o.cache_read;
        self.cache_write += o.cache_write;
        self.output += o.output;
        self.storage += o.storage;
        self.compute += o.compute;
    }
}

/// Dollars summed exactly: each amount is rounded to 1e-15 USD and added as
/// an integer, so a total never depends on the order it was added in. A
/// variant that only shifts timing bills every request the same f64 amount in
/// another order; float sums would then differ in the last bits, and a paired
/// difference or a ranking would read that noise as an effect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UsdSum(i128);

impl UsdSum {
    const PER_USD: f64 = 1e15;

    #[inline]
    pub fn add(&mut self, usd: f64) {
        // Most classes of most requests bill nothing (no cache write, no
        // storage); zero adds zero.
        if usd == 0.0 {
            return;
        }
        let units = usd * Self::PER_USD;
        // The integer fast path gives the same value as `round() as i128`.
        self.0 += crate::maths::round_i64(units).map_or_else(|| units.round() as i128, i128::from);
    }

    pub fn merge(&mut self, o: UsdSum) {
        self.0 += o.0;
    }

    pub fn usd(self) -> f64 {
        self.0 as f64 / Self::PER_USD
    }
}

/// A scope's dollar cost by billing class, summed exactly ([`UsdSum`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CostTotals {
    pub uncached: UsdSum,
    pub cache_read: UsdSum,
    pub cache_write: UsdSum,
    pub output: UsdSum,
    pub storage: UsdSum,
    pub compute: UsdSum,
}

impl CostTotals {
    /// One amount billed (a request's classes).
    pub fn add(&mut self, c: &CostBreakdown) {
        self.uncached.add(c.uncached);
        self.cache_read.add(c.cache_read);
        self.cache_write.add(c.cache_write);
        self.output.add(c.output);
        self.storage.add(c.storage);
        self.compute.add(c.compute);
    }

    pub fn merge(&mut self, o: &CostTotals) {
        for (a, b) in self.classes_mut().into_iter().zip(o.classes()) {
            a.merge(b);
        }
    }

    fn classes(&self) -> [UsdSum; 6] {
        [self.uncached, self.cache_read, self.cache_write, self.output, self.storage, self.compute]
    }

    fn classes_mut(&mut self) -> [&mut UsdSum; 6] {
        [
            &mut self.uncached,
            &mut self.cache_read,
            &mut self.cache_write,
            &mut self.output,
            &mut self.storage,
            &mut self.compute,
        ]
    }

    /// The sum of the classes, itself exact before the one conversion:
    /// `cost_usd` is defined as this, so the ledger reconciles by construction.
    pub fn total(&self) -> f64 {
        let mut all = UsdSum::default();
        for c in self.classes() {
            all.merge(c);
        }
        all.usd()
    }

    /// The classes in dollars.
    pub fn breakdown(&self) -> CostBreakdown {
        CostBreakdown {
            uncached: self.uncached.usd(),
            cache_read: self.cache_read.usd(),
            cache_write: self.cache_write.usd(),
            output: self.output.usd(),
            storage: self.storage.usd(),
            compute: self.compute.usd(),
        }
    }
}

/// What a finished request contributes to the metrics. Token tiers are in
/// scenario tier order.
#[derive(Clone, Copy, Debug)]
pub struct RequestOutcome {
    pub tokens: TokenCounts,
    pub cost: CostBreakdown,
    pub queue_wait: SimDuration,
    pub ttft: SimDuration,
    pub e2e: SimDuration,
    /// The attempt's first token to its last (its decode).
    pub decode: SimDuration,
    /// Output tokens of the attempt (reasoning included).
    pub output_tokens: u64,
    /// Whether the request met its workload's objectives; `None` when the
    /// workload sets none.
    pub slo_met: Option<bool>,
}

/// Accumulators for one scope of one replicate.
#[derive(Clone, Debug, Default)]
pub struct ScopeMetrics {
    pub sessions_started: u64,
    pub sessions_completed: u64,
    pub requests: u64,
    pub tokens: TokenCounts,
    pub cost: CostTotals,
    /// Requests that read at least one cached token.
    pub requests_with_cache_read: u64,
    /// Keep-alive requests (also counted in `requests`, tokens and costs, but
    /// not in latencies).
    pub keep_alive_requests: u64,
    /// Cache-busting events: a session's segment changed (agent anatomy).
    pub cache_busts: u64,
    /// Child sessions started by subagent steps (not counted in
    /// `sessions_started`; their requests are in `requests`).
    pub subagents_spawned: u64,
    /// Histories replaced by a summary (each after one summarisation
    /// request, counted in `requests`).
    pub compactions: u64,
    /// Steps a fallback chain moved to its next provider.
    pub failovers: u64,
    /// Attempts sent to another provider than their session's previous one.
    pub route_switches: u64,
    /// Peak live cache entries / tokens; only for scopes that own caches
    /// (providers and the whole run), `None` elsewhere.
    pub cache_entries_peak: Option<u64>,
    pub cache_tokens_peak: Option<u64>,
    pub errors: u64,
    pub retries: u64,
    pub rate_limited: u64,
    /// A token counter would have passed `u64::MAX`; the replicate is an
    /// error, never a result. Request, session and event counters are
    /// incremented by one per event, so they cannot reach 2^64 in any run
    /// that finishes; latency sums are `u128` of `u64` samples.
    pub counter_overflow: bool,
    pub(super) ttft_sum_us: u128,
    pub(super) queue_wait_sum_us: u128,
    pub ttft: LatencyHistogram,
    pub e2e: LatencyHistogram,
    pub session_duration: LatencyHistogram,
    /// What each completed session was billed for its own requests (answers,
    /// pings, abandoned attempts); storage and compute are billed to the
    /// scope, not to a session, so they are not in it.
    pub session_cost: CostHistogram,
    pub(super) e2e_sum_us: u128,
    /// Time per output token after the first, of requests with two or more.
    pub tpot: LatencyHistogram,
    pub(super) decode_speed_sum: f64,
    pub timeouts: u64,
    pub(super) slo_met: u64,
    pub(super) slo_judged: u64,
    /// Requests in the system (a step issued and not finished) and sessions
    /// active, integrated over the observed span.
    pub concurrency: Area,
    pub sessions_active: Area,
    /// The serving side, for scopes that own servers (providers and the
    /// whole run); `None` elsewhere.
    pub serving: Option<ServingGauges>,
    /// Simulated seconds observed: from the warm-up's end to the end.
    pub span_s: f64,
}

/// What a provider's server measured over the observed span.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ServingGauges {
    /// Requests waiting for service.
    pub queue: Area,
    /// Capacity in use (slots, or running sequences of replicas) and the
    /// capacity itself times the span, for utilisation.
    pub busy: Area,
    pub capacity_s: f64,
    pub preemptions: u64,
    /// Peak share of KV memory in use (replicas only).
    pub kv_util_peak: Option<f64>,
    /// Engine iterations over the whole replicate, warm-up included
    /// (replicas only): the work measure of the benchmark, not a reported metric.
    pub iterations: u64,
}

impl ServingGauges {
    /// Gauges of several providers: areas and capacities add, peaks are the
    /// largest.
    pub fn merge(&mut self, o: &ServingGauges) {
        self.queue.merge(&o.queue);
        self.busy.merge(&o.busy);
        self.capacity_s += o.capacity_s;
        self.preemptions += o.preemptions;
        self.iterations += o.iterations;
        self.kv_util_peak = match (self.kv_util_peak, o.kv_util_peak) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

impl ScopeMetrics {
    pub fn record_request(&mut self, r: &RequestOutcome) {
        self.record_billing(&r.tokens, &r.cost);
        self.ttft_sum_us += r.ttft.as_micros() as u128;
        self.queue_wait_sum_us += r.queue_wait.as_micros() as u128;
        self.ttft.record(r.ttft);
        self.e2e.record(r.e2e);
        self.e2e_sum_us += r.e2e.as_micros() as u128;
        if r.output_tokens >= 2 && r.decode > SimDuration::ZERO {
            let per_token = r.decode.as_micros() / (r.output_tokens - 1);
            self.tpot.record(SimDuration::from_micros(per_token));
            self.decode_speed_sum += (r.output_tokens - 1) as f64 / r.decode.as_secs_f64();
        }
        if let Some(met) = r.slo_met {
            self.slo_judged += 1;
            self.slo_met += u64::from(met);
        }
    }

    /// A step that failed for good, of a workload with objectives: judged,
    /// and not met (no answer meets a latency objective).
    pub fn record_failed_step_slo(&mut self) {
        self.slo_judged += 1;
    }

    /// A keep-alive request: billed and counted, but not a latency sample.
    pub fn record_keep_alive(&mut self, tokens: &TokenCounts, cost: &CostBreakdown) {
        self.keep_alive_requests += 1;
        self.record_billing(tokens, cost);
    }

    /// An attempt the client abandoned after its first token: billed for
    /// what the provider produced, not a latency sample.
    pub fn record_abandoned(&mut self, tokens: &TokenCounts, cost: &CostBreakdown) {
        self.record_billing(tokens, cost);
    }

    fn record_billing(&mut self, tokens: &TokenCounts, cost: &CostBreakdown) {
        self.requests += 1;
        self.requests_with_cache_read += u64::from(tokens.cache_read > 0);
        self.counter_overflow |= !self.tokens.checked_add(tokens);
        self.cost.add(cost);
    }

    pub fn record_storage(&mut self, usd: f64) {
        self.cost.storage.add(usd);
    }

    /// Adds `other`'s counts and samples: the merged scope is what one scope
    /// recording both streams would hold. Cache peaks are not additive (peaks
    /// of different caches happen at different times), so they are left to
    /// whoever owns the caches.
    pub fn merge(&mut self, other: &ScopeMetrics) {
        self.sessions_started += other.sessions_started;
        self.sessions_completed += other.sessions_completed;
        self.requests += other.requests;
        self.counter_overflow |= other.counter_overflow || !self.tokens.checked_add(&other.tokens);
        self.cost.merge(&other.cost);
        self.requests_with_cache_read += other.requests_with_cache_read;
        self.keep_alive_requests += other.keep_alive_requests;
        self.cache_busts += other.cache_busts;
        self.subagents_spawned += other.subagents_spawned;
        self.compactions += other.compactions;
        self.failovers += other.failovers;
        self.route_switches += other.route_switches;
        self.errors += other.errors;
        self.retries += other.retries;
        self.rate_limited += other.rate_limited;
        self.ttft_sum_us += other.ttft_sum_us;
        self.queue_wait_sum_us += other.queue_wait_sum_us;
        self.ttft.merge(&other.ttft);
        self.e2e.merge(&other.e2e);
        self.session_duration.merge(&other.session_duration);
        self.session_cost.merge(&other.session_cost);
        self.e2e_sum_us += other.e2e_sum_us;
        self.tpot.merge(&other.tpot);
        self.decode_speed_sum += other.decode_speed_sum;
        self.timeouts += other.timeouts;
        self.slo_met += other.slo_met;
        self.slo_judged += other.slo_judged;
        self.concurrency.merge(&other.concurrency);
        self.sessions_active.merge(&other.sessions_active);
        self.span_s = self.span_s.max(other.span_s);
    }

    pub fn record_session_end(&mut self, duration: SimDuration, cost_usd: f64) {
        self.sessions_completed += 1;
        self.session_duration.record(duration);
        self.session_cost.record_usd(cost_usd);
    }
}

#[cfg(test)]
#[path = "scope_tests.rs"]
mod serving_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::metric_names;

    fn outcome(input: u64, read: u64, ttft_ms: u64) -> RequestOutcome {
        RequestOutcome {
            tokens: TokenCounts {
                input,
                cache_read: read,
                cache_write: input - read,
                output: 10,
                ..TokenCounts::default()
            },
            cost: CostBreakdown { cache_read: 0.1, cache_write: 0.2, output: 0.3, ..CostBreakdown::default() },
            queue_wait: SimDuration::from_millis(ttft_ms / 2),
            ttft: SimDuration::from_millis(ttft_ms),
            e2e: SimDuration::from_millis(ttft_ms * 3),
            decode: SimDuration::from_millis(ttft_ms * 2),
            output_tokens: 10,
            slo_met: Some(ttft_ms < 100),
        }
    }

    #[test]
    fn merged_scopes_equal_one_scope_recording_everything() {
        let (mut a, mut b, mut all) = (ScopeMetrics::default(), ScopeMetrics::default(), ScopeMetrics::default());
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
        for (x, y) in a.values(0).iter().zip(all.values(0)) {
            match (x, y) {
                (Some(x), Some(y)) => {
                    assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{x} vs {y}")
                }
                _ => assert_eq!(*x, y),
            }
        }
    }

    #[test]
    fn a_token_counter_past_u64_is_flagged_not_saturated() {
        let mut m = ScopeMetrics::default();
        m.tokens.input = u64::MAX - 5;
        m.record_request(&outcome(1_000, 0, 1));
        assert!(m.counter_overflow);
        // Merging carries the flag, and an overflow in the merge itself is caught.
        let mut all = ScopeMetrics::default();
        all.merge(&m);
        assert!(all.counter_overflow);
        let (mut a, mut b) = (ScopeMetrics::default(), ScopeMetrics::default());
        a.tokens.output = u64::MAX;
        b.tokens.output = 1;
        a.merge(&b);
        assert!(a.counter_overflow);
    }

    #[test]
    fn ratios_are_undefined_without_requests() {
        let v = ScopeMetrics::default().values(1);
        let names = metric_names(&["5m".to_string()]);
        assert_eq!(names.len(), v.len());
        let at = |name: &str| v[names.iter().position(|n| n == name).unwrap()];
        assert_eq!(at("requests"), Some(0.0));
        assert_eq!(at("cache_hit_rate"), None);
        assert_eq!(at("ttft_s_p50"), None);
        assert_eq!(at("cost_usd_per_session"), None);
    }
}
