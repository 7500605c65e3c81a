//! Validation of a workload's agent anatomy keys: `stop_probability` and
//! `max_steps`, `tool_calls`, `tool_latency`, `[workloads.human]`,
//! `[workloads.knowledge_base]` and `[[workloads.cache_busting]]`.

use super::anatomy_config::*;
use super::context::*;
use super::location::KeyPath;
use super::model::SharedSegment;
use super::raw::*;
use crate::dist::{Dist, TokenDist};

const NOT_FOR_TRACES: &str =
    "not used by trace workloads: each trace request is a one-step session with the trace's prompt";

/// The session length from `stop_probability` (and `max_steps`) as a
/// geometric count; `None` inside when the workload uses `steps` instead.
pub(super) fn stop_probability(cx: &mut Ctx<'_>, raw: &RawWorkload, path: &KeyPath) -> Option<Option<TokenDist>> {
    let Some(given) = &raw.stop_probability else {
        cx.unused(
            &raw.max_steps,
            &path.key("max_steps"),
            "`max_steps` caps `stop_probability`; give that too, or use `steps`",
        );
        return Some(None);
    };
    if raw.steps.is_some() {
        cx.issues.key(&path.key("stop_probability"), "give either `steps` or `stop_probability`, not both".to_string());
        return None;
    }
    let p_path = path.key("stop_probability");
    let p = cx.read(given, &p_path).filter(|p| {
        cx.ensure(*p > 0.0 && *p <= 1.0, &p_path, || format!("must be in (0, 1], got {}", shown(&raw.stop_probability)))
    });
    let max = cx.at_least(&raw.max_steps, &path.key("max_steps"), DEFAULT_MAX_STEPS, 1);
    let max = max.filter(|m| {
        cx.ensure(*m as f64 <= MAX_MEAN_STEPS, &path.key("max_steps"), || {
            format!("must be <= {MAX_MEAN_STEPS}, got {m}")
        })
    });
    Some(Some(TokenDist::new(Dist::Geometric { p: p?, max: max? })))
}

/// The anatomy keys of a workload (`segments`: its shared segments, when valid).
pub(super) fn anatomy(
    cx: &mut Ctx<'_>,
    raw: &RawWorkload,
    path: &KeyPath,
    segments: Option<&[SharedSegment]>,
    is_trace: bool,
) -> Option<Anatomy> {
    if is_trace {
        let given = [
            (raw.stop_probability.is_some(), "stop_probability"),
            (raw.max_steps.is_some(), "max_steps"),
            (raw.tool_calls.is_some(), "tool_calls"),
            (raw.tool_latency.is_some(), "tool_latency"),
            (raw.human.is_some(), "human"),
            (raw.knowledge_base.is_some(), "knowledge_base"),
            (raw.cache_busting.is_some(), "cache_busting"),
        ];
        let mut ok = true;
        for (_, key) in given.iter().filter(|(g, _)| *g) {
            cx.issues.key(&path.key(key), NOT_FOR_TRACES.to_string());
            ok = false;
        }
        return ok.then(Anatomy::default);
    }
    let tool_calls = cx.token_dist(&raw.tool_calls, &path.key("tool_calls"), Some(1.0)).filter(|d| {
        let mean = d.mean_upper_bound();
        cx.ensure(mean <= MAX_TOOL_CALLS as f64, &path.key("tool_calls"), || {
            format!("mean of {mean:.0} tool calls per step is more than {MAX_TOOL_CALLS}")
        })
    });
    let tool_latency = cx.time_dist(&raw.tool_latency, &path.key("tool_latency"));
    let human = match &raw.human {
        None => Some(None),
        Some(h) => human(cx, h, &path.key("human")).map(Some),
    };
    let knowledge_base = match &raw.knowledge_base {
        None => Some(None),
        Some(k) => knowledge_base(cx, k, &path.key("knowledge_base")).map(Some),
    };
    let cache_busting =
        busts(cx, raw.cache_busting.as_deref().unwrap_or_default(), &path.key("cache_busting"), segments);
    Some(Anatomy {
        tool_calls: tool_calls?,
        tool_latency: tool_latency?,
        human: human?,
        knowledge_base: knowledge_base?,
        cache_busting: cache_busting?,
    })
}

fn human(cx: &mut Ctx<'_>, raw: &RawHuman, path: &KeyPath) -> Option<HumanTurns> {
    let every = cx.token_dist(&raw.every, &path.key("every"), None);
    let pause = match &raw.pause {
        None => {
            cx.missing(
                &path.key("pause"),
                "how long the user takes, e.g. pause = { kind = \"lognormal\", median = \"21m\", p90 = \"2h\" }",
            );
            None
        }
        Some(_) => cx.time_dist(&raw.pause, &path.key("pause")),
    };
    let message_tokens = cx.token_dist(&raw.message_tokens, &path.key("message_tokens"), Some(0.0));
    Some(HumanTurns { every: every?, pause: pause?, message_tokens: message_tokens? })
}

fn knowledge_base(cx: &mut Ctx<'_>, raw: &RawKnowledgeBase, path: &KeyPath) -> Option<KnowledgeBase> {
    let docs_path = path.key("documents");
    let documents = match &raw.documents {
        None => {
            cx.missing(&docs_path, "the number of documents in the pool, e.g. documents = 500");
            None
        }
        Some(_) => cx.at_least(&raw.documents, &docs_path, 1, 1),
    };
    let documents = documents.filter(|n| {
        cx.ensure(*n <= MAX_KB_DOCUMENTS, &docs_path, || format!("must be <= {MAX_KB_DOCUMENTS}, got {n}"))
    });
    let tokens = cx.token_dist(&raw.tokens, &path.key("tokens"), None);
    let per_session = cx.token_dist(&raw.per_session, &path.key("per_session"), Some(1.0));
    let per_step = cx.token_dist(&raw.per_step, &path.key("per_step"), Some(0.0)).filter(|d| {
        let mean = d.mean_upper_bound();
        cx.ensure(mean <= MAX_TOOL_CALLS as f64, &path.key("per_step"), || {
            format!("mean of {mean:.0} documents per step is more than {MAX_TOOL_CALLS}")
        })
    });
    let s_path = path.key("zipf_s");
    let zipf_s = cx.opt(&raw.zipf_s, &s_path, 1.0).filter(|s| {
        cx.ensure((0.0..=10.0).contains(s), &s_path, || format!("must be in [0, 10], got {}", shown(&raw.zipf_s)))
    });
    Some(KnowledgeBase::new(documents?, tokens?, per_session?, per_step?, zipf_s?))
}

fn busts(
    cx: &mut Ctx<'_>,
    raw: &[RawCacheBust],
    path: &KeyPath,
    segments: Option<&[SharedSegment]>,
) -> Option<Vec<CacheBust>> {
    let mut out = Some(Vec::new());
    for (i, b) in raw.iter().enumerate() {
        let p = path.index(i);
        let seg_path = p.key("segment");
        let target = cx.req(&b.segment, &seg_path, "a shared segment's name or \"task\"").and_then(|name| {
            if name == "task" {
                return Some(BustTarget::Task);
            }
            // Unknown names are reported only when the segments are known.
            let segs = segments?;
            if segs.iter().any(|s| s.name == name) {
                Some(BustTarget::Segment(name))
            } else {
                let names = segs.iter().map(|s| s.name.as_str()).chain(["task"]);
                cx.issues
                    .value(&seg_path, format!("unknown segment `{name}`; this workload's segments: {}", list(names)));
                None
            }
        });
        let prob_path = p.key("probability");
        let probability = match &b.probability {
            None => {
                cx.missing(&prob_path, "the per-step probability of a change, e.g. probability = 0.02");
                None
            }
            Some(raw) => cx.read(raw, &prob_path).filter(|x| {
                cx.ensure((0.0..=1.0).contains(x), &prob_path, || {
                    format!("must be in [0, 1], got {}", shown(&b.probability))
                })
            }),
        };
        match (target, probability, out.as_mut()) {
            (Some(target), Some(probability), Some(v)) => v.push(CacheBust { target, probability }),
            _ => out = None,
        }
    }
    out
}
