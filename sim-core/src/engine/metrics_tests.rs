//! What the engine counts, by hand: sessions arriving before the warm-up's
//! end are simulated but not counted, the gauges integrate from it, and
//! steps that fail for good count against SLO attainment.

use super::simulate_replicate;
use super::tests::{provider, scenario, workload};
use crate::metrics::{ScopeMetrics, metric_names};
use crate::scenario::*;
use crate::time::{SimDuration, SimTime};
use crate::trace::{Trace, TraceRequest};
use std::sync::Arc;

/// One slot, no prompt cache; three single-request sessions of 1,000 input
/// and 100 output tokens arriving at 0, 1 and 5 s. Each is served in
/// 0.1 s of prefill + 2 s of decode: the first 0-2.1 s, the second waits
/// 1-2.1 s and is served 2.1-4.2 s, the third 5-7.1 s.
fn three_sessions(warmup_s: f64) -> Scenario {
    let mut p = provider(1);
    p.cache.enabled = false;
    let mut w = workload(3, 1.0);
    let trace = Trace::new(
        512,
        [0, 1_000_000, 5_000_000]
            .map(|arrival_us| TraceRequest {
                arrival_us,
                input_tokens: 1_000,
                output_tokens: 100,
                blocks: vec![1, 2],
                ..Default::default()
            })
            .to_vec(),
    );
    w.arrivals = Arrivals::Trace { file: "trace.jsonl".into(), read: Default::default(), trace: Arc::new(trace) };
    let mut sc = scenario(p, w);
    sc.simulation.warmup = SimDuration::from_secs_f64(warmup_s);
    sc
}

fn value(m: &ScopeMetrics, name: &str) -> f64 {
    let names = metric_names(&[]);
    m.values(0)[names.iter().position(|n| n == name).unwrap()].unwrap_or_else(|| panic!("{name} undefined"))
}

fn close(m: &ScopeMetrics, name: &str, expected: f64) {
    let x = value(m, name);
    assert!((x - expected).abs() < 1e-12, "{name}: {x} vs {expected}");
}

/// Each session's bill: 1,000 input tokens at $3 and 100 output at $15 per million.
const SESSION_USD: f64 = 1_000.0 * 3.0e-6 + 100.0 * 15.0e-6;

#[test]
fn without_warm_up_everything_is_counted_from_time_zero() {
    let out = simulate_replicate(&three_sessions(0.0), 1, 0, true).unwrap();
    assert_eq!(out.requests.len(), 3);
    let m = &out.metrics.by_provider[0];
    assert_eq!((m.sessions_started, m.sessions_completed, m.requests), (3, 3, 3));
    // 7.1 s observed; the slot busy 6.3 s; one request waiting 1-2.1 s.
    close(m, "utilization", 6.3 / 7.1);
    close(m, "queue_len_mean", 1.1 / 7.1);
    close(m, "queue_wait_s_mean", 1.1 / 3.0);
}

#[test]
fn sessions_before_the_warm_up_are_simulated_but_not_counted() {
    // Warm-up 1.5 s: the sessions of 0 and 1 s are not counted, but they
    // still hold the slot, so the third is served 5-7.1 s as before.
    let out = simulate_replicate(&three_sessions(1.5), 1, 0, true).unwrap();
    let rows: Vec<_> = out.requests.iter().map(|r| (r.session, r.start, r.end)).collect();
    assert_eq!(rows, vec![(2, SimTime::from_micros(5_000_000), SimTime::from_micros(7_100_000))]);
    let m = &out.metrics;
    for s in [&m.overall, &m.by_provider[0], &m.by_workload[0]] {
        assert_eq!((s.sessions_started, s.sessions_completed, s.requests), (1, 1, 1));
        assert!((s.cost.total() - SESSION_USD).abs() < 1e-15, "{}", s.cost.total());
        assert_eq!((s.tokens.input, s.tokens.output), (1_000, 100));
        close(s, "e2e_s_mean", 2.1);
        close(s, "queue_wait_s_mean", 0.0);
    }
    // The gauges integrate over 1.5-7.1 s (5.6 s), uncounted sessions included:
    // slot busy 1.5-4.2 and 5-7.1 s (4.8 s); the second session waiting
    // 1.5-2.1 s (0.6 s); steps in the system 2 during 1.5-2.1, then 1 during
    // 2.1-4.2 and 5-7.1 s (5.4 s).
    let p = &m.by_provider[0];
    close(p, "utilization", 4.8 / 5.6);
    close(p, "queue_len_mean", 0.6 / 5.6);
    assert_eq!(value(p, "queue_len_max"), 1.0, "the queue held at the warm-up's end counts");
    close(p, "concurrency_mean", 5.4 / 5.6);
    close(p, "sessions_active_mean", 5.4 / 5.6);
    close(p, "throughput_output_tokens_per_s", 100.0 / 5.6);
    assert_eq!(p.span_s, 5.6);
}

#[test]
fn a_session_arriving_at_the_warm_up_end_is_counted() {
    // Warm-up 5 s: the third session arrives exactly then. The slot was idle
    // from 4.2 s, so the gauges see only its service (5-7.1 s of 2.1 s).
    let m = simulate_replicate(&three_sessions(5.0), 1, 0, false).unwrap().metrics.overall;
    assert_eq!((m.sessions_started, m.requests), (1, 1));
    close(&m, "utilization", 1.0);
    close(&m, "queue_len_mean", 0.0);
    assert_eq!(value(&m, "queue_len_max"), 0.0);
}

#[test]
fn a_replicate_ending_before_its_warm_up_observes_nothing() {
    let mut sc = three_sessions(10.0);
    sc.simulation.end = Some(SimTime::from_micros(10_000_000));
    let m = simulate_replicate(&sc, 1, 0, true).unwrap().metrics.overall;
    assert_eq!((m.sessions_started, m.requests), (0, 0));
    let names = metric_names(&[]);
    let v = m.values(0);
    for name in ["utilization", "queue_len_mean", "concurrency_mean", "throughput_output_tokens_per_s"] {
        assert_eq!(v[names.iter().position(|n| n == name).unwrap()], None, "{name}");
    }
}

#[test]
fn slo_attainment_counts_steps_that_failed_for_good() {
    // End-to-end objective 2.5 s: the first and third sessions (2.1 s) meet
    // it, the second (1.1 s of wait + 2.1 s) does not.
    let mut sc = three_sessions(0.0);
    sc.workloads[0].objectives = Objectives { e2e: Some(SimDuration::from_millis(2_500)), ..Objectives::default() };
    let m = simulate_replicate(&sc, 1, 0, false).unwrap().metrics.overall;
    close(&m, "slo_attainment", 2.0 / 3.0);
    // Every attempt fails, with no retry: three steps judged, none met
    // (not undefined, as if nobody had asked).
    sc.providers[0].failures.error_rate = 1.0;
    let m = simulate_replicate(&sc, 1, 0, false).unwrap().metrics.overall;
    assert_eq!((m.requests, m.errors), (0, 3));
    close(&m, "slo_attainment", 0.0);
    close(&m, "error_rate", 1.0);
}

#[test]
fn an_attempt_abandoned_after_its_first_token_is_a_request_even_at_no_price() {
    // Free tokens, a 1 s client timeout, no retry. Every session's first
    // token comes 0.1 s after it is sent (the first session gives its slot up
    // at 1 s, before the second arrives then); at its deadline 0.9 of its 2 s
    // decode is done: 45 of 100 tokens. The session then ends, and its
    // attempt's pending end event, now stale, is ignored.
    let mut sc = three_sessions(0.0);
    let price = &mut sc.providers[0].pricing.base;
    (price.input_usd_per_mtok, price.output_usd_per_mtok) = (0.0, 0.0);
    sc.workloads[0].retry = Some(RetryConfig {
        max_attempts: 1,
        backoff_base: SimDuration::ZERO,
        backoff_cap: SimDuration::ZERO,
        full_jitter: false,
        on_failure: StepFailure::Abort,
        timeout: Some(SimDuration::from_secs(1)),
    });
    let m = simulate_replicate(&sc, 1, 0, false).unwrap().metrics.overall;
    assert_eq!(m.timeouts, 3);
    assert_eq!(m.requests, 3, "each produced tokens before its timeout");
    assert_eq!((m.tokens.input, m.tokens.output), (3_000, 135));
    assert_eq!((m.sessions_started, m.sessions_completed), (3, 0));
    assert_eq!(m.cost.total(), 0.0);
}
