//! A session restarted in place, over a finished one, is exactly the
//! session started fresh: nothing of its slot's former occupant is left,
//! whatever workload (generated or traced) that occupant came from.

use super::{Session, SessionSeeds};
use crate::rng::{ReplicateSeed, fnv1a};
use crate::scenario::{BreakpointAt, Scenario, SourceText, Workload, load, parse_override};
use crate::time::SimTime;
use crate::trace::{Trace, TraceRequest};
use std::sync::Arc;

fn scenario(text: &str, sets: &[&str]) -> Scenario {
    let overrides: Vec<_> = sets.iter().map(|s| parse_override(s).unwrap()).collect();
    load(&SourceText { name: "s.toml", text }, &overrides).unwrap_or_else(|e| panic!("{e:?}"))
}

/// Shared segments, a knowledge base, human turns, cache busting, and
/// breakpoints after a segment, after the task and at the end.
fn anatomy() -> Scenario {
    scenario(
        include_str!("../../../scenarios/examples/agent_anatomy.toml"),
        &[
            r#"workloads[0].cache_breakpoints=[{ after = "tools", tier = "1h" }, { after = "task", tier = "5m" }, { after = "end", tier = "5m" }]"#,
        ],
    )
}

/// The same without an end-of-prompt breakpoint.
fn anatomy_without_end() -> Scenario {
    scenario(
        include_str!("../../../scenarios/examples/agent_anatomy.toml"),
        &[r#"workloads[0].cache_breakpoints=[{ after = "tools", tier = "1h" }]"#],
    )
}

/// Compaction (the task among the leading blocks), no breakpoint, no busting.
fn compaction() -> Scenario {
    scenario(
        include_str!("../../../scenarios/examples/subagents_compaction.toml"),
        &[r#"workloads[0].compaction={ threshold_tokens = 40000, summary_tokens = 3000 }"#],
    )
}

fn seeds() -> SessionSeeds {
    SessionSeeds::new(&ReplicateSeed::new(17, 3))
}

/// Session 0 of `w` (workload index 3), run `steps` steps (or to its end),
/// mid-retry, and mid-summary when `w` compacts.
fn used(w: &Workload, steps: usize) -> Session {
    let mut s = Session::start(&seeds(), w, 3, 0, SimTime::ZERO);
    for step in 0..steps {
        match s.finish_step(w) {
            Ok(Some(_)) => s.begin_next_step(w, SimTime::from_micros(step as u64 * 1_000)),
            _ => break,
        }
    }
    s.attempt = 3;
    if w.compaction.is_some() {
        s.begin_compaction(1_000, SimTime::from_micros(5));
    }
    s
}

/// Restarts `s` in place as session `index` of `w` (workload index 5),
/// after releasing its buffers as the engine does or not, and compares it
/// field by field (its `Debug` form) with the same session started fresh.
fn assert_restart_is_fresh(mut s: Session, w: &Workload, index: u64, release: bool) {
    if release {
        s.release_buffers();
        assert!(s.prompt.blocks().is_empty() && !s.prompt.on_heap(), "the prompt is freed");
        assert_eq!(s.fixed_breakpoints.capacity(), 0);
        assert!(s.anatomy.is_none() && s.trace.is_none());
    }
    let now = SimTime::from_micros(7_000_000);
    s.restart(&seeds(), w, 5, index, now);
    let mut fresh = Session::vacant();
    fresh.restart(&seeds(), w, 5, index, now);
    assert_eq!(format!("{s:#?}"), format!("{fresh:#?}"));
    // `fresh` is built by the same code over a vacant record, so a field
    // that code forgets would read alike in both when the vacant value is
    // the right one; the identity of the session is checked on its own.
    let end = w.breakpoints.iter().find(|b| b.at == BreakpointAt::End).map(|b| b.tier);
    assert_eq!(
        (s.workload, s.workload_key, s.index, s.arrival, s.step, s.attempt, s.end_tier, s.compacting),
        (5, fnv1a(w.name.as_bytes()), index, now, 0, 0, end, false)
    );
    assert_eq!((s.last_sent_blocks, s.trace.is_none(), s.rng.is_some()), (0, true, true));
}

/// A closed-loop trace session of two requests (prompts of 3 and 4 blocks).
fn traced(w: &Workload) -> Session {
    let req = |step: u32, blocks: &[u64]| TraceRequest {
        input_tokens: 512 * blocks.len() as u64,
        output_tokens: 10,
        blocks: blocks.to_vec(),
        session: Some(0),
        step,
        think_us: 1_000,
        ..Default::default()
    };
    let trace = Arc::new(Trace::new(512, vec![req(0, &[0, 1, 2]), req(1, &[0, 1, 2, 3])]));
    let mut s = Session::from_trace_session(w, &trace, 3, 0, SimTime::ZERO);
    s.finish_step(w).unwrap();
    s.begin_next_step(w, SimTime::from_micros(9));
    assert!(s.trace.is_some());
    s
}

#[test]
fn a_restarted_session_is_a_fresh_one() {
    let (anatomy, without_end, compaction) = (anatomy(), anatomy_without_end(), compaction());
    let (a, e, c) = (&anatomy.workloads[0], &without_end.workloads[0], &compaction.workloads[0]);
    for release in [false, true] {
        for (steps, index) in [(0, 1), (3, 2), (40, 17), (1_000, 5)] {
            // Over a session of its own workload and of the other one: an
            // end breakpoint, busting and compaction each left behind.
            for (former, next) in [(a, a), (c, c), (a, c), (c, a), (a, e)] {
                assert_restart_is_fresh(used(former, steps), next, index, release);
            }
        }
        for next in [a, c] {
            assert_restart_is_fresh(traced(a), next, 4, release);
        }
    }
}
