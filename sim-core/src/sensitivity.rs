//! Sensitivity analysis, the pure part: which parameters to vary (every
//! assumed number of the scenario's provider bases that the user did not set,
//! and any `--param`), the two variants (low, high) of each, and the tornado:
//! each parameter's paired effect on a metric, largest first. The command
//! (`agentsim sensitivity`) runs the variants with the baseline in one Monte
//! Carlo run, so every effect is a paired difference on common random numbers.

use crate::catalog::{self, assumptions::AssumedKey};
use crate::metrics::{DiffStats, Summary};
use crate::scenario::{FileSource, Override, VariantSpec, parse_override};
use crate::time::parse_duration;

#[cfg(test)]
#[path = "sensitivity_tests.rs"]
mod tests;

/// A parameter to vary: its scenario path, its value and the two ends.
/// Values are TOML text, as `--set` takes them.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// e.g. `providers[1].serving.decode_tokens_per_s`.
    pub path: String,
    /// The value the baseline runs with (`-` when the scenario leaves a
    /// `--param` path at its default and the resolved scenario omits it).
    pub current: String,
    pub low: String,
    pub high: String,
    /// Where the parameter comes from: `preset <name>`, `litellm:<key>` or `--param`.
    pub origin: String,
    /// Where the range comes from: `stated`, a default rule (`x0.5..x2`), or `--param`.
    pub range: String,
    /// Why the value is assumed (the preset's comment); empty for `--param`.
    pub why: String,
}

/// A `--param PATH=LOW,HIGH` as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamSpec {
    pub path: String,
    pub low: String,
    pub high: String,
}

/// What stops a sensitivity analysis before it runs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SensitivityError {
    #[error("--param {path}: named twice")]
    DuplicateParam { path: String },
    #[error(
        "nothing to vary: the scenario uses no preset or LiteLLM number marked as an assumption \
         that it does not set itself; name parameters with --param PATH=LOW,HIGH"
    )]
    NothingToVary,
    #[error("--metric {}: no such metric (see docs/outputs.md for the list)", metrics.join(", --metric "))]
    UnknownMetric { metrics: Vec<String> },
    #[error("provider {provider}'s base: {message}")]
    Base { provider: usize, message: String },
}

/// The two sides of a parameter, in variant order.
pub const SIDES: [&str; 2] = ["low", "high"];

/// Parses `--param PATH=LOW,HIGH`; a comma inside brackets, braces or quotes
/// belongs to a value.
pub fn parse_param(text: &str) -> Result<ParamSpec, String> {
    let form = || {
        format!(
            "`{}` is not of the form PATH=LOW,HIGH (e.g. providers[0].serving.decode_tokens_per_s=50,200)",
            crate::echo::clip(text)
        )
    };
    let (path, values) = text.split_once('=').ok_or_else(form)?;
    let parts = crate::scenario::split_top_level(values);
    let [low, high] = parts.as_slice() else { return Err(form()) };
    let (low, high) = (low.trim(), high.trim());
    if low.is_empty() || high.is_empty() {
        return Err(form());
    }
    let o = parse_override(&format!("{path}={low}"))?;
    Ok(ParamSpec { path: o.path, low: low.to_owned(), high: high.to_owned() })
}

/// Every assumed number of the scenario's provider bases (presets, LiteLLM
/// imports) that neither the file nor a `--set` sets, in provider then file
/// order. `text` is the scenario file, already loaded without problems;
/// `files` reads the LiteLLM catalogs it names.
pub fn assumed_parameters(
    text: &str,
    overrides: &[Override],
    files: &dyn FileSource,
) -> Result<Vec<Parameter>, SensitivityError> {
    let doc: toml::Table = text.parse().unwrap_or_default();
    let providers = doc.get("providers").and_then(toml::Value::as_array).map_or(&[][..], Vec::as_slice);
    let set: Vec<String> = overrides.iter().map(|o| squeeze(&o.path)).collect();
    let mut out = Vec::new();
    for (i, p) in providers.iter().enumerate() {
        let Some(table) = p.as_table() else { continue };
        let prefix = format!("providers[{i}]");
        let base_err = |message: String| SensitivityError::Base { provider: i, message };
        let preset = overrides
            .iter()
            .rev()
            .find(|o| squeeze(&o.path) == format!("{prefix}.preset"))
            .map(|o| o.value.trim().trim_matches('"').to_owned())
            .or_else(|| table.get("preset").and_then(toml::Value::as_str).map(str::to_owned));
        let (origin, base) = if let Some(name) = preset {
            // An unknown preset was reported by the loader already.
            let Some(text) = catalog::preset_toml(&name) else { continue };
            (format!("preset {name}"), text.to_owned())
        } else if let Some(l) = table.get("litellm").and_then(toml::Value::as_table) {
            let field = |k: &str| l.get(k).and_then(toml::Value::as_str).unwrap_or_default();
            let json = files.read(field("file")).map_err(base_err)?;
            let converted =
                catalog::litellm::provider_toml(&json, field("model")).map_err(|e| base_err(e.to_string()))?;
            (format!("litellm:{}", field("model")), converted)
        } else {
            continue;
        };
        for key in catalog::assumptions::assumed_keys(&base).map_err(base_err)? {
            let path = format!("{prefix}.{}", key.key);
            let user_set = lookup(table, &key.key).is_some()
                || set
                    .iter()
                    .any(|s| *s == path || path.starts_with(&format!("{s}.")) || s.starts_with(&format!("{path}.")));
            if user_set {
                continue;
            }
            out.push(parameter(path, &origin, &key));
        }
    }
    Ok(out)
}

/// `--set` paths as written may carry spaces (`providers[0]. serving`).
fn squeeze(path: &str) -> String {
    path.chars().filter(|c| !c.is_whitespace()).collect()
}

fn parameter(path: String, origin: &str, key: &AssumedKey) -> Parameter {
    let (low, high, range) = match &key.stated_range {
        Some((lo, hi)) => (lo.clone(), hi.clone(), "stated".to_owned()),
        None => match default_range(&key.key, &key.value) {
            Some((lo, hi, rule)) => (lo, hi, rule.to_owned()),
            // No default fits (a zero, a probability): both ends are the value,
            // so its effect is exactly 0; the catalog's tests refuse this.
            None => (key.value.to_string(), key.value.to_string(), "none".to_owned()),
        },
    };
    Parameter {
        path,
        current: key.value.to_string(),
        low,
        high,
        origin: origin.to_owned(),
        range,
        why: key.why.clone(),
    }
}

/// The default range of an assumed value by its kind (docs/providers.md,
/// "Assumptions and their ranges"): TTLs x0.25..x4, other durations,
/// distributions of durations, speeds and counts x0.5..x2, a `[low, high]`
/// pair its own ends. `None` for a zero, which no factor moves.
pub fn default_range(key: &str, value: &toml::Value) -> Option<(String, String, &'static str)> {
    let is_ttl = key.ends_with("ttl");
    let (down, up, rule) = if is_ttl { (0.25, 4.0, "x0.25..x4") } else { (0.5, 2.0, "x0.5..x2") };
    let scaled = |f: f64| scale(value, f).map(|v| v.to_string());
    match value {
        toml::Value::Array(a) => match a.as_slice() {
            [lo, hi] if lo.is_float() || lo.is_integer() => Some((lo.to_string(), hi.to_string(), "[low, high]")),
            _ => None,
        },
        _ => {
            let (lo, hi) = (scaled(down)?, scaled(up)?);
            (lo != hi).then_some((lo, hi, rule))
        }
    }
}

/// `value` times `factor`: numbers (integers rounded, at least 1 when they
/// were), duration strings, and the duration fields of an inline table (a
/// distribution: scaling all of them scales the distribution).
fn scale(value: &toml::Value, factor: f64) -> Option<toml::Value> {
    match value {
        toml::Value::Integer(n) if *n > 0 => Some(toml::Value::Integer(((*n as f64 * factor).round() as i64).max(1))),
        toml::Value::Float(x) if *x > 0.0 => Some(toml::Value::Float(x * factor)),
        toml::Value::String(s) => {
            let d = parse_duration(s).ok().filter(|d| d.as_micros() > 0)?;
            let us = (d.as_micros() as f64 * factor).round() as u64;
            Some(toml::Value::String(duration_text(us)))
        }
        toml::Value::Table(t) => {
            let mut out = t.clone();
            let mut any = false;
            for (_, v) in out.iter_mut() {
                if let toml::Value::String(_) = v
                    && let Some(s) = scale(v, factor)
                {
                    *v = s;
                    any = true;
                }
            }
            any.then_some(toml::Value::Table(out))
        }
        _ => None,
    }
}

/// A duration as the scenario reads it, in the largest unit that divides it
/// (`1200ms`, `20m`); `format_duration_compact`'s `1s200ms` does not load.
fn duration_text(us: u64) -> String {
    const UNITS: [(&str, u64); 4] = [("h", 3_600_000_000), ("m", 60_000_000), ("s", 1_000_000), ("ms", 1_000)];
    UNITS
        .iter()
        .find(|(_, n)| us.is_multiple_of(*n))
        .map_or_else(|| format!("{us}us"), |(unit, n)| format!("{}{unit}", us / n))
}

/// The value at a dotted path (`serving.slots`, `providers[1].cache.ttl`) of a table.
pub fn lookup<'a>(table: &'a toml::Table, path: &str) -> Option<&'a toml::Value> {
    let mut v: Option<&toml::Value> = None;
    for part in path.split('.') {
        let (key, indexes) = part.split_once('[').map_or((part, ""), |(k, rest)| (k, rest));
        let t = match v {
            None => table,
            Some(v) => v.as_table()?,
        };
        let mut cur = t.get(key.trim_matches('"'))?;
        for idx in indexes.split('[').filter(|s| !s.is_empty()) {
            let i: usize = idx.trim_end_matches(']').parse().ok()?;
            cur = cur.as_array()?.get(i)?;
        }
        v = Some(cur);
    }
    v
}

/// The parameters to vary: the assumed ones (unless `only_params`), each
/// replaced by a `--param` of the same path, then the other `--param`s in
/// the order given. `resolved` is the baseline written back as TOML
/// (`scenario::to_toml`), where a `--param`'s current value is read.
pub fn parameters(
    assumed: Vec<Parameter>,
    user: &[ParamSpec],
    only_params: bool,
    resolved: &str,
) -> Result<Vec<Parameter>, SensitivityError> {
    for (i, p) in user.iter().enumerate() {
        if user[..i].iter().any(|q| squeeze(&q.path) == squeeze(&p.path)) {
            return Err(SensitivityError::DuplicateParam { path: p.path.clone() });
        }
    }
    let doc: toml::Table = resolved.parse().unwrap_or_default();
    let from_user = |p: &ParamSpec| Parameter {
        path: p.path.clone(),
        current: lookup(&doc, &p.path).map_or("-".to_owned(), toml::Value::to_string),
        low: p.low.clone(),
        high: p.high.clone(),
        origin: "--param".to_owned(),
        range: "--param".to_owned(),
        why: String::new(),
    };
    let mut out: Vec<Parameter> = if only_params { Vec::new() } else { assumed };
    for p in user {
        match out.iter_mut().find(|a| squeeze(&a.path) == squeeze(&p.path)) {
            Some(a) => *a = from_user(p),
            None => out.push(from_user(p)),
        }
    }
    if out.is_empty() { Err(SensitivityError::NothingToVary) } else { Ok(out) }
}

/// The variant name of a parameter's side: its path made a valid variant
/// name (`providers.1.serving.decode_tokens_per_s.low`).
pub fn variant_name(path: &str, side: &str) -> String {
    let name: String = path
        .chars()
        .filter(|c| *c != ']' && *c != '"' && !c.is_whitespace())
        .map(|c| {
            if c == '[' {
                '.'
            } else if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '.'
            }
        })
        .collect();
    format!("{name}.{side}")
}

/// Two variants per parameter, low then high, each one `--set` of its path.
pub fn variant_specs(params: &[Parameter]) -> Vec<VariantSpec> {
    params
        .iter()
        .flat_map(|p| {
            [(SIDES[0], &p.low), (SIDES[1], &p.high)].map(|(side, value)| VariantSpec {
                name: variant_name(&p.path, side),
                overrides: vec![Override { path: p.path.clone(), value: value.clone() }],
            })
        })
        .collect()
}

/// One row of the tornado: a parameter's effect on the metric at each end.
#[derive(Clone, Debug, PartialEq)]
pub struct TornadoRow {
    /// Index into the parameters.
    pub param: usize,
    /// Paired difference from the baseline (overall scope) at the low and high end.
    pub low: DiffStats,
    pub high: DiffStats,
    /// |high effect - low effect|; `None` when either is undefined.
    pub swing: Option<f64>,
    /// False when both intervals contain 0 (or are undefined).
    pub detectable: bool,
}

impl TornadoRow {
    /// The sort key: the larger absolute mean effect of the two ends.
    pub fn largest_effect(&self) -> f64 {
        [self.low.mean, self.high.mean].into_iter().flatten().map(f64::abs).fold(0.0, f64::max)
    }
}

/// Whether an interval shows the effect is not 0.
fn excludes_zero(d: &DiffStats) -> bool {
    match (d.ci95_low, d.ci95_high) {
        (Some(lo), Some(hi)) => lo > 0.0 || hi < 0.0,
        _ => false,
    }
}

/// The tornado of `metric` over `params` from a run of their
/// [`variant_specs`] (summary variants named by [`variant_name`]): sorted by
/// the largest absolute effect, first; ties keep the parameters' order.
pub fn tornado(params: &[Parameter], summary: &Summary, metric: &str) -> Vec<TornadoRow> {
    let effect = |path: &str, side: &str| {
        let name = variant_name(path, side);
        summary
            .variants
            .iter()
            .find(|v| v.name == name)
            .and_then(|v| v.diff_vs_baseline.as_ref())
            .and_then(|d| d.metrics.get(metric).copied())
            .unwrap_or_default()
    };
    let mut rows: Vec<TornadoRow> = params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (low, high) = (effect(&p.path, SIDES[0]), effect(&p.path, SIDES[1]));
            let swing = low.mean.zip(high.mean).map(|(l, h)| (h - l).abs());
            TornadoRow { param: i, low, high, swing, detectable: excludes_zero(&low) || excludes_zero(&high) }
        })
        .collect();
    rows.sort_by(|a, b| b.largest_effect().total_cmp(&a.largest_effect()));
    rows
}
