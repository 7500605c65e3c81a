//! Common random numbers: a request's draws are keyed by its workload's
//! name, session, step and attempt, so variants that differ in what cannot
//! matter give identical results, and variants that differ in cost only
//! give every request the same timing and fate.

use super::simulate_replicate;
use super::tests::{fixed, provider, workload};
use crate::dist::Dist;
use crate::metrics::metric_names;
use crate::records::{RequestRecord, RequestStatus};
use crate::scenario::*;
use crate::time::SimDuration;
use std::collections::BTreeMap;

/// Two providers, three workloads (two sharing `alpha`, whose slots are few
/// enough to queue), and every per-request draw in use: base latency,
/// decode speed, overhead before the queue, failures with jittered retries,
/// best-effort cache misses, think times.
fn base() -> Scenario {
    let mut alpha = provider(3);
    alpha.name = "alpha".into();
    alpha.serving.base_latency = Dist::Exponential { mean: 0.8 };
    alpha.serving.decode_tokens_per_s = Dist::Uniform { low: 40.0, high: 120.0 };
    alpha.serving.overhead_before_queue = Dist::Uniform { low: 0.01, high: 0.05 };
    alpha.failures.error_rate = 0.15;
    alpha.cache.miss_probability = 0.3;
    let mut beta = provider(2);
    beta.name = "beta".into();
    beta.serving.base_latency = Dist::Exponential { mean: 1.5 };
    beta.failures.error_rate = 0.1;
    let retry = RetryConfig {
        max_attempts: 3,
        backoff_base: SimDuration::from_secs(2),
        backoff_cap: SimDuration::from_secs(30),
        full_jitter: true,
        on_failure: StepFailure::Skip,
        timeout: None,
    };
    let session = |name: &str, provider: usize, sessions: u64, rate: f64| {
        let mut w = workload(sessions, rate);
        w.name = name.into();
        w.provider = provider;
        w.steps = fixed(4.0);
        w.tool_result_tokens = fixed(300.0);
        w.think_time = Dist::Exponential { mean: 20.0 };
        w.retry = Some(retry);
        w
    };
    Scenario {
        name: "crn".into(),
        description: String::new(),
        simulation: SimulationSettings { seed: 11, replicates: 1, end: None, ..SimulationSettings::default() },
        providers: vec![alpha, beta],
        workloads: vec![session("chat", 0, 40, 0.5), session("code", 0, 30, 0.4), session("bulk", 1, 30, 0.3)],
        variants: Vec::new(),
        sweep: Vec::new(),
    }
}

/// The metrics of every workload and provider, by scope name. Not the
/// overall scope: it sums workloads in list order (floating-point sums
/// depend on their order) and counts every provider's capacity.
fn metrics_by_name(sc: &Scenario, seed: u64) -> BTreeMap<String, Vec<Option<f64>>> {
    let m = simulate_replicate(sc, seed, 0, false).unwrap().metrics;
    let n_tiers = sc.cache_tier_names().len();
    let mut out = BTreeMap::new();
    for (w, s) in sc.workloads.iter().zip(&m.by_workload) {
        out.insert(format!("workload {}", w.name), s.values(n_tiers));
    }
    for (p, s) in sc.providers.iter().zip(&m.by_provider) {
        out.insert(format!("provider {}", p.name), s.values(n_tiers));
    }
    out
}

/// A request attempt with its workload and provider named, by (workload,
/// session, step, attempt, keep-alive or not).
type Keyed = BTreeMap<(String, u64, u32, u32, bool), (String, RequestRecord)>;

fn requests_by_key(sc: &Scenario, seed: u64) -> Keyed {
    let out = simulate_replicate(sc, seed, 0, true).unwrap();
    let mut map = BTreeMap::new();
    for mut r in out.requests {
        let w = sc.workloads[r.workload].name.clone();
        let p = sc.providers[r.provider].name.clone();
        // Pings of a step share its key; only the first is compared.
        let key = (w, r.session, r.step, r.attempt, r.status == RequestStatus::KeepAlive);
        (r.workload, r.provider) = (0, 0);
        map.entry(key).or_insert((p, r));
    }
    map
}

/// `sc` with its providers and workloads in reverse order, indices remapped.
fn reversed(sc: &Scenario) -> Scenario {
    let mut r = sc.clone();
    let n = r.providers.len();
    r.providers.reverse();
    r.workloads.reverse();
    for w in &mut r.workloads {
        w.provider = n - 1 - w.provider;
    }
    r
}

#[test]
fn reordering_providers_and_workloads_changes_nothing() {
    let sc = base();
    let (a, b) = (requests_by_key(&sc, 3), requests_by_key(&reversed(&sc), 3));
    // The scenario exercises what it claims to: queueing, failures, retries.
    let all: Vec<_> = a.values().map(|(_, r)| r).collect();
    assert!(all.iter().any(|r| r.status == RequestStatus::Error));
    assert!(all.iter().any(|r| r.attempt > 1));
    assert!(all.iter().any(|r| r.start > r.arrival + SimDuration::from_millis(50)));
    assert_eq!(a, b);
    assert_eq!(metrics_by_name(&sc, 3), metrics_by_name(&reversed(&sc), 3));
}

#[test]
fn an_unused_provider_and_an_idle_workload_change_nothing() {
    let sc = base();
    let mut more = sc.clone();
    // Placed first, so every index of the original lists shifts.
    let mut gamma = provider(1);
    gamma.name = "gamma".into();
    gamma.failures.error_rate = 0.5;
    more.providers.insert(0, gamma);
    for w in &mut more.workloads {
        w.provider += 1;
    }
    let mut idle = workload(0, 1.0);
    idle.name = "idle".into();
    more.workloads.insert(0, idle);
    let (a, mut b) = (metrics_by_name(&sc, 8), metrics_by_name(&more, 8));
    let names = metric_names(&sc.cache_tier_names());
    for (scope, values) in &a {
        let other = b.remove(scope).unwrap();
        for ((name, x), y) in names.iter().zip(values).zip(&other) {
            // Exactly zero difference (NaN never occurs: check_metrics refuses it).
            assert_eq!(x, y, "{scope}: {name}");
        }
    }
    assert_eq!(b.into_keys().collect::<Vec<_>>(), ["provider gamma", "workload idle"]);
    assert_eq!(requests_by_key(&sc, 8), requests_by_key(&more, 8));
}

/// `base()` with ample slots (no request waits for another), prefill at
/// `prefill_tokens_per_s`, decode taking no time, and every cache's TTL `ttl`.
fn ttl_variant(prefill_tokens_per_s: f64, ttl: SimDuration) -> Scenario {
    let mut sc = base();
    for p in &mut sc.providers {
        p.serving.slots = 1_000;
        p.serving.prefill_tokens_per_s = prefill_tokens_per_s;
        p.serving.decode_tokens_per_s = Dist::Fixed(f64::INFINITY);
        p.cache.tiers[0].ttl = ttl;
    }
    sc
}

/// Runs the 5 s and 1 h TTL variants and checks that every request has the
/// same status, and a time to first token that differs by its uncached
/// prefill alone; returns the total costs.
fn compare_ttls(prefill_tokens_per_s: f64) -> (f64, f64) {
    let short = ttl_variant(prefill_tokens_per_s, SimDuration::from_secs(5));
    let long = ttl_variant(prefill_tokens_per_s, SimDuration::from_secs(3_600));
    let (a, b) = (requests_by_key(&short, 5), requests_by_key(&long, 5));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert!(a.values().any(|(_, r)| r.status == RequestStatus::Error));
    let (mut cost_a, mut cost_b, mut reads_differ) = (0.0, 0.0, 0);
    // TTFT less the prefill of what the cache did not hold, in microseconds: the drawn part.
    let drawn = |r: &RequestRecord| {
        let prefill = (r.tokens.input - r.tokens.cache_read) as f64 / prefill_tokens_per_s * 1e6;
        (r.first_token - r.arrival).as_micros() as f64 - prefill
    };
    for (key, ((_, x), (_, y))) in a.keys().zip(a.values().zip(b.values())) {
        assert_eq!(x.status, y.status, "{key:?}");
        // Each instant is rounded to the microsecond once.
        assert!((drawn(x) - drawn(y)).abs() <= 1.0, "{key:?}: {x:?} vs {y:?}");
        cost_a += x.cost.total();
        cost_b += y.cost.total();
        reads_differ += usize::from(x.tokens.cache_read != y.tokens.cache_read);
    }
    assert!(reads_differ > 10, "{reads_differ} requests read the cache differently");
    (cost_a, cost_b)
}

#[test]
fn a_cache_ttl_changes_costs_but_no_requests_draws() {
    // Prefill takes no time (even a nanosecond could round a first token to
    // another microsecond): every request has the same TTFT in both.
    let (short, long) = compare_ttls(f64::INFINITY);
    // Think times average 20 s: a 5 s cache misses most of what an hour keeps.
    assert!(short > long, "{short} vs {long}");
    // Prefill of about a second: cache hits move later steps, so servers
    // reach requests in another order, yet each request draws the same.
    let (short, long) = compare_ttls(2_000.0);
    assert!(short > long, "{short} vs {long}");
}
