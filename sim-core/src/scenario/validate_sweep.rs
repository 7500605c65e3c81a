//! `[[sweep]]`: each entry's path and its values (a list or a `lo..hi:steps`
//! range) as written; applying them to the scenario, which checks every value
//! against its key, is `sweep::load_sweep`'s job.

use super::context::Ctx;
use super::leaf::Raw;
use super::location::KeyPath;
use super::raw::RawSweep;
use super::{SweepRange, SweepSource, SweepSpec, SweepValues};

/// The most points a sweep may have (the product of its parameters' value
/// counts): every point is a whole run of the scenario's replicates.
pub const MAX_SWEEP_POINTS: usize = 10_000;

/// The swept parameters as written; `None` if any is invalid. Absent means none.
pub(crate) fn sweep(cx: &mut Ctx<'_>, raw: &Option<Vec<RawSweep>>, path: &KeyPath) -> Option<Vec<SweepSpec>> {
    let mut seen: Vec<String> = Vec::new();
    let mut ok = true;
    let mut out = Vec::new();
    for (i, s) in raw.as_deref().unwrap_or_default().iter().enumerate() {
        let at = path.index(i);
        let path_at = at.key("path");
        let swept = cx.req(&s.path, &path_at, "the swept key, e.g. path = \"providers[0].cache.ttl\"");
        let swept = swept.and_then(|p| match KeyPath::parse(&p) {
            Err(message) => {
                cx.ensure(false, &path_at, || message);
                None
            }
            Ok(parsed) => {
                let key = parsed.to_string();
                cx.ensure(!seen.contains(&key), &path_at, || format!("`{key}` is swept twice; sweep each key once"))
                    .then(|| {
                        seen.push(key);
                        p.trim().to_string()
                    })
            }
        });
        let values = values(cx, s, &at);
        match (swept, values) {
            (Some(path), Some(values)) => out.push(SweepSpec { path, values, source: SweepSource::File(i) }),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

/// An entry's `values` or `range`, exactly one of them.
fn values(cx: &mut Ctx<'_>, s: &RawSweep, at: &KeyPath) -> Option<SweepValues> {
    match (&s.values, &s.range) {
        (Some(_), Some(_)) => {
            cx.ensure(false, &at.key("range"), || "give `values` or `range`, not both".to_string());
            None
        }
        (None, None) => {
            cx.missing(&at.key("values"), "the swept values: values = [...] or range = \"lo..hi:steps\"");
            None
        }
        (Some(list), None) => {
            let list_path = at.key("values");
            if !cx.ensure(!list.is_empty(), &list_path, || "must hold at least one value".to_string())
                || !cx.ensure(list.len() <= MAX_SWEEP_POINTS, &list_path, || {
                    format!("{} values; a sweep runs at most {MAX_SWEEP_POINTS} points", list.len())
                })
            {
                return None;
            }
            let read: Vec<Option<toml::Value>> =
                list.iter().enumerate().map(|(j, v)| cx.read(v, &list_path.index(j))).collect();
            read.into_iter().collect::<Option<Vec<_>>>().map(SweepValues::List)
        }
        (None, Some(range)) => range_of(cx, range, &at.key("range")).map(SweepValues::Range),
    }
}

fn range_of(cx: &mut Ctx<'_>, raw: &Raw<String>, path: &KeyPath) -> Option<SweepRange> {
    let text = cx.read(raw, path)?;
    match parse_range(&text) {
        Ok(r) => Some(r),
        Err(message) => {
            cx.ensure(false, path, || message);
            None
        }
    }
}

/// Parses `lo..hi:steps` or `lo..hi:steps:log` (also `:linear`, the default).
pub fn parse_range(text: &str) -> Result<SweepRange, String> {
    let form = || {
        format!("`{}` is not of the form lo..hi:steps or lo..hi:steps:log (e.g. 0.5..8:5:log)", crate::echo::clip(text))
    };
    let mut parts = text.split(':');
    let (lo, hi) = parts.next().and_then(|b| b.split_once("..")).ok_or_else(form)?;
    let steps = parts.next().ok_or_else(form)?;
    let log = match parts.next().map(str::trim) {
        None | Some("linear") => false,
        Some("log") => true,
        Some(other) => {
            return Err(format!("unknown spacing `{}`: write `log` or nothing", crate::echo::clip(other)));
        }
    };
    if parts.next().is_some() {
        return Err(form());
    }
    let number = |s: &str, what: &str| match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("{what} `{}` is not a finite number", crate::echo::clip(s.trim()))),
    };
    let (lo, hi) = (number(lo, "lo")?, number(hi, "hi")?);
    let steps = match steps.trim().parse::<u64>() {
        Ok(n) if (2..=MAX_SWEEP_POINTS as u64).contains(&n) => n as u32,
        _ => {
            return Err(format!(
                "steps `{}` must be an integer in 2..={MAX_SWEEP_POINTS} (the values include both ends)",
                crate::echo::clip(steps.trim())
            ));
        }
    };
    if lo >= hi {
        return Err(format!("lo must be below hi, got {lo}..{hi}"));
    }
    if log && lo <= 0.0 {
        return Err(format!("a log range needs lo > 0 (its values are geometric), got {lo}"));
    }
    Ok(SweepRange { lo, hi, steps, log })
}
