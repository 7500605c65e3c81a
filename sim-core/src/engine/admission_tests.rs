//! Admission end to end, hand-computed: rate limits and their 429s, cache
//! reads left out of ITPM, output reservation, client timeouts and what an
//! abandoned attempt costs, outages, degraded windows, service tiers, the
//! retry policy and `slo_attainment`.
//!
//! Unless a test says otherwise the provider serves 10,000 prefill and 50
//! decode tokens/s with no base latency, so a request of `i` uncached input
//! and `o` output tokens takes `i / 10,000 + o / 50` seconds.

use super::simulate_replicate;
use super::tests::{fixed, provider, scenario, shared, workload};
use crate::dist::Dist;
use crate::metrics::{ScopeMetrics, metric_names};
use crate::records::{RequestRecord, RequestStatus};
use crate::scenario::*;
use crate::time::{SimDuration, SimTime};
use crate::trace::{Trace, TraceRequest};
use std::sync::Arc;

use RequestStatus::{Error, Ok as Done, RateLimited, Timeout, Unavailable};

fn ms(v: u64) -> SimTime {
    SimTime::from_micros(v * 1_000)
}

/// A workload replaying `reqs` as (arrival ms, input tokens, output tokens),
/// one single-step session each; block ids start at `first_block` so
/// workloads never share a prefix.
fn trace_workload(name: &str, first_block: u64, reqs: &[(u64, u64, u64)]) -> Workload {
    let mut next = first_block;
    let requests = reqs
        .iter()
        .map(|&(at_ms, input, output)| {
            let n = input.div_ceil(512);
            let blocks = (next..next + n).collect();
            next += n;
            TraceRequest {
                arrival_us: at_ms * 1_000,
                input_tokens: input,
                output_tokens: output,
                blocks,
                ..Default::default()
            }
        })
        .collect();
    let mut w = workload(1, 1.0);
    w.name = name.into();
    w.arrivals = Arrivals::Trace {
        file: "trace.jsonl".into(),
        read: Default::default(),
        trace: Arc::new(Trace::new(512, requests)),
    };
    w
}

/// A policy without jitter: waits base, 2 base, 4 base... (uncapped in practice).
fn retry(max_attempts: u32, base_ms: u64, on_failure: StepFailure, timeout_ms: Option<u64>) -> RetryConfig {
    RetryConfig {
        max_attempts,
        backoff_base: SimDuration::from_millis(base_ms),
        backoff_cap: SimDuration::from_secs(3_600),
        full_jitter: false,
        on_failure,
        timeout: timeout_ms.map(SimDuration::from_millis),
    }
}

fn no_cache(slots: u32) -> Provider {
    let mut p = provider(slots);
    p.cache.enabled = false;
    p
}

fn limits(rpm: Option<u64>, itpm: Option<u64>, otpm: Option<u64>) -> RateLimitConfig {
    RateLimitConfig {
        requests_per_min: rpm,
        input_tokens_per_min: itpm,
        output_tokens_per_min: otpm,
        per_api_key: true,
        cache_reads_count: false,
        reserve_output: false,
    }
}

/// (status, attempt, arrival, start, end) of each record, in record order.
fn rows(out: &[RequestRecord]) -> Vec<(RequestStatus, u32, SimTime, SimTime, SimTime)> {
    out.iter().map(|r| (r.status, r.attempt, r.arrival, r.start, r.end)).collect()
}

/// The records of session `s`.
fn of(out: &[RequestRecord], s: u64) -> Vec<&RequestRecord> {
    out.iter().filter(|r| r.session == s).collect()
}

fn counts(m: &ScopeMetrics) -> [u64; 5] {
    [m.requests, m.rate_limited, m.retries, m.errors, m.timeouts]
}

fn run(sc: &Scenario) -> super::ReplicateOutput {
    simulate_replicate(sc, 1, 0, true).unwrap()
}

/// `sessions` one-step sessions at t = 0 against RPM 60, plenty of slots,
/// a 100 ms backoff without jitter.
fn rpm_60_burst(sessions: u64, max_attempts: u32) -> super::ReplicateOutput {
    let mut p = no_cache(100);
    p.admission.rate_limits = Some(limits(Some(60), None, None));
    let mut w = workload(sessions, 1e12);
    w.retry = Some(retry(max_attempts, 100, StepFailure::Abort, None));
    run(&scenario(p, w))
}

#[test]
fn a_burst_over_the_request_limit_gets_one_429_retried_after_exactly_the_retry_after() {
    // RPM 60: a bucket of 60 requests refilling one per second. 61 sessions
    // arrive at t = 0 (a rate of 10^12/s rounds every gap to 0 us); plenty
    // of slots. The 61st finds the bucket empty: 429, retry-after 1 s, which
    // beats the 100 ms backoff; at 1 s exactly one request has refilled.
    let out = rpm_60_burst(61, 3);
    let r = &out.requests;
    assert_eq!(r.len(), 62);
    assert!(r.iter().all(|r| r.arrival == SimTime::ZERO || r.session == 60));
    let served_at_zero = r.iter().filter(|r| r.status == Done && r.start == SimTime::ZERO).count();
    assert_eq!(served_at_zero, 60);
    // 1,000 input + 100 output tokens: 0.1 s + 2 s.
    assert_eq!(
        rows(&of(r, 60).into_iter().cloned().collect::<Vec<_>>()),
        [(RateLimited, 1, SimTime::ZERO, SimTime::ZERO, SimTime::ZERO), (Done, 2, ms(1_000), ms(1_000), ms(3_100)),]
    );
    assert_eq!(of(r, 60)[0].cost.total(), 0.0);
    assert_eq!(counts(&out.metrics.overall), [61, 1, 1, 0, 0]);
    assert_eq!(out.metrics.overall.sessions_completed, 61);
}

#[test]
fn clients_retrying_together_without_jitter_meet_the_limit_again() {
    // 62 at t = 0 under RPM 60: sessions 60 and 61 are both told 1 s. At 1 s
    // one token has refilled: session 60 gets it, 61 is refused again and
    // told 1 s more (its own backoff, 200 ms, is shorter).
    let out = rpm_60_burst(62, 5);
    let attempts = |s| of(&out.requests, s).iter().map(|r| (r.status, r.attempt, r.start)).collect::<Vec<_>>();
    assert_eq!(attempts(60), [(RateLimited, 1, SimTime::ZERO), (Done, 2, ms(1_000))]);
    assert_eq!(attempts(61), [(RateLimited, 1, SimTime::ZERO), (RateLimited, 2, ms(1_000)), (Done, 3, ms(2_000))]);
    assert_eq!(counts(&out.metrics.overall), [62, 3, 3, 0, 0]);
}

#[test]
fn leaving_cache_reads_out_of_itpm_admits_a_cached_follow_up_at_once() {
    // One session of two steps, 20,000 task tokens, 100 output tokens, no
    // think time; ITPM 30,000 (500 tokens/s refill). Step 1 (0 to 4 s: 2 s
    // prefill + 2 s decode) takes 20,000, leaving 10,000. Step 2 at 4 s sends
    // 20,100 tokens, 20,000 of them cached.
    // - reads not counted: it needs 100, admitted at 4 s, ends 4 + 0.01 + 2.
    // - reads counted: it needs 20,100 and holds 10,000 + 4 x 500 = 12,000:
    //   429 with retry-after 8,100 / 500 = 16.2 s; admitted at 20.2 s.
    let run_with = |cache_reads_count: bool| {
        let mut p = provider(1);
        p.admission.rate_limits = Some(RateLimitConfig { cache_reads_count, ..limits(None, Some(30_000), None) });
        let mut w = workload(1, 1.0);
        w.task_tokens = fixed(20_000.0);
        w.steps = fixed(2.0);
        w.retry = Some(retry(3, 1, StepFailure::Abort, None));
        run(&scenario(p, w))
    };
    let free = run_with(false);
    let s2 = free.requests[0].end;
    assert_eq!(s2 - free.requests[0].start, SimDuration::from_secs(4));
    assert_eq!(rows(&free.requests[1..]), [(Done, 1, s2, s2, s2 + SimDuration::from_millis(2_010))]);
    assert_eq!(free.metrics.overall.rate_limited, 0);
    let counted = run_with(true);
    let retry_at = s2 + SimDuration::from_millis(16_200);
    assert_eq!(
        rows(&counted.requests[1..]),
        [(RateLimited, 1, s2, s2, s2), (Done, 2, retry_at, retry_at, retry_at + SimDuration::from_millis(2_010))]
    );
    // The retry still reads the 20,000 cached tokens (written 18.2 s before, TTL 60 s).
    assert_eq!(counted.requests[2].tokens.cache_read, 20_000);
    assert_eq!(counted.metrics.overall.rate_limited, 1);
}

#[test]
fn reserving_max_tokens_admits_fewer_at_once_and_the_unused_part_comes_back() {
    // OTPM 1,000 (16.67 tokens/s), max_tokens 400, four requests of 100
    // output tokens at t = 0, each 2.1 s long.
    // Reserve: two fit (800), the other two are told (400 - 200) / (1,000 / 60)
    // = 12 s. At 2.1 s each finished request returns its unused 300, so at
    // 12 s the bucket is full again and both are admitted. Without the
    // correction it would hold 200 + 12 x 16.67 = 400: room for one.
    // Charging at completion: all four are admitted at once.
    let run_with = |reserve_output: bool| {
        let mut p = no_cache(10);
        p.admission.rate_limits = Some(RateLimitConfig { reserve_output, ..limits(None, None, Some(1_000)) });
        let mut w = workload(4, 1e12);
        w.max_tokens = 400;
        w.retry = Some(retry(3, 1, StepFailure::Abort, None));
        run(&scenario(p, w))
    };
    let reserved = run_with(true);
    let starts = |out: &super::ReplicateOutput| {
        out.requests.iter().filter(|r| r.status == Done).map(|r| r.start).collect::<Vec<_>>()
    };
    assert_eq!(starts(&reserved), [SimTime::ZERO, SimTime::ZERO, ms(12_000), ms(12_000)]);
    assert_eq!(counts(&reserved.metrics.overall), [4, 2, 2, 0, 0]);
    let charged = run_with(false);
    assert_eq!(starts(&charged), [SimTime::ZERO; 4]);
    assert_eq!(charged.metrics.overall.rate_limited, 0);
}

#[test]
fn charged_output_holds_back_admissions_until_the_deficit_is_repaid() {
    // OTPM 100 charged at completion (100 units of 1/60,000,000 token per
    // us); each request makes 100 output tokens in 2.1 s. A (0) is admitted
    // with the bucket full and charged at 2.1 s: level 0. B (2.2 s) finds
    // 0.17 tokens, not a deficit: admitted. Its charge at 4.3 s leaves
    // 0.17 + 2.1 x 1.67 - 100 = -96.33; C (4.4 s) finds -96.17 and is told
    // 96.17 / (100 / 60) = 57.7 s.
    let mut p = no_cache(10);
    p.admission.rate_limits = Some(limits(None, None, Some(100)));
    let mut w = trace_workload("w", 0, &[(0, 1_000, 100), (2_200, 1_000, 100), (4_400, 1_000, 100)]);
    w.retry = Some(retry(3, 1, StepFailure::Abort, None));
    let out = run(&scenario(p, w));
    let starts = |s| of(&out.requests, s).iter().map(|r| (r.status, r.start)).collect::<Vec<_>>();
    assert_eq!((starts(0), starts(1)), (vec![(Done, ms(0))], vec![(Done, ms(2_200))]));
    assert_eq!(starts(2), [(RateLimited, ms(4_400)), (Done, ms(4_400 + 57_700))]);
}

#[test]
fn a_slow_attempt_is_abandoned_at_its_deadline_and_its_slot_goes_to_the_next() {
    // One slot, timeout 3 s, backoff 500 ms. A (0 s) runs 0 to 2.1 s. B (0 s)
    // starts at 2.1 s, first token 2.2 s, would end 4.2 s: abandoned at 3 s,
    // billed its 1,000 input tokens and 0.8 / 2 of its 100 output tokens.
    // C (1 s, 45 output tokens: 0.1 + 0.9 s) takes the slot at 3 s and ends
    // at 4 s, exactly its deadline: in time. B's retry (3.5 s) waits for C,
    // runs 4 to 6.1 s.
    let mut w = trace_workload("w", 0, &[(0, 1_000, 100), (0, 1_000, 100), (1_000, 1_000, 45)]);
    w.retry = Some(retry(2, 500, StepFailure::Abort, Some(3_000)));
    let out = run(&scenario(no_cache(1), w));
    let r = &out.requests;
    let b = of(r, 1);
    assert_eq!(
        rows(&b.iter().map(|&r| r.clone()).collect::<Vec<_>>()),
        [(Timeout, 1, ms(0), ms(2_100), ms(3_000)), (Done, 2, ms(3_500), ms(4_000), ms(6_100))]
    );
    assert_eq!(b[0].first_token, ms(2_200));
    assert_eq!((b[0].tokens.input, b[0].tokens.uncached, b[0].tokens.output), (1_000, 1_000, 40));
    let billed = (1_000.0 * 3.0 + 40.0 * 15.0) / 1e6;
    assert!((b[0].cost.total() - billed).abs() < 1e-15, "{}", b[0].cost.total());
    let c = of(r, 2);
    assert_eq!(rows(&[c[0].clone()]), [(Done, 1, ms(1_000), ms(3_000), ms(4_000))]);
    let m = &out.metrics.overall;
    // `requests` counts the billed abandoned attempt; its tokens are in the totals.
    assert_eq!(counts(m), [4, 0, 1, 0, 1]);
    assert_eq!((m.tokens.input, m.tokens.output), (4_000, 100 + 40 + 45 + 100));
    assert_eq!(m.ttft.count(), 3);
    assert!((m.cost.total() - r.iter().map(|r| r.cost.total()).sum::<f64>()).abs() < 1e-15);
}

#[test]
fn an_attempt_abandoned_before_its_first_token_costs_nothing() {
    // 50,000 input tokens: 5 s of prefill, past the 3 s timeout. Abandoned in
    // service; one attempt only, so the session fails. The next request (at
    // 1 s, waiting for the one slot) starts at 3 s.
    let mut w = trace_workload("w", 0, &[(0, 50_000, 10), (1_000, 1_000, 10)]);
    w.retry = Some(retry(1, 500, StepFailure::Abort, Some(3_000)));
    let out = run(&scenario(no_cache(1), w));
    let r = &out.requests;
    assert_eq!(rows(r), [(Timeout, 1, ms(0), ms(0), ms(3_000)), (Done, 1, ms(1_000), ms(3_000), ms(3_300))]);
    assert_eq!((r[0].tokens.input, r[0].cost.total()), (0, 0.0));
    let m = &out.metrics.overall;
    assert_eq!(counts(m), [1, 0, 0, 0, 1]);
    assert_eq!((m.sessions_started, m.sessions_completed), (2, 1));
}

#[test]
fn a_queued_attempt_abandoned_at_its_deadline_leaves_the_queue() {
    // Two workloads on one slot: A (no timeout) runs 0 to 10.1 s; B (timeout
    // 3 s) waits behind it and gives up at 3 s; C (no timeout, at 2 s) is
    // served after A without waiting for B.
    let mut long = trace_workload("long", 0, &[(0, 1_000, 500), (2_000, 1_000, 100)]);
    long.retry = Some(retry(1, 1, StepFailure::Abort, None));
    let mut impatient = trace_workload("impatient", 1_000, &[(0, 1_000, 100)]);
    impatient.retry = Some(retry(1, 1, StepFailure::Abort, Some(3_000)));
    let mut sc = scenario(no_cache(1), long);
    sc.workloads.push(impatient);
    sc.workloads[1].provider = 0;
    let out = run(&sc);
    let by_workload = |w| out.requests.iter().filter(|r| r.workload == w).cloned().collect::<Vec<_>>();
    assert_eq!(rows(&by_workload(1)), [(Timeout, 1, ms(0), ms(3_000), ms(3_000))]);
    assert_eq!(by_workload(1)[0].cost.total(), 0.0);
    assert_eq!(
        rows(&by_workload(0)),
        [(Done, 1, ms(0), ms(0), ms(10_100)), (Done, 1, ms(2_000), ms(10_100), ms(12_200))]
    );
}

#[test]
fn a_fail_fast_outage_refuses_until_it_ends() {
    // Outage [0, 10 s), backoff 4 s: attempts at 0 and 4 s are refused, the
    // one at 4 + 8 = 12 s is served.
    let mut p = no_cache(1);
    p.admission.outages = vec![Outage { start: ms(0), end: ms(10_000), hang: false }];
    let mut w = trace_workload("w", 0, &[(0, 1_000, 100)]);
    w.retry = Some(retry(5, 4_000, StepFailure::Abort, None));
    let out = run(&scenario(p, w));
    assert_eq!(
        rows(&out.requests),
        [
            (Unavailable, 1, ms(0), ms(0), ms(0)),
            (Unavailable, 2, ms(4_000), ms(4_000), ms(4_000)),
            (Done, 3, ms(12_000), ms(12_000), ms(14_100))
        ]
    );
    assert_eq!(counts(&out.metrics.overall), [1, 0, 2, 2, 0]);
}

#[test]
fn a_hanging_outage_answers_nothing_until_the_timeout() {
    // Outage [0, 10 s) that hangs, timeout 3 s, backoff 1 s doubling: sent at
    // 0, 4 s (3 + 1), 9 s (7 + 2) all hang; 12 + 4 = 16 s is served.
    let mut p = no_cache(1);
    p.admission.outages = vec![Outage { start: ms(0), end: ms(10_000), hang: true }];
    let mut w = trace_workload("w", 0, &[(0, 1_000, 100)]);
    w.retry = Some(retry(5, 1_000, StepFailure::Abort, Some(3_000)));
    let out = run(&scenario(p, w));
    assert_eq!(
        rows(&out.requests),
        [
            (Timeout, 1, ms(0), ms(3_000), ms(3_000)),
            (Timeout, 2, ms(4_000), ms(7_000), ms(7_000)),
            (Timeout, 3, ms(9_000), ms(12_000), ms(12_000)),
            (Done, 4, ms(16_000), ms(16_000), ms(18_100)),
        ]
    );
    assert!(out.requests.iter().filter(|r| r.status == Timeout).all(|r| r.cost.total() == 0.0));
    assert_eq!(counts(&out.metrics.overall), [1, 0, 3, 0, 3]);
}

#[test]
fn a_hung_attempt_gives_back_no_output_reservation_it_never_made() {
    // OTPM 8,192 reserved from max_tokens 4,096 (8,192 units per us). S (0 s,
    // 1,000 output tokens: running until 20.1 s) leaves 4,096. H (1 s) hangs
    // in the outage [1 s, 10 s) and is abandoned at 4 s. At 10 s the bucket
    // holds 4,096 + 10 x 136.53 = 5,461.33: X is admitted, Y is told
    // (4,096 - 1,365.33) / 136.53 = 20 s. Had H's timeout returned a
    // reservation, Y would have been admitted at 10 s.
    let mut p = no_cache(10);
    p.admission.outages = vec![Outage { start: ms(1_000), end: ms(10_000), hang: true }];
    p.admission.rate_limits = Some(RateLimitConfig { reserve_output: true, ..limits(None, None, Some(8_192)) });
    let mut long = trace_workload("long", 0, &[(0, 1_000, 1_000), (10_000, 1_000, 100), (10_000, 1_000, 100)]);
    long.retry = Some(retry(2, 1, StepFailure::Abort, Some(60_000)));
    let mut hangs = trace_workload("hangs", 1_000, &[(1_000, 1_000, 100)]);
    hangs.retry = Some(retry(1, 1, StepFailure::Abort, Some(3_000)));
    let mut sc = scenario(p, long);
    sc.workloads.push(hangs);
    let out = run(&sc);
    let h: Vec<_> = out.requests.iter().filter(|r| r.workload == 1).cloned().collect();
    assert_eq!(rows(&h), [(Timeout, 1, ms(1_000), ms(4_000), ms(4_000))]);
    let y: Vec<_> = out.requests.iter().filter(|r| r.workload == 0 && r.session == 2).cloned().collect();
    assert_eq!(
        rows(&y),
        [(RateLimited, 1, ms(10_000), ms(10_000), ms(10_000)), (Done, 2, ms(30_000), ms(30_000), ms(32_100)),]
    );
}

#[test]
fn a_degraded_window_halves_the_speed_of_prefill_and_decode_not_the_base_latency() {
    // Base latency 0.5 s, 1,000 input + 100 output: 0.5 + 0.1 + 2 = 2.6 s at
    // full speed; inside a factor-0.5 window 0.5 + 2 x 2.1 = 4.7 s, first
    // token at 0.5 + 0.2 = 0.7 s. The window's end does not speed up a
    // request already started in it.
    let mut p = no_cache(1);
    p.serving.base_latency = Dist::Fixed(0.5);
    p.admission.degraded = vec![Degraded { start: ms(0), end: ms(1_000), factor: 0.5 }];
    let w = trace_workload("w", 0, &[(0, 1_000, 100), (100_000, 1_000, 100)]);
    let r = run(&scenario(p, w)).requests;
    assert_eq!((r[0].first_token, r[0].end), (ms(700), ms(4_700)));
    assert_eq!(
        (r[1].first_token - r[1].start, r[1].end - r[1].start),
        (SimDuration::from_millis(600), SimDuration::from_millis(2_600))
    );
}

#[test]
fn priority_requests_overtake_waiting_standard_ones() {
    // One slot. Standard A (0) runs 0 to 2.1 s; standard B (0.5 s) and
    // priority P (1 s) wait; P goes first: 2.1 to 4.2 s, B 4.2 to 6.3 s.
    let standard = trace_workload("standard", 0, &[(0, 1_000, 100), (500, 1_000, 100)]);
    let mut priority = trace_workload("priority", 1_000, &[(1_000, 1_000, 100)]);
    priority.service_tier = ServiceTier::Priority;
    let mut sc = scenario(no_cache(1), standard);
    sc.workloads.push(priority);
    let out = run(&sc);
    let span = |w, s| {
        let r = out.requests.iter().find(|r| r.workload == w && r.session == s).unwrap();
        (r.start, r.end)
    };
    assert_eq!(
        [span(0, 0), span(1, 0), span(0, 1)],
        [(ms(0), ms(2_100)), (ms(2_100), ms(4_200)), (ms(4_200), ms(6_300))]
    );
}

#[test]
fn flex_is_refused_while_utilisation_is_at_the_threshold() {
    // Two slots, threshold 0.5, three flex requests at 0, backoff 1 s
    // doubling. X1 takes a slot (1 of 2 busy = 0.5). X2, X3 are refused at
    // 0 and again at 1 s; at 3 s X1 is done: X2 gets in, X3 is refused
    // (0.5 again) and gets in at 3 + 4 = 7 s.
    let mut p = no_cache(2);
    p.admission.tiers.flex_max_utilization = 0.5;
    p.admission.rate_limits = Some(limits(Some(3), None, None));
    let mut w = trace_workload("w", 0, &[(0, 1_000, 100), (0, 1_000, 100), (0, 1_000, 100)]);
    w.service_tier = ServiceTier::Flex;
    w.retry = Some(retry(5, 1_000, StepFailure::Abort, None));
    let out = run(&scenario(p, w));
    let starts = |s| of(&out.requests, s).iter().map(|r| (r.status, r.start)).collect::<Vec<_>>();
    assert_eq!(starts(0), [(Done, ms(0))]);
    assert_eq!(starts(1), [(RateLimited, ms(0)), (RateLimited, ms(1_000)), (Done, ms(3_000))]);
    assert_eq!(
        starts(2),
        [(RateLimited, ms(0)), (RateLimited, ms(1_000)), (RateLimited, ms(3_000)), (Done, ms(7_000))]
    );
    // RPM 3 is enough for the three served requests: refused ones took nothing.
    assert_eq!(counts(&out.metrics.overall), [3, 5, 5, 0, 0]);
}

#[test]
fn a_batch_request_completes_after_its_delay_or_expires_at_the_window() {
    let run_with = |delay_s: f64| {
        let mut p = no_cache(1);
        p.admission.tiers.batch_delay = Dist::Fixed(delay_s);
        p.admission.tiers.batch_window = SimDuration::from_secs(86_400);
        let mut w = trace_workload("w", 0, &[(0, 1_000, 100)]);
        w.service_tier = ServiceTier::Batch;
        w.retry = Some(retry(1, 1, StepFailure::Abort, None));
        run(&scenario(p, w))
    };
    let done = run_with(600.0);
    let r = &done.requests[0];
    // Processed (started) when the provider gets to it, the delay after submission.
    assert_eq!(
        (r.status, r.arrival, r.start, r.first_token, r.end),
        (Done, ms(0), ms(600_000), ms(600_000), ms(600_000))
    );
    // At half price.
    assert!((r.cost.total() - (1_000.0 * 3.0 + 100.0 * 15.0) / 2e6).abs() < 1e-15);
    let expired = run_with(90_000.0);
    let r = &expired.requests[0];
    assert_eq!((r.status, r.end, r.cost.total()), (Error, ms(86_400_000), 0.0));
    assert_eq!((expired.metrics.overall.errors, expired.metrics.overall.sessions_completed), (1, 0));
}

#[test]
fn a_batch_request_reads_what_an_earlier_processed_request_of_its_batch_wrote() {
    // Two requests with a common 2,048-token prefix submitted together, each
    // processed after its own delay in [10 min, 20 min): the cache is looked
    // up when a request is processed, so the second one processed reads the
    // prefix the first one wrote (looked up at submission, both would miss).
    let mut p = provider(1);
    p.cache.tiers[0].ttl = SimDuration::from_secs(3_600);
    p.admission.tiers.batch_delay = Dist::Uniform { low: 600.0, high: 1_200.0 };
    let mut w = workload(2, 1e12);
    w.shared_segments = shared(2_048);
    w.steps = fixed(1.0);
    w.service_tier = ServiceTier::Batch;
    let out = run(&scenario(p, w));
    let mut reqs: Vec<_> = out.requests.iter().collect();
    reqs.sort_by_key(|r| r.start);
    assert_eq!(reqs.len(), 2);
    assert!(reqs[0].start < reqs[1].start && reqs[1].start >= ms(600_000), "{reqs:?}");
    assert_eq!((reqs[0].tokens.cache_read, reqs[1].tokens.cache_read), (0, 2_048));
    assert!(reqs[0].tokens.cache_write >= 2_048);
}

#[test]
fn the_last_failed_attempt_aborts_the_session_or_skips_the_step() {
    // Outage [0, 5 s), 3 attempts, backoff 1 s doubling, two steps, no think.
    // Step 1: 0, 1, 3 s, all refused. Abort: the session ends there.
    // Skip: step 2 at 3 s (refused), 4 s (refused), 6 s (served).
    let run_with = |on_failure| {
        let mut p = no_cache(1);
        p.admission.outages = vec![Outage { start: ms(0), end: ms(5_000), hang: false }];
        let mut w = workload(1, 1e12);
        w.steps = fixed(2.0);
        w.retry = Some(retry(3, 1_000, on_failure, None));
        run(&scenario(p, w))
    };
    let steps = |out: &super::ReplicateOutput| {
        out.requests.iter().map(|r| (r.step, r.attempt, r.status, r.start)).collect::<Vec<_>>()
    };
    let aborted = run_with(StepFailure::Abort);
    let failed_step = [(0, 1, Unavailable, ms(0)), (0, 2, Unavailable, ms(1_000)), (0, 3, Unavailable, ms(3_000))];
    assert_eq!(steps(&aborted), failed_step);
    assert_eq!(aborted.metrics.overall.sessions_completed, 0);
    assert_eq!(counts(&aborted.metrics.overall), [0, 0, 2, 3, 0]);
    let skipped = run_with(StepFailure::Skip);
    let mut expect = failed_step.to_vec();
    expect.extend([(1, 1, Unavailable, ms(3_000)), (1, 2, Unavailable, ms(4_000)), (1, 3, Done, ms(6_000))]);
    assert_eq!(steps(&skipped), expect);
    assert_eq!(skipped.metrics.overall.sessions_completed, 1);
    assert_eq!(counts(&skipped.metrics.overall), [1, 0, 4, 5, 0]);
}

#[test]
fn full_jitter_spreads_retries_uniformly_under_the_ceiling() {
    // 4,000 sessions refused at 0 by an outage of 1 us; ceiling 10 s. Each
    // retry is drawn on [0, 10 s]: mean 5 s, sd 2.89 s, so the mean of 4,000
    // has sd 0.046 s and 0.25 s is more than 5 sd.
    let mut p = no_cache(10_000);
    p.admission.outages = vec![Outage { start: ms(0), end: SimTime::from_micros(1), hang: false }];
    let mut w = workload(4_000, 1e12);
    w.task_tokens = fixed(0.0);
    w.output_tokens = fixed(1.0);
    w.retry = Some(RetryConfig { full_jitter: true, ..retry(2, 10_000, StepFailure::Abort, None) });
    let out = run(&scenario(p, w));
    let retries: Vec<f64> = out.requests.iter().filter(|r| r.attempt == 2).map(|r| r.arrival.as_secs_f64()).collect();
    assert_eq!(retries.len(), 4_000);
    assert!(retries.iter().all(|&t| (0.0..=10.0).contains(&t)));
    let mean = retries.iter().sum::<f64>() / 4_000.0;
    assert!((mean - 5.0).abs() < 0.25, "mean {mean}");
    // Spread over the whole range: each tenth holds about 400.
    for k in 0..10 {
        let n = retries.iter().filter(|&&t| t >= k as f64 && t < (k + 1) as f64).count();
        assert!((300..=500).contains(&n), "[{k}, {}) s: {n}", k + 1);
    }
}

#[test]
fn without_a_retry_table_the_providers_failures_settings_decide() {
    // Failures: 2 retries, 1 s doubling, the session aborted after the last.
    // The same policy written as a retry table gives the same run.
    let mut p = no_cache(4);
    p.failures = Failures { error_rate: 0.3, max_retries: 2, retry_backoff: SimDuration::from_secs(1) };
    let mut w = workload(300, 1.0);
    w.steps = fixed(3.0);
    let implicit = run(&scenario(p.clone(), w.clone()));
    w.retry = Some(RetryConfig {
        max_attempts: 3,
        backoff_base: SimDuration::from_secs(1),
        backoff_cap: SimDuration::from_micros(u64::MAX),
        full_jitter: false,
        on_failure: StepFailure::Abort,
        timeout: None,
    });
    let explicit = run(&scenario(p.clone(), w));
    assert_eq!(implicit.requests, explicit.requests);
    // Each retry is exactly 1 s, then 2 s after the failed attempt's end.
    let r = &implicit.requests;
    for pair in r.windows(2).filter(|p| p[1].session == p[0].session && p[1].attempt == p[0].attempt + 1) {
        let wait = pair[1].arrival - pair[0].end;
        assert_eq!(wait, SimDuration::from_secs(1 << (pair[0].attempt - 1)), "{pair:?}");
    }
    let m = &implicit.metrics.overall;
    let third_failures = r.iter().filter(|r| r.status == Error && r.attempt == 3).count() as u64;
    assert!(third_failures > 0);
    assert_eq!(m.sessions_started - m.sessions_completed, third_failures);
    // And a deterministic case: an outage refuses all three attempts (0, 1, 3 s).
    p.admission.outages = vec![Outage { start: ms(0), end: ms(5_000), hang: false }];
    let out = run(&scenario(p, trace_workload("w", 0, &[(0, 1_000, 100)])));
    assert_eq!(out.requests.iter().map(|r| r.start).collect::<Vec<_>>(), [ms(0), ms(1_000), ms(3_000)]);
}

#[test]
fn slo_attainment_counts_the_requests_that_met_every_objective() {
    // One slot, three requests at 0 of 1,000 input and 100 output tokens:
    // ends 2.1, 4.2 and 6.3 s; first tokens 0.1, 2.2 and 4.3 s; tpot
    // 2 s / 99 = 20.2 ms for each.
    let attainment = |o: Objectives| {
        let mut w = trace_workload("w", 0, &[(0, 1_000, 100), (0, 1_000, 100), (0, 1_000, 100)]);
        w.objectives = o;
        let m = run(&scenario(no_cache(1), w)).metrics.overall;
        let i = metric_names(&[]).iter().position(|n| n == "slo_attainment").unwrap();
        m.values(0)[i]
    };
    let d = |v: u64| Some(SimDuration::from_millis(v));
    assert_eq!(attainment(Objectives::default()), None);
    assert_eq!(attainment(Objectives { e2e: d(4_200), ..Objectives::default() }), Some(2.0 / 3.0));
    assert_eq!(attainment(Objectives { ttft: d(100), ..Objectives::default() }), Some(1.0 / 3.0));
    assert_eq!(attainment(Objectives { ttft: d(100), e2e: d(6_300), ..Objectives::default() }), Some(1.0 / 3.0));
    assert_eq!(attainment(Objectives { tpot: d(20), ..Objectives::default() }), Some(0.0));
    assert_eq!(attainment(Objectives { tpot: d(21), e2e: d(4_199), ..Objectives::default() }), Some(1.0 / 3.0));
}

#[test]
fn an_abandoned_attempt_of_a_free_model_still_counts_its_tokens() {
    // As in the slow-attempt case, B is abandoned at 3 s with 1,000 input
    // and 40 output tokens produced; at zero prices they cost nothing but
    // are still counted, as its requests.csv row shows them.
    let mut p = no_cache(1);
    p.pricing.base = PriceSheet {
        input_usd_per_mtok: 0.0,
        cache_read_usd_per_mtok: 0.0,
        cache_write_usd_per_mtok: vec![0.0],
        output_usd_per_mtok: 0.0,
        storage_usd_per_mtok_hour: 0.0,
    };
    let mut w = trace_workload("w", 0, &[(0, 1_000, 100), (0, 1_000, 100)]);
    w.retry = Some(retry(1, 500, StepFailure::Abort, Some(3_000)));
    let out = run(&scenario(p, w));
    assert_eq!((out.requests[1].status, out.requests[1].tokens.output), (Timeout, 40));
    let m = &out.metrics.overall;
    assert_eq!((m.requests, m.tokens.input, m.tokens.output), (2, 2_000, 140));
}

#[test]
fn a_step_that_fails_for_good_misses_its_objectives() {
    // Outage [0, 1.5 s), one retry after 1 s: A (0 s) is refused twice and
    // fails; B (2 s) is answered in 2.1 s. Objective e2e 3 s: 1 of 2 met.
    let mut p = no_cache(1);
    p.admission.outages = vec![Outage { start: ms(0), end: ms(1_500), hang: false }];
    let mut w = trace_workload("w", 0, &[(0, 1_000, 100), (2_000, 1_000, 100)]);
    w.retry = Some(retry(2, 1_000, StepFailure::Abort, None));
    w.objectives = Objectives { e2e: Some(SimDuration::from_secs(3)), ..Objectives::default() };
    let m = run(&scenario(p, w)).metrics.overall;
    let i = metric_names(&[]).iter().position(|n| n == "slo_attainment").unwrap();
    assert_eq!((m.errors, m.requests, m.values(0)[i]), (2, 1, Some(0.5)));
}
