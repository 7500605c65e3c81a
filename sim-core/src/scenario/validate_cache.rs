//! Validation of `[providers.cache]`: mode, sizes, TTL tiers, lifetime,
//! capacity and eviction, scope; and the scenario-wide budget of tier names.

use super::context::*;
use super::leaf::*;
use super::location::KeyPath;
use super::model::*;
use super::raw::*;
use crate::metrics::MAX_CACHE_TIERS;
use crate::time::SimDuration;

/// The default cache lifetime (Anthropic's), as the single tier `5m`.
const DEFAULT_TTL: SimDuration = SimDuration::from_secs(300);

pub(super) fn cache(cx: &mut Ctx<'_>, raw: &RawCache, path: &KeyPath) -> Option<CacheConfig> {
    let enabled = cx.opt(&raw.enabled, &path.key("enabled"), true);
    let mode = cx.opt(&raw.mode, &path.key("mode"), CacheModeText::Automatic);
    let min_tokens = cx.opt(&raw.min_tokens, &path.key("min_tokens"), 0);
    let min_tokens = cx.tokens(min_tokens, &path.key("min_tokens"));
    let granularity = cx.at_least(&raw.granularity_tokens, &path.key("granularity_tokens"), 1, 1);
    let granularity = cx.tokens(granularity, &path.key("granularity_tokens"));
    let tiers = tiers(cx, raw, path);
    let refresh_on_hit = cx.opt(&raw.refresh_on_hit, &path.key("refresh_on_hit"), true);
    let ttl_starts = cx.opt(&raw.ttl_starts, &path.key("ttl_starts"), TtlStartText::PrefillEnd).map(|t| match t {
        TtlStartText::PrefillEnd => TtlStart::PrefillEnd,
        TtlStartText::ResponseEnd => TtlStart::ResponseEnd,
    });
    let max_lifetime = cx.positive_duration(&raw.max_lifetime, &path.key("max_lifetime"));
    let cap_path = path.key("capacity_tokens");
    let capacity = cx.maybe(&raw.capacity_tokens, &cap_path).filter(|c| {
        cx.ensure(c.is_none_or(|c| c >= 1), &cap_path, || {
            "must be >= 1 (leave it out for an unbounded cache), got 0".to_string()
        })
    });
    let eviction = cx.opt(&raw.eviction, &path.key("eviction"), EvictionText::Lru);
    let scope = cx.opt(&raw.scope, &path.key("scope"), CacheScopeText::Provider);
    let miss = cx.probability(&raw.miss_probability, &path.key("miss_probability"));
    let mb_path = path.key("max_breakpoints");
    let max_breakpoints = cx
        .opt(&raw.max_breakpoints, &mb_path, 4)
        .filter(|n| cx.ensure(*n >= 1, &mb_path, || format!("must be >= 1, got {n}")));
    let lookback = cx.opt(&raw.lookback_blocks, &path.key("lookback_blocks"), 20);
    let mode = match mode? {
        CacheModeText::Automatic => CacheMode::Automatic,
        CacheModeText::Explicit => {
            CacheMode::Explicit { max_breakpoints: max_breakpoints?, lookback_blocks: lookback? }
        }
    };
    Some(CacheConfig {
        enabled: enabled?,
        mode,
        min_tokens: min_tokens?,
        granularity_tokens: granularity?,
        tiers: tiers?,
        refresh_on_hit: refresh_on_hit?,
        max_lifetime: max_lifetime?,
        capacity_tokens: capacity?,
        eviction: match eviction? {
            EvictionText::Lru => Eviction::Lru,
            EvictionText::Lfu => Eviction::Lfu,
            EvictionText::None => Eviction::None,
        },
        scope: match scope? {
            CacheScopeText::Provider => CacheScope::Provider,
            CacheScopeText::ApiKey => CacheScope::ApiKey,
        },
        miss_probability: miss?,
        ttl_starts: ttl_starts?,
    })
}

/// `ttl` (one tier named after its duration) or `tiers`, not both.
fn tiers(cx: &mut Ctx<'_>, raw: &RawCache, path: &KeyPath) -> Option<Vec<CacheTier>> {
    let ttl_path = path.key("ttl");
    match (&raw.ttl, &raw.tiers) {
        (Some(_), Some(_)) => {
            cx.issues.value(&ttl_path, "set either `ttl` (one tier) or `tiers`, not both".to_string());
            None
        }
        (None, None) => Some(vec![CacheTier { name: format_duration_compact(DEFAULT_TTL), ttl: DEFAULT_TTL }]),
        (Some(_), None) => {
            let ttl = cx.positive_duration(&raw.ttl, &ttl_path)??;
            Some(vec![CacheTier { name: format_duration_compact(ttl), ttl }])
        }
        (None, Some(list)) => {
            let list_path = path.key("tiers");
            if list.is_empty() {
                cx.issues.value(
                    &list_path,
                    "must list at least one tier, e.g. [{ name = \"5m\", ttl = \"5m\" }]".to_string(),
                );
                return None;
            }
            let mut out = Some(Vec::new());
            let mut seen: Vec<(String, usize)> = Vec::new();
            for (i, t) in list.iter().enumerate() {
                let p = list_path.index(i);
                let name = cx
                    .req(&t.name, &p.key("name"), "the tier's name, e.g. name = \"1h\"")
                    .filter(|n| {
                        cx.ensure(is_valid_tier_name(n), &p.key("name"), || {
                            format!("must be non-empty and use only letters, digits and `_` (it names metrics), got {n:?}")
                        })
                    })
                    .filter(|n| match seen.iter().find(|(s, _)| s == n) {
                        Some((_, first)) => {
                            cx.issues.value(
                                &p.key("name"),
                                format!("duplicate tier name `{n}` (already used by {list_path}[{first}]); names must be unique"),
                            );
                            false
                        }
                        None => {
                            seen.push((n.clone(), i));
                            true
                        }
                    });
                let ttl = match &t.ttl {
                    None => {
                        cx.missing(&p.key("ttl"), "the tier's lifetime, e.g. ttl = \"1h\"");
                        None
                    }
                    Some(_) => cx.positive_duration(&t.ttl, &p.key("ttl")).flatten(),
                };
                match (name, ttl, out.as_mut()) {
                    (Some(name), Some(ttl), Some(v)) => v.push(CacheTier { name, ttl }),
                    _ => out = None,
                }
            }
            out
        }
    }
}

/// Metrics keep one write counter per distinct tier name, at most `MAX_CACHE_TIERS`.
pub(super) fn tier_budget(cx: &mut Ctx<'_>, caches: &[Option<CacheConfig>], raw: &[RawProvider], path: &KeyPath) {
    let mut names: Vec<&str> = Vec::new();
    for (i, cache) in caches.iter().enumerate() {
        let Some(cache) = cache else { continue };
        for (j, tier) in cache.tiers.iter().enumerate() {
            if names.contains(&tier.name.as_str()) {
                continue;
            }
            if names.len() == MAX_CACHE_TIERS {
                let cache_path = path.index(i).key("cache");
                let uses_list = raw[i].cache.as_ref().is_some_and(|c| c.tiers.is_some());
                let at = if uses_list { cache_path.key("tiers").index(j).key("name") } else { cache_path };
                cx.issues.value(
                    &at,
                    format!(
                        "too many cache tiers: `{}` would be the {}th distinct tier name in the scenario, at most {MAX_CACHE_TIERS} are supported (already used: {})",
                        tier.name,
                        MAX_CACHE_TIERS + 1,
                        names.join(", ")
                    ),
                );
                return;
            }
            names.push(&tier.name);
        }
    }
}
