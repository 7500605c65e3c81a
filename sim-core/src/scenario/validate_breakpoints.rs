//! Validation of a workload's `cache_breakpoints` against its provider's
//! cache: positions, tier intents mapped to the provider's tiers, TTLs not
//! increasing along the prompt, and `max_breakpoints`.

use super::context::*;
use super::leaf::*;
use super::location::KeyPath;
use super::model::*;
use super::raw::*;
use crate::time::{SimDuration, parse_duration};

/// Cache breakpoints: positions in prompt order, tier intents (a tier name of
/// the provider, a duration, `short` or `long`) mapped to the provider's tiers
/// by [`resolve_intent`], intended TTLs not increasing along the prompt, and
/// in explicit mode the first `max_breakpoints` kept. A workload thus
/// validates on any provider its positions suit (docs/caching.md "Tier intents").
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
    // What the previous breakpoint asked for, its tier's name as shown, and its path.
    let mut prev_tier: Option<(Reach, String, KeyPath)> = None;
    for ((k, b), at) in raw.iter().enumerate().zip(ats) {
        let p = path.index(k);
        let tier_path = p.key("tier");
        let tier = match (cx.maybe(&b.tier, &tier_path), cache) {
            (None, _) | (_, None) => None,
            (Some(None), Some(c)) => Some((0, Reach::Ttl(c.tiers[0].ttl), c.tiers[0].name.clone())),
            (Some(Some(t)), Some(c)) => match resolve_intent(&c.tiers, &t) {
                Ok((i, reach)) => Some((i, reach, t)),
                Err(why) => {
                    if !cx.env.partial {
                        cx.issues.value(
                            &tier_path,
                            format!(
                                "{why}; write a duration (\"5m\", \"1h\"), \"short\", \"long\" or a tier of {provider_name}: {}",
                                list(c.tiers.iter().map(|t| &t.name))
                            ),
                        );
                    }
                    None
                }
            },
        };
        // Checked on the intents, not on the tiers they map to, so a workload
        // valid on one provider is valid on all: the mapping is monotone, so
        // intents in order give tiers in order.
        let tier = tier.filter(|(_, reach, shown)| {
            let Some((before, before_shown, prev_path)) = &prev_tier else {
                return true;
            };
            let anchor = if b.tier.is_some() { &tier_path } else { &p };
            cx.ensure(reach <= before, anchor, || {
                format!(
                    "cache TTLs must not increase along the prompt: tier `{shown}` ({}) follows tier `{before_shown}` ({}) at {prev_path}; put longer-lived breakpoints first (Anthropic requires 1h entries before 5m ones)",
                    reach.describe(),
                    before.describe()
                )
            })
        });
        if let Some((_, reach, shown)) = &tier {
            prev_tier = Some((*reach, shown.clone(), p.clone()));
        }
        match (at, tier, out.as_mut()) {
            (Some((at, _)), Some((tier, _, _)), Some(v)) => v.push(BreakpointRule { at, tier }),
            _ => out = None,
        }
    }
    // A provider that takes fewer breakpoints gets the earliest ones: they
    // cover the prefixes most requests share and, in order, live longest.
    if let (Some(CacheMode::Explicit { max_breakpoints, .. }), Some(v)) = (cache.map(|c| &c.mode), out.as_mut()) {
        v.truncate(*max_breakpoints as usize);
    }
    out
}

/// How long-lived a breakpoint's entry is asked to be, in the order of TTLs:
/// `short` below every duration, `long` above.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    Shortest,
    Ttl(SimDuration),
    Longest,
}

impl Reach {
    fn describe(self) -> String {
        match self {
            Reach::Shortest => "the shortest tier".to_string(),
            Reach::Ttl(d) => format_duration_compact(d),
            Reach::Longest => "the longest tier".to_string(),
        }
    }
}

/// The tier (index into `tiers`, which is not empty) a breakpoint's `tier`
/// intent maps to on a provider, and what it asked for. A name of one of
/// `tiers` is that tier; `short` and `long` are the tiers of least and most
/// TTL (the first listed among equals); any other text is a duration, mapped
/// to the tier nearest to it in log-time ([`nearest_in_log_time`]).
fn resolve_intent(tiers: &[CacheTier], text: &str) -> Result<(usize, Reach), String> {
    if let Some(i) = tiers.iter().position(|t| t.name == text) {
        return Ok((i, Reach::Ttl(tiers[i].ttl)));
    }
    let first_of = |ttl: SimDuration| tiers.iter().position(|t| t.ttl == ttl).unwrap_or(0);
    match text {
        "short" => Ok((first_of(tiers.iter().map(|t| t.ttl).min().unwrap_or_default()), Reach::Shortest)),
        "long" => Ok((first_of(tiers.iter().map(|t| t.ttl).max().unwrap_or_default()), Reach::Longest)),
        _ => match parse_duration(text) {
            Ok(d) if d > SimDuration::ZERO => Ok((nearest_in_log_time(tiers, d), Reach::Ttl(d))),
            Ok(_) => Err(format!("cache tier `{text}`: a TTL must be > 0")),
            Err(_) => Err(format!("unknown cache tier `{}`", crate::echo::clip(text))),
        },
    }
}

/// The tier whose TTL is nearest to `want` in log-time (the smallest ratio
/// between the two, larger over smaller), the longer on a tie, the first
/// listed among equal TTLs. Ratios, not differences: a TTL's effect on hits
/// depends on how it compares with the pauses between requests, whatever
/// their scale, so 10m is as far from 5m as 2h is from 1h. Ties go to the
/// longer tier because a longer entry keeps every hit a shorter one would
/// have had, and missing a hit costs a full prefill while the longer TTL costs
/// only its write premium.
fn nearest_in_log_time(tiers: &[CacheTier], want: SimDuration) -> usize {
    let w = u128::from(want.as_micros());
    // ln(a/w) compared as exact integer ratios: max(a,w)/min(a,w) against
    // max(b,w)/min(b,w), cross-multiplied (TTLs below 2^64 fit in u128).
    let distance_order = |a: SimDuration, b: SimDuration| {
        let (a, b) = (u128::from(a.as_micros()), u128::from(b.as_micros()));
        (a.max(w) * b.min(w)).cmp(&(b.max(w) * a.min(w)))
    };
    let mut best = 0;
    for (i, t) in tiers.iter().enumerate().skip(1) {
        let b = tiers[best].ttl;
        match distance_order(t.ttl, b) {
            std::cmp::Ordering::Less => best = i,
            std::cmp::Ordering::Equal if t.ttl > b => best = i,
            _ => {}
        }
    }
    best
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tiers(list: &[(&str, u64)]) -> Vec<CacheTier> {
        list.iter().map(|&(name, secs)| CacheTier { name: name.into(), ttl: SimDuration::from_secs(secs) }).collect()
    }

    fn tier_of(tiers: &[CacheTier], intent: &str) -> usize {
        resolve_intent(tiers, intent).unwrap().0
    }

    #[test]
    fn durations_map_to_the_nearest_tier_in_log_time() {
        let anthropic = tiers(&[("5m", 300), ("1h", 3600)]);
        // 10m: ratio 2 to 5m, 6 to 1h.
        assert_eq!(tier_of(&anthropic, "10m"), 0);
        // 30m: ratio 6 to 5m, 2 to 1h (linearly it is nearer 5m, 25 minutes against 30).
        assert_eq!(tier_of(&anthropic, "30m"), 1);
        // Beyond either end: the end tier.
        assert_eq!(tier_of(&anthropic, "1s"), 0);
        assert_eq!(tier_of(&anthropic, "24h"), 1);
        // 2m is the geometric mean of 1m and 4m (ratio 2 to each): the longer wins.
        let pair = tiers(&[("a", 60), ("b", 240)]);
        assert_eq!(tier_of(&pair, "2m"), 1);
        // One microsecond less is nearer the shorter.
        assert_eq!(tier_of(&pair, "119999999us"), 0);
        // One tier takes every intent.
        let day = tiers(&[("24h", 86_400)]);
        for intent in ["1s", "5m", "1h", "24h", "30d", "short", "long"] {
            assert_eq!(tier_of(&day, intent), 0, "{intent}");
        }
    }

    #[test]
    fn short_and_long_are_the_extreme_tiers_and_names_map_to_themselves() {
        let three = tiers(&[("1h", 3600), ("5m", 300), ("24h", 86_400), ("five", 300)]);
        assert_eq!(resolve_intent(&three, "short"), Ok((1, Reach::Shortest)));
        assert_eq!(resolve_intent(&three, "long"), Ok((2, Reach::Longest)));
        // Equal TTLs: the first listed.
        assert_eq!(tier_of(&three, "4m"), 1);
        assert_eq!(resolve_intent(&three, "five"), Ok((3, Reach::Ttl(SimDuration::from_secs(300)))));
        // A name wins over its reading as a duration or a keyword.
        let odd = tiers(&[("long", 300), ("5m", 600), ("x", 3600)]);
        assert_eq!(resolve_intent(&odd, "long"), Ok((0, Reach::Ttl(SimDuration::from_secs(300)))));
        assert_eq!(resolve_intent(&odd, "5m"), Ok((1, Reach::Ttl(SimDuration::from_secs(600)))));
        assert_eq!(resolve_intent(&odd, "short"), Ok((0, Reach::Shortest)));
    }

    #[test]
    fn unreadable_intents_are_refused() {
        let one = tiers(&[("5m", 300)]);
        assert_eq!(resolve_intent(&one, "extended"), Err("unknown cache tier `extended`".to_string()));
        assert_eq!(resolve_intent(&one, "0s"), Err("cache tier `0s`: a TTL must be > 0".to_string()));
    }

    #[test]
    fn short_and_long_order_outside_every_duration() {
        let longest = Reach::Ttl(SimDuration::from_micros(u64::MAX));
        assert!(Reach::Shortest < Reach::Ttl(SimDuration::from_micros(1)));
        assert!(longest < Reach::Longest);
    }
}
