//! `subagents` and `compaction` keys: what loads, what is refused and where,
//! the child workload derived from the parent, and the expected requests the
//! whole-run bounds count.

use super::limits::WorkloadMeans;
use super::tests::{BASE, run};

fn with(extra: &str) -> String {
    format!("{BASE}{extra}")
}

#[test]
fn children_inherit_what_they_do_not_override() {
    let text = with(
        "[workloads.subagents]\nprobability = 0.25\ncount = 3\noutput_tokens = 40\ninstructions_tokens = 800\n[workloads.compaction]\nthreshold_tokens = 5000\nsummary_tokens = 300\n",
    );
    let s = run(&text, &[]).unwrap();
    let w = &s.workloads[0];
    let sa = w.subagents.as_ref().unwrap();
    assert_eq!(sa.keys.probability, 0.25);
    // Steps and task inherited (10 and 0); output overridden; the
    // instructions are one more shared segment; children never spawn.
    assert_eq!((sa.child.steps.mean_upper_bound(), sa.child.output_tokens.mean_upper_bound()), (10.0, 40.0));
    assert_eq!(sa.child.shared_segments.len(), 1);
    assert_eq!((sa.child.shared_segments[0].name.as_str(), sa.child.shared_segments[0].tokens), ("w/subagent", 800));
    assert!(sa.child.subagents.is_none() && sa.child.compaction == w.compaction);
    assert_eq!(w.compaction.as_ref().unwrap().threshold_tokens, 5_000);
}

#[test]
fn bad_values_are_reported_with_their_paths_all_at_once() {
    let text = with(
        "[workloads.subagents]\nprobability = 1.5\ncount = 100\nsteps = 0\n[workloads.compaction]\nthreshold_tokens = 0\n",
    );
    let got = run(&text, &[]).unwrap_err();
    let at = |path: &str| got.iter().any(|p| p.contains(path));
    assert!(at("workloads[0].subagents.probability: must be in [0, 1], got 1.5"), "{got:#?}");
    assert!(at("workloads[0].subagents.count: mean of 100 children per step is more than 64"), "{got:#?}");
    assert!(at("workloads[0].subagents.steps: a session needs at least one step"), "{got:#?}");
    assert!(at("workloads[0].compaction.threshold_tokens: must be >= 1"), "{got:#?}");
    assert!(at("workloads[0].compaction.summary_tokens: missing required key"), "{got:#?}");
    assert_eq!(got.len(), 5, "{got:#?}");
    let unknown = run(&with("[workloads.subagents]\nprobabilty = 0.1\n"), &[]).unwrap_err();
    assert!(unknown.iter().any(|p| p.contains("probabilty") && p.contains("probability")), "{unknown:#?}");
}

#[test]
fn the_bounds_count_children_and_summaries() {
    // 10 steps, 100 output each; a spawn after 9 of 10 steps on average
    // with probability 0.5, 2 children of 3 steps: 1 + 0.5 x 0.9 x 2 x 3 =
    // 3.7 requests per step.
    let s = run(&with("[workloads.subagents]\nprobability = 0.5\ncount = 2\nsteps = 3\n"), &[]).unwrap();
    let m = WorkloadMeans::of(&s.workloads[0]);
    assert!((m.requests_per_step - 3.7).abs() < 1e-12, "{m:?}");
    // Children's outputs (2 x 100, on 45% of steps) join the history.
    assert!((m.per_step - (100.0 + 0.45 * 2.0 * 100.0)).abs() < 1e-9, "{m:?}");
    // Compaction at 350 tokens with 50-token summaries: the prompt grows
    // by 100 a step from 0; it passes 350 at step 4, then regrows from 50
    // every 3 steps: compactions after steps 4 and 7 (2 in 9 growths).
    let s = run(&with("[workloads.compaction]\nthreshold_tokens = 350\nsummary_tokens = 50\n"), &[]).unwrap();
    let m = WorkloadMeans::of(&s.workloads[0]);
    assert!((m.requests_per_step - 1.2).abs() < 1e-12, "{m:?}");
    assert_eq!(m.last_prompt(), 450.0);
}
