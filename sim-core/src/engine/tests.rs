//! Engine tests: exact hand-computed cases, queueing theory, invariants.

use super::simulate_replicate;
use crate::dist::{Dist, TokenDist};
use crate::records::RequestStatus;
use crate::scenario::*;
use crate::time::{SimDuration, SimTime};
use proptest::prelude::*;

pub(super) fn fixed(v: f64) -> TokenDist {
    TokenDist::new(Dist::Fixed(v))
}

pub(super) fn provider(slots: u32) -> Provider {
    Provider {
        name: "p".into(),
        model: "m".into(),
        family: None,
        serving: Serving { slots, ..Serving::default() },
        cache: CacheConfig {
            enabled: true,
            mode: CacheMode::Automatic,
            min_tokens: 0,
            granularity_tokens: 1,
            tiers: vec![CacheTier { name: "1m".into(), ttl: SimDuration::from_secs(60) }],
            refresh_on_hit: true,
            max_lifetime: None,
            capacity_tokens: None,
            eviction: Eviction::Lru,
            scope: CacheScope::Provider,
            miss_probability: 0.0,
            ttl_starts: TtlStart::PrefillEnd,
        },
        pricing: Pricing {
            base: PriceSheet {
                input_usd_per_mtok: 3.0,
                cache_read_usd_per_mtok: 0.3,
                cache_write_usd_per_mtok: vec![3.75],
                output_usd_per_mtok: 15.0,
                storage_usd_per_mtok_hour: 0.0,
            },
            long_context: None,
            tier_multipliers: TierMultipliers { batch: 0.5, flex: 0.5, priority: 1.75 },
            windows: vec![],
            changes: vec![],
        },
        failures: Failures { error_rate: 0.0, max_retries: 0, retry_backoff: SimDuration::ZERO },
        admission: ProviderAdmission::default(),
        replicas: None,
        provenance: None,
    }
}

pub(super) fn workload(sessions: u64, rate: f64) -> Workload {
    Workload {
        name: "w".into(),
        provider: 0,
        route: None,
        arrivals: Arrivals::Poisson { rate_per_s: rate, stop: ArrivalStop::Sessions(sessions) },
        shared_segments: vec![],
        task_tokens: fixed(1000.0),
        steps: fixed(1.0),
        output_tokens: fixed(100.0),
        reasoning_tokens: fixed(0.0),
        reasoning_in_history: false,
        tool_result_tokens: fixed(0.0),
        think_time: Dist::Fixed(0.0),
        anatomy: crate::scenario::Anatomy::default(),
        service_tier: ServiceTier::Standard,
        api_key: "default".into(),
        breakpoints: vec![BreakpointRule { at: BreakpointAt::End, tier: 0 }],
        keep_alive: None,
        max_tokens: 4096,
        retry: None,
        prompt_cache_key: None,
        objectives: Objectives::default(),
        subagents: None,
        compaction: None,
    }
}

pub(super) fn shared(tokens: u64) -> Vec<SharedSegment> {
    vec![SharedSegment { name: "system".into(), tokens }]
}

pub(super) fn scenario(p: Provider, w: Workload) -> Scenario {
    Scenario {
        name: "t".into(),
        description: String::new(),
        simulation: SimulationSettings {
            seed: 1,
            replicates: 1,
            end: None,
            start_time_of_day_s: 0,
            ..SimulationSettings::default()
        },
        providers: vec![p],
        workloads: vec![w],
        variants: Vec::new(),
        sweep: Vec::new(),
    }
}

/// One session of two steps: 1,000 task tokens, 100 out, 400 tool tokens, 30 s think.
fn two_steps_with_tools() -> Workload {
    let mut w = workload(1, 1.0);
    w.steps = fixed(2.0);
    w.tool_result_tokens = fixed(400.0);
    w.think_time = Dist::Fixed(30.0);
    w
}

#[test]
fn one_session_two_steps_hand_computed() {
    // Step 1: 1,000 task tokens, all written: prefill 0.1 s + 100 output / 50 = 2 s -> ends 2.1 s.
    // History grows by 100 output + 400 tool tokens; think 30 s; step 2 at 32.1 s
    // reads 1,000 cached, writes 500, ends 32.1 + 0.05 + 2 = 34.15 s.
    let w = two_steps_with_tools();
    let sc = scenario(provider(1), w);
    let out = simulate_replicate(&sc, 1, 0, true).unwrap();
    let r = &out.requests;
    assert_eq!(r.len(), 2);
    let a0 = r[0].arrival;
    assert_eq!(r[0].end - a0, SimDuration::from_millis(2_100));
    assert_eq!((r[0].tokens.cache_read, r[0].tokens.cache_write), (0, 1_000));
    assert_eq!(r[1].arrival - r[0].end, SimDuration::from_secs(30));
    assert_eq!((r[1].tokens.input, r[1].tokens.cache_read, r[1].tokens.cache_write), (1_500, 1_000, 500));
    assert_eq!(r[1].end - r[1].arrival, SimDuration::from_millis(2_050));
    let m = &out.metrics.overall;
    assert_eq!((m.sessions_started, m.sessions_completed, m.requests), (1, 1, 2));
    let cost = (1_000.0 * 3.75 + 100.0 * 15.0 + 1_000.0 * 0.3 + 500.0 * 3.75 + 100.0 * 15.0) / 1e6;
    assert!((m.cost.total() - cost).abs() < 1e-15);
}

#[test]
fn api_overheads_and_cached_prefill_hand_computed() {
    // The same two steps with 250 ms before the queue, 1 ms per output token
    // and cached tokens at 100,000 tok/s. Step 1: sent at a0, queued at
    // a0 + 0.25 s, first token 0.1 s of prefill later, then 100 x (1/50 + 0.001)
    // = 2.1 s of decode: ends a0 + 2.45 s. Step 2: 0.25 + 500 / 10,000
    // + 1,000 / 100,000 = 0.31 s to the first token, + 2.1 s.
    let w = two_steps_with_tools();
    let mut p = provider(1);
    p.serving.overhead_before_queue = Dist::Fixed(0.25);
    p.serving.overhead_per_output_token = SimDuration::from_millis(1);
    p.serving.cached_prefill_tokens_per_s = Some(100_000.0);
    let out = simulate_replicate(&scenario(p, w), 1, 0, true).unwrap();
    let r = &out.requests;
    assert_eq!(r[0].start - r[0].arrival, SimDuration::from_millis(250));
    assert_eq!(r[0].first_token - r[0].arrival, SimDuration::from_millis(350));
    assert_eq!(r[0].end - r[0].arrival, SimDuration::from_millis(2_450));
    assert_eq!(r[1].arrival - r[0].end, SimDuration::from_secs(30));
    assert_eq!(r[1].first_token - r[1].arrival, SimDuration::from_millis(310));
    assert_eq!(r[1].end - r[1].arrival, SimDuration::from_millis(2_410));
}

#[test]
fn cache_expires_when_the_pause_outlasts_the_ttl() {
    // Step 1's prefill ends at 0.1 s, its response at 2.1 s. With the TTL
    // counted from prefill end the entry dies at 60.1 s: step 2 (sent at 2.1 s
    // + think) hits only if it starts before then. Counted from the response
    // end (the benchmark's rule) it dies at 62.1 s.
    for (ttl_starts, think_s, expect_read) in [
        (TtlStart::PrefillEnd, 57.999_999, 1_000),
        (TtlStart::PrefillEnd, 58.0, 0),
        (TtlStart::ResponseEnd, 59.999_999, 1_000),
        (TtlStart::ResponseEnd, 60.0, 0),
    ] {
        let mut w = workload(1, 1.0);
        w.steps = fixed(2.0);
        w.think_time = Dist::Fixed(think_s);
        let mut p = provider(1);
        p.cache.ttl_starts = ttl_starts;
        let out = simulate_replicate(&scenario(p, w), 1, 0, true).unwrap();
        assert_eq!(out.requests[1].tokens.cache_read, expect_read, "{ttl_starts:?} think {think_s}s");
    }
}

#[test]
fn shared_prefix_is_read_across_sessions() {
    let mut w = workload(50, 0.5);
    w.shared_segments = shared(5_000);
    let out = simulate_replicate(&scenario(provider(4), w), 3, 0, true).unwrap();
    // Sessions arrive about 2 s apart and the first finishes within ~3 s, so
    // later sessions read the 5,000-token shared prefix, and never their task.
    let reads: Vec<u64> = out.requests.iter().map(|r| r.tokens.cache_read).collect();
    assert_eq!(reads[0], 0);
    assert!(reads.iter().all(|&r| r == 0 || r == 5_000));
    assert!(reads.iter().filter(|&&r| r == 5_000).count() > 40, "{reads:?}");
}

#[test]
fn same_seed_same_result_and_seeds_differ() {
    let mut w = workload(300, 2.0);
    w.steps = TokenDist::new(Dist::UniformInt { low: 1, high: 8 });
    w.think_time = Dist::Exponential { mean: 5.0 };
    let sc = scenario(provider(4), w);
    let a = simulate_replicate(&sc, 9, 2, true).unwrap();
    let b = simulate_replicate(&sc, 9, 2, true).unwrap();
    let c = simulate_replicate(&sc, 10, 2, true).unwrap();
    assert_eq!(a.requests, b.requests);
    assert_eq!(a.metrics.events, b.metrics.events);
    assert_ne!(a.requests, c.requests);
}

fn metric_index(name: &str) -> usize {
    crate::metrics::metric_names(&["1m".to_string()]).iter().position(|n| n == name).expect("metric exists")
}

/// Erlang C: probability that an arrival waits in an M/M/c queue.
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..c {
        term *= a / k as f64;
        sum += term;
    }
    let last = term * a / c as f64 / (1.0 - a / c as f64);
    last / (sum + last)
}

/// Mean queue wait over `reps` replicates of a single-step workload whose
/// service time is the base latency alone.
fn mean_wait(slots: u32, rate: f64, service: Dist, sessions: u64, reps: u32) -> (f64, f64) {
    let mut p = provider(slots);
    p.serving.base_latency = service;
    p.cache.enabled = false;
    let mut w = workload(sessions, rate);
    w.task_tokens = fixed(0.0);
    w.output_tokens = fixed(0.0);
    let sc = scenario(p, w);
    let waits: Vec<f64> = (0..reps)
        .map(|r| {
            let m = simulate_replicate(&sc, 77, r, false).unwrap().metrics.overall;
            m.values(1)[metric_index("queue_wait_s_mean")].expect("queue_wait_s_mean")
        })
        .collect();
    let n = waits.len() as f64;
    let mean = waits.iter().sum::<f64>() / n;
    let sd = (waits.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    (mean, sd / n.sqrt())
}

#[test]
fn mm1_mean_wait_matches_theory() {
    // rho = 0.7: Wq = rho / (mu - lambda) = 0.7 / 0.3 s.
    let (mean, se) = mean_wait(1, 0.7, Dist::Exponential { mean: 1.0 }, 20_000, 8);
    let theory = 0.7 / 0.3;
    assert!((mean - theory).abs() < 4.0 * se + 0.03 * theory, "M/M/1 Wq {mean} +- {se} vs {theory}");
}

#[test]
fn mmc_mean_wait_matches_erlang_c() {
    let (c, lambda, mu) = (4u32, 3.2, 1.0);
    let a = lambda / mu;
    let theory = erlang_c(c, a) / (c as f64 * mu - lambda);
    let (mean, se) = mean_wait(c, lambda, Dist::Exponential { mean: 1.0 / mu }, 40_000, 8);
    assert!((mean - theory).abs() < 4.0 * se + 0.03 * theory, "M/M/4 Wq {mean} +- {se} vs {theory}");
}

#[test]
fn md1_mean_wait_matches_pollaczek_khinchine() {
    // Deterministic service 1 s, rho = 0.8: Wq = rho / (2 mu (1 - rho)) = 2 s.
    let (mean, se) = mean_wait(1, 0.8, Dist::Fixed(1.0), 20_000, 8);
    assert!((mean - 2.0).abs() < 4.0 * se + 0.06, "M/D/1 Wq {mean} +- {se} vs 2");
}

#[test]
fn hard_end_stops_the_clock_and_leaves_sessions_incomplete() {
    let mut w = workload(100, 1.0);
    w.steps = fixed(5.0);
    w.think_time = Dist::Fixed(10.0);
    let mut sc = scenario(provider(8), w);
    sc.simulation.end = Some(SimTime::from_micros(30_000_000));
    let out = simulate_replicate(&sc, 1, 0, true).unwrap();
    let m = &out.metrics.overall;
    assert!(out.metrics.sim_end_s <= 30.0);
    assert!(m.sessions_completed < m.sessions_started);
    assert!(out.requests.iter().all(|r| r.end <= SimTime::from_micros(30_000_000)));
}

#[test]
fn failures_retry_then_fail_the_session() {
    let mut p = provider(2);
    p.failures = Failures { error_rate: 0.5, max_retries: 1, retry_backoff: SimDuration::from_secs(1) };
    let mut w = workload(400, 1.0);
    w.steps = fixed(3.0);
    let out = simulate_replicate(&scenario(p, w), 5, 0, true).unwrap();
    let m = &out.metrics.overall;
    let errors = out.requests.iter().filter(|r| r.status == RequestStatus::Error).count() as u64;
    assert_eq!(m.errors, errors);
    assert!(m.retries > 0 && m.retries < m.errors);
    // Every session either completes or died on an error that was not retried.
    assert_eq!(m.sessions_started, m.sessions_completed + (m.errors - m.retries));
    assert!(out.requests.iter().filter(|r| r.status == RequestStatus::Error).all(|r| r.cost.total() == 0.0));
}

fn arb_scenario() -> impl Strategy<Value = Scenario> {
    let base = (
        1u32..6,
        0.05f64..3.0,
        1u64..60,
        0u64..3_000,
        1.0f64..12.0,
        0.0f64..40.0,
        any::<bool>(),
        0.0f64..0.3,
        1u64..120,
    );
    let cache = (
        any::<bool>(),
        proptest::option::of(2_000u64..40_000),
        0u64..2_000,
        1u64..200,
        any::<bool>(),
        any::<bool>(),
        0.0f64..0.5,
    );
    // Subagents (probability, children, instructions), compaction (threshold,
    // summary) and a cache-bust probability on the task or the system segment.
    let agents = (
        proptest::option::of((0.0f64..=1.0, 1u64..4, 0u64..3_000)),
        proptest::option::of((500u64..8_000, 0u64..400)),
        proptest::option::of((0.0f64..0.5, any::<bool>())),
        // Routed over a second provider (other prices, half the slots) by
        // one of the six policies.
        proptest::option::of(0usize..6),
    );
    (base, cache, agents).prop_map(
        |(
            (slots, rate, sessions, shared_tokens, steps, think, cache, err, ttl),
            (explicit, capacity, min_tokens, granularity, lfu, keep_alive, miss),
            (subagents, compaction, bust, routed),
        )| {
            let mut p = provider(slots);
            p.cache.enabled = cache;
            p.cache.tiers[0].ttl = SimDuration::from_secs(ttl);
            p.cache.tiers.push(CacheTier { name: "1h".into(), ttl: SimDuration::from_secs(3600) });
            p.pricing.base.cache_write_usd_per_mtok.push(6.0);
            p.pricing.base.storage_usd_per_mtok_hour = 0.5;
            if explicit {
                p.cache.mode = CacheMode::Explicit { max_breakpoints: 4, lookback_blocks: 3 };
            }
            p.cache.capacity_tokens = capacity;
            p.cache.eviction = if lfu { Eviction::Lfu } else { Eviction::Lru };
            p.cache.min_tokens = min_tokens;
            p.cache.granularity_tokens = granularity;
            p.cache.miss_probability = miss;
            p.serving.base_latency = Dist::Exponential { mean: 0.3 };
            p.failures = Failures { error_rate: err, max_retries: 2, retry_backoff: SimDuration::from_millis(500) };
            let mut w = workload(sessions, rate);
            w.shared_segments = shared(shared_tokens);
            w.steps = TokenDist::new(Dist::Uniform { low: 1.0, high: steps });
            w.task_tokens = TokenDist::new(Dist::Exponential { mean: 500.0 });
            w.output_tokens = TokenDist::new(Dist::Exponential { mean: 80.0 });
            w.reasoning_tokens = TokenDist::new(Dist::Exponential { mean: 20.0 });
            w.tool_result_tokens = TokenDist::new(Dist::UniformInt { low: 0, high: 900 });
            w.think_time = Dist::Exponential { mean: think + 0.01 };
            w.breakpoints = vec![
                BreakpointRule { at: BreakpointAt::AfterSegment("system".into()), tier: 1 },
                BreakpointRule { at: BreakpointAt::End, tier: 0 },
            ];
            if keep_alive {
                w.keep_alive = Some(KeepAlive { interval: SimDuration::from_secs(20), output_tokens: 1 });
            }
            if let Some((threshold_tokens, summary)) = compaction {
                w.compaction = Some(Compaction { threshold_tokens, summary_tokens: fixed(summary as f64) });
            }
            if let Some((probability, on_task)) = bust {
                let target = if on_task { BustTarget::Task } else { BustTarget::Segment("system".into()) };
                w.anatomy.cache_busting = vec![CacheBust { target, probability }];
            }
            let mut providers = vec![p.clone()];
            if let Some(policy) = routed {
                let mut q = p.clone();
                q.name = "q".into();
                q.serving.slots = slots.div_ceil(2);
                q.pricing.base.input_usd_per_mtok = 1.0;
                q.pricing.base.cache_read_usd_per_mtok = 0.05;
                providers.push(q);
                use crate::scenario::{FailoverOn, Route, RoutePolicy::*};
                w.route = Some(Route {
                    policy: [Weighted, Sticky, Fallback, CostAware, LeastOutstanding, LowestLatency][policy],
                    providers: vec![0, 1],
                    family: None,
                    weights: vec![2.0, 1.0],
                    weights_given: true,
                    on: FailoverOn::ALL,
                    cooldown: SimDuration::from_secs(30),
                    latency_smoothing: 0.3,
                });
            }
            if let Some((probability, count, instructions)) = subagents {
                let child_steps = TokenDist::new(Dist::UniformInt { low: 1, high: 3 });
                let keys = SubagentKeys {
                    probability,
                    count: fixed(count as f64),
                    steps: Some(child_steps),
                    task_tokens: None,
                    output_tokens: None,
                    instructions_tokens: instructions,
                };
                w.subagents = Some(Subagents::new(&w, keys));
            }
            let mut sc = scenario(p, w);
            sc.providers = providers;
            sc
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn engine_invariants(sc in arb_scenario(), seed in any::<u64>()) {
        let out = simulate_replicate(&sc, seed, 0, true).unwrap();
        let m = &out.metrics.overall;
        let (mut ok, mut input, mut read, mut write, mut uncached, mut cost) = (0u64, 0u64, 0u64, 0u64, 0u64, 0.0f64);
        for r in &out.requests {
            // Token conservation per request, non-negative costs, causal timestamps.
            let t = &r.tokens;
            prop_assert_eq!(t.uncached + t.cache_read + t.cache_write, t.input);
            prop_assert_eq!(t.cache_write_by_tier.iter().sum::<u64>(), t.cache_write);
            prop_assert!(t.cache_read <= t.input);
            prop_assert!(r.cost.uncached >= 0.0 && r.cost.cache_read >= 0.0 && r.cost.cache_write >= 0.0 && r.cost.output >= 0.0);
            prop_assert!(r.arrival <= r.start && r.start <= r.first_token && r.first_token <= r.end);
            if r.status != RequestStatus::Error {
                ok += 1;
                input += r.tokens.input;
                read += r.tokens.cache_read;
                write += r.tokens.cache_write;
                uncached += r.tokens.uncached;
                cost += r.cost.total();
            }
        }
        // Every request accounted for: the metrics equal the sum of the
        // records (keep-alive pings included).
        prop_assert_eq!(m.requests, ok);
        let pings = out.requests.iter().filter(|r| r.status == RequestStatus::KeepAlive).count() as u64;
        prop_assert_eq!(m.keep_alive_requests, pings);
        prop_assert_eq!((m.tokens.input, m.tokens.cache_read, m.tokens.cache_write, m.tokens.uncached), (input, read, write, uncached));
        prop_assert!((m.cost.total() - m.cost.storage.usd() - cost).abs() <= 1e-9 * cost.max(1.0));
        prop_assert_eq!(m.tokens.uncached + m.tokens.cache_read + m.tokens.cache_write, m.tokens.input);
        prop_assert!(m.cost.storage.usd() >= 0.0);
        // Every session arrived and then completed or failed: none is lost.
        let errors = out.requests.len() as u64 - ok;
        prop_assert_eq!(errors, out.requests.iter().filter(|r| r.status == RequestStatus::Error).count() as u64);
        prop_assert_eq!(m.errors, errors);
        // A failed attempt is retried, failed over, or ends its step.
        let final_failures = m.errors - m.retries - m.failovers;
        if sc.workloads[0].subagents.is_none() {
            prop_assert_eq!(m.sessions_started, m.sessions_completed + final_failures);
        } else {
            // A child's final failure ends the child, not its session.
            prop_assert!(m.sessions_completed <= m.sessions_started);
            prop_assert!(m.sessions_started - m.sessions_completed <= final_failures);
        }
        // Each request counts under the provider that served it, in exactly one provider scope.
        let by_p = &out.metrics.by_provider;
        let sum = |f: fn(&crate::metrics::ScopeMetrics) -> u64| by_p.iter().map(f).sum::<u64>();
        prop_assert_eq!(sum(|s| s.requests), m.requests);
        prop_assert_eq!(sum(|s| s.tokens.input), m.tokens.input);
        prop_assert_eq!(sum(|s| s.errors), m.errors);
        prop_assert_eq!(sum(|s| s.failovers), m.failovers);
        prop_assert_eq!(sum(|s| s.route_switches), m.route_switches);
        for (p, s) in by_p.iter().enumerate() {
            let served = out.requests.iter().filter(|r| r.provider == p && r.status != RequestStatus::Error).count();
            prop_assert_eq!(s.requests, served as u64);
        }
        match &sc.workloads[0].route {
            None => prop_assert_eq!((m.route_switches, m.failovers), (0, 0)),
            Some(r) if r.policy != crate::scenario::RoutePolicy::Fallback => prop_assert_eq!(m.failovers, 0),
            Some(_) => {}
        }
        if let Arrivals::Poisson { stop: ArrivalStop::Sessions(n), .. } = sc.workloads[0].arrivals {
            prop_assert_eq!(m.sessions_started, n);
        }
        // Attempts are recorded in completion order: the clock never went
        // backwards (pings are recorded when sent, their end is ahead).
        let attempts: Vec<_> = out.requests.iter().filter(|r| r.status != RequestStatus::KeepAlive).collect();
        prop_assert!(attempts.windows(2).all(|w| w[0].end <= w[1].end));
    }
}

#[test]
fn a_clock_past_its_limit_is_an_error_not_a_saturated_result() {
    // Validation refuses such think times; the engine must still never let
    // the clock saturate if a tail draw gets there (issue 6).
    let mut w = workload(1, 1.0);
    w.steps = fixed(3.0);
    w.think_time = Dist::Fixed(SimTime::LIMIT.as_secs_f64());
    let err = simulate_replicate(&scenario(provider(1), w), 1, 0, false).unwrap_err();
    assert!(matches!(err, super::SimLimit::Clock { replicate: 0, .. }), "{err:?}");
    assert!(err.to_string().contains("1142 years"), "{err}");
}

#[test]
fn a_prompt_past_its_limit_is_an_error_not_a_saturated_count() {
    // 300 steps of 2^32 tool tokens pass 2^40 tokens: the run stops there.
    let mut w = workload(1, 1.0);
    w.steps = fixed(300.0);
    w.tool_result_tokens = fixed(crate::dist::MAX_TOKENS as f64);
    let mut p = provider(1);
    p.serving.prefill_tokens_per_s = 1e9;
    let err = simulate_replicate(&scenario(p, w), 1, 0, false).unwrap_err();
    assert!(matches!(err, super::SimLimit::PromptTokens { session: 0, step: 255, .. }), "{err:?}");
}

#[test]
fn a_first_arrival_past_the_clock_limit_is_an_error() {
    // Found in review: the fault of an arrival scheduled before the loop was
    // never looked at, and the replicate "succeeded" with no session.
    let w = workload(3, 1e-300);
    let err = simulate_replicate(&scenario(provider(1), w), 1, 0, false).unwrap_err();
    assert!(matches!(err, super::SimLimit::Clock { .. }), "{err:?}");
}

#[test]
fn retry_backoff_doubles_exactly_past_2_pow_40() {
    // Found in review: the doubling stopped at 2^40. Every attempt fails, so
    // the 45th retry waits 1 us x 2^44.
    let mut p = provider(1);
    p.failures = Failures { error_rate: 0.999_999_999, max_retries: 45, retry_backoff: SimDuration::from_micros(1) };
    let out = simulate_replicate(&scenario(p, workload(1, 1.0)), 1, 0, true).unwrap();
    let starts: Vec<u64> = out.requests.iter().map(|r| r.arrival.as_micros()).collect();
    assert_eq!(starts.len(), 46);
    let gap = |k: usize| starts[k] - out.requests[k - 1].end.as_micros();
    assert_eq!(gap(41), 1 << 40);
    assert_eq!(gap(45), 1 << 44);
}

#[test]
fn a_live_record_restarted_in_place_is_a_new_one() {
    use super::replicate::{Attempt, Live};
    use super::subagents::Family;
    use crate::model::session::Session;
    let mut l = Live::new(Session::vacant(), SimTime::from_micros(5), false, Family::default());
    l.attempt = Attempt { provider: 1, slot: 1, closed: true, end: SimTime::from_micros(9), ..Attempt::default() };
    l.next_issue = SimTime::from_micros(99);
    l.pings = 4;
    l.cost.add(1.5);
    l.route.provider = 1;
    l.route.last = Some((1, 1));
    let now = SimTime::from_micros(1_000);
    l.restart(now, true, Family::default());
    let fresh = Live::new(Session::vacant(), now, true, Family::default());
    assert_eq!(format!("{l:?}"), format!("{fresh:?}"));
}
