//! The `api` model's timings, by hand: prefill (cached and not), decode at a
//! drawn speed, the load curve, and the fixed overheads.

use super::*;
use crate::model::admission::QueueClass;
use crate::rng::{ReplicateSeed, RequestKey};
use crate::scenario::LoadCurve;

fn streams(seed: u64) -> ApiStreams {
    let s = ReplicateSeed::new(seed, 0);
    ApiStreams {
        latency: s.keyed("serving.latency"),
        decode: s.keyed("serving.decode"),
        overhead: s.keyed("serving.overhead"),
    }
}

/// Request `id` as the first attempt of session `id`'s first step.
fn key(id: u32) -> RequestKey {
    RequestKey { workload: 0, session: u64::from(id), step: 0, attempt: 0 }
}

/// Hands each request the same token counts and records what the server planned.
#[derive(Default)]
struct Recorder {
    begin: Begin,
    /// (id, start, first token, end), in service order.
    planned: Vec<(u32, u64, u64, u64)>,
}

impl Host for Recorder {
    fn begin(&mut self, _id: u32, _now: SimTime) -> Begin {
        self.begin
    }
    fn planned(&mut self, id: u32, now: SimTime, first_token: SimTime, end: SimTime) {
        self.planned.push((id, now.as_micros(), first_token.as_micros(), end.as_micros()));
    }
    fn first_token(&mut self, _: u32, _: SimTime, _: u64) {
        unreachable!("the api model plans both instants")
    }
    fn done(&mut self, _: u32, _: SimTime) {
        unreachable!("the api model plans both instants")
    }
    fn wake(&mut self, _: SimTime, _: u32) {
        unreachable!("the api model sets no timers")
    }
    fn fail(&mut self, _: u32, _: SimTime) {
        unreachable!("the api model plans failures like any attempt")
    }
    fn prompt(&self, _: u32) -> &[crate::model::prompt::Block] {
        unreachable!("the api model reads no prompt")
    }
    fn cache_key(&self, _: u32) -> u64 {
        unreachable!("the api model routes nothing")
    }
    fn request_key(&self, id: u32) -> RequestKey {
        key(id)
    }
}

fn output_only(output_tokens: u64) -> Recorder {
    Recorder { begin: Begin { output_tokens, ..Begin::default() }, planned: Vec::new() }
}

const T0: SimTime = SimTime::ZERO;

fn at_ms(ms: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_millis(ms)
}

#[test]
fn slots_then_fifo() {
    let mut q = SlotQueue::new(2);
    assert!(q.arrive(1, QueueClass::Standard));
    assert!(q.arrive(2, QueueClass::Standard));
    assert_eq!(q.in_service(), 2);
    assert!(!q.arrive(3, QueueClass::Standard));
    assert!(!q.arrive(4, QueueClass::Standard));
    assert_eq!(q.release(), Some(3));
    assert_eq!(q.release(), Some(4));
    assert_eq!(q.in_service(), 2);
    assert_eq!(q.release(), None);
    assert_eq!(q.release(), None);
    assert_eq!(q.in_service(), 0);
    assert!(
        q.arrive(5, QueueClass::Standard) && q.arrive(6, QueueClass::Standard) && !q.arrive(7, QueueClass::Standard)
    );
}

#[test]
fn priority_requests_wait_ahead_and_abandoned_ones_leave() {
    let (std, pri) = (QueueClass::Standard, QueueClass::Priority);
    let mut q = SlotQueue::new(1);
    assert!(q.arrive(1, std));
    assert!(!q.arrive(2, std) && !q.arrive(3, std) && !q.arrive(4, pri));
    assert!(q.abandon(3));
    assert!(!q.abandon(3));
    assert_eq!(q.in_service(), 1);
    assert_eq!(q.release(), Some(4));
    assert_eq!(q.release(), Some(2));
    assert_eq!(q.release(), None);
    assert_eq!(q.in_service(), 0);
}

#[test]
fn timing_is_base_plus_prefill_plus_decode() {
    let s = Serving { slots: 1, prefill_tokens_per_s: 10_000.0, ..Serving::default() };
    // 0.5 s + 5,000 / 10,000 = 1 s to the first token; + 100 / 50 = 3 s.
    let t = service_timing(&s, 0.5, 50.0, 5_000, 0, 100);
    assert_eq!(t.to_first_token, SimDuration::from_millis(1_000));
    assert_eq!(t.total, SimDuration::from_millis(3_000));
}

#[test]
fn cached_tokens_prefill_at_their_own_rate_or_free_by_default() {
    let free = Serving { prefill_tokens_per_s: 10_000.0, ..Serving::default() };
    // 0.2 s + 2,000 / 10,000; the 50,000 cached tokens cost nothing.
    let t = service_timing(&free, 0.2, 50.0, 2_000, 50_000, 0);
    assert_eq!((t.to_first_token, t.total), (SimDuration::from_millis(400), SimDuration::from_millis(400)));
    let priced = Serving { cached_prefill_tokens_per_s: Some(100_000.0), ..free };
    // + 50,000 / 100,000 = 0.9 s; then 10 tokens at 50 tok/s.
    let t = service_timing(&priced, 0.2, 50.0, 2_000, 50_000, 10);
    assert_eq!((t.to_first_token, t.total), (SimDuration::from_millis(900), SimDuration::from_millis(1_100)));
}

#[test]
fn per_token_overhead_adds_to_each_output_token() {
    let s = Serving { overhead_per_output_token: SimDuration::from_millis(5), ..Serving::default() };
    // 100 tokens: 100 / 50 = 2 s of decode + 100 x 5 ms = 2.5 s.
    let t = service_timing(&s, 0.0, 50.0, 0, 0, 100);
    assert_eq!((t.to_first_token, t.total), (SimDuration::ZERO, SimDuration::from_millis(2_500)));
}

#[test]
fn load_curve_interpolates_at_and_between_points_and_is_flat_beyond() {
    let c = LoadCurve { points: vec![(0, 1.0), (32, 0.8), (64, 0.5)] };
    let f: Vec<f64> = [0, 16, 32, 48, 64, 100].iter().map(|n| c.factor(*n)).collect();
    let want = [1.0, 0.9, 0.8, 0.65, 0.5, 0.5];
    for (got, want) in f.iter().zip(want) {
        assert!((got - want).abs() < 1e-12, "{f:?}");
    }
    let c = LoadCurve { points: vec![(4, 0.9), (8, 0.5)] };
    assert_eq!(c.factor(1), 0.9);
    assert!((c.factor(6) - 0.7).abs() < 1e-12);
    assert_eq!(c.factor(9), 0.5);
    assert_eq!(LoadCurve { points: vec![(10, 0.6)] }.factor(3), 0.6);
    assert_eq!(c.min_factor(), 0.5);
}

#[test]
fn load_curve_slows_each_request_by_the_load_at_its_start() {
    let config = Serving {
        slots: 3,
        load_curve: Some(LoadCurve { points: vec![(1, 1.0), (3, 0.5)] }),
        decode_tokens_per_s: Dist::Fixed(100.0),
        ..Serving::default()
    };
    let mut server = ApiServer::new(&config, streams(1), T0);
    let mut host = output_only(100);
    for id in 1..=4 {
        server.admit(id, QueueClass::Standard, T0, &mut host);
    }
    // 100 tokens at 100 x factor(1) = 100 tok/s, x factor(2) = 0.75, x factor(3) = 0.5.
    assert_eq!(host.planned, [(1, 0, 0, 1_000_000), (2, 0, 0, 1_333_333), (3, 0, 0, 2_000_000)]);
    // Request 4 takes request 1's slot at 1 s: three in service, 50 tok/s.
    server.release(1, at_ms(1_000), &mut host);
    assert_eq!(host.planned[3], (4, 1_000_000, 1_000_000, 3_000_000));
    // Request 4 alone in service after these two: the next starts as the second, at 75 tok/s.
    server.release(2, at_ms(1_400), &mut host);
    server.release(3, at_ms(2_000), &mut host);
    server.admit(5, QueueClass::Standard, at_ms(2_000), &mut host);
    assert_eq!(host.planned[4], (5, 2_000_000, 2_000_000, 3_333_333));
}

#[test]
fn decode_speed_is_drawn_per_request_from_its_own_stream() {
    // Speeds 50 or 200 tok/s, equally likely: 100 tokens take 2 s or 0.5 s.
    let two = Dist::empirical(vec![50.0, 200.0], None);
    let base = Dist::Exponential { mean: 0.3 };
    let drawn = Serving { slots: 1, base_latency: base.clone(), decode_tokens_per_s: two, ..Serving::default() };
    let fixed = Serving { slots: 1, base_latency: base, ..Serving::default() };
    let run = |config: &Serving| {
        let mut server = ApiServer::new(config, streams(7), T0);
        let mut host = output_only(100);
        let mut now = T0;
        for id in 0..200 {
            server.admit(id, QueueClass::Standard, now, &mut host);
            now = SimTime::from_micros(host.planned.last().unwrap().3);
            server.release(id, now, &mut host);
        }
        host.planned
    };
    let (a, b) = (run(&drawn), run(&fixed));
    let mut slow = 0;
    for ((_, sa, fa, ea), (_, sb, fb, _)) in a.iter().zip(&b) {
        // The base latency stream is untouched by the decode draws.
        assert_eq!(fa - sa, fb - sb);
        let decode = ea - fa;
        assert!(decode == 2_000_000 || decode == 500_000, "{decode}");
        slow += usize::from(decode == 2_000_000);
    }
    // Binomial(200, 1/2): 100 +- 3 standard deviations (21).
    assert!((79..=121).contains(&slow), "{slow} slow of 200");
}

#[test]
fn overhead_before_queue_is_drawn_per_request_and_pings_decode_at_the_harmonic_mean() {
    let fixed = Serving { overhead_before_queue: Dist::Fixed(0.15), ..Serving::default() };
    let server = ApiServer::new(&fixed, streams(3), T0);
    assert_eq!(server.before_queue(key(0)), SimDuration::from_millis(150));
    let spread = Serving {
        overhead_before_queue: Dist::Uniform { low: 0.1, high: 0.2 },
        decode_tokens_per_s: Dist::empirical(vec![50.0, 200.0], None),
        ..Serving::default()
    };
    let server = ApiServer::new(&spread, streams(3), T0);
    let draws: Vec<u64> = (0..100).map(|id| server.before_queue(key(id)).as_micros()).collect();
    // Keyed by the request, not by the order of asking.
    assert_eq!(server.before_queue(key(7)).as_micros(), draws[7]);
    assert!(draws.iter().all(|d| (100_000..=200_000).contains(d)), "{draws:?}");
    assert!(draws.windows(2).any(|w| w[0] != w[1]), "{draws:?}");
    // E[1/speed] = (1/50 + 1/200) / 2 = 0.0125 s: 80 tok/s; 8 tokens take 0.1 s.
    assert_eq!(server.ping_timing(T0, 0, 0, 8), (T0, at_ms(100)));
}
