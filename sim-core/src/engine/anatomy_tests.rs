//! Agent anatomy end to end, hand-computed: a user's pause past the TTL,
//! cache busting, parallel tool calls, and counts of steps and busts.

use super::simulate_replicate;
use super::tests::{fixed, provider, scenario, workload};
use crate::dist::{Dist, TokenDist};
use crate::model::anatomy::SessionAnatomy;
use crate::model::prompt::Prompt;
use crate::rng::{ReplicateSeed, StreamId, fnv1a};
use crate::scenario::*;
use crate::time::SimDuration;

/// One session: system 2,000 + tools 1,000 shared, 500 task tokens, 100 out
/// and one 400-token tool result per step, 10 s think; cache TTL 60 s.
fn agent(steps: f64) -> Workload {
    let mut w = workload(1, 1.0);
    w.shared_segments = vec![
        SharedSegment { name: "system".into(), tokens: 2_000 },
        SharedSegment { name: "tools".into(), tokens: 1_000 },
    ];
    w.task_tokens = fixed(500.0);
    w.steps = fixed(steps);
    w.tool_result_tokens = fixed(400.0);
    w.think_time = Dist::Fixed(10.0);
    w
}

#[test]
fn a_user_pause_past_the_ttl_rewrites_all_but_the_shared_segments_kept_warm() {
    // The user answers after step 2 (every = 2), 120 s later (> the 60 s TTL),
    // with a 50-token message. Step 1 writes 3,500; step 2 reads 3,500 and
    // writes 500; step 3's prompt is 4,000 + 100 + 400 + 50 = 4,550 tokens.
    let mut w = agent(3.0);
    w.anatomy.human = Some(HumanTurns { every: fixed(2.0), pause: Dist::Fixed(120.0), message_tokens: fixed(50.0) });
    // A second population keeps the two shared segments warm (a request every 10 s).
    let mut keeper = agent(40.0);
    keeper.name = "keeper".into();
    keeper.task_tokens = fixed(10.0);
    let mut sc = scenario(provider(4), w);
    sc.workloads.push(keeper);
    let out = simulate_replicate(&sc, 1, 0, true).unwrap();
    let r: Vec<_> = out.requests.iter().filter(|r| r.workload == 0).collect();
    assert_eq!(r.len(), 3);
    assert_eq!(r[1].arrival - r[0].end, SimDuration::from_secs(10));
    assert_eq!(r[2].arrival - r[1].end, SimDuration::from_secs(120), "the pause replaces the think time");
    assert_eq!((r[1].tokens.input, r[1].tokens.cache_read, r[1].tokens.cache_write), (4_000, 3_500, 500));
    // Only the shared 3,000 tokens survived the pause: 1,550 re-written.
    assert_eq!((r[2].tokens.input, r[2].tokens.cache_read, r[2].tokens.cache_write), (4_550, 3_000, 1_550));

    // Alone, nothing survives: the whole prompt is a cache write.
    let alone = simulate_replicate(&scenario(provider(4), sc.workloads[0].clone()), 1, 0, true).unwrap();
    let r = &alone.requests;
    assert_eq!((r[2].tokens.cache_read, r[2].tokens.cache_write), (0, 4_550));
}

#[test]
fn a_cache_bust_invalidates_exactly_the_blocks_from_its_segment_on() {
    // Step 2's prompt: 3,500 + 100 + 400 = 4,000 tokens. A bust of `tools`
    // keeps the 2,000 of `system`; a bust of the task keeps the 3,000 shared.
    for (target, read) in [
        (BustTarget::Segment("tools".into()), 2_000),
        (BustTarget::Segment("system".into()), 0),
        (BustTarget::Task, 3_000),
    ] {
        let mut w = agent(2.0);
        w.anatomy.cache_busting = vec![CacheBust { target: target.clone(), probability: 1.0 }];
        let out = simulate_replicate(&scenario(provider(1), w), 1, 0, true).unwrap();
        let r = &out.requests;
        assert_eq!((r[1].tokens.input, r[1].tokens.cache_read), (4_000, read), "{target:?}");
        assert_eq!(r[1].tokens.cache_write, 4_000 - read, "{target:?}");
        // One boundary, so one bust.
        assert_eq!(out.metrics.overall.cache_busts, 1, "{target:?}");
    }
    // A busted session stays on its own version: step 3 reads all of step 2's prompt.
    let mut w = agent(3.0);
    w.anatomy.cache_busting = vec![CacheBust { target: BustTarget::Segment("tools".into()), probability: 0.0 }];
    let out = simulate_replicate(&scenario(provider(1), w), 1, 0, true).unwrap();
    assert_eq!(out.metrics.overall.cache_busts, 0);
    assert_eq!(out.requests[2].tokens.cache_read, 4_000);
}

#[test]
fn parallel_tool_calls_wait_for_the_slowest_and_sum_their_results() {
    // 50 calls of 1 s, 5 s or 3 s (equally likely): the slowest is 5 s unless
    // all 50 avoid it, (2/3)^50 = 1.6e-9. The next request comes 5 s + 10 s
    // after the response, its prompt 3,500 + 100 + 50 x 400 tokens.
    let mut w = agent(2.0);
    w.anatomy.tool_calls = fixed(50.0);
    w.anatomy.tool_latency = Dist::empirical(vec![1.0, 5.0, 3.0], None);
    let out = simulate_replicate(&scenario(provider(1), w), 1, 0, true).unwrap();
    let r = &out.requests;
    assert_eq!(r[1].arrival - r[0].end, SimDuration::from_secs(15));
    assert_eq!(r[1].tokens.input, 3_500 + 100 + 50 * 400);
}

#[test]
fn stop_probability_gives_a_mean_of_one_over_p_steps() {
    // 4,000 sessions stopping with p = 0.2 after each step (cap 1,000): mean
    // 5 steps, std sqrt(1 - p) / p = 4.47, so the mean of 4,000 is within
    // 4 x 4.47 / sqrt(4000) = 0.28 of 5.
    let mut w = workload(4_000, 100.0);
    w.steps = TokenDist::new(Dist::Geometric { p: 0.2, max: 1_000 });
    let out = simulate_replicate(&scenario(provider(10_000), w), 1, 0, false).unwrap();
    let m = &out.metrics.overall;
    let mean = m.requests as f64 / m.sessions_started as f64;
    assert!((mean - 5.0).abs() < 0.28, "mean steps {mean}");
}

#[test]
fn sessions_sharing_their_first_document_share_exactly_that_prefix() {
    let mut w = workload(1, 1.0);
    w.anatomy.knowledge_base = Some(KnowledgeBase::new(
        50,
        TokenDist::new(Dist::Uniform { low: 100.0, high: 900.0 }),
        fixed(2.0),
        fixed(0.0),
        1.0,
    ));
    let seed = ReplicateSeed::new(1, 0);
    let key = fnv1a(w.name.as_bytes());
    let plan = |i: u64| {
        let mut p = Prompt::new();
        p.push_shared(7, 1000);
        SessionAnatomy::start(&seed, seed.stream(StreamId::indexed("anatomy", key, i)), &w, key, &mut p);
        p
    };
    // Two sessions whose first documents agree and second differ.
    let docs = |p: &Prompt| p.blocks().iter().map(|b| b.end_tokens).collect::<Vec<_>>();
    let (a, b) = (0..200)
        .flat_map(|i| (i + 1..200).map(move |j| (i, j)))
        .map(|(i, j)| (plan(i), plan(j)))
        .find(|(a, b)| a.blocks()[1] == b.blocks()[1] && a.blocks()[2].hash != b.blocks()[2].hash)
        .expect("two such sessions among 200");
    assert_eq!(a.blocks()[..2], b.blocks()[..2]);
    assert_eq!((a.shared_blocks(), b.shared_blocks()), (3, 3));
    // The same document has the same size in every session.
    assert_eq!(docs(&a)[1], docs(&b)[1]);
}

#[test]
fn documents_retrieved_per_step_join_the_history_at_their_own_size() {
    // One document of a one-document pool after each step: its size, drawn
    // once per document, is added to step 2's prompt beside the 500 tokens
    // of output and tool result; 2 documents of the same pool per session
    // cut to the 1 it holds.
    let mut w = agent(2.0);
    w.anatomy.knowledge_base = Some(KnowledgeBase::new(
        1,
        TokenDist::new(Dist::UniformInt { low: 100, high: 900 }),
        fixed(2.0),
        fixed(1.0),
        1.0,
    ));
    let sc = scenario(provider(1), w);
    let out = simulate_replicate(&sc, 1, 0, true).unwrap();
    let r = &out.requests;
    let kb = sc.workloads[0].anatomy.knowledge_base.as_ref().unwrap();
    let doc = crate::model::anatomy::document_tokens(&ReplicateSeed::new(1, 0), kb, fnv1a(b"w"), 1);
    assert!((100..=900).contains(&doc));
    assert_eq!(r[0].tokens.input, 3_500 + doc);
    assert_eq!(r[1].tokens.input, 3_500 + doc + 500 + doc);
    assert_eq!(r[1].tokens.cache_read, 3_500 + doc);
}
