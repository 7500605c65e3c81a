//! Validation of a workload's `cache_breakpoints` against its provider's
//! cache (mode, tiers, `max_breakpoints`, TTLs not increasing along the prompt).

use super::context::*;
use super::leaf::*;
use super::location::KeyPath;
use super::model::*;
use super::raw::*;

/// Cache breakpoints: positions in prompt order, tiers of the provider, TTLs not
/// increasing along the prompt, and at most `max_breakpoints` in explicit mode.
/// `segments` or `provider` is `None` when invalid; the checks needing them are skipped.
/// Trace workloads (`trace`) have raw-block prompts: only `end` applies.
///
/// Without `cache_breakpoints`, the client breaks at the end of every prompt,
/// except on an explicit cache with `lookback_blocks = 0` (Gemini's
/// cachedContents): a look-up there reads only at the request's own
/// breakpoints, and the end of each step's prompt is a new block, so a rolling
/// end breakpoint never hits. The default there is the fixed prefix: after
/// the last shared segment, or after the task when there is none.
pub(super) fn breakpoints(
    cx: &mut Ctx<'_>,
    raw: Option<&[RawBreakpoint]>,
    path: &KeyPath,
    segments: Option<&[SharedSegment]>,
    provider: Option<(Option<&(usize, String)>, &CacheConfig)>,
    trace: bool,
) -> Option<Vec<BreakpointRule>> {
    let cache = provider.map(|(_, c)| c);
    let reads_only_at_breakpoints =
        !trace && matches!(cache.map(|c| &c.mode), Some(CacheMode::Explicit { lookback_blocks: 0, .. }));
    // What to break after instead of `end` on such a provider.
    let fixed_prefix = |segments: &[SharedSegment]| match segments {
        [.., last] => BreakpointAt::AfterSegment(last.name.clone()),
        [] => BreakpointAt::AfterTask,
    };
    let Some(raw) = raw else {
        let at = match segments {
            _ if !reads_only_at_breakpoints => BreakpointAt::End,
            Some(segments) => fixed_prefix(segments),
            // Invalid segments were reported; the workload is not built.
            None => return None,
        };
        return Some(vec![BreakpointRule { at, tier: 0 }]);
    };
    let provider_name = provider.and_then(|(n, _)| n).map_or(String::new(), |(_, n)| format!("provider `{n}`"));
    let mut out = Some(Vec::new());
    // Each entry's `after` and its position in the prompt.
    let mut afters: Vec<Option<String>> = Vec::with_capacity(raw.len());
    let mut ats: Vec<Option<(BreakpointAt, usize)>> = Vec::with_capacity(raw.len());
    for (k, b) in raw.iter().enumerate() {
        let after_path = path.index(k).key("after");
        let after = cx.req(&b.after, &after_path, "a shared segment name, \"task\" or \"end\"");
        let at = after.as_ref().and_then(|a| {
            if trace && a != "end" {
                cx.issues.value(
                    &after_path,
                    format!(
                        "after = \"{a}\" is not used by trace workloads: a trace prompt is the trace's raw blocks, with no shared segments or task, so only \"end\" is meaningful"
                    ),
                );
                return None;
            }
            let segments = segments?;
            let n = segments.len();
            let found = match a.as_str() {
                "task" => Some((BreakpointAt::AfterTask, n)),
                "end" => Some((BreakpointAt::End, n + 1)),
                name => segments
                    .iter()
                    .position(|s| s.name == name)
                    .map(|i| (BreakpointAt::AfterSegment(name.to_string()), i)),
            };
            // With syntax errors the segment may be one the parser could not read.
            if found.is_none() && !cx.env.partial {
                let mut names: Vec<String> = segments.iter().map(|s| format!("`{}`", s.name)).collect();
                names.extend(["\"task\"".to_string(), "\"end\"".to_string()]);
                cx.issues.value(
                    &after_path,
                    format!(
                        "unknown segment `{a}`; expected one of this workload's shared segments or a position: {}",
                        names.join(", ")
                    ),
                );
            }
            found
        });
        afters.push(after);
        ats.push(at);
    }
    // Entries outside the longest run in prompt order are out of order: each is
    // reported once, against its nearest in-order neighbour.
    let positions: Vec<Option<usize>> = ats.iter().map(|a| a.as_ref().map(|(_, pos)| *pos)).collect();
    let kept = longest_in_order(&positions);
    let shown_after = |j: usize| afters[j].as_deref().unwrap_or_default();
    for (k, pos) in positions.iter().enumerate() {
        let Some(pos) = *pos else { continue };
        if kept[k] {
            continue;
        }
        let earlier = (0..k).rev().find(|&j| kept[j] && positions[j].is_some_and(|q| q >= pos));
        let later = (k + 1..raw.len()).find(|&j| kept[j] && positions[j].is_some_and(|q| q <= pos));
        let why = match (earlier, later) {
            (Some(j), _) => {
                format!("`{}` does not come after `{}` ({})", shown_after(k), shown_after(j), path.index(j))
            }
            (None, Some(j)) => format!(
                "`{}` is listed before `{}` ({}), which comes earlier in the prompt",
                shown_after(k),
                shown_after(j),
                path.index(j)
            ),
            (None, None) => format!("`{}` is out of order", shown_after(k)),
        };
        cx.issues.value(
            &path.index(k).key("after"),
            format!(
                "breakpoints must follow prompt order without repeats (shared segments, then \"task\", then \"end\"), but {why}"
            ),
        );
        ats[k] = None;
    }
    if reads_only_at_breakpoints && matches!(ats.as_slice(), [Some((BreakpointAt::End, _))]) {
        let suggestion = match segments.map(fixed_prefix) {
            Some(BreakpointAt::AfterSegment(name)) => name,
            _ => "task".to_string(),
        };
        cx.issues.value(
            &path.index(0).key("after"),
            format!(
                "a lone \"end\" breakpoint never hits on {provider_name}: its cache is explicit with lookback_blocks = 0, so a request reads the cache only at its own breakpoints, and the end of each step's prompt is a new block; every step would write, and pay storage for, an entry no later step reads. Cache the fixed prefix instead: after = \"{suggestion}\""
            ),
        );
        out = None;
    }
    // TTL of the previous breakpoint, with its path.
    let mut prev_tier: Option<(usize, KeyPath)> = None;
    for ((k, b), at) in raw.iter().enumerate().zip(ats) {
        let p = path.index(k);
        let tier_path = p.key("tier");
        let tier = match (cx.maybe(&b.tier, &tier_path), cache) {
            (None, _) | (_, None) => None,
            (Some(None), Some(_)) => Some(0),
            (Some(Some(t)), Some(c)) => {
                let i = c.tiers.iter().position(|x| x.name == t);
                if i.is_none() && !cx.env.partial {
                    cx.issues.value(
                        &tier_path,
                        format!(
                            "unknown cache tier `{t}`; {provider_name} has tiers: {}",
                            list(c.tiers.iter().map(|t| &t.name))
                        ),
                    );
                }
                i
            }
        };
        let tier = tier.filter(|&t| {
            let (Some(c), Some((prev_t, prev_path))) = (cache, &prev_tier) else {
                return true;
            };
            let (this, before) = (&c.tiers[t], &c.tiers[*prev_t]);
            let anchor = if b.tier.is_some() { &tier_path } else { &p };
            cx.ensure(this.ttl <= before.ttl, anchor, || {
                format!(
                    "cache TTLs must not increase along the prompt: tier `{}` ({}) follows tier `{}` ({}) at {prev_path}; put longer-lived breakpoints first (Anthropic requires 1h entries before 5m ones)",
                    this.name,
                    format_duration_compact(this.ttl),
                    before.name,
                    format_duration_compact(before.ttl)
                )
            })
        });
        if let Some(t) = tier {
            prev_tier = Some((t, p.clone()));
        }
        match (at, tier, out.as_mut()) {
            (Some((at, _)), Some(tier), Some(v)) => v.push(BreakpointRule { at, tier }),
            _ => out = None,
        }
    }
    if let Some(CacheMode::Explicit { max_breakpoints, .. }) = cache.map(|c| &c.mode) {
        let n = raw.len();
        if n > *max_breakpoints as usize {
            cx.issues.value(
                path,
                format!(
                    "{n} breakpoints, but {provider_name} allows at most {max_breakpoints} (its cache.max_breakpoints)"
                ),
            );
            out = None;
        }
    }
    out
}

/// Marks the entries of the longest strictly increasing run of `positions`
/// (the earliest by index among equally long runs); `None`s are skipped.
fn longest_in_order(positions: &[Option<usize>]) -> Vec<bool> {
    let n = positions.len();
    // from[k]: length of the longest increasing run starting at entry k.
    let mut from = vec![0usize; n];
    for k in (0..n).rev() {
        let Some(p) = positions[k] else { continue };
        let rest = (k + 1..n).filter(|&j| positions[j].is_some_and(|q| q > p)).map(|j| from[j]).max();
        from[k] = 1 + rest.unwrap_or(0);
    }
    let mut need = from.iter().copied().max().unwrap_or(0);
    let mut last: Option<usize> = None;
    let mut kept = vec![false; n];
    for k in 0..n {
        if let Some(p) = positions[k]
            && need > 0
            && from[k] == need
            && last.is_none_or(|l| p > l)
        {
            kept[k] = true;
            need -= 1;
            last = Some(p);
        }
    }
    kept
}
