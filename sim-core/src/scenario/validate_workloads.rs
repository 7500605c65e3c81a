//! Validation of one `[[workloads]]` entry: its provider reference or routing, arrivals,
//! shared segments, distributions, service tier, breakpoints and keep-alive.

use super::context::*;
use super::leaf::*;
use super::location::KeyPath;
use super::model::*;
use super::raw::*;
use super::validate_admission::{objectives, retry};
use super::validate_anatomy::{anatomy, stop_probability};
use super::validate_arrivals::arrivals;
use super::validate_breakpoints::breakpoints;
use super::validate_routing::{Names, routing};
use super::validate_subagents::{attach, compaction, subagents};
use crate::dist::{Dist, Rounding, TokenDist};

/// What a workload's `provider` can refer to.
pub(super) struct ProviderRefs<'a> {
    /// Readable provider names, by index in the file.
    pub(super) names: &'a [(usize, String)],
    /// Readable provider families (`providers.family`), by index in the file.
    pub(super) families: &'a [(usize, String)],
    /// Whether every provider's name is known; if not, an unmatched name is not reported.
    pub(super) complete: bool,
    /// Each provider's cache, when valid (for breakpoint tiers).
    pub(super) caches: &'a [Option<CacheConfig>],
}

/// `steps` must allow at least one step and keep sessions finite.
fn steps_ok(cx: &mut Ctx<'_>, steps: &TokenDist, path: &KeyPath) -> bool {
    let most = match &steps.dist {
        Dist::Fixed(v) => Some(*v),
        Dist::Uniform { high, .. } => Some(*high),
        Dist::UniformInt { high, .. } => Some(*high as f64),
        Dist::Empirical { values, .. } => values.iter().copied().reduce(f64::max),
        _ => None,
    };
    if let Some(most) = most {
        let x = steps.offset + most;
        let count = match steps.rounding {
            Rounding::Nearest => x.round(),
            Rounding::Floor => x.floor(),
            Rounding::Ceil => x.ceil(),
        }
        .max(0.0);
        if count < 1.0 {
            let what = if matches!(steps.dist, Dist::Fixed(_)) { "is" } else { "never draws more than" };
            cx.issues.value(
                path,
                format!(
                    "a session needs at least one step, but this {what} {count} (draws below 1 would run as 1 step); write steps = 1 if a single step is meant"
                ),
            );
            return false;
        }
    }
    let mean = steps.dist.mean_upper_bound() + steps.offset;
    cx.ensure(mean <= MAX_MEAN_STEPS, path, || {
        format!(
            "mean of {mean:.0} steps per session is more than {MAX_MEAN_STEPS}: each step is one LLM request re-sending the whole history, so such sessions would not finish; steps counts requests per session (agents typically take 5 to 100), e.g. steps = {{ kind = \"uniform_int\", low = 5, high = 30 }}"
        )
    })
}

const NOT_FOR_TRACES: &str = "not used by trace workloads: the trace gives each request's prompt and output";
const NO_PAUSE_IN_TRACES: &str = "not used by trace workloads: each trace request is a one-step session, so there is no pause to keep the cache alive through";
const NO_REASONING_IN_TRACES: &str =
    "not used by trace workloads: the trace gives each request's output length, reasoning included";
const NO_SEGMENTS_IN_TRACES: &str = "not used by trace workloads: the trace's blocks are the whole prompt";

pub(super) fn workload(
    cx: &mut Ctx<'_>,
    raw: &RawWorkload,
    path: &KeyPath,
    refs: &ProviderRefs<'_>,
    all_segments: &mut Vec<(KeyPath, SharedSegment)>,
) -> Option<Workload> {
    let (provider_names, caches) = (refs.names, refs.caches);
    let name = cx.req(&raw.name, &path.key("name"), "a unique workload name, e.g. name = \"coding-agent\"");
    let name = name.filter(|n| cx.label(n, &path.key("name")));
    let names = Names { names: refs.names, families: refs.families, complete: refs.complete };
    let routed = routing(cx, raw, path, &names);
    let (provider, route) = (routed.as_ref().map(|r| r.0), routed.map(|r| r.1));
    let arrivals = match &raw.arrivals {
        Some(a) => arrivals(cx, a, &path.key("arrivals")),
        None => {
            cx.missing(&path.key("arrivals"), "a [workloads.arrivals] table with rate_per_s and horizon or sessions");
            None
        }
    };
    let is_trace =
        raw.arrivals.as_ref().and_then(|a| a.kind.as_ref()).is_some_and(|k| k.read().ok() == Some(ArrivalKind::Trace));

    let segments = if is_trace {
        // A trace prompt is the trace's raw blocks: there is nothing to share.
        let given = [
            (raw.shared_prefix_tokens.is_some(), "shared_prefix_tokens"),
            (raw.shared_segments.is_some(), "shared_segments"),
        ];
        let mut ok = true;
        for (_, key) in given.iter().filter(|(g, _)| *g) {
            cx.issues.key(&path.key(key), NO_SEGMENTS_IN_TRACES.to_string());
            ok = false;
        }
        ok.then(Vec::new)
    } else {
        segments(cx, raw, path, name.as_deref())
    };
    if let Some(segs) = &segments {
        for (i, s) in segs.iter().enumerate() {
            let at = match &raw.shared_segments {
                Some(_) => path.key("shared_segments").index(i).key("tokens"),
                None => path.key("shared_prefix_tokens"),
            };
            all_segments.push((at, s.clone()));
        }
    }

    let (task_tokens, steps, output_tokens, tool_result_tokens, think_time, reasoning_tokens, reasoning_in_history);
    if is_trace {
        let trace_only = [
            (raw.task_tokens.is_some(), "task_tokens", NOT_FOR_TRACES),
            (raw.steps.is_some(), "steps", NOT_FOR_TRACES),
            (raw.output_tokens.is_some(), "output_tokens", NOT_FOR_TRACES),
            (raw.reasoning_tokens.is_some(), "reasoning_tokens", NO_REASONING_IN_TRACES),
            (raw.reasoning_in_history.is_some(), "reasoning_in_history", NO_REASONING_IN_TRACES),
            (raw.tool_result_tokens.is_some(), "tool_result_tokens", NOT_FOR_TRACES),
            (raw.think_time.is_some(), "think_time", NOT_FOR_TRACES),
            (raw.keep_alive.is_some(), "keep_alive", NO_PAUSE_IN_TRACES),
        ];
        let mut ok = true;
        for (given, key, why) in trace_only {
            if given {
                cx.issues.key(&path.key(key), why.to_string());
                ok = false;
            }
        }
        let zero = ok.then(|| TokenDist::new(Dist::Fixed(0.0)));
        task_tokens = zero.clone();
        steps = ok.then(|| TokenDist::new(Dist::Fixed(1.0)));
        output_tokens = zero.clone();
        reasoning_tokens = zero.clone();
        reasoning_in_history = ok.then_some(false);
        tool_result_tokens = zero;
        think_time = ok.then_some(Dist::Fixed(0.0));
    } else {
        task_tokens = cx.token_dist(&raw.task_tokens, &path.key("task_tokens"), Some(0.0));
        steps = match stop_probability(cx, raw, path) {
            Some(Some(geometric)) => Some(geometric),
            Some(None) => {
                cx.token_dist(&raw.steps, &path.key("steps"), None).filter(|d| steps_ok(cx, d, &path.key("steps")))
            }
            None => None,
        };
        output_tokens = cx.token_dist(&raw.output_tokens, &path.key("output_tokens"), None);
        reasoning_tokens = cx.token_dist(&raw.reasoning_tokens, &path.key("reasoning_tokens"), Some(0.0));
        reasoning_in_history = cx.opt(&raw.reasoning_in_history, &path.key("reasoning_in_history"), false);
        tool_result_tokens = cx.token_dist(&raw.tool_result_tokens, &path.key("tool_result_tokens"), Some(0.0));
        think_time = cx.time_dist(&raw.think_time, &path.key("think_time"));
    }
    let service_tier =
        cx.opt(&raw.service_tier, &path.key("service_tier"), ServiceTierText::Standard).map(|t| match t {
            ServiceTierText::Standard => ServiceTier::Standard,
            ServiceTierText::Batch => ServiceTier::Batch,
            ServiceTierText::Flex => ServiceTier::Flex,
            ServiceTierText::Priority => ServiceTier::Priority,
        });
    let key_path = path.key("api_key");
    let api_key = cx.opt(&raw.api_key, &key_path, "default".to_string()).filter(|k| cx.label(k, &key_path));
    let provider_cache = provider.and_then(|i| Some((i, caches.get(i)?.as_ref()?)));
    let breakpoints = breakpoints(
        cx,
        raw.cache_breakpoints.as_deref(),
        &path.key("cache_breakpoints"),
        segments.as_deref(),
        provider_cache.map(|(i, c)| (provider_names.iter().find(|(j, _)| *j == i), c)),
        is_trace,
    );
    let keep_alive = match &raw.keep_alive {
        None => Some(None),
        // Reported above.
        Some(_) if is_trace => None,
        Some(k) => {
            let p = path.key("keep_alive");
            let interval = match &k.interval {
                None => {
                    cx.missing(
                        &p.key("interval"),
                        "how often to send a keep-alive request during a pause, e.g. interval = \"4m\"",
                    );
                    None
                }
                Some(_) => cx.positive_duration(&k.interval, &p.key("interval")).flatten().filter(|d| {
                    // Pings keep a cache alive against TTLs of minutes; a
                    // sub-second interval only multiplies events (a 30-day pause
                    // at 1 us would be 2.6e12 pings).
                    cx.ensure(*d >= MIN_KEEP_ALIVE, &p.key("interval"), || {
                        format!(
                            "must be >= 1s (keep-alives refresh caches whose TTLs are minutes), got {}",
                            shown(&k.interval)
                        )
                    })
                }),
            };
            let output = cx.at_least(&k.output_tokens, &p.key("output_tokens"), 1, 1);
            let output = cx.tokens(output, &p.key("output_tokens"));
            interval.zip(output).map(|(interval, output_tokens)| Some(KeepAlive { interval, output_tokens }))
        }
    };
    let max_tokens = cx.at_least(&raw.max_tokens, &path.key("max_tokens"), 4096, 1);
    let max_tokens = cx.tokens(max_tokens, &path.key("max_tokens"));
    let retry = retry(cx, raw.retry.as_ref(), &path.key("retry"));
    let prompt_cache_key = cx.maybe(&raw.prompt_cache_key, &path.key("prompt_cache_key"));
    let objectives = objectives(cx, raw.objectives.as_ref(), &path.key("objectives"));
    let anatomy = anatomy(cx, raw, path, segments.as_deref(), is_trace);
    let subagent_keys = subagents(cx, raw.subagents.as_ref(), &path.key("subagents"), is_trace, steps_ok);
    let compaction = compaction(cx, raw.compaction.as_ref(), &path.key("compaction"), is_trace);
    let mut w = Workload {
        name: name?,
        provider: provider?,
        route: route?,
        arrivals: arrivals?,
        shared_segments: segments?,
        task_tokens: task_tokens?,
        steps: steps?,
        output_tokens: output_tokens?,
        reasoning_tokens: reasoning_tokens?,
        reasoning_in_history: reasoning_in_history?,
        tool_result_tokens: tool_result_tokens?,
        think_time: think_time?,
        service_tier: service_tier?,
        api_key: api_key?,
        breakpoints: breakpoints?,
        keep_alive: keep_alive?,
        max_tokens: max_tokens?,
        retry: retry?,
        prompt_cache_key: prompt_cache_key?,
        objectives: objectives?,
        anatomy: anatomy?,
        subagents: None,
        compaction: compaction?,
    };
    attach(&mut w, subagent_keys?);
    Some(w)
}

/// Words that `cache_breakpoints.after` gives a meaning of their own.
const RESERVED_SEGMENT_NAMES: [&str; 2] = ["task", "end"];

/// `shared_prefix_tokens` (one segment `<workload>/shared`) or `shared_segments`.
fn segments(cx: &mut Ctx<'_>, raw: &RawWorkload, path: &KeyPath, workload: Option<&str>) -> Option<Vec<SharedSegment>> {
    match (&raw.shared_prefix_tokens, &raw.shared_segments) {
        (Some(_), Some(_)) => {
            cx.issues.key(
                &path.key("shared_segments"),
                "set either `shared_prefix_tokens` or `shared_segments`, not both".to_string(),
            );
            None
        }
        (None, None) => Some(Vec::new()),
        (Some(_), None) => {
            let p = path.key("shared_prefix_tokens");
            let tokens = cx.opt(&raw.shared_prefix_tokens, &p, 0);
            let tokens = cx.tokens(tokens, &p)?;
            let name = format!("{}/shared", workload?);
            Some(if tokens == 0 { Vec::new() } else { vec![SharedSegment { name, tokens }] })
        }
        (None, Some(list)) => {
            let list_path = path.key("shared_segments");
            let mut out = Some(Vec::new());
            let mut seen: Vec<(String, usize)> = Vec::new();
            for (i, s) in list.iter().enumerate() {
                let p = list_path.index(i);
                let name_path = p.key("name");
                let name = cx
                    .req(&s.name, &name_path, "the segment's name, e.g. name = \"system\"")
                    .filter(|n| {
                        let why = if n.is_empty() {
                            Some("must not be empty".to_string())
                        } else if n.chars().any(char::is_control) {
                            Some("must not contain control characters (newlines, tabs...)".to_string())
                        } else if RESERVED_SEGMENT_NAMES.contains(&n.as_str()) {
                            Some(format!("`{n}` is reserved (cache_breakpoints use \"task\" and \"end\"); choose another name"))
                        } else {
                            seen.iter().find(|(s, _)| s == n).map(|(_, first)| {
                                format!("duplicate segment name `{n}` (already used by {list_path}[{first}]); names must be unique")
                            })
                        };
                        match why {
                            Some(m) => {
                                cx.issues.value(&name_path, m);
                                false
                            }
                            None => {
                                seen.push((n.clone(), i));
                                true
                            }
                        }
                    });
                let tokens_path = p.key("tokens");
                let tokens = match &s.tokens {
                    None => {
                        cx.missing(&tokens_path, "the segment's size in tokens");
                        None
                    }
                    Some(_) => cx.at_least(&s.tokens, &tokens_path, 1, 1),
                };
                let tokens = cx.tokens(tokens, &tokens_path);
                match (name, tokens, out.as_mut()) {
                    (Some(name), Some(tokens), Some(v)) => v.push(SharedSegment { name, tokens }),
                    _ => out = None,
                }
            }
            out
        }
    }
}
