//! One replica, hand-computed: iteration timing with chunked prefill,
//! shared iterations, saturation throughput, preemption and the prefix cache.

use super::testkit::{Driver, coef, config, prompt, t};
use crate::scenario::StepModel;
use crate::time::SimDuration;

#[test]
fn one_request_two_prefill_chunks_then_decode() {
    // b0 = 1000, b1 = 10 per prefill token, b2 = 100 per decoder, b3 = 1 per context token.
    let mut cfg = config(coef(1000.0, 10.0, 100.0, 1.0), 100);
    cfg.overheads.at_completion = SimDuration::from_micros(500);
    cfg.overheads.per_output_token = SimDuration::from_micros(10);
    let mut d = Driver::new(&cfg);
    d.arrive(t(0), 7, &prompt(1, 100), 3, 0);
    d.drain();
    // Iteration 0: chunk 64, context 64: 1000 + 640 + 64 = 1704.
    // Iteration 1: chunk 36, context 100: 1000 + 360 + 100 = 1460 -> first token at 3164.
    assert_eq!(d.first_token(7), Some((t(3164), 0)));
    // Iteration 2: one decoder, context 101: 1201 -> 4365.
    // Iteration 3: context 102: 1202 -> 5567, the third token.
    // Done = 5567 + 500 + 3 x 10.
    assert_eq!(d.done(7), Some(t(6097)));
    let r = &d.fleet.replicas()[0];
    assert_eq!((r.iterations(), r.last_iteration()), (4, Some((t(4365), t(5567)))));
    assert_eq!((r.kv_blocks_used(), r.running(), r.outstanding()), (0, 0, 0));
}

#[test]
fn a_request_arriving_during_an_iteration_joins_the_next() {
    let mut d = Driver::new(&config(coef(1000.0, 10.0, 100.0, 1.0), 100));
    d.arrive(t(0), 1, &prompt(1, 40), 2, 0);
    d.arrive(t(0), 2, &prompt(2, 40), 3, 0);
    d.drain();
    // Iteration 0 holds only request 1 (it started when 1 arrived):
    // 1000 + 400 + 40 = 1440.
    assert_eq!(d.first_token(1), Some((t(1440), 0)));
    // Iteration 1: 1 decodes (context 41), 2 prefills 40 (context 40):
    // 1000 + 400 + 100 + 81 = 1581 -> 3021: 1's last token, 2's first.
    assert_eq!(d.done(1), Some(t(3021)));
    assert_eq!(d.first_token(2), Some((t(3021), 0)));
    // Then 2 decodes alone: 1000 + 100 + 41, then + 42.
    assert_eq!(d.done(2), Some(t(3021 + 1141 + 1142)));
}

#[test]
fn a_batching_window_holds_the_first_arrival() {
    let mut cfg = config(coef(1000.0, 10.0, 100.0, 1.0), 100);
    cfg.batch_window = SimDuration::from_micros(500);
    let mut d = Driver::new(&cfg);
    d.arrive(t(0), 1, &prompt(1, 20), 2, 0);
    d.arrive(t(200), 2, &prompt(2, 30), 3, 0);
    d.drain();
    // At 500 both prefill (50 tokens, context 50): 1000 + 500 + 50 -> 2050.
    assert_eq!(d.first_token(1), Some((t(2050), 0)));
    assert_eq!(d.first_token(2), Some((t(2050), 0)));
    // Both decode (contexts 21 + 31): 1000 + 200 + 52 -> 3302, 1's last token.
    assert_eq!(d.done(1), Some(t(3302)));
    // 2 alone (context 32): 1000 + 100 + 32.
    assert_eq!(d.done(2), Some(t(3302 + 1132)));
}

#[test]
fn a_queue_filling_the_token_budget_starts_at_once_and_shares_it() {
    let mut cfg = config(coef(1000.0, 10.0, 100.0, 1.0), 100);
    cfg.batch_window = SimDuration::from_micros(500);
    let mut d = Driver::new(&cfg);
    d.arrive(t(0), 1, &prompt(1, 40), 2, 0);
    d.arrive(t(0), 2, &prompt(2, 40), 3, 0);
    d.drain();
    // 80 waiting prompt tokens fill the 64-token budget: no wait. 1
    // prefills 40, 2 the remaining 24: 1000 + 640 + 64 = 1704.
    assert_eq!(d.first_token(1), Some((t(1704), 0)));
    // 1 decodes (context 41), 2 prefills 16 on top of 24: 1000 + 160 + 100 + 41 + 40 = 1341.
    assert_eq!(d.done(1), Some(t(3045)));
    assert_eq!(d.first_token(2), Some((t(3045), 0)));
    assert_eq!(d.done(2), Some(t(3045 + 1141 + 1142)));
}

#[test]
fn a_full_queue_starts_before_the_window_ends() {
    let mut cfg = config(coef(1000.0, 0.0, 0.0, 0.0), 100);
    cfg.batch_window = SimDuration::from_micros(500);
    cfg.max_num_seqs = 2;
    let mut d = Driver::new(&cfg);
    d.arrive(t(0), 1, &prompt(1, 8), 1, 0);
    d.arrive(t(100), 2, &prompt(2, 8), 1, 0);
    d.drain();
    // Two waiting requests fill the 2 seats at 100: one iteration 100..1100.
    assert_eq!((d.done(1), d.done(2)), (Some(t(1100)), Some(t(1100))));
    // The window's wake at 500 came and was ignored.
    assert_eq!(d.fleet.iterations(), 1);
}

#[test]
fn throughput_saturates_at_the_step_model_bound() {
    // 8 seats, steps of 1000 + 100 per decoder: 8 decoders take 1800 us, so
    // at most 8 / 1.8 ms = 4444.4 output tokens/s.
    let mut cfg = config(coef(1000.0, 10.0, 100.0, 0.0), 10_000);
    cfg.max_num_seqs = 8;
    cfg.max_num_batched_tokens = 256;
    let mut d = Driver::new(&cfg);
    for id in 0..64 {
        d.arrive(t(0), id, &prompt(u64::from(id), 16), 1000, 0);
    }
    d.drain();
    let end = (0..64).map(|id| d.done(id).expect("done")).max().unwrap();
    let rate = 64_000.0 / end.as_secs_f64();
    let bound = 8.0 / 1.8e-3;
    assert!(rate <= bound && rate > 0.97 * bound, "{rate} tokens/s against {bound}");
    assert_eq!(d.fleet.replicas()[0].completed_tokens(), 64_000);
}

#[test]
fn preemption_when_blocks_run_out_takes_the_last_admitted() {
    // 4-token blocks, 5 of them; every step 100 us.
    let mut cfg = config(coef(100.0, 0.0, 0.0, 0.0), 5);
    cfg.block_tokens = 4;
    let mut d = Driver::new(&cfg);
    d.arrive(t(0), 1, &prompt(1, 4), 8, 0);
    d.arrive(t(0), 2, &prompt(2, 4), 8, 0);
    d.drain();
    // A (1) runs alone in iteration 0 (1 block) and needs a block at
    // iterations 1 and 5 (contexts 5 and 9). B (2) is admitted in iteration 1
    // (1 block) and needs blocks at iterations 2 and 6. Iteration 6 finds all
    // 5 blocks held (A 3, B 2): B, the last admitted, is preempted at 600
    // after 5 tokens.
    assert_eq!(d.preempted(), vec![(2, t(600))]);
    assert_eq!(d.fleet.preemptions(), 1);
    assert_eq!(d.first_token(2), Some((t(200), 0)));
    // A's 8th token comes in iteration 7 (700..800). B cannot come back in
    // iteration 7: 9 tokens (4 + 5 generated) need 3 blocks, its cached
    // prompt block is one of the 2 free ones. At 800 A's blocks are free: B
    // hits its prompt block, prefills 5 tokens (token 6), then 2 decode
    // iterations: done at 1100.
    assert_eq!(d.done(1), Some(t(800)));
    assert_eq!(d.done(2), Some(t(1100)));
    assert_eq!(d.notes.iter().filter(|n| matches!(n, super::Note::FirstToken { .. })).count(), 2);
    assert_eq!(d.fleet.kv_blocks_used(), 0);
}

#[test]
fn a_repeated_prompt_hits_every_full_block_but_recomputes_one_token() {
    let mut d = Driver::new(&config(coef(1000.0, 10.0, 100.0, 1.0), 100));
    d.arrive(t(0), 1, &prompt(9, 100), 2, 0);
    d.drain();
    let end1 = d.done(1).unwrap();
    d.arrive(end1, 2, &prompt(9, 100), 2, 0);
    d.drain();
    for id in [3, 4] {
        let at = d.now;
        d.arrive(at, id, &prompt(5, 96), 1, 0);
        d.drain();
    }
    // 6 full blocks of 100 tokens = 96 hit; 4 prefilled:
    // 1000 + 40 + (96 + 4) = 1140.
    assert_eq!(d.first_token(2), Some((end1 + SimDuration::from_micros(1140), 96)));
    // 3 computes its prompt; 4, same 96 tokens, hits all but its last block (80).
    assert_eq!(d.first_token(3).map(|f| f.1), Some(0));
    assert_eq!(d.first_token(4).map(|f| f.1), Some(80));
    // 6 blocks of prompt 9 and 6 of prompt 5 stay cached, all free.
    let r = &d.fleet.replicas()[0];
    assert_eq!((r.cached_blocks(), r.kv_blocks_used()), (12, 0));
}

#[test]
fn without_prefix_caching_nothing_hits() {
    let mut cfg = config(coef(1000.0, 10.0, 100.0, 1.0), 100);
    cfg.prefix_caching = false;
    let mut d = Driver::new(&cfg);
    d.arrive(t(0), 1, &prompt(9, 100), 2, 0);
    d.drain();
    let end1 = d.done(1).unwrap();
    d.arrive(end1, 2, &prompt(9, 100), 2, 0);
    d.drain();
    // 64 + 36 again: 1000 + 640 + 64, then 1000 + 360 + 100.
    assert_eq!(d.first_token(2), Some((end1 + SimDuration::from_micros(1704 + 1460), 0)));
    assert_eq!(d.fleet.cached_blocks(), 0);
}

#[test]
fn the_least_recently_freed_blocks_are_evicted_first() {
    // 8 blocks of 16: two 64-token prompts fit cached, a third evicts the oldest.
    let mut d = Driver::new(&config(coef(1000.0, 0.0, 0.0, 0.0), 8));
    for (id, content) in [(1, 1), (2, 2), (3, 3)] {
        let at = d.now;
        d.arrive(at, id, &prompt(content, 64), 1, 0);
        d.drain();
    }
    // X (1) was freed first and is gone; Y (2) hits 3 blocks (63 / 16).
    let at = d.now;
    d.arrive(at, 4, &prompt(2, 64), 1, 0);
    d.drain();
    let at = d.now;
    d.arrive(at, 5, &prompt(1, 64), 1, 0);
    d.drain();
    assert_eq!(d.first_token(4).map(|f| f.1), Some(48));
    assert_eq!(d.first_token(5).map(|f| f.1), Some(0));
    assert_eq!(d.fleet.cached_blocks(), 8);
}

#[test]
fn a_running_prompt_is_shared_by_a_later_identical_one() {
    // Prompt 48 tokens, 3 full blocks; 5 blocks in all. The first request
    // holds 3 blocks; the second hits 2 of them (47 / 16) and needs 1 more.
    let mut d = Driver::new(&config(coef(1000.0, 0.0, 0.0, 0.0), 5));
    d.arrive(t(0), 1, &prompt(4, 48), 10, 0);
    d.run_until(t(1500), false);
    d.arrive(t(1500), 2, &prompt(4, 48), 2, 0);
    d.drain();
    assert_eq!(d.first_token(2).map(|f| f.1), Some(32));
    assert_eq!(d.fleet.preemptions(), 0);
}

#[test]
fn a_slower_fleet_stretches_steps() {
    let cfg = config(coef(1000.0, 10.0, 0.0, 0.0), 100);
    let mut d = Driver::new(&cfg);
    d.fleet.set_speed_factor(0.5);
    d.arrive(t(0), 1, &prompt(1, 10), 1, 0);
    d.drain();
    // (1000 + 100) / 0.5.
    assert_eq!(d.done(1), Some(t(2200)));
    assert!(matches!(cfg.step, StepModel::Fitted(_)));
}

#[test]
fn cancel_frees_the_seat_and_blocks() {
    let mut d = Driver::new(&config(coef(1000.0, 0.0, 0.0, 0.0), 100));
    d.arrive(t(0), 1, &prompt(1, 32), 100, 0);
    d.arrive(t(10), 2, &prompt(2, 32), 100, 0);
    d.run_until(t(5000), false);
    assert_eq!(d.fleet.kv_blocks_used(), 6);
    d.fleet.cancel(1);
    d.fleet.cancel(2);
    assert_eq!((d.fleet.kv_blocks_used(), d.fleet.running()), (0, 0));
    d.drain();
    assert_eq!((d.done(1), d.done(2)), (None, None));
    // The two prompts' full blocks stay cached.
    assert_eq!(d.fleet.cached_blocks(), 4);
}
