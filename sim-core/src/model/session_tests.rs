//! A session restarted in place, over a finished one, is exactly the
//! session started fresh: nothing of its slot's former occupant is left.

use super::{Session, SessionSeeds};
use crate::rng::ReplicateSeed;
use crate::scenario::{Scenario, SourceText, load, parse_override};
use crate::time::SimTime;

fn scenario(text: &str, sets: &[&str]) -> Scenario {
    let overrides: Vec<_> = sets.iter().map(|s| parse_override(s).unwrap()).collect();
    load(&SourceText { name: "s.toml", text }, &overrides).unwrap_or_else(|e| panic!("{e:?}"))
}

/// Starts session 0, runs it `steps` steps (or to its end), then restarts
/// it in place as session `index` (after releasing its buffers, as the
/// engine does, or not), and compares it field by field (its `Debug` form)
/// with session `index` started fresh.
fn assert_restart_is_fresh(sc: &Scenario, steps: usize, index: u64, release: bool) {
    let w = &sc.workloads[0];
    let seeds = SessionSeeds::new(&ReplicateSeed::new(sc.simulation.seed, 3));
    let mut s = Session::start(&seeds, w, 0, 0, SimTime::ZERO);
    for step in 0..steps {
        match s.finish_step(w) {
            Ok(Some(_)) => s.begin_next_step(w, SimTime::from_micros(step as u64 * 1_000)),
            _ => break,
        }
    }
    if w.compaction.is_some() {
        s.begin_compaction(1_000, SimTime::from_micros(5));
    }
    if release {
        s.release_buffers();
    }
    let now = SimTime::from_micros(7_000_000);
    s.restart(&seeds, w, 0, index, now);
    let fresh = Session::start(&seeds, w, 0, index, now);
    assert_eq!(format!("{s:#?}"), format!("{fresh:#?}"));
}

#[test]
fn a_restarted_session_is_a_fresh_one() {
    // Shared segments, a knowledge base, human turns, cache busting, and
    // breakpoints after a segment, after the task and at the end.
    let anatomy = scenario(
        include_str!("../../../scenarios/examples/agent_anatomy.toml"),
        &[
            r#"workloads[0].cache_breakpoints=[{ after = "tools", tier = "1h" }, { after = "task", tier = "5m" }, { after = "end", tier = "5m" }]"#,
        ],
    );
    // Compaction (the task among the leading blocks), mid-summary.
    let compaction = scenario(
        include_str!("../../../scenarios/examples/subagents_compaction.toml"),
        &[r#"workloads[0].compaction={ threshold_tokens = 40000, summary_tokens = 3000 }"#],
    );
    for sc in [&anatomy, &compaction] {
        for (steps, index) in [(0, 1), (3, 2), (40, 17), (1_000, 5)] {
            assert_restart_is_fresh(sc, steps, index, false);
            assert_restart_is_fresh(sc, steps, index, true);
        }
    }
}
