//! Client-side routing end to end (docs/routing.md): the split of a weighted
//! route, sticky sessions, a fallback chain through an outage, a cost-aware
//! pick hand-computed from prices and what the session had cached, and the
//! load- and latency-driven picks.

use super::simulate_replicate;
use super::tests::{fixed, provider, scenario, workload};
use crate::records::{RequestRecord, RequestStatus};
use crate::scenario::{
    FailoverOn, Outage, PriceChange, PriceSheet, Provider, RetryConfig, Route, RoutePolicy, Scenario, StepFailure,
};
use crate::time::{SimDuration, SimTime};
use std::collections::HashMap;

fn route(policy: RoutePolicy, n: usize) -> Route {
    Route {
        policy,
        providers: (0..n).collect(),
        family: None,
        weights: vec![1.0; n],
        weights_given: false,
        on: FailoverOn::ALL,
        cooldown: SimDuration::from_secs(10),
        latency_smoothing: 0.3,
    }
}

/// `sessions` sessions of `steps` steps (1,000 task tokens, 100 out, 200
/// tool tokens, 5 s think) routed by `r` over `providers` (named a, b, ...).
fn routed(providers: Vec<Provider>, r: Route, sessions: u64, steps: f64) -> Scenario {
    let mut w = workload(sessions, 0.5);
    w.steps = fixed(steps);
    w.tool_result_tokens = fixed(200.0);
    w.think_time = crate::dist::Dist::Fixed(5.0);
    w.route = Some(r);
    let mut sc = scenario(providers[0].clone(), w);
    sc.providers = providers;
    for (i, p) in sc.providers.iter_mut().enumerate() {
        p.name = ((b'a' + i as u8) as char).to_string();
    }
    sc
}

fn by_session(records: &[RequestRecord]) -> HashMap<u64, Vec<&RequestRecord>> {
    let mut m: HashMap<u64, Vec<&RequestRecord>> = HashMap::new();
    for r in records {
        m.entry(r.session).or_default().push(r);
    }
    m
}

#[test]
fn weighted_splits_requests_within_binomial_bounds() {
    let mut r = route(RoutePolicy::Weighted, 2);
    r.weights = vec![0.7, 0.3];
    let sc = routed(vec![provider(64), provider(64)], r, 400, 5.0);
    let out = simulate_replicate(&sc, 3, 0, true).unwrap();
    let n = out.requests.len() as f64;
    assert_eq!(n, 2_000.0);
    let on_a = out.requests.iter().filter(|r| r.provider == 0).count() as f64;
    // Binomial(2000, 0.7): sd = sqrt(2000 x 0.21) = 20.5; 4 sd either side.
    let sd = (n * 0.7 * 0.3).sqrt();
    assert!((on_a - 0.7 * n).abs() < 4.0 * sd, "{on_a} of {n} on a");
    // Each provider's scope counts the requests it served.
    let m = &out.metrics;
    assert_eq!(m.by_provider[0].requests as f64, on_a);
    assert_eq!(m.by_provider[0].requests + m.by_provider[1].requests, m.overall.requests);
    assert_eq!(m.by_workload[0].requests, m.overall.requests);
    // A switch is a request to another provider than the session's previous
    // one: count them from the records.
    let switches: u64 = by_session(&out.requests)
        .values()
        .map(|rs| rs.windows(2).filter(|w| w[0].provider != w[1].provider).count() as u64)
        .sum();
    assert!(switches > 0);
    assert_eq!(m.overall.route_switches, switches);
    assert_eq!(m.by_workload[0].route_switches, switches);
    assert_eq!(m.by_provider[0].route_switches + m.by_provider[1].route_switches, switches);
    // Sessions are no one provider's: only the workload and overall scopes count them.
    assert_eq!(m.by_workload[0].sessions_started, 400);
    assert_eq!(m.by_provider[0].sessions_started + m.by_provider[1].sessions_started, 0);
}

#[test]
fn sticky_sessions_keep_one_provider_and_their_cache() {
    let sticky = routed(vec![provider(64), provider(64)], route(RoutePolicy::Sticky, 2), 200, 6.0);
    let out = simulate_replicate(&sticky, 5, 0, true).unwrap();
    let sessions = by_session(&out.requests);
    assert!(sessions.values().all(|rs| rs.iter().all(|r| r.provider == rs[0].provider)));
    let on_a = sessions.values().filter(|rs| rs[0].provider == 0).count();
    assert!((60..=140).contains(&on_a), "{on_a} of 200 sessions on a");
    assert_eq!(out.metrics.overall.route_switches, 0);
    // Without shared segments a session reads only its own history: as much
    // as on one provider, 1,000 + 1,300 + 1,600 + 1,900 + 2,200 = 8,000
    // tokens per session over steps 2 to 6.
    let mut fixed_sc = sticky.clone();
    fixed_sc.workloads[0].route = None;
    let fixed_out = simulate_replicate(&fixed_sc, 5, 0, false).unwrap();
    assert_eq!(out.metrics.overall.tokens.cache_read, 200 * 8_000);
    assert_eq!(fixed_out.metrics.overall.tokens.cache_read, 200 * 8_000);
    // Drawn per request, step k reads the prompt of the latest earlier step
    // that went to the same provider: step k - 1 - m with probability
    // 2^-(m+1), none with 2^-k. Over steps 2 to 6 that expects 500 + 900 +
    // 1,250 + 1,575 + 1,887.5 = 6,112.5 tokens per session; the sum over
    // 200 sessions has a standard deviation near 2.5%.
    let mut weighted = sticky.clone();
    weighted.workloads[0].route.as_mut().unwrap().policy = RoutePolicy::Weighted;
    let weighted_out = simulate_replicate(&weighted, 5, 0, false).unwrap();
    let read = weighted_out.metrics.overall.tokens.cache_read as f64;
    let expected = 200.0 * 6_112.5;
    assert!((read / expected - 1.0).abs() < 0.08, "weighted reads {read}, expected about {expected}");
}

#[test]
fn fallback_fails_over_during_an_outage_and_returns_after_it() {
    // a refuses everything in [0, 100 s); b is healthy. One attempt per
    // provider: each refusal at a moves its step to b at once, and a cools
    // down for 10 s.
    let mut a = provider(64);
    a.admission.outages =
        vec![Outage { start: SimTime::ZERO, end: SimTime::ZERO + SimDuration::from_secs(100), hang: false }];
    let mut sc = routed(vec![a, provider(64)], route(RoutePolicy::Fallback, 2), 100, 4.0);
    sc.workloads[0].retry = Some(RetryConfig {
        max_attempts: 1,
        backoff_base: SimDuration::from_secs(1),
        backoff_cap: SimDuration::from_secs(1),
        full_jitter: false,
        on_failure: StepFailure::Abort,
        timeout: None,
    });
    let out = simulate_replicate(&sc, 2, 0, true).unwrap();
    let refused: Vec<&RequestRecord> = out.requests.iter().filter(|r| r.status == RequestStatus::Unavailable).collect();
    assert!(!refused.is_empty());
    assert!(refused.iter().all(|r| r.provider == 0 && r.arrival < SimTime::ZERO + SimDuration::from_secs(100)));
    // Every refusal was a failover (b was never cooling down), and every step finished.
    let m = &out.metrics;
    assert_eq!(m.overall.failovers, refused.len() as u64);
    assert_eq!(m.by_provider[0].failovers, refused.len() as u64);
    assert_eq!(m.by_provider[1].failovers, 0);
    assert_eq!(m.overall.sessions_completed, 100);
    assert_eq!(out.requests.iter().filter(|r| r.status == RequestStatus::Ok).count(), 400);
    // Each failed-over step went to b at the same instant, where its prompt
    // was cold: it wrote what it sent.
    for r in &refused {
        let next = out
            .requests
            .iter()
            .find(|n| n.session == r.session && n.step == r.step && n.provider == 1)
            .expect("failed over to b");
        assert_eq!(next.arrival, r.arrival);
        if r.step == 0 {
            assert_eq!((next.tokens.cache_read, next.tokens.cache_write), (0, next.tokens.input));
        }
    }
    // After the outage and the last cooldown, everything goes to a.
    let back = SimTime::ZERO + SimDuration::from_secs(110);
    let late: Vec<&RequestRecord> = out.requests.iter().filter(|r| r.arrival >= back).collect();
    assert!(late.len() > 50);
    assert!(late.iter().all(|r| r.provider == 0 && r.status == RequestStatus::Ok));
    // While a cools down, steps go straight to b: fewer refusals than steps sent during the outage.
    let during = out.requests.iter().filter(|r| r.arrival < SimTime::ZERO + SimDuration::from_secs(100)).count();
    assert!(refused.len() * 2 < during, "{} refusals of {during}", refused.len());
}

fn sheet(input: f64, read: f64, write: f64, output: f64) -> PriceSheet {
    PriceSheet {
        input_usd_per_mtok: input,
        cache_read_usd_per_mtok: read,
        cache_write_usd_per_mtok: vec![write],
        output_usd_per_mtok: output,
        storage_usd_per_mtok_hour: 0.0,
    }
}

#[test]
fn cost_aware_prefers_the_warm_provider_over_a_cheaper_cold_one() {
    // One session arriving at about 0 s, two steps: 1,000 task tokens and
    // 100 out, then 200 tool tokens and 5 s of thought, so the second prompt
    // (1,300 tokens) is sent at about 7.1 s. Prices in USD per Mtok (input /
    // read / write / output; automatic caches, writes at the input price):
    //   a: 2 / 0.2 / 2 / 4, and from 3 s 1 / 0.1 / 1 / 4;
    //   b: 1 / 0.5 / 1 / 4, and from 3 s 1.5 / R / 1.5 / 4.
    // Step 1, both cold: a 1,000 x 2 + 100 x 4 = 2,400 micro-USD, b 1,000 x 1
    // + 400 = 1,400: b, whose cache then holds the 1,000-token prompt.
    // Step 2: a has the lower list price in every class but is cold: 1,300 x 1
    // + 400 = 1,700; b is warm: 1,000 x R + 300 x 1.5 + 400. With R = 0.5 that
    // is 1,350: b. With R = 1.2 it is 2,050: a.
    for (b_read_after, expect) in [(0.5, 1usize), (1.2, 0)] {
        let mut a = provider(4);
        a.pricing.base = sheet(2.0, 0.2, 2.0, 4.0);
        a.pricing.changes = vec![PriceChange {
            at: SimTime::ZERO + SimDuration::from_secs(3),
            base: sheet(1.0, 0.1, 1.0, 4.0),
            long_context: None,
        }];
        let mut b = provider(4);
        b.pricing.base = sheet(1.0, 0.5, 1.0, 4.0);
        b.pricing.changes = vec![PriceChange {
            at: SimTime::ZERO + SimDuration::from_secs(3),
            base: sheet(1.5, b_read_after, 1.5, 4.0),
            long_context: None,
        }];
        let mut sc = routed(vec![a, b], route(RoutePolicy::CostAware, 2), 1, 2.0);
        sc.workloads[0].arrivals =
            crate::scenario::Arrivals::Poisson { rate_per_s: 1e4, stop: crate::scenario::ArrivalStop::Sessions(1) };
        let out = simulate_replicate(&sc, 1, 0, true).unwrap();
        let r = &out.requests;
        assert_eq!(r.len(), 2);
        assert!(r[1].arrival > SimTime::ZERO + SimDuration::from_secs(3));
        assert_eq!((r[0].provider, r[1].provider), (1, expect), "b read {b_read_after}");
        // What the pick expected is what the provider billed.
        let read = if expect == 1 { 1_000 } else { 0 };
        assert_eq!(r[1].tokens.cache_read, read);
    }
}

#[test]
fn least_outstanding_balances_requests_in_flight() {
    // Ten one-step sessions arrive within milliseconds and each takes 2.1 s:
    // all are in flight at once, so they alternate a, b, a, b...
    let sc = routed(vec![provider(64), provider(64)], route(RoutePolicy::LeastOutstanding, 2), 10, 1.0);
    let mut sc = sc;
    sc.workloads[0].arrivals =
        crate::scenario::Arrivals::Poisson { rate_per_s: 1e4, stop: crate::scenario::ArrivalStop::Sessions(10) };
    let out = simulate_replicate(&sc, 4, 0, true).unwrap();
    let mut rs = out.requests.clone();
    rs.sort_by_key(|r| r.arrival);
    assert!(rs.last().unwrap().arrival < rs[0].end);
    let order: Vec<usize> = rs.iter().map(|r| r.provider).collect();
    assert_eq!(order, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    // With five slots each, balanced requests never wait; all ten on one
    // provider would.
    let mut narrow = sc.clone();
    for p in &mut narrow.providers {
        p.serving.slots = 5;
    }
    let balanced = simulate_replicate(&narrow, 4, 0, true).unwrap();
    assert!(balanced.requests.iter().all(|r| r.start == r.arrival));
    narrow.workloads[0].route = None;
    let one = simulate_replicate(&narrow, 4, 0, true).unwrap();
    assert!(one.requests.iter().any(|r| r.start > r.arrival));
}

#[test]
fn lowest_latency_tries_each_provider_then_keeps_the_faster() {
    // Sessions 20 s apart, one step each: b prefills twice as fast (time to
    // first token 0.05 s against 0.1 s). The first goes to a (untried, first
    // in order), the second to b (untried), every later one to b.
    let mut b = provider(4);
    b.serving.prefill_tokens_per_s *= 2.0;
    let mut sc = routed(vec![provider(4), b], route(RoutePolicy::LowestLatency, 2), 8, 1.0);
    sc.workloads[0].arrivals =
        crate::scenario::Arrivals::Poisson { rate_per_s: 0.05, stop: crate::scenario::ArrivalStop::Sessions(8) };
    let out = simulate_replicate(&sc, 6, 0, true).unwrap();
    let mut rs = out.requests.clone();
    rs.sort_by_key(|r| r.arrival);
    let order: Vec<usize> = rs.iter().map(|r| r.provider).collect();
    assert_eq!(order, [0, 1, 1, 1, 1, 1, 1, 1]);
}

#[test]
fn fixed_routing_has_no_switches_and_one_cell() {
    let sc = scenario(provider(4), workload(50, 1.0));
    let out = simulate_replicate(&sc, 1, 0, false).unwrap();
    let m = &out.metrics;
    assert_eq!((m.overall.route_switches, m.overall.failovers), (0, 0));
    assert_eq!(m.by_provider[0].sessions_started, 50);
}

#[test]
fn all_weight_on_one_provider_runs_exactly_as_fixed_routing() {
    // The example's fixed variant: a route whose draws all land on a gives
    // every number of fixed routing on a, in the overall and workload scopes
    // (a's scope lacks only the session-level counts of a routed workload).
    let mut r = route(RoutePolicy::Weighted, 2);
    r.weights = vec![1.0, 0.0];
    let mut p = provider(3);
    p.failures.error_rate = 0.1;
    p.failures.max_retries = 2;
    let routed_sc = routed(vec![p.clone(), provider(3)], r, 120, 4.0);
    let mut fixed_sc = routed_sc.clone();
    fixed_sc.workloads[0].route = None;
    let a = simulate_replicate(&routed_sc, 8, 0, true).unwrap();
    let b = simulate_replicate(&fixed_sc, 8, 0, true).unwrap();
    assert_eq!(a.requests, b.requests);
    let tiers = routed_sc.cache_tier_names().len();
    assert_eq!(a.metrics.overall.values(tiers), b.metrics.overall.values(tiers));
    assert_eq!(a.metrics.by_workload[0].values(tiers), b.metrics.by_workload[0].values(tiers));
    assert_eq!(a.metrics.by_provider[0].requests, b.metrics.by_provider[0].requests);
    assert_eq!(a.metrics.by_provider[1].requests, 0);
}
