//! The engine with a `replicas` provider: hand-computed iterations end to
//! end, the fleet's prefix cache seen as cache reads, and the compute bill.

use super::simulate_replicate;
use super::tests::{fixed, provider, scenario, workload};
use crate::dist::Dist;
use crate::records::RequestStatus;
use crate::scenario::*;
use crate::time::{SimDuration, SimTime};

/// b0 = 1 ms per iteration, 10 us per prefill token, 100 us per decoding sequence.
pub(super) fn replicas_provider(replicas: u32, usd_per_hour: f64) -> Provider {
    let mut p = provider(1);
    p.cache.enabled = false;
    let step = StepModel::Fitted(StepCoefficients {
        b0_us: 1_000.0,
        b1_us_per_prefill_token: 10.0,
        b2_us_per_decode_seq: 100.0,
        b3_us_per_context_token: 0.0,
    });
    let mut cfg = ReplicasServing::new(replicas, step, KvMemory::Blocks(10_000));
    cfg.usd_per_replica_hour = Dist::Fixed(usd_per_hour);
    p.replicas = Some(cfg);
    p
}

fn at(t: SimTime) -> f64 {
    t.as_secs_f64()
}

#[test]
fn one_request_is_the_sum_of_its_iterations() {
    // Prefill of 1,000 tokens in one iteration: 1 ms + 10 ms = 11 ms, which
    // also yields the first token. The 99 others take 1 ms + 0.1 ms each:
    // done at 11 + 99 x 1.1 = 119.9 ms.
    let sc = scenario(replicas_provider(1, 0.0), workload(1, 1.0));
    let out = simulate_replicate(&sc, 1, 0, true).unwrap();
    let r = &out.requests[0];
    let (start, first, end) = (at(r.start), at(r.first_token), at(r.end));
    assert!((first - start - 0.011).abs() < 1e-9, "first token {first} after start {start}");
    assert!((end - start - 0.1199).abs() < 1e-9, "end {end} after start {start}");
    assert_eq!((r.tokens.input, r.tokens.uncached, r.tokens.cache_read, r.tokens.cache_write), (1000, 1000, 0, 0));
}

#[test]
fn the_fleets_prefix_cache_is_read_by_the_next_step() {
    // Step 2 re-sends step 1's 1,000-token task: its 62 full 16-token blocks
    // (992 tokens) are in the replica's prefix cache; generated tokens are not.
    let mut w = workload(1, 1.0);
    w.steps = fixed(2.0);
    w.tool_result_tokens = fixed(200.0);
    w.think_time = Dist::Fixed(1.0);
    let sc = scenario(replicas_provider(1, 0.0), w);
    let out = simulate_replicate(&sc, 1, 0, true).unwrap();
    assert_eq!(out.requests.len(), 2);
    let second = &out.requests[1].tokens;
    assert_eq!(second.input, 1300);
    assert_eq!((second.cache_read, second.cache_write), (992, 0));
    assert_eq!(second.uncached, 308);
    let m = &out.metrics.by_provider[0];
    assert_eq!(m.tokens.cache_read, 992);
}

#[test]
fn replicas_are_billed_by_the_hour_for_the_simulated_span() {
    let sc = scenario(replicas_provider(2, 3.6), workload(20, 2.0));
    let out = simulate_replicate(&sc, 1, 0, false).unwrap();
    let m = &out.metrics;
    let expected = 2.0 * 3.6 * m.sim_end_s / 3600.0;
    assert!(
        (m.by_provider[0].cost.compute.usd() - expected).abs() < 1e-12,
        "{} vs {expected}",
        m.by_provider[0].cost.compute.usd()
    );
    assert_eq!(m.overall.cost.compute, m.by_provider[0].cost.compute);
    assert_eq!(m.by_workload[0].cost.compute.usd(), 0.0, "compute is the provider's, not a workload's");
    assert_eq!(m.overall.sessions_completed, 20);
    let g = m.by_provider[0].serving.expect("providers own servers");
    assert!(g.kv_util_peak.is_some_and(|u| u > 0.0 && u <= 1.0));
}

#[test]
fn a_request_larger_than_a_replicas_kv_memory_is_an_error_not_a_hang() {
    // 10 blocks of 16 tokens hold 160; the 1,000-token prompt can never run.
    // With one retry, the session's only step fails twice, at once each time
    // (the retry waits its 1 s backoff), and the replicate ends.
    let mut p = replicas_provider(1, 0.0);
    p.replicas.as_mut().expect("replicas").kv_memory = KvMemory::Blocks(10);
    p.failures = Failures { error_rate: 0.0, max_retries: 1, retry_backoff: SimDuration::from_secs(1) };
    let sc = scenario(p, workload(1, 1.0));
    let out = simulate_replicate(&sc, 1, 0, true).unwrap();
    let statuses: Vec<_> = out.requests.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [RequestStatus::Error, RequestStatus::Error]);
    let (first, retry) = (&out.requests[0], &out.requests[1]);
    assert_eq!((first.start, first.end), (first.arrival, first.arrival));
    assert_eq!(retry.arrival, first.end + SimDuration::from_secs(1));
    // `errors` counts failed attempts.
    let m = &out.metrics.overall;
    assert_eq!((m.errors, m.retries, m.tokens.output), (2, 1, 0));
}
