//! Validation of `[providers.pricing]`: price sheets, per-tier cache writes,
//! service-tier multipliers, long-context sheets, time-of-day windows and
//! scheduled changes.

use super::context::*;
use super::leaf::*;
use super::location::KeyPath;
use super::model::*;
use super::raw::*;
use crate::time::{SimDuration, SimTime};

/// The keys of one price sheet, wherever it appears (base, long context, change).
struct SheetKeys<'a> {
    input: &'a Option<Raw<f64>>,
    output: &'a Option<Raw<f64>>,
    cache_read: &'a Option<Raw<f64>>,
    cache_write: &'a Option<Raw<CacheWritePrice>>,
    storage: &'a Option<Raw<f64>>,
}

/// The sheet keys of any raw table that has them (base pricing, long
/// context, a scheduled change): the three share their field names.
macro_rules! sheet_keys {
    ($p:expr) => {
        SheetKeys {
            input: &$p.input_usd_per_mtok,
            output: &$p.output_usd_per_mtok,
            cache_read: &$p.cache_read_usd_per_mtok,
            cache_write: &$p.cache_write_usd_per_mtok,
            storage: &$p.storage_usd_per_mtok_hour,
        }
    };
}

/// Reads a price sheet. Without `prev` (the base sheet) input and output are
/// required and cache prices default to the input price; with `prev`, every
/// omitted price is `prev`'s. `tiers` is `None` when the cache was invalid (the
/// sheet is then checked but not built).
fn sheet(
    cx: &mut Ctx<'_>,
    k: SheetKeys<'_>,
    path: &KeyPath,
    prev: Option<&PriceSheet>,
    tiers: Option<&[CacheTier]>,
) -> Option<PriceSheet> {
    let price = |cx: &mut Ctx<'_>, leaf: &Option<Raw<f64>>, key: &str, default: Option<f64>| {
        let p = path.key(key);
        let x = match default {
            Some(d) => cx.opt(leaf, &p, d),
            None => cx.req(leaf, &p, "a price in USD per million tokens, >= 0"),
        };
        let x = cx.non_negative(x, leaf, &p);
        let max = if key == "storage_usd_per_mtok_hour" { MAX_STORAGE_PRICE } else { MAX_PRICE };
        cx.at_most(x, max, || shown(leaf), &p)
    };
    let input = price(cx, k.input, "input_usd_per_mtok", prev.map(|s| s.input_usd_per_mtok));
    let output = price(cx, k.output, "output_usd_per_mtok", prev.map(|s| s.output_usd_per_mtok));
    // Cache prices default to the input price; if that is invalid, it was reported already.
    let fallback = input.unwrap_or(0.0);
    let read =
        price(cx, k.cache_read, "cache_read_usd_per_mtok", Some(prev.map_or(fallback, |s| s.cache_read_usd_per_mtok)));
    let storage =
        price(cx, k.storage, "storage_usd_per_mtok_hour", Some(prev.map_or(0.0, |s| s.storage_usd_per_mtok_hour)));
    let defaults = tiers.map(|t| match prev {
        Some(s) => s.cache_write_usd_per_mtok.clone(),
        None => vec![fallback; t.len()],
    });
    let write = cache_write(cx, k.cache_write, &path.key("cache_write_usd_per_mtok"), defaults, tiers);
    Some(PriceSheet {
        input_usd_per_mtok: input?,
        cache_read_usd_per_mtok: read?,
        cache_write_usd_per_mtok: write?,
        output_usd_per_mtok: output?,
        storage_usd_per_mtok_hour: storage?,
    })
}

/// A cache write price: one number for every tier, or a table by tier name over `defaults`.
fn cache_write(
    cx: &mut Ctx<'_>,
    raw: &Option<Raw<CacheWritePrice>>,
    path: &KeyPath,
    defaults: Option<Vec<f64>>,
    tiers: Option<&[CacheTier]>,
) -> Option<Vec<f64>> {
    let Some(raw) = raw else { return defaults };
    let price = |cx: &mut Ctx<'_>, value: &toml::Value, path: &KeyPath| {
        let x = <f64 as Leaf>::read(value).map_err(|m| cx.issues.value(path, m)).ok()?;
        let x = cx.ensure(x >= 0.0, path, || format!("must be >= 0, got {value}")).then_some(x);
        cx.at_most(x, MAX_PRICE, || shown_value(value), path)
    };
    match &raw.value {
        toml::Value::Table(table) => {
            let mut out = defaults;
            let mut ok = true;
            for (key, value) in table {
                let p = path.key(key);
                let x = price(cx, value, &p);
                let Some(tiers) = tiers else { continue };
                match tiers.iter().position(|t| t.name == *key) {
                    Some(i) => match (x, out.as_mut()) {
                        (Some(x), Some(v)) => v[i] = x,
                        _ => ok = false,
                    },
                    // A preset prices the tiers it defines; if the user changed
                    // the tiers, the preset's price for a dropped tier is moot.
                    None if (cx.env.from_base)(&p) => {}
                    // The tier may be one the parser could not read.
                    None if cx.env.partial => ok = false,
                    None => {
                        cx.issues.key(
                            &p,
                            format!(
                                "unknown cache tier `{key}`; this provider's tiers: {}",
                                list(tiers.iter().map(|t| &t.name))
                            ),
                        );
                        ok = false;
                    }
                }
            }
            out.filter(|_| ok)
        }
        value @ (toml::Value::Integer(_) | toml::Value::Float(_)) => {
            let x = price(cx, value, path)?;
            Some(vec![x; tiers?.len()])
        }
        other => {
            cx.issues.value(
                path,
                format!(
                    "expected a number or a table of numbers by tier name such as {{ \"5m\" = 3.75, \"1h\" = 6.0 }}, got {}",
                    describe(other)
                ),
            );
            None
        }
    }
}

/// Default service-tier multipliers: batch and flex -50%, priority +75% (providers' pricing pages, see docs/model.md).
const DEFAULT_MULTIPLIERS: TierMultipliers = TierMultipliers { batch: 0.5, flex: 0.5, priority: 1.75 };

pub(super) fn pricing(
    cx: &mut Ctx<'_>,
    raw: &RawPricing,
    path: &KeyPath,
    tiers: Option<&[CacheTier]>,
) -> Option<Pricing> {
    let base = sheet(cx, sheet_keys!(raw), path, None, tiers);
    let multiplier = |cx: &mut Ctx<'_>, leaf: &Option<Raw<f64>>, key: &str, default: f64| {
        let p = path.key(key);
        let x = cx.opt(leaf, &p, default);
        let x = cx.non_negative(x, leaf, &p);
        cx.at_most(x, MAX_MULTIPLIER, || shown(leaf), &p)
    };
    let batch = multiplier(cx, &raw.batch_multiplier, "batch_multiplier", DEFAULT_MULTIPLIERS.batch);
    let flex = multiplier(cx, &raw.flex_multiplier, "flex_multiplier", DEFAULT_MULTIPLIERS.flex);
    let priority = multiplier(cx, &raw.priority_multiplier, "priority_multiplier", DEFAULT_MULTIPLIERS.priority);
    // When the base sheet is invalid, what depends on it is still checked (over a
    // stand-in sheet, without tiers) but not built.
    let scratch = PriceSheet {
        input_usd_per_mtok: 0.0,
        cache_read_usd_per_mtok: 0.0,
        cache_write_usd_per_mtok: Vec::new(),
        output_usd_per_mtok: 0.0,
        storage_usd_per_mtok_hour: 0.0,
    };
    let (below, lc_tiers) = match &base {
        Some(b) => (b, tiers),
        None => (&scratch, None),
    };
    let long_context = match &raw.long_context {
        None => Some(None),
        Some(lc) => {
            long_context(cx, lc, &path.key("long_context"), None, below, lc_tiers).filter(|_| base.is_some()).map(Some)
        }
    };
    let windows = windows(cx, raw.windows.as_deref().unwrap_or(&[]), &path.key("windows"));
    let changes = match (&raw.changes, &long_context) {
        (None, _) => Some(Vec::new()),
        (Some(list), Some(lc)) => {
            changes(cx, list, &path.key("changes"), below, lc.as_ref(), lc_tiers).filter(|_| base.is_some())
        }
        (Some(list), None) => {
            changes(cx, list, &path.key("changes"), below, None, None);
            None
        }
    };
    Some(Pricing {
        base: base?,
        long_context: long_context?,
        tier_multipliers: TierMultipliers { batch: batch?, flex: flex?, priority: priority? },
        windows: windows?,
        changes: changes?,
    })
}

/// A long-context sheet over `prev_lc` (its threshold and prices) or, without
/// one, over `sheet_below` (the prices in force below the threshold).
fn long_context(
    cx: &mut Ctx<'_>,
    raw: &RawLongContext,
    path: &KeyPath,
    prev_lc: Option<&LongContext>,
    sheet_below: &PriceSheet,
    tiers: Option<&[CacheTier]>,
) -> Option<LongContext> {
    let t_path = path.key("threshold_tokens");
    let threshold = match prev_lc {
        Some(lc) => cx.opt(&raw.threshold_tokens, &t_path, lc.threshold_tokens),
        None => cx.req(
            &raw.threshold_tokens,
            &t_path,
            "input tokens above which the whole request is billed at these prices, e.g. 200000",
        ),
    };
    let threshold = threshold.filter(|t| cx.ensure(*t >= 1, &t_path, || format!("must be >= 1, got {t}")));
    let threshold = cx.tokens(threshold, &t_path);
    // Storage is billed per cache entry, at the sheet in force when the entry
    // was created (the base sheet or a change), whatever the length of the
    // requests that write or read it: a long-context storage price would never apply.
    // The sheet is still built (without it) so later changes are checked over it.
    let storage_path = path.key("storage_usd_per_mtok_hour");
    if raw.storage_usd_per_mtok_hour.is_some() {
        cx.issues.key(
            &storage_path,
            "not allowed in `long_context`: storage is priced per cache entry at the base sheet (or the `changes[]` entry in force when the entry is created), so it cannot depend on a request's length; set storage_usd_per_mtok_hour in [providers.pricing] or in `changes[]`".to_string(),
        );
    }
    let no_storage = None;
    let keys = SheetKeys { storage: &no_storage, ..sheet_keys!(raw) };
    let prev = prev_lc.map_or(sheet_below, |lc| &lc.sheet);
    let sheet = sheet(cx, keys, path, Some(prev), tiers);
    Some(LongContext { threshold_tokens: threshold?, sheet: sheet? })
}

fn windows(cx: &mut Ctx<'_>, raw: &[RawWindow], path: &KeyPath) -> Option<Vec<PriceWindow>> {
    let mut out = Some(Vec::new());
    for (i, w) in raw.iter().enumerate() {
        let p = path.index(i);
        let start = cx.req(&w.start, &p.key("start"), "UTC time of day the window starts, e.g. \"16:30\"");
        let end = cx.req(&w.end, &p.key("end"), "UTC time of day the window ends, e.g. \"00:30\"");
        let end = end.filter(|e| {
            start.is_none_or(|s| {
                cx.ensure(s != *e, &p.key("end"), || {
                    format!(
                        "must differ from `start` ({}): a window needs a length (a window may wrap past midnight)",
                        shown(&w.start)
                    )
                })
            })
        });
        let m_path = p.key("multiplier");
        let m = cx.req(&w.multiplier, &m_path, "the price multiplier inside the window, e.g. 0.5");
        let m = cx.non_negative(m, &w.multiplier, &m_path);
        let m = cx.at_most(m, MAX_MULTIPLIER, || shown(&w.multiplier), &m_path);
        match (start, end, m, out.as_mut()) {
            (Some(start_s), Some(end_s), Some(multiplier), Some(v)) => {
                v.push(PriceWindow { start_s, end_s, multiplier })
            }
            _ => out = None,
        }
    }
    out
}

fn changes(
    cx: &mut Ctx<'_>,
    raw: &[RawChange],
    path: &KeyPath,
    base: &PriceSheet,
    base_lc: Option<&LongContext>,
    tiers: Option<&[CacheTier]>,
) -> Option<Vec<PriceChange>> {
    let mut out: Option<Vec<PriceChange>> = Some(Vec::new());
    let mut prev_at: Option<(SimDuration, String)> = None;
    let mut sheet_before = base.clone();
    let mut lc_before = base_lc.cloned();
    for (i, c) in raw.iter().enumerate() {
        let p = path.index(i);
        let at_path = p.key("at");
        let at = match &c.at {
            None => {
                cx.missing(&at_path, "simulated time of the change, e.g. at = \"2h\"");
                None
            }
            Some(_) => cx.positive_duration(&c.at, &at_path).flatten(),
        };
        let at = at.filter(|at| match &prev_at {
            Some((prev, text)) if *at <= *prev => {
                cx.issues.value(
                    &at_path,
                    format!(
                        "must be later than the previous change's `at` ({text}), got {}; list changes in time order",
                        shown(&c.at)
                    ),
                );
                false
            }
            _ => true,
        });
        if let Some(at) = at {
            prev_at = Some((at, shown(&c.at)));
        }
        let sheet = sheet(cx, sheet_keys!(c), &p, Some(&sheet_before), tiers);
        let lc = match (&c.long_context, &sheet) {
            (None, _) => Some(lc_before.clone()),
            (Some(raw_lc), Some(s)) => {
                long_context(cx, raw_lc, &p.key("long_context"), lc_before.as_ref(), s, tiers).map(Some)
            }
            (Some(raw_lc), None) => {
                long_context(cx, raw_lc, &p.key("long_context"), lc_before.as_ref(), &sheet_before, tiers);
                None
            }
        };
        match (at, sheet, lc) {
            (Some(at), Some(sheet), Some(lc)) => {
                sheet_before = sheet.clone();
                lc_before = lc.clone();
                if let Some(v) = out.as_mut() {
                    v.push(PriceChange { at: SimTime::from_micros(at.as_micros()), base: sheet, long_context: lc });
                }
            }
            _ => out = None,
        }
    }
    out
}
