//! Validation of a workload's `subagents` and `compaction` tables (agent
//! behaviours the engine runs: child sessions, summarised histories).

use super::context::*;
use super::dists::TokenDistSpec;
use super::leaf::*;
use super::location::KeyPath;
use super::model::*;
use super::raw::*;
use crate::dist::TokenDist;

const NOT_IN_TRACES: &str =
    "not used by trace workloads: each trace request is a one-step session, with no history to summarise or delegate";

/// A table of a generated workload: `Some(None)` when absent, `None` (reported) in a trace workload.
fn given<'r, T>(cx: &mut Ctx<'_>, raw: Option<&'r T>, path: &KeyPath, is_trace: bool) -> Option<Option<&'r T>> {
    if raw.is_some() && is_trace {
        cx.issues.key(path, NOT_IN_TRACES.to_string());
        return None;
    }
    Some(raw)
}

/// `Some(None)` when absent, `None` when invalid (reported). `steps_ok` is
/// the workload's own check of `steps`, applied to the children's.
pub(super) fn subagents(
    cx: &mut Ctx<'_>,
    raw: Option<&RawSubagents>,
    path: &KeyPath,
    is_trace: bool,
    steps_ok: fn(&mut Ctx<'_>, &TokenDist, &KeyPath) -> bool,
) -> Option<Option<SubagentKeys>> {
    let Some(raw) = given(cx, raw, path, is_trace)? else { return Some(None) };
    let p = path.key("probability");
    let probability =
        cx.req(&raw.probability, &p, "the chance that a step spawns subagents, e.g. probability = 0.1").filter(|x| {
            cx.ensure((0.0..=1.0).contains(x), &p, || format!("must be in [0, 1], got {}", shown(&raw.probability)))
        });
    let count_path = path.key("count");
    let count = cx.token_dist(&raw.count, &count_path, Some(1.0)).filter(|d| {
        let mean = d.dist.mean_upper_bound() + d.offset;
        cx.ensure(mean <= MAX_CHILDREN as f64, &count_path, || {
            format!("mean of {mean:.0} children per step is more than {MAX_CHILDREN} (draws are clamped to [1, {MAX_CHILDREN}])")
        })
    });
    let steps_path = path.key("steps");
    let steps =
        optional_dist(cx, &raw.steps, &steps_path).filter(|d| d.as_ref().is_none_or(|d| steps_ok(cx, d, &steps_path)));
    let task_tokens = optional_dist(cx, &raw.task_tokens, &path.key("task_tokens"));
    let output_tokens = optional_dist(cx, &raw.output_tokens, &path.key("output_tokens"));
    let ip = path.key("instructions_tokens");
    let instructions_tokens = cx.opt(&raw.instructions_tokens, &ip, 0);
    let instructions_tokens = cx.tokens(instructions_tokens, &ip);
    Some(Some(SubagentKeys {
        probability: probability?,
        count: count?,
        steps: steps?,
        task_tokens: task_tokens?,
        output_tokens: output_tokens?,
        instructions_tokens: instructions_tokens?,
    }))
}

/// An override: `Some(None)` when absent (inherited).
fn optional_dist(cx: &mut Ctx<'_>, raw: &Option<Raw<TokenDistSpec>>, path: &KeyPath) -> Option<Option<TokenDist>> {
    match raw {
        None => Some(None),
        Some(_) => cx.token_dist(raw, path, None).map(Some),
    }
}

/// `w`'s subagents: the keys, with the child workload they describe.
pub(super) fn attach(w: &mut Workload, keys: Option<SubagentKeys>) {
    w.subagents = keys.map(|k| Subagents::new(w, k));
}

/// `Some(None)` when absent, `None` when invalid (reported).
pub(super) fn compaction(
    cx: &mut Ctx<'_>,
    raw: Option<&RawCompaction>,
    path: &KeyPath,
    is_trace: bool,
) -> Option<Option<Compaction>> {
    let Some(raw) = given(cx, raw, path, is_trace)? else { return Some(None) };
    let tp = path.key("threshold_tokens");
    let what = "the prompt size above which the history is summarised, e.g. threshold_tokens = 150000";
    let threshold = cx
        .req(&raw.threshold_tokens, &tp, what)
        .filter(|n| cx.ensure(*n >= 1, &tp, || format!("must be >= 1, got {n}")));
    let threshold = cx.tokens(threshold, &tp);
    let summary = cx.token_dist(&raw.summary_tokens, &path.key("summary_tokens"), None);
    Some(Some(Compaction { threshold_tokens: threshold?, summary_tokens: summary? }))
}
