//! The start-time spread against real replicates: one replicate repriced at
//! every candidate start costs what a replicate started there costs.

use super::replicas_tests::replicas_provider;
use super::simulate_replicate;
use super::tests::{fixed, provider, scenario, workload};
use crate::dist::Dist;
use crate::scenario::*;
use crate::time::SimDuration;

/// Windows with boundaries off the minute, a flex tier, storage, keep-alives,
/// a warm-up and a day's traffic: everything the repricing must get right.
fn timed() -> Scenario {
    let mut p = provider(4);
    p.cache.tiers[0].ttl = SimDuration::from_secs(300);
    p.pricing.base.storage_usd_per_mtok_hour = 0.5;
    p.pricing.windows = vec![
        PriceWindow { start_s: 10 * 3600 + 30, end_s: 22 * 3600 + 907, multiplier: 0.5 },
        PriceWindow { start_s: 2 * 3600, end_s: 5 * 3600, multiplier: 1.25 },
    ];
    let mut w = workload(300, 1.0 / 300.0);
    w.steps = fixed(3.0);
    w.think_time = Dist::Fixed(400.0);
    w.keep_alive = Some(KeepAlive { interval: SimDuration::from_secs(240), output_tokens: 1 });
    w.service_tier = ServiceTier::Flex;
    let mut sc = scenario(p, w);
    sc.simulation.warmup = SimDuration::from_secs(3600);
    sc.simulation.start_time_of_day_s = 7 * 3600 + 13 * 60 + 20;
    sc
}

/// Reprices one replicate of `sc` and checks every candidate start against
/// a replicate actually run there; returns the replicate's own cost.
fn assert_repricing_matches_real_runs(sc: &Scenario) -> f64 {
    let out = simulate_replicate(sc, 7, 0, false).unwrap().metrics;
    let spread = out.start_spread.expect("a time-priced scenario is repriced");
    assert_eq!(spread.not_exact, None);
    assert_eq!(spread.starts_s.len(), 25, "24 hours and the own start");
    let mut moved = false;
    for (s, cost) in spread.starts_s.iter().zip(&spread.cost_usd.0) {
        let mut at = sc.clone();
        at.simulation.start_time_of_day_s = *s;
        let real = simulate_replicate(&at, 7, 0, false).unwrap().metrics.overall;
        let (cost, want) = (cost.unwrap(), real.cost.total());
        assert!((cost - want).abs() <= 1e-9 * want, "start {s}: repriced {cost} vs run {want}");
        let per_session = spread.cost_usd_per_session.0[spread.starts_s.iter().position(|x| x == s).unwrap()];
        assert_eq!(per_session, Some(cost / real.sessions_started as f64));
        moved |= (want - out.overall.cost.total()).abs() > 1e-3 * want;
    }
    assert!(moved, "the windows move the cost");
    let own = spread.starts_s.iter().position(|s| *s == sc.simulation.start_time_of_day_s).unwrap();
    assert_eq!(spread.cost_usd.0[own], Some(out.overall.cost.total()));
    out.overall.cost.total()
}

#[test]
fn one_replicate_repriced_costs_what_a_replicate_started_there_costs() {
    assert_repricing_matches_real_runs(&timed());
}

#[test]
fn a_replicas_fleet_is_repriced_exactly_too() {
    // The same traffic served by a self-hosted fleet that also bills its
    // replica-hours: the windows move the token bill, never the compute bill.
    let mut sc = timed();
    let api = sc.providers[0].clone();
    sc.providers[0] = replicas_provider(2, 3.0);
    sc.providers[0].pricing = api.pricing;
    let cost = assert_repricing_matches_real_runs(&sc);
    let compute = simulate_replicate(&sc, 7, 0, false).unwrap().metrics.overall.cost.compute.usd();
    assert!(compute > 0.0 && compute < cost, "compute {compute} of {cost}");
}

#[test]
fn daily_arrivals_or_cost_aware_routing_are_not_repriced_and_flat_prices_record_nothing() {
    let mut daily = timed();
    daily.workloads[0].arrivals = Arrivals::Process {
        process: ArrivalProcess::Daily { rate_per_s: 0.01, profile: vec![1.0; 24] },
        stop: ArrivalStop::Sessions(20),
    };
    let r = simulate_replicate(&daily, 1, 0, false).unwrap().metrics.start_spread.unwrap();
    assert!(r.not_exact.unwrap().contains("daily profile"));
    assert!(r.cost_usd.0.is_empty());

    let mut routed = timed();
    let mut other = routed.providers[0].clone();
    other.name = "q".into();
    other.pricing.windows.clear();
    routed.providers.push(other);
    routed.workloads[0].route = Some(Route {
        policy: RoutePolicy::CostAware,
        providers: vec![0, 1],
        family: None,
        weights: vec![1.0; 2],
        weights_given: false,
        on: FailoverOn::ALL,
        cooldown: SimDuration::from_secs(10),
        latency_smoothing: 0.3,
    });
    let r = simulate_replicate(&routed, 1, 0, false).unwrap().metrics.start_spread.unwrap();
    assert!(r.not_exact.unwrap().contains("routes by cost"));
    // Another policy's choice does not read prices: repriced.
    routed.workloads[0].route.as_mut().unwrap().policy = RoutePolicy::Weighted;
    let r = simulate_replicate(&routed, 1, 0, false).unwrap().metrics.start_spread.unwrap();
    assert_eq!((r.not_exact, r.starts_s.len()), (None, 25));

    let mut flat = timed();
    flat.providers[0].pricing.windows.clear();
    assert_eq!(simulate_replicate(&flat, 1, 0, false).unwrap().metrics.start_spread, None);
}
