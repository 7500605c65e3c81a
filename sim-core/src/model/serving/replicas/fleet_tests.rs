//! The fleet: load balancers (order, ties, affinity and its overflow),
//! rejection of requests that can never fit, gauges.

use super::testkit::{Driver, coef, config, prompt, t};
use super::{Note, check_fits};
use crate::model::prompt::{Block, Prompt};
use crate::scenario::{Balancer, KvMemory, ReplicasServing};
use crate::time::SimDuration;

fn fleet(replicas: u32, balancer: Balancer) -> ReplicasServing {
    let mut cfg = config(coef(1000.0, 0.0, 0.0, 0.0), 100);
    cfg.replicas = replicas;
    cfg.balancer = balancer;
    cfg
}

fn outstanding(d: &Driver) -> Vec<usize> {
    d.fleet.replicas().iter().map(|r| r.outstanding()).collect()
}

#[test]
fn round_robin_cycles_in_index_order() {
    let mut d = Driver::new(&fleet(3, Balancer::RoundRobin));
    for id in 0..5 {
        d.arrive(t(0), id, &prompt(u64::from(id), 16), 10, 0);
    }
    assert_eq!(outstanding(&d), vec![2, 2, 1]);
    // The first three each woke an idle replica, in order.
    let woken: Vec<u32> =
        d.notes.iter().filter_map(|n| if let Note::Wake { replica, .. } = n { Some(*replica) } else { None }).collect();
    assert_eq!(woken, vec![0, 1, 2]);
    assert_eq!(d.fleet.running(), 3);
    assert_eq!(d.fleet.queue_len(), 2);
}

#[test]
fn least_outstanding_breaks_ties_by_lowest_index() {
    let mut d = Driver::new(&fleet(3, Balancer::LeastOutstanding));
    d.arrive(t(0), 1, &prompt(1, 16), 1, 0); // -> 0, done at 1000
    d.arrive(t(0), 2, &prompt(2, 16), 50, 0); // -> 1
    assert_eq!(outstanding(&d), vec![1, 1, 0]);
    d.arrive(t(1500), 3, &prompt(3, 16), 50, 0); // 0 and 2 tie at 0 -> 0
    assert_eq!(outstanding(&d), vec![1, 1, 0]);
    d.arrive(t(1500), 4, &prompt(4, 16), 50, 0); // -> 2
    d.arrive(t(1500), 5, &prompt(5, 16), 50, 0); // all at 1 -> 0
    assert_eq!(outstanding(&d), vec![2, 1, 1]);
    assert_eq!(d.done(1), Some(t(1000)));
}

#[test]
fn least_kv_looks_at_blocks_in_use_not_the_queue() {
    let mut d = Driver::new(&fleet(2, Balancer::LeastKv));
    // Admitted at once with a 64-token chunk: 4 blocks on replica 0.
    d.arrive(t(0), 1, &prompt(1, 160), 10, 0);
    // Replica 1 (0 blocks): admitted, 1 block.
    d.arrive(t(0), 2, &prompt(2, 16), 10, 0);
    // Replica 1 still has fewer blocks, waiting requests hold none.
    d.arrive(t(0), 3, &prompt(3, 16), 10, 0);
    d.arrive(t(0), 4, &prompt(4, 16), 10, 0);
    assert_eq!(outstanding(&d), vec![1, 3]);
    assert_eq!((d.fleet.replicas()[0].kv_blocks_used(), d.fleet.replicas()[1].kv_blocks_used()), (4, 1));
}

/// A 64-token shared segment then a private tail.
fn shared_then(tail: u64) -> Vec<Block> {
    let mut p = Prompt::new();
    p.push_shared(0xabc, 64);
    p.push(tail, 10);
    p.blocks().to_vec()
}

#[test]
fn prefix_affinity_keeps_a_prefix_home_until_it_overflows() {
    let policy = Balancer::PrefixAffinity { affinity_tokens: 32, overflow_per_minute: Some(3) };
    let mut cfg = fleet(4, policy);
    cfg.kv_memory = KvMemory::Blocks(1 << 20);
    let mut d = Driver::new(&cfg);
    // Long requests (100,000 tokens at 1 ms per step) stay outstanding.
    for id in 0..3 {
        d.arrive(t(0), id, &shared_then(u64::from(id) + 100), 100_000, 0);
    }
    let o = outstanding(&d);
    let home = o.iter().position(|&n| n == 3).expect("one home replica");
    // The 4th in the same minute spills to the least outstanding other
    // replica: all others have 0, so the lowest index other than home.
    d.arrive(t(0), 3, &shared_then(200), 100_000, 0);
    let spill = if home == 0 { 1 } else { 0 };
    assert_eq!(outstanding(&d)[spill], 1);
    // 20 s later the bucket (3 per minute) has one request back.
    d.arrive(t(20_000_000), 4, &shared_then(300), 100_000, 0);
    assert_eq!(outstanding(&d)[home], 4);
    d.arrive(t(20_000_000), 5, &shared_then(301), 100_000, 0);
    assert_eq!(outstanding(&d)[home], 4);
    assert_eq!(outstanding(&d).iter().sum::<usize>(), 6);
}

#[test]
fn prefix_affinity_without_overflow_sends_equal_prefixes_home() {
    let policy = Balancer::PrefixAffinity { affinity_tokens: 32, overflow_per_minute: None };
    let mut d = Driver::new(&fleet(4, policy));
    for id in 0..10 {
        d.arrive(t(0), id, &shared_then(u64::from(id)), 100, 0);
    }
    assert_eq!(outstanding(&d).iter().max(), Some(&10));
    // The cache key is part of the prefix key: 16 keys spread over several replicas.
    let mut d = Driver::new(&fleet(4, policy));
    for id in 0..16 {
        d.arrive(t(0), id, &shared_then(u64::from(id)), 100, u64::from(id));
    }
    assert!(outstanding(&d).iter().filter(|&&n| n > 0).count() >= 2, "{:?}", outstanding(&d));
}

#[test]
fn a_request_that_can_never_fit_is_rejected() {
    let cfg = config(coef(1000.0, 0.0, 0.0, 0.0), 10);
    // 150 + 11 - 1 = 160 tokens = 10 blocks of 16: fits; one more output token does not.
    assert!(check_fits(&cfg, 150, 11).is_ok());
    let mut d = Driver::new(&cfg);
    d.arrive(t(0), 1, &prompt(1, 150), 12, 0);
    d.arrive(t(0), 2, &prompt(2, 150), 11, 0);
    d.drain();
    assert_eq!(d.notes[0], Note::Rejected { id: 1, at: t(0) });
    assert!(d.done(2).is_some());
    assert_eq!(d.fleet.kv_blocks_total(), 10);
}

#[test]
fn overheads_land_on_the_done_instant_only() {
    let mut cfg = fleet(2, Balancer::RoundRobin);
    cfg.overheads.before_queue = SimDuration::from_millis(10);
    cfg.overheads.at_completion = SimDuration::from_micros(700);
    cfg.overheads.per_output_token = SimDuration::from_micros(3);
    let mut d = Driver::new(&cfg);
    d.arrive(t(0), 1, &prompt(1, 16), 4, 0);
    d.drain();
    // before_queue is the caller's: arrival at 0 joins at 0 here.
    // Four 1000 us steps; first token at 1000, done at 4000 + 700 + 4 x 3.
    assert_eq!(d.first_token(1), Some((t(1000), 0)));
    assert_eq!(d.done(1), Some(t(4712)));
    assert_eq!(d.fleet.iterations(), 4);
}
