//! Property test over random fleets and workloads: every request completes
//! exactly once (unless cancelled or rejected) with its first token no later
//! than its completion, blocks are conserved after every call, iterations of
//! a replica never overlap (the driver checks both), and the fleet ends empty.

use super::Note;
use super::step::blocks_needed;
use super::testkit::{Driver, coef};
use crate::model::prompt::{Block, Prompt};
use crate::scenario::{Balancer, KvMemory, ReplicasServing, StepModel};
use crate::time::{SimDuration, SimTime};
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Req {
    gap_us: u64,
    shared: Option<u8>,
    tail: u64,
    output: u64,
    /// Cancelled this long after arrival.
    cancel_after_us: Option<u64>,
}

fn req() -> impl Strategy<Value = Req> {
    (0..3_000u64, prop::option::of(0..3u8), 0..60u64, 1..30u64, prop::option::weighted(0.15, 0..20_000u64)).prop_map(
        |(gap_us, shared, tail, output, cancel_after_us)| Req { gap_us, shared, tail, output, cancel_after_us },
    )
}

fn balancer() -> impl Strategy<Value = Balancer> {
    prop_oneof![
        Just(Balancer::RoundRobin),
        Just(Balancer::LeastOutstanding),
        Just(Balancer::LeastKv),
        (1..80u64, prop::option::of(1..5u64)).prop_map(|(affinity_tokens, overflow_per_minute)| {
            Balancer::PrefixAffinity { affinity_tokens, overflow_per_minute }
        }),
    ]
}

#[derive(Clone, Debug)]
struct Shape {
    replicas: u32,
    block_tokens: u64,
    kv_blocks: u64,
    max_seqs: u32,
    extra_budget: u64,
    caching: bool,
    window_us: u64,
    balancer: Balancer,
    b: (f64, f64, f64, f64),
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        (1..4u32, 1..9u64, 3..60u64, 1..7u32, 0..40u64),
        (any::<bool>(), prop_oneof![Just(0u64), 1..2_000u64], balancer()),
        (100.0..2000.0f64, 0.0..20.0f64, 0.0..50.0f64, 0.0..2.0f64),
    )
        .prop_map(
            |((replicas, block_tokens, kv_blocks, max_seqs, extra_budget), (caching, window_us, balancer), b)| Shape {
                replicas,
                block_tokens,
                kv_blocks,
                max_seqs,
                extra_budget,
                caching,
                window_us,
                balancer,
                b,
            },
        )
}

fn prompt_of(id: u32, r: &Req) -> Vec<Block> {
    let mut p = Prompt::new();
    if let Some(s) = r.shared {
        p.push_shared(u64::from(s), 24 + 16 * u64::from(s));
    }
    p.push(0x1000 + u64::from(id), r.tail);
    p.blocks().to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn every_request_completes_once(s in shape(), reqs in prop::collection::vec(req(), 1..40)) {
        let (b0, b1, b2, b3) = s.b;
        let mut cfg = ReplicasServing::new(s.replicas, StepModel::Fitted(coef(b0, b1, b2, b3)), KvMemory::Blocks(s.kv_blocks));
        cfg.block_tokens = s.block_tokens;
        cfg.max_num_seqs = s.max_seqs;
        cfg.max_num_batched_tokens = u64::from(s.max_seqs) + s.extra_budget;
        cfg.prefix_caching = s.caching;
        cfg.batch_window = SimDuration::from_micros(s.window_us);
        cfg.balancer = s.balancer;
        let mut d = Driver::new(&cfg);
        let mut now = 0;
        let mut cancels = Vec::new();
        let mut rejected = Vec::new();
        for (i, r) in reqs.iter().enumerate() {
            now += r.gap_us;
            let id = i as u32;
            // Cancellations due before this arrival, in time order.
            cancels.sort();
            while let Some(&(at, cid)) = cancels.first() {
                if at > now { break; }
                d.cancel(SimTime::from_micros(at), cid);
                cancels.remove(0);
            }
            let blocks = prompt_of(id, r);
            let tokens = blocks.last().map_or(0, |b| b.end_tokens);
            if blocks_needed(tokens.max(1), r.output, s.block_tokens) > s.kv_blocks {
                rejected.push(id);
            }
            d.arrive(SimTime::from_micros(now), id, &blocks, r.output, u64::from(id % 3));
            if let Some(after) = r.cancel_after_us {
                cancels.push((now + after, id));
            }
        }
        cancels.sort();
        for (at, cid) in cancels.iter().copied() {
            d.cancel(SimTime::from_micros(at), cid);
        }
        d.drain();
        let cancelled: Vec<u32> = reqs.iter().enumerate().filter(|(_, r)| r.cancel_after_us.is_some()).map(|(i, _)| i as u32).collect();
        for id in 0..reqs.len() as u32 {
            let firsts: Vec<SimTime> = d.notes.iter().filter_map(|n| match *n { Note::FirstToken { id: i, at, .. } if i == id => Some(at), _ => None }).collect();
            let dones: Vec<SimTime> = d.notes.iter().filter_map(|n| match *n { Note::Done { id: i, at } if i == id => Some(at), _ => None }).collect();
            let was_rejected = d.notes.contains(&Note::Rejected { id, at: SimTime::ZERO }) || d.notes.iter().any(|n| matches!(n, Note::Rejected { id: i, .. } if *i == id));
            prop_assert_eq!(was_rejected, rejected.contains(&id));
            prop_assert!(firsts.len() <= 1 && dones.len() <= 1);
            if was_rejected {
                prop_assert!(firsts.is_empty() && dones.is_empty());
            } else if !cancelled.contains(&id) {
                prop_assert_eq!(dones.len(), 1, "request {} never completed", id);
                prop_assert_eq!(firsts.len(), 1);
            }
            if let (Some(f), Some(e)) = (firsts.first(), dones.first()) {
                prop_assert!(f <= e);
            }
            if !dones.is_empty() {
                prop_assert_eq!(firsts.len(), 1);
            }
        }
        prop_assert_eq!((d.fleet.running(), d.fleet.queue_len(), d.fleet.kv_blocks_used()), (0, 0, 0));
        prop_assert!(s.caching || d.fleet.cached_blocks() == 0);
    }
}

/// Scale check, run by hand in release (`cargo test --release -p sim-core
/// --lib fleet_at_scale -- --ignored --nocapture`, timed from outside): 8
/// replicas of Llama-3.1-8B on H100 (BLIS coefficients, 29,205 blocks) and
/// 50,000 requests of 850 prompt / 650 output tokens on average at 30 per second.
#[test]
#[ignore = "a manual scale check, run in release"]
fn fleet_at_scale() {
    use crate::rng::splitmix64;
    let mut cfg =
        ReplicasServing::new(8, StepModel::Fitted(coef(6472.0, 19.797, 304.40, 0.0)), KvMemory::Blocks(29_205));
    cfg.balancer = Balancer::LeastOutstanding;
    let mut d = Driver::new(&cfg);
    let mut x = 42u64;
    let mut unit = move || {
        x = splitmix64(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut now = 0.0f64;
    let n = 50_000u32;
    for id in 0..n {
        now += -(1.0 - unit()).ln() / 30.0;
        let mut p = Prompt::new();
        p.push_shared(u64::from(id % 4), 200);
        p.push(u64::from(id) + 1000, 1 + (unit() * 1300.0) as u64);
        let output = 1 + (unit() * 1299.0) as u64;
        d.arrive(SimTime::from_micros((now * 1e6) as u64), id, p.blocks(), output, 0);
    }
    d.drain();
    let done = d.notes.iter().filter(|n| matches!(n, Note::Done { .. })).count();
    assert_eq!(done, n as usize);
    let tokens: u64 = d.fleet.replicas().iter().map(|r| r.completed_tokens()).sum();
    println!(
        "iterations {} output tokens {} preemptions {} simulated span {:.1} s",
        d.fleet.iterations(),
        tokens,
        d.fleet.preemptions(),
        d.now.as_secs_f64()
    );
}
