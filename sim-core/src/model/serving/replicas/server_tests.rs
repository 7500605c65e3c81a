//! The replicas server's gauges by hand: queue length and busy replicas
//! integrated from the warm-up's end, and preemptions counted only after it.

use super::ReplicasServer;
use super::testkit::{coef, config, prompt, t};
use crate::metrics::ServingGauges;
use crate::model::prompt::Block;
use crate::model::serving::{Begin, Host};
use crate::time::SimTime;
use std::collections::BTreeSet;

/// The engine's side: hands over prompts of fixed output and fires the
/// server's wakes in time order.
struct Wakes {
    prompts: Vec<Vec<Block>>,
    output_tokens: u64,
    wakes: BTreeSet<(SimTime, u32)>,
    done: Vec<(u32, SimTime)>,
}

impl Host for Wakes {
    fn begin(&mut self, _: u32, _: SimTime) -> Begin {
        Begin { output_tokens: self.output_tokens, ..Begin::default() }
    }
    fn planned(&mut self, _: u32, _: SimTime, _: SimTime, _: SimTime) {
        unreachable!("replicas learn their instants as they go")
    }
    fn first_token(&mut self, _: u32, _: SimTime, _: u64) {}
    fn done(&mut self, id: u32, at: SimTime) {
        self.done.push((id, at));
    }
    fn wake(&mut self, at: SimTime, token: u32) {
        self.wakes.insert((at, token));
    }
    fn fail(&mut self, _: u32, _: SimTime) {
        unreachable!("every request fits")
    }
    fn prompt(&self, id: u32) -> &[Block] {
        &self.prompts[id as usize]
    }
    fn cache_key(&self, _: u32) -> u64 {
        0
    }
    fn request_key(&self, _: u32) -> crate::rng::RequestKey {
        unreachable!("the replicas model draws nothing per request")
    }
}

/// The preemption case of `replica_tests` (4-token blocks, 5 of them, 100 us
/// steps, two 4-token prompts of 8 output tokens at 0) seen through the
/// server: request 1 waits 0..100 us, is preempted at 600 and waits again
/// until 800; request 0 is done at 800, request 1 at 1,100.
fn run(observed_from: SimTime) -> (ServingGauges, Vec<(u32, SimTime)>) {
    let mut cfg = config(coef(100.0, 0.0, 0.0, 0.0), 5);
    cfg.block_tokens = 4;
    let mut server = ReplicasServer::new(&cfg, observed_from).unwrap();
    let mut host =
        Wakes { prompts: vec![prompt(1, 4), prompt(2, 4)], output_tokens: 8, wakes: BTreeSet::new(), done: vec![] };
    server.admit(0, t(0), &mut host);
    server.admit(1, t(0), &mut host);
    while let Some((at, replica)) = host.wakes.pop_first() {
        server.wake(replica, at, &mut host);
    }
    (server.close(t(1_100)), host.done)
}

#[test]
fn gauges_integrate_the_whole_run_without_warm_up() {
    let (g, done) = run(t(0));
    assert_eq!(done, vec![(0, t(800)), (1, t(1_100))]);
    // One request waiting during 0..100 and 600..800 us.
    assert_eq!(g.queue.level_s, 300e-6);
    assert_eq!(g.queue.peak, 1);
    // The one replica has work from 0 to 1,100 us, out of 1 x 1,100 us.
    assert_eq!((g.busy.level_s, g.capacity_s), (1_100e-6, 1_100e-6));
    assert_eq!(g.preemptions, 1);
    // At most 5 of 5 blocks held (A 3 and B 2 at iteration 6).
    assert_eq!(g.kv_util_peak, Some(1.0));
}

#[test]
fn a_preemption_before_the_warm_up_end_is_not_counted() {
    // Observed from 650 us: the wait of 650..800 only, and the preemption
    // at 600 falls before it.
    let (g, _) = run(t(650));
    assert_eq!(g.queue.level_s, 150e-6);
    assert_eq!(g.queue.peak, 1, "the level held at the warm-up's end counts");
    assert_eq!((g.busy.level_s, g.capacity_s), (450e-6, 450e-6));
    assert_eq!(g.preemptions, 0);
    let (g, _) = run(t(600));
    assert_eq!(g.preemptions, 1, "a preemption at the warm-up's end is observed");
}
