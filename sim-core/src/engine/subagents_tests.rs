//! Subagents and compaction end to end, hand-computed: a fan-out waits for
//! its slowest child, concurrent children race to write their common
//! segment, and a compaction resets what the cache holds of the history.

use super::simulate_replicate;
use super::tests::{fixed, provider, scenario, shared, workload};
use crate::dist::{Dist, TokenDist};
use crate::model::session::{Session, SessionSeeds};
use crate::records::RequestRecord;
use crate::rng::ReplicateSeed;
use crate::scenario::*;
use crate::time::{SimDuration, SimTime};

fn secs(s: f64) -> SimDuration {
    SimDuration::from_secs_f64(s)
}

/// One parent session of `steps` steps, 1,000 shared + 500 task tokens,
/// 100 output, think 2 s, spawning `count` children after every step (but
/// its last), children of one step each.
fn parent(steps: f64, count: f64, child_output: TokenDist, instructions: u64) -> Workload {
    let mut w = workload(1, 1.0);
    w.shared_segments = shared(1_000);
    w.task_tokens = fixed(500.0);
    w.steps = fixed(steps);
    w.think_time = Dist::Fixed(2.0);
    let keys = SubagentKeys {
        probability: 1.0,
        count: fixed(count),
        steps: Some(fixed(1.0)),
        task_tokens: Some(fixed(300.0)),
        output_tokens: Some(child_output),
        instructions_tokens: instructions,
    };
    w.subagents = Some(Subagents::new(&w, keys));
    w
}

/// Prefill at 10^12 tokens/s (under a microsecond) and decode at 50 tokens/s:
/// a request of n output tokens takes n / 50 s.
fn fast_prefill() -> Provider {
    let mut p = provider(16);
    p.serving.prefill_tokens_per_s = 1e12;
    p
}

#[test]
fn the_parent_resumes_when_its_slowest_child_ends() {
    // Children draw 50, 250 or 150 output tokens (1 s, 5 s, 3 s); find the
    // seed whose three children draw them in that order, so the slowest is
    // neither the first nor the last started.
    let outputs = TokenDist::new(Dist::empirical(vec![50.0, 250.0, 150.0], None));
    let w = parent(2.0, 3.0, outputs, 0);
    let child = &w.subagents.as_ref().unwrap().child;
    let seed = (0..2_000u64)
        .find(|&seed| {
            let rs = SessionSeeds::new(&ReplicateSeed::new(seed, 0));
            let p = Session::start(&rs, &w, 0, 0, SimTime::ZERO);
            let draws: Vec<u64> =
                (0..3).map(|c| Session::start_child(&rs, child, &p, 0, c, SimTime::ZERO).output_tokens).collect();
            draws == [50, 250, 150]
        })
        .expect("one seed in 27 draws them so");
    let out = simulate_replicate(&scenario(fast_prefill(), w), seed, 0, true).unwrap();
    let r: &[RequestRecord] = &out.requests;
    assert_eq!(r.len(), 5, "{r:#?}");
    // The parent's step 0 ends at 2 s; its children start then, together.
    let t0 = r[0].end;
    assert_eq!(t0 - r[0].arrival, secs(2.0));
    let children = &r[1..4];
    assert!(children.iter().all(|c| c.arrival == t0 && c.step == 0 && c.session == 0));
    let mut took: Vec<SimDuration> = children.iter().map(|c| c.end - c.arrival).collect();
    took.sort();
    assert_eq!(took, [secs(1.0), secs(3.0), secs(5.0)]);
    // Step 1 is issued at the slowest child's end plus the think time (2 s).
    assert_eq!((r[4].step, r[4].arrival), (1, t0 + secs(5.0) + secs(2.0)));
    // Its history holds step 0 (100 output) and the children's 450 tokens of
    // results: 1,500 + 100 + 450 input tokens.
    assert_eq!(r[4].tokens.input, 2_050);
    let m = &out.metrics.overall;
    assert_eq!((m.sessions_started, m.sessions_completed, m.subagents_spawned, m.requests), (1, 1, 3, 5));
    // The parent's session cost includes its children's requests.
    // (Its histogram keeps 3 significant digits; the children are about a third.)
    let total: f64 = r.iter().map(|x| x.cost.total()).sum();
    assert!((m.session_cost.quantile_usd(1.0).unwrap() - total).abs() < 1e-3 * total);
}

#[test]
fn children_starting_together_all_write_their_common_segment() {
    // The write race: three children start at the same instant with the same
    // new 2,000-token instructions segment; none sees another's write, so
    // all three pay for it. The parent's shared segment (1,000) they read.
    // The next step's children find it cached (within the 60 s TTL).
    // Prefill at 10,000 tokens/s: a write becomes visible 0.23 s after it starts.
    let w = parent(3.0, 3.0, fixed(50.0), 2_000);
    let out = simulate_replicate(&scenario(provider(16), w), 1, 0, true).unwrap();
    let r = &out.requests;
    assert_eq!(r.len(), 3 + 3 + 3, "{r:#?}");
    let first: Vec<(u64, u64)> = r[1..4].iter().map(|c| (c.tokens.cache_read, c.tokens.cache_write)).collect();
    assert_eq!(first, [(1_000, 2_300); 3]);
    assert!(r[1..4].iter().all(|c| c.arrival == r[1].arrival));
    let second: Vec<(u64, u64)> = r[5..8].iter().map(|c| (c.tokens.cache_read, c.tokens.cache_write)).collect();
    assert_eq!(second, [(3_000, 300); 3]);
    assert_eq!(out.metrics.overall.subagents_spawned, 6);
}

#[test]
fn a_failed_child_lets_the_parent_continue_without_its_output() {
    // Attempts fail with probability 0.3, never retried, and a failed step
    // aborts its session. Find a seed where the parent's two steps succeed
    // and exactly one of its three children fails: the parent resumes at
    // the last child's end (+ 2 s), with the two answered children's 50
    // tokens each in its history.
    let mut p = fast_prefill();
    p.failures = Failures { error_rate: 0.3, max_retries: 0, retry_backoff: SimDuration::ZERO };
    let sc = scenario(p, parent(2.0, 3.0, fixed(50.0), 0));
    let failed = |r: &RequestRecord| r.status == crate::records::RequestStatus::Error;
    let out = (0..500u64)
        .map(|seed| simulate_replicate(&sc, seed, 0, true).unwrap())
        .find(|o| {
            o.requests.len() == 5
                && !failed(&o.requests[0])
                && !failed(&o.requests[4])
                && o.requests[1..4].iter().filter(|r| failed(r)).count() == 1
        })
        .expect("about one seed in six");
    let r = &out.requests;
    let last_child_end = r[1..4].iter().map(|c| c.end).max().unwrap();
    assert_eq!((r[4].step, r[4].arrival), (1, last_child_end + secs(2.0)));
    assert_eq!(r[4].tokens.input, 1_500 + 100 + 2 * 50);
    let m = &out.metrics.overall;
    assert_eq!((m.sessions_started, m.sessions_completed, m.errors, m.subagents_spawned), (1, 1, 1, 3));
}

#[test]
fn compaction_replaces_the_history_and_its_cached_prefix() {
    // 1,000 shared + 500 task tokens, 100 output per step, threshold 1,550,
    // summary 40 tokens, three steps. After step 0 the prompt (1,600) passes
    // the threshold: a summarisation request sends those 1,600 tokens, then
    // step 1 sends 1,000 + 500 + 40 and reads only the 1,500 of shared and
    // task from the cache. Its 1,640 pass again: a second compaction.
    let mut w = workload(1, 1.0);
    w.shared_segments = shared(1_000);
    w.task_tokens = fixed(500.0);
    w.steps = fixed(3.0);
    w.compaction = Some(Compaction { threshold_tokens: 1_550, summary_tokens: fixed(40.0) });
    let out = simulate_replicate(&scenario(fast_prefill(), w), 1, 0, true).unwrap();
    let r = &out.requests;
    let shape: Vec<(u32, u64, u64, u64, u64)> = r
        .iter()
        .map(|x| (x.step, x.tokens.input, x.tokens.cache_read, x.tokens.cache_write, x.tokens.output))
        .collect();
    assert_eq!(
        shape,
        [
            (0, 1_500, 0, 1_500, 100),
            (1, 1_600, 1_500, 100, 40),
            (1, 1_540, 1_500, 40, 100),
            (2, 1_640, 1_540, 100, 40),
            (2, 1_540, 1_500, 40, 100),
        ]
    );
    // The step follows its summary at once (no think time between them).
    assert_eq!(r[2].arrival, r[1].end);
    assert_eq!(r[1].end - r[1].arrival, secs(40.0 / 50.0));
    let m = &out.metrics.overall;
    assert_eq!((m.compactions, m.requests, m.sessions_completed), (2, 5, 1));
}

#[test]
fn children_and_summaries_draw_the_same_whatever_the_timing() {
    // Common random numbers: spawns, children's plans and summaries are
    // keyed by (workload, session, step, child), so a provider four times
    // slower with few slots (other queueing, other interleaving) sends every
    // session the same requests: per session, the same (step, input, output)
    // multiset.
    let mut w = parent(8.0, 1.0, TokenDist::new(Dist::UniformInt { low: 20, high: 400 }), 500);
    let keys = SubagentKeys {
        probability: 0.4,
        count: TokenDist::new(Dist::UniformInt { low: 1, high: 4 }),
        steps: Some(TokenDist::new(Dist::UniformInt { low: 1, high: 4 })),
        ..w.subagents.as_ref().unwrap().keys.clone()
    };
    w.arrivals = Arrivals::Poisson { rate_per_s: 0.5, stop: ArrivalStop::Sessions(20) };
    w.output_tokens = TokenDist::new(Dist::Exponential { mean: 300.0 });
    w.think_time = Dist::Exponential { mean: 3.0 };
    w.compaction = Some(Compaction {
        threshold_tokens: 2_500,
        summary_tokens: TokenDist::new(Dist::UniformInt { low: 100, high: 300 }),
    });
    w.subagents = Some(Subagents::new(&w, keys));
    let mut slow = provider(2);
    slow.serving.decode_tokens_per_s = Dist::Fixed(12.5);
    let shape = |p: Provider| {
        let out = simulate_replicate(&scenario(p, w.clone()), 5, 0, true).unwrap();
        let mut by_session: Vec<(u64, u32, u64, u64)> =
            out.requests.iter().map(|r| (r.session, r.step, r.tokens.input, r.tokens.output)).collect();
        by_session.sort();
        (by_session, out.metrics.overall.subagents_spawned, out.metrics.overall.compactions)
    };
    let (fast, slow) = (shape(provider(16)), shape(slow));
    assert!(fast.1 > 5 && fast.2 > 5, "spawns {} compactions {}", fast.1, fast.2);
    assert_eq!(fast, slow);
}
