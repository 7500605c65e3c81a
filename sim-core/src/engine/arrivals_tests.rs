//! The arrival processes end to end: a closed loop keeps exactly `agents`
//! sessions live, scheduled jobs start at their instants, a bursty process
//! at the same mean rate waits longer than Poisson.

use super::tests::{provider, scenario, workload};
use super::{Recording, simulate_replicate, simulate_replicate_with};
use crate::dist::{Dist, TokenDist};
use crate::scenario::*;
use crate::time::{SimDuration, SimTime};

fn closed(agents: u64, gap: Option<Dist>, horizon_s: u64) -> Scenario {
    let mut w = workload(0, 1.0);
    w.steps = TokenDist::new(Dist::Fixed(3.0));
    w.think_time = Dist::Exponential { mean: 2.0 };
    let horizon = SimTime::ZERO + SimDuration::from_secs(horizon_s);
    w.arrivals =
        Arrivals::Process { process: ArrivalProcess::Closed { agents, gap }, stop: ArrivalStop::Horizon(horizon) };
    let mut sc = scenario(provider(100), w);
    sc.simulation.end = Some(horizon);
    sc
}

#[test]
fn a_closed_loop_without_gap_keeps_exactly_its_agents_live() {
    let out = simulate_replicate(&closed(5, None, 2000), 1, 0, false).unwrap();
    let m = &out.metrics.overall;
    // Area / span: 5 sessions at every instant of [0, 2000 s].
    assert_eq!(m.sessions_active.level_s, 5.0 * 2000.0);
    assert_eq!(m.sessions_active.peak, 5);
    // Sessions of about 3 x 2 s think plus service: hundreds were replaced.
    assert!(m.sessions_started > 500, "{}", m.sessions_started);
    assert!(m.sessions_completed >= m.sessions_started - 5);
}

#[test]
fn a_closed_loop_with_gaps_never_exceeds_its_agents() {
    let gap = Dist::Exponential { mean: 10.0 };
    let out = simulate_replicate(&closed(5, Some(gap), 20_000), 1, 0, false).unwrap();
    let m = &out.metrics.overall;
    assert_eq!(m.sessions_active.peak, 5);
    // Each agent is idle only in its gaps: one gap (mean 10 s) per session
    // started, so the live mean is 5 - started x 10 s / 20000 s (within 5
    // sigma of the gaps' sum, about 0.03 here).
    let mean = m.sessions_active.level_s / 20_000.0;
    let expected = 5.0 - m.sessions_started as f64 * 10.0 / 20_000.0;
    assert!((mean - expected).abs() < 0.15, "{mean} vs {expected}");
}

#[test]
fn scheduled_jobs_start_at_exactly_their_instants() {
    let mut w = workload(0, 1.0);
    w.service_tier = ServiceTier::Batch;
    let at = vec![SimDuration::from_secs(0), SimDuration::from_millis(1500), SimDuration::from_secs(3600)];
    w.arrivals = Arrivals::Process {
        process: ArrivalProcess::Scheduled { at, every: None, jobs: 2 },
        stop: ArrivalStop::Sessions(6),
    };
    let sc = scenario(provider(100), w);
    let out = simulate_replicate_with(&sc, 1, 0, Recording { requests: true, timeseries: false }).unwrap();
    // Records come in completion order; the batch tier delays completions.
    let mut starts: Vec<u64> = out.requests.iter().map(|r| r.arrival.as_micros()).collect();
    starts.sort();
    assert_eq!(starts, [0, 0, 1_500_000, 1_500_000, 3_600_000_000, 3_600_000_000]);
}

/// Sessions per second: a load at which the one slot queues (Poisson p95 TTFT about 7 s;
/// gamma cv 3 about 73 s, cv 0.3 about 0.4 s with seed 3).
const RATE: f64 = 0.3;

/// p95 time to first token of one-step sessions on one slot.
fn p95_ttft_s(process: Option<ArrivalProcess>) -> f64 {
    let mut w = workload(20_000, RATE);
    let stop = ArrivalStop::Sessions(20_000);
    if let Some(process) = process {
        w.arrivals = Arrivals::Process { process, stop };
    }
    let sc = scenario(provider(1), w);
    let out = simulate_replicate(&sc, 3, 0, false).unwrap();
    out.metrics.overall.ttft.quantile_s(0.95).unwrap()
}

#[test]
fn bursty_arrivals_at_the_same_mean_rate_wait_longer() {
    let poisson = p95_ttft_s(None);
    let gamma = p95_ttft_s(Some(ArrivalProcess::Gamma { rate_per_s: RATE, cv: 3.0 }));
    let smooth = p95_ttft_s(Some(ArrivalProcess::Gamma { rate_per_s: RATE, cv: 0.3 }));
    // Kingman: the wait grows with (ca^2 + cs^2) / 2 (here cs = 0).
    assert!(gamma > 2.0 * poisson, "gamma cv 3 {gamma} vs poisson {poisson}");
    assert!(smooth < poisson, "gamma cv 0.3 {smooth} vs poisson {poisson}");
}
