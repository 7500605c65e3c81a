//! Validation of `[providers.serving]` (the `api` model): slots, base latency,
//! token rates (decode may be a per-request distribution), the load curve and
//! the fixed per-request overheads.

use super::context::*;
use super::leaf::{Raw, describe, shown_value};
use super::location::KeyPath;
use super::model::*;
use super::raw::*;

pub(super) fn serving(cx: &mut Ctx<'_>, raw: &RawServing, path: &KeyPath) -> Option<Serving> {
    let d = Serving::default();
    let slots_path = path.key("slots");
    let slots = cx.opt(&raw.slots, &slots_path, d.slots);
    let slots = slots.filter(|s| cx.ensure(*s >= 1, &slots_path, || format!("must be >= 1, got {s}")));
    let base_latency = cx.time_dist(&raw.base_latency, &path.key("base_latency"));
    let p = path.key("prefill_tokens_per_s");
    let prefill = cx.opt(&raw.prefill_tokens_per_s, &p, d.prefill_tokens_per_s);
    let prefill = token_rate(cx, prefill, &raw.prefill_tokens_per_s, &p);
    let c = path.key("cached_prefill_tokens_per_s");
    let cached = cx.maybe(&raw.cached_prefill_tokens_per_s, &c);
    let cached = match cached {
        Some(Some(r)) => token_rate(cx, Some(r), &raw.cached_prefill_tokens_per_s, &c).map(Some),
        other => other,
    };
    let decode = cx.rate_dist(&raw.decode_tokens_per_s, &path.key("decode_tokens_per_s"), d.decode_tokens_per_s);
    let load_curve = match &raw.load_curve {
        Some(curve) => load_curve(cx, &curve.value, &path.key("load_curve")).map(Some),
        None => Some(None),
    };
    let overhead_before_queue = cx.time_dist(&raw.overhead_before_queue, &path.key("overhead_before_queue"));
    let per_token =
        cx.opt(&raw.overhead_per_output_token, &path.key("overhead_per_output_token"), d.overhead_per_output_token);
    Some(Serving {
        slots: slots?,
        base_latency: base_latency?,
        prefill_tokens_per_s: prefill?,
        cached_prefill_tokens_per_s: cached?,
        decode_tokens_per_s: decode?,
        load_curve: load_curve?,
        overhead_before_queue: overhead_before_queue?,
        overhead_per_output_token: per_token?,
    })
}

/// A token rate: > 0 and at most [`MAX_TOKEN_RATE`].
fn token_rate(cx: &mut Ctx<'_>, x: Option<f64>, raw: &Option<Raw<f64>>, path: &KeyPath) -> Option<f64> {
    let x = cx.positive(x, raw, path);
    cx.at_most(x, MAX_TOKEN_RATE, || shown(raw), path)
}

/// `[[load, factor], ...]`: each problem is reported at its point.
fn load_curve(cx: &mut Ctx<'_>, value: &toml::Value, path: &KeyPath) -> Option<LoadCurve> {
    let example = "e.g. [[0, 1.0], [32, 0.8], [64, 0.5]]";
    let toml::Value::Array(items) = value else {
        cx.issues
            .value(path, format!("expected an array of [load, factor] points, {example}, got {}", describe(value)));
        return None;
    };
    if items.is_empty() {
        cx.issues.value(path, format!("must list at least one [load, factor] point, {example}"));
        return None;
    }
    let mut points = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        match load_point(item) {
            Ok((load, factor)) => {
                if let Some((prev, _)) = points.last().copied()
                    && load <= prev
                {
                    let message = format!("loads must increase: {load} follows {prev}");
                    cx.issues.value(&at.index(0), message);
                    ok = false;
                }
                points.push((load, factor));
            }
            Err((j, message)) => {
                cx.issues.value(&j.map_or(at.clone(), |j| at.index(j)), message);
                ok = false;
            }
        }
    }
    ok.then_some(LoadCurve { points })
}

/// One `[load, factor]` point, or the element index (none: the point itself) and message.
fn load_point(item: &toml::Value) -> Result<(u32, f64), (Option<usize>, String)> {
    let pair = match item {
        toml::Value::Array(pair) if pair.len() == 2 => pair,
        other => {
            let got = match other {
                toml::Value::Array(a) => format!("an array of {} elements", a.len()),
                v => describe(v),
            };
            return Err((None, format!("expected a [load, factor] pair such as [32, 0.8], got {got}")));
        }
    };
    let load = match &pair[0] {
        toml::Value::Integer(n) => u32::try_from(*n).map_err(|_| {
            (Some(0), format!("the load (requests in service) must be an integer in 0..={}, got {n}", u32::MAX))
        })?,
        other => {
            return Err((
                Some(0),
                format!("the load (requests in service) must be an integer >= 0, got {}", describe(other)),
            ));
        }
    };
    let factor = match &pair[1] {
        toml::Value::Integer(n) => *n as f64,
        toml::Value::Float(x) => *x,
        other => return Err((Some(1), format!("the factor must be a number in (0, 1], got {}", describe(other)))),
    };
    if !(factor > 0.0 && factor <= 1.0) {
        return Err((Some(1), format!("the factor must be in (0, 1], got {}", shown_value(&pair[1]))));
    }
    Ok((load, factor))
}
