//! LiteLLM's `model_prices_and_context_window.json` -> a provider table in the
//! scenario format (the same shape as a built-in preset).
//!
//! LiteLLM stores USD per single token; scenarios use USD per million tokens.
//! The rules below mirror LiteLLM's own cost code (`generic_cost_per_token`),
//! so that agentsim bills a request exactly as LiteLLM would (tested to 1e-9):
//! - Uncached input x `input_cost_per_token`, cache reads x
//!   `cache_read_input_token_cost`, output x `output_cost_per_token`.
//! - Cache writes: the first tier at `cache_creation_input_token_cost`, a `1h`
//!   tier at `cache_creation_input_token_cost_above_1hr` when present. When a
//!   model has no write price (or a write price of 0, as DeepSeek's entries do)
//!   the provider does not report writes separately: they are ordinary prompt
//!   tokens, so they are billed at the input price.
//! - No cache prices at all: the cache stays on (at the input price, so it only
//!   saves prefill time) when `supports_prompt_caching` is true, else it is off.
//! - `*_above_<N>k_tokens`: one long-context sheet for the whole request when the
//!   input exceeds N x 1000 (xAI: reaches it, LiteLLM's inclusive rule, written
//!   as threshold N x 1000 - 1). Rates missing above the threshold fall back to
//!   the base rates, as LiteLLM's do.
//! - `*_batches`, `*_flex`, `*_priority`: a service-tier multiplier, the ratio of
//!   the tier's input price to the standard one (a TOML comment says so when the
//!   other classes use another ratio).
//! - `off_peak_pricing`: time-of-day windows when every off-peak rate is one
//!   ratio of the standard rate; weekday rules are read as Monday-Friday (the
//!   simulator has no calendar).
//! - Cache behaviour (mode, TTL, minimum, granularity) is not in the catalog: it
//!   comes from the provider (`litellm_provider`), see [`CacheRules`] and
//!   docs/providers.md.

use serde_json::{Map, Value};
use std::fmt::Write as _;

#[path = "litellm_cache_rules.rs"]
mod cache_rules;
pub use cache_rules::CacheRules;
use cache_rules::RuleParams;

/// The date of the shared LiteLLM catalog snapshot (litellm 1.110.2).
pub const CATALOG_AS_OF: &str = "2026-11-20";

/// Why a LiteLLM entry could not become a provider table; always names the key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LiteLlmError {
    #[error("the LiteLLM catalog is not valid JSON: {0}")]
    Json(String),
    #[error("the LiteLLM catalog is not a JSON object keyed by model name")]
    NotAnObject,
    #[error("unknown LiteLLM model key `{key}`{}", did_you_mean(.suggestions))]
    UnknownKey { key: String, suggestions: Vec<String> },
    #[error("LiteLLM entry `{key}` is not a model (it is a documentation stub or not an object)")]
    NotAModel { key: String },
    #[error("LiteLLM entry `{key}` is {} `{mode}` model, not a chat model", article(.mode))]
    NotChat { key: String, mode: String },
    #[error("LiteLLM entry `{key}` is incomplete: no {}", .missing.join(" and no "))]
    Incomplete { key: String, missing: Vec<&'static str> },
    #[error("LiteLLM entry `{key}` has `{field}` = {value}, which is not a price >= 0")]
    BadPrice { key: String, field: String, value: String },
    #[error("LiteLLM entry `{key}` uses {what}, which agentsim cannot express; write its `[pricing]` by hand")]
    Unsupported { key: String, what: String },
}

/// "a" or "an" before `word`, by its first letter.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) { "an" } else { "a" }
}

fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", suggestions.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", "))
    }
}

/// The provider table for `model_key`, in the scenario format without `name`
/// (see [`super::preset_toml`] for the shape). Parses the whole catalog: to
/// convert many keys, parse once with [`Catalog::parse`].
pub fn provider_toml(catalog_json: &str, model_key: &str) -> Result<String, LiteLlmError> {
    Catalog::parse(catalog_json)?.provider_toml(model_key)
}

/// Every chat model that has a cache read or cache write price, sorted.
pub fn chat_models_with_cache_prices(catalog_json: &str) -> Result<Vec<String>, LiteLlmError> {
    Ok(Catalog::parse(catalog_json)?.chat_models_with_cache_prices())
}

/// A parsed LiteLLM catalog (the file is 3.5 MB: parse it once per use).
#[derive(Clone, Debug)]
pub struct Catalog {
    entries: Map<String, Value>,
}

impl Catalog {
    pub fn parse(catalog_json: &str) -> Result<Self, LiteLlmError> {
        match serde_json::from_str::<Value>(catalog_json) {
            Ok(Value::Object(entries)) => Ok(Catalog { entries }),
            Ok(_) => Err(LiteLlmError::NotAnObject),
            Err(e) => Err(LiteLlmError::Json(e.to_string())),
        }
    }

    /// See [`provider_toml`].
    pub fn provider_toml(&self, model_key: &str) -> Result<String, LiteLlmError> {
        let entry = lookup(&self.entries, model_key)?;
        Ok(render(&convert(model_key, entry)?))
    }

    /// The raw entry of `model_key`, when it is a JSON object.
    pub fn entry(&self, model_key: &str) -> Option<&Map<String, Value>> {
        self.entries.get(model_key).and_then(Value::as_object)
    }

    /// See [`chat_models_with_cache_prices`].
    pub fn chat_models_with_cache_prices(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, v)| {
                v.as_object().is_some_and(|o| {
                    o.get("mode").and_then(Value::as_str) == Some("chat")
                        && (o.contains_key("cache_read_input_token_cost")
                            || o.contains_key("cache_creation_input_token_cost"))
                })
            })
            .map(|(k, _)| k.clone())
            .collect();
        keys.sort();
        keys
    }
}

fn lookup<'a>(catalog: &'a Map<String, Value>, key: &str) -> Result<&'a Map<String, Value>, LiteLlmError> {
    // `sample_spec` documents the format; it has placeholder strings, not prices.
    match catalog.get(key) {
        Some(Value::Object(o)) if key != "sample_spec" => Ok(o),
        Some(_) => Err(LiteLlmError::NotAModel { key: key.into() }),
        None => Err(LiteLlmError::UnknownKey {
            key: key.into(),
            suggestions: super::close_matches(key, catalog.keys().map(String::as_str))
                .into_iter()
                .map(str::to_owned)
                .collect(),
        }),
    }
}

/// One price sheet in USD per Mtok; `writes` is aligned with the cache tiers.
#[derive(Clone, Debug, PartialEq)]
struct Sheet {
    input: f64,
    cache_read: f64,
    writes: Vec<f64>,
    output: f64,
}

#[derive(Clone, Debug, PartialEq)]
struct Converted {
    key: String,
    cache_enabled: bool,
    rules: CacheRules,
    min_tokens: u64,
    /// Tier names (= their TTLs).
    tiers: Vec<&'static str>,
    base: Sheet,
    long: Option<(u64, Sheet)>,
    /// (name, multiplier, note when the classes disagree)
    tier_multipliers: Vec<(&'static str, f64, Option<String>)>,
    /// (start, end, multiplier)
    windows: Vec<(String, String, f64)>,
    notes: Vec<String>,
}

const SERVICE_TIERS: [(&str, &str); 3] =
    [("batches", "batch_multiplier"), ("flex", "flex_multiplier"), ("priority", "priority_multiplier")];
const TIER_SUFFIXES: [&str; 7] = ["_batches", "_flex", "_priority", "_ultrafast", "_balanced", "_decisions", "_fast"];

/// A price field in USD per token: a number (or a numeric string, which
/// LiteLLM also accepts), `None` when absent or null.
fn price(key: &str, o: &Map<String, Value>, field: &str) -> Result<Option<f64>, LiteLlmError> {
    let bad = |v: &Value| LiteLlmError::BadPrice { key: key.into(), field: field.into(), value: v.to_string() };
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
            _ => Err(bad(v)),
        },
        Some(v @ Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
            _ => Err(bad(v)),
        },
        Some(v) => Err(bad(v)),
    }
}

/// USD per token -> USD per Mtok, rounded to 12 significant digits so that
/// binary noise (3e-7 x 1e6 = 0.30000000000000004) does not reach the file.
pub fn per_mtok(usd_per_token: f64) -> f64 {
    let x = usd_per_token * 1e6;
    format!("{x:.11e}").parse().unwrap_or(x)
}

/// The `N` of an `..._above_<N>[k]_tokens` key, in tokens.
fn threshold_of(field: &str) -> Option<u64> {
    let rest = field.strip_prefix("input_cost_per_token_above_")?;
    let n = rest.strip_suffix("_tokens")?;
    let (digits, scale) = match n.strip_suffix('k') {
        Some(d) => (d, 1000),
        None => (n, 1),
    };
    digits.parse::<u64>().ok().map(|d| d * scale)
}

fn convert(key: &str, o: &Map<String, Value>) -> Result<Converted, LiteLlmError> {
    match o.get("mode").and_then(Value::as_str) {
        Some(mode) if mode != "chat" => {
            return Err(LiteLlmError::NotChat { key: key.into(), mode: mode.into() });
        }
        _ => {}
    }
    let p = |field: &str| price(key, o, field);
    let (input, output) = (p("input_cost_per_token")?, p("output_cost_per_token")?);
    let (Some(input), Some(output)) = (input, output) else {
        let mut missing = Vec::new();
        if input.is_none() {
            missing.push("`input_cost_per_token`");
        }
        if output.is_none() {
            missing.push("`output_cost_per_token`");
        }
        return Err(LiteLlmError::Incomplete { key: key.into(), missing });
    };
    if o.get("tiered_pricing").and_then(Value::as_array).is_some_and(|a| !a.is_empty()) {
        return Err(LiteLlmError::Unsupported { key: key.into(), what: "`tiered_pricing` (range-based rates)".into() });
    }
    // LiteLLM keys its long-context detection on the input price only.
    let mut thresholds: Vec<u64> =
        o.keys().filter(|k| !TIER_SUFFIXES.iter().any(|s| k.ends_with(s))).filter_map(|k| threshold_of(k)).collect();
    thresholds.sort_unstable();
    thresholds.dedup();
    if thresholds.len() > 1 {
        return Err(LiteLlmError::Unsupported {
            key: key.into(),
            what: format!(
                "{} long-context thresholds ({}) where agentsim has one",
                thresholds.len(),
                thresholds.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
            ),
        });
    }

    let provider = o.get("litellm_provider").and_then(Value::as_str).unwrap_or("");
    let rules = CacheRules::infer(provider, key);
    let params = rules.params();
    let read = p("cache_read_input_token_cost")?;
    let creation = p("cache_creation_input_token_cost")?.filter(|c| *c > 0.0);
    let one_hour = p("cache_creation_input_token_cost_above_1hr")?;
    let supports = o.get("supports_prompt_caching").and_then(Value::as_bool);
    let has_cache_prices = read.is_some() || o.contains_key("cache_creation_input_token_cost");
    let cache_enabled = has_cache_prices || supports == Some(true);
    let mut notes = Vec::new();
    if !has_cache_prices && cache_enabled {
        notes.push("no cache prices in LiteLLM but supports_prompt_caching: cache on at the input price".to_owned());
    }
    let mut tiers = vec![params.ttl];
    if one_hour.is_some() && params.ttl != "1h" {
        tiers.push("1h");
    }

    let base = Sheet {
        input: per_mtok(input),
        cache_read: per_mtok(read.unwrap_or(input)),
        writes: {
            let mut w = vec![per_mtok(creation.unwrap_or(input))];
            if tiers.len() > 1 {
                w.push(per_mtok(one_hour.unwrap_or(input)));
            }
            w
        },
        output: per_mtok(output),
    };

    let long = match thresholds.first() {
        None => None,
        Some(&n) => {
            let suffix = o
                .keys()
                .find(|k| threshold_of(k) == Some(n) && !TIER_SUFFIXES.iter().any(|s| k.ends_with(s)))
                .and_then(|k| k.strip_prefix("input_cost_per_token_above_"))
                .unwrap_or_default()
                .to_owned();
            let above = |base: &str| p(&format!("{base}_above_{suffix}"));
            let l_input = above("input_cost_per_token")?.unwrap_or(input);
            let l_read = match above("cache_read_input_token_cost")? {
                Some(r) => r,
                // No cache discount at all: a read costs what input costs.
                None => read.unwrap_or(l_input),
            };
            let l_write = match above("cache_creation_input_token_cost")?.filter(|c| *c > 0.0) {
                Some(c) => c,
                None => creation.unwrap_or(l_input),
            };
            let mut writes = vec![per_mtok(l_write)];
            if tiers.len() > 1 {
                let l_1h = above("cache_creation_input_token_cost_above_1hr")?.or(one_hour).unwrap_or(l_input);
                writes.push(per_mtok(l_1h));
            }
            let sheet = Sheet {
                input: per_mtok(l_input),
                cache_read: per_mtok(l_read),
                writes,
                output: per_mtok(above("output_cost_per_token")?.unwrap_or(output)),
            };
            // xAI bills the higher rates once the prompt reaches the threshold;
            // agentsim's rule is "exceeds", hence one token less.
            let threshold = if provider == "xai" {
                if n > 0 {
                    notes.push(format!("xAI bills long context from {n} tokens inclusive: threshold {} here", n - 1));
                }
                n.saturating_sub(1)
            } else {
                n
            };
            Some((threshold, sheet))
        }
    };

    let mut tier_multipliers = Vec::new();
    for (suffix, name) in SERVICE_TIERS {
        let mut ratios: Vec<(&str, f64)> = Vec::new();
        for (class, std) in [
            ("input_cost_per_token", Some(input)),
            ("output_cost_per_token", Some(output)),
            ("cache_read_input_token_cost", read),
            ("cache_creation_input_token_cost", creation),
        ] {
            if let (Some(std), Some(t)) = (std.filter(|s| *s > 0.0), p(&format!("{class}_{suffix}"))?) {
                ratios.push((class, t / std));
            }
        }
        let Some(&(_, m)) = ratios.first() else {
            continue;
        };
        let m = round_sig(m);
        let odd: Vec<String> = ratios
            .iter()
            .filter(|(_, r)| (r - m).abs() > 1e-9 * m.abs().max(1e-12))
            .map(|(c, r)| format!("{c} x{}", round_sig(*r)))
            .collect();
        let note = (!odd.is_empty()).then(|| {
            format!(
                "LiteLLM's _{suffix} rates are not one ratio of the standard ones ({}); {name} uses the {} ratio",
                odd.join(", "),
                ratios[0].0
            )
        });
        tier_multipliers.push((name, m, note));
    }

    let windows = off_peak_windows(key, o, input, output, read, &mut notes)?;

    Ok(Converted {
        key: key.into(),
        cache_enabled,
        rules,
        min_tokens: o.get("prompt_cache_min_tokens").and_then(Value::as_u64).unwrap_or(params.min_tokens),
        tiers,
        base,
        long,
        tier_multipliers,
        windows,
        notes,
    })
}

fn round_sig(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

/// Time-of-day windows from `off_peak_pricing`, when the off-peak rates are one
/// ratio of the standard rates (agentsim's windows multiply every price).
fn off_peak_windows(
    key: &str,
    o: &Map<String, Value>,
    input: f64,
    output: f64,
    read: Option<f64>,
    notes: &mut Vec<String>,
) -> Result<Vec<(String, String, f64)>, LiteLlmError> {
    let Some(off) = o.get("off_peak_pricing").and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    let mut ratios = Vec::new();
    for (field, std) in [
        ("input_cost_per_token", Some(input)),
        ("output_cost_per_token", Some(output)),
        ("cache_read_input_token_cost", read),
    ] {
        if let (Some(std), Some(v)) = (std.filter(|s| *s > 0.0), price(key, off, field)?) {
            ratios.push(v / std);
        }
    }
    let Some(&m) = ratios.first() else {
        return Ok(Vec::new());
    };
    if ratios.iter().any(|r| (r - m).abs() > 1e-9 * m) {
        notes.push("off_peak_pricing rates are not one ratio of the standard rates: no windows".into());
        return Ok(Vec::new());
    }
    let strings = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        }
    };
    let mut spans = strings(off.get("hours_utc"));
    let mut weekday_rules = false;
    if let Some(rules) = off.get("windows").and_then(Value::as_array) {
        for rule in rules {
            let days = rule.get("weekdays").and_then(Value::as_array);
            weekday_rules |= days.is_some();
            // Monday (1) stands for every weekday: no calendar in the simulator.
            let monday = days.is_none_or(|d| {
                d.iter().any(|x| x.as_u64() == Some(1) || x.as_str().is_some_and(|s| s.starts_with("mon")))
            });
            if monday {
                spans.extend(strings(rule.get("hours_utc")));
            }
        }
    }
    if weekday_rules {
        notes.push("off-peak windows are LiteLLM's Monday-Friday ones; weekends are billed like weekdays".into());
    }
    let m = round_sig(m);
    let mut out = Vec::new();
    for span in spans {
        let Some((start, end)) = span.split_once('-') else {
            continue;
        };
        let (start, end) = (start.trim().to_owned(), end.trim().to_owned());
        if start == end {
            // A whole day: agentsim's windows need start != end.
            out.push((start.clone(), "12:00".to_owned(), m));
            out.push(("12:00".to_owned(), end, m));
        } else {
            out.push((start, end, m));
        }
    }
    Ok(out)
}

/// A TOML number that always reads back as a float.
pub(crate) fn num(x: f64) -> String {
    let s = format!("{x}");
    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") { s } else { format!("{s}.0") }
}

/// A TOML basic string.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn writes_value(tiers: &[&str], writes: &[f64]) -> String {
    if tiers.len() == 1 {
        num(writes[0])
    } else {
        let parts: Vec<String> = tiers.iter().zip(writes).map(|(t, w)| format!("{} = {}", quote(t), num(*w))).collect();
        format!("{{ {} }}", parts.join(", "))
    }
}

/// The inline comment of a cache key the provider's docs do not publish:
/// `catalog::assumptions` reads it, so sensitivity analysis varies the key.
fn assumed_mark(params: &RuleParams, key: &str) -> &'static str {
    if params.assumed.contains(&key) { "  # assumption" } else { "" }
}

fn render(c: &Converted) -> String {
    let params = c.rules.params();
    let mut s = String::new();
    // `let _ =`: writing to a String cannot fail.
    let _ = writeln!(s, "model = {}", quote(&c.key));
    let _ = writeln!(s, "as_of = {}", quote(CATALOG_AS_OF));
    let _ = writeln!(s, "source = {}", quote(&format!("LiteLLM model_prices_and_context_window.json (key {})", c.key)));
    for note in &c.notes {
        let _ = writeln!(s, "# note: {note}");
    }
    s.push_str(
        "\n[serving]\n\
         # LiteLLM has no speeds: generic frontier-API medians (docs/providers.md)\n\
         slots = 64  # assumption\n\
         base_latency = \"1s\"  # assumption\n\
         prefill_tokens_per_s = 10000.0  # assumption\n\
         decode_tokens_per_s = 100.0  # assumption\n",
    );
    s.push_str("\n[cache]\n");
    let _ = writeln!(s, "# rules: {}", params.note);
    if !c.cache_enabled {
        s.push_str("# LiteLLM lists no cache price and no supports_prompt_caching\n");
        s.push_str("enabled = false\n");
    }
    let _ = writeln!(s, "mode = {}", quote(if params.explicit { "explicit" } else { "automatic" }));
    let _ = writeln!(s, "min_tokens = {}", c.min_tokens);
    let _ = writeln!(s, "granularity_tokens = {}{}", params.granularity, assumed_mark(&params, "granularity_tokens"));
    if c.tiers.len() == 1 {
        let _ = writeln!(s, "ttl = {}{}", quote(c.tiers[0]), assumed_mark(&params, "ttl"));
    } else {
        let parts: Vec<String> =
            c.tiers.iter().map(|t| format!("{{ name = {}, ttl = {} }}", quote(t), quote(t))).collect();
        let _ = writeln!(s, "tiers = [{}]", parts.join(", "));
    }
    s.push_str("refresh_on_hit = true\n");
    if let Some(l) = params.max_lifetime {
        let _ = writeln!(s, "max_lifetime = {}", quote(l));
    }
    s.push_str("miss_probability = 0.0\n");
    if params.explicit {
        s.push_str("max_breakpoints = 4\nlookback_blocks = 20\n");
    }

    s.push_str("\n[pricing]\n");
    let b = &c.base;
    let _ = writeln!(s, "input_usd_per_mtok = {}", num(b.input));
    let _ = writeln!(s, "cache_read_usd_per_mtok = {}", num(b.cache_read));
    let _ = writeln!(s, "cache_write_usd_per_mtok = {}", writes_value(&c.tiers, &b.writes));
    let _ = writeln!(s, "output_usd_per_mtok = {}", num(b.output));
    for (name, m, note) in &c.tier_multipliers {
        if let Some(note) = note {
            let _ = writeln!(s, "# note: {note}");
        }
        let _ = writeln!(s, "{name} = {}", num(*m));
    }
    if let Some((threshold, l)) = &c.long {
        let _ = writeln!(
            s,
            "long_context = {{ threshold_tokens = {threshold}, input_usd_per_mtok = {}, cache_read_usd_per_mtok = {}, cache_write_usd_per_mtok = {}, output_usd_per_mtok = {} }}",
            num(l.input),
            num(l.cache_read),
            writes_value(&c.tiers, &l.writes),
            num(l.output)
        );
    }
    if !c.windows.is_empty() {
        let parts: Vec<String> = c
            .windows
            .iter()
            .map(|(a, b, m)| format!("{{ start = {}, end = {}, multiplier = {} }}", quote(a), quote(b), num(*m)))
            .collect();
        let _ = writeln!(s, "windows = [{}]", parts.join(", "));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOG: &str = r#"{
        "sample_spec": { "input_cost_per_token": 0.0, "mode": "one of: chat, embedding" },
        "claude-x": {
            "litellm_provider": "anthropic", "mode": "chat",
            "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
            "cache_read_input_token_cost": 3e-07,
            "cache_creation_input_token_cost": 3.75e-06,
            "cache_creation_input_token_cost_above_1hr": 6e-06,
            "input_cost_per_token_above_200k_tokens": 6e-06,
            "output_cost_per_token_above_200k_tokens": 2.25e-05,
            "cache_read_input_token_cost_above_200k_tokens": 6e-07,
            "cache_creation_input_token_cost_above_200k_tokens": 7.5e-06,
            "input_cost_per_token_batches": 1.5e-06, "output_cost_per_token_batches": 7.5e-06,
            "prompt_cache_min_tokens": 2048
        },
        "gpt-y": {
            "litellm_provider": "openai", "mode": "chat",
            "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1.5e-05,
            "cache_read_input_token_cost": 2.5e-07,
            "cache_read_input_token_cost_batches": 1.3e-07,
            "input_cost_per_token_batches": 1.25e-06, "output_cost_per_token_batches": 7.5e-06
        },
        "grok-z": {
            "litellm_provider": "xai", "mode": "chat",
            "input_cost_per_token": 2e-06, "output_cost_per_token": 6e-06,
            "cache_read_input_token_cost": 5e-07,
            "input_cost_per_token_above_200k_tokens": 4e-06
        },
        "cheap-ds": {
            "litellm_provider": "deepseek", "mode": "chat",
            "input_cost_per_token": 3e-07, "output_cost_per_token": 1.2e-06,
            "cache_read_input_token_cost": 6e-09, "cache_creation_input_token_cost": 0.0,
            "off_peak_pricing": { "input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07,
                "cache_read_input_token_cost": 3e-09,
                "windows": [ { "hours_utc": ["00:00-01:00", "10:00-00:00"], "weekdays": [1,2,3,4,5] },
                             { "hours_utc": "00:00-00:00", "weekdays": [6,7] } ] }
        },
        "plain": { "litellm_provider": "together_ai", "mode": "chat",
            "input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07 },
        "plain-caching": { "litellm_provider": "together_ai", "mode": "chat",
            "input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07,
            "supports_prompt_caching": true },
        "half": { "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06 },
        "embed": { "litellm_provider": "openai", "mode": "embedding", "input_cost_per_token": 1e-07 },
        "two-tiers": { "litellm_provider": "kyma", "mode": "chat",
            "input_cost_per_token": 1e-07, "output_cost_per_token": 2e-07,
            "input_cost_per_token_above_32k_tokens": 2e-07, "input_cost_per_token_above_128k_tokens": 3e-07 }
    }"#;

    fn table(key: &str) -> toml::Table {
        let text = provider_toml(CATALOG, key).unwrap();
        text.parse::<toml::Table>().unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    fn f(t: &toml::Table, path: &[&str]) -> f64 {
        let mut v = &t[path[0]];
        for p in &path[1..] {
            v = &v[*p];
        }
        v.as_float().unwrap_or_else(|| panic!("{path:?} = {v:?}"))
    }

    #[test]
    fn anthropic_entry_becomes_explicit_two_tier_with_long_context() {
        let t = table("claude-x");
        assert_eq!(t["as_of"].as_str(), Some(CATALOG_AS_OF));
        assert!(t["source"].as_str().unwrap().contains("(key claude-x)"));
        assert_eq!(t["cache"]["mode"].as_str(), Some("explicit"));
        assert_eq!(t["cache"]["min_tokens"].as_integer(), Some(2048));
        assert_eq!(t["cache"]["tiers"].as_array().unwrap().len(), 2);
        assert_eq!(f(&t, &["pricing", "input_usd_per_mtok"]), 3.0);
        assert_eq!(f(&t, &["pricing", "cache_read_usd_per_mtok"]), 0.3);
        assert_eq!(f(&t, &["pricing", "cache_write_usd_per_mtok", "5m"]), 3.75);
        assert_eq!(f(&t, &["pricing", "cache_write_usd_per_mtok", "1h"]), 6.0);
        assert_eq!(f(&t, &["pricing", "output_usd_per_mtok"]), 15.0);
        assert_eq!(f(&t, &["pricing", "batch_multiplier"]), 0.5);
        let lc = &t["pricing"]["long_context"];
        assert_eq!(lc["threshold_tokens"].as_integer(), Some(200_000));
        assert_eq!(lc["input_usd_per_mtok"].as_float(), Some(6.0));
        assert_eq!(lc["cache_read_usd_per_mtok"].as_float(), Some(0.6));
        assert_eq!(lc["cache_write_usd_per_mtok"]["5m"].as_float(), Some(7.5));
        // No 1h price above 200k: LiteLLM falls back to the base 1h price.
        assert_eq!(lc["cache_write_usd_per_mtok"]["1h"].as_float(), Some(6.0));
        assert_eq!(lc["output_usd_per_mtok"].as_float(), Some(22.5));
    }

    #[test]
    fn openai_entry_is_automatic_and_writes_cost_input() {
        let text = provider_toml(CATALOG, "gpt-y").unwrap();
        let t = table("gpt-y");
        assert_eq!(t["cache"]["mode"].as_str(), Some("automatic"));
        assert_eq!(t["cache"]["granularity_tokens"].as_integer(), Some(128));
        assert_eq!(t["cache"]["ttl"].as_str(), Some("10m"));
        assert_eq!(t["cache"]["max_lifetime"].as_str(), Some("1h"));
        assert_eq!(f(&t, &["pricing", "cache_write_usd_per_mtok"]), 2.5);
        assert_eq!(f(&t, &["pricing", "batch_multiplier"]), 0.5);
        // 0.13 / 0.25 = 0.52: the disagreement is written down.
        assert!(text.contains("cache_read_input_token_cost x0.52"), "{text}");
    }

    #[test]
    fn xai_threshold_is_inclusive_and_missing_long_rates_fall_back() {
        let t = table("grok-z");
        let lc = &t["pricing"]["long_context"];
        assert_eq!(lc["threshold_tokens"].as_integer(), Some(199_999));
        assert_eq!(lc["input_usd_per_mtok"].as_float(), Some(4.0));
        assert_eq!(lc["output_usd_per_mtok"].as_float(), Some(6.0));
        assert_eq!(lc["cache_read_usd_per_mtok"].as_float(), Some(0.5));
    }

    #[test]
    fn deepseek_zero_write_price_is_input_and_off_peak_becomes_windows() {
        let t = table("cheap-ds");
        assert_eq!(f(&t, &["pricing", "cache_write_usd_per_mtok"]), 0.3);
        assert_eq!(t["cache"]["ttl"].as_str(), Some("24h"));
        let w = t["pricing"]["windows"].as_array().unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w[1]["start"].as_str(), Some("10:00"));
        assert_eq!(w[1]["end"].as_str(), Some("00:00"));
        assert_eq!(w[1]["multiplier"].as_float(), Some(0.5));
    }

    #[test]
    fn cache_without_prices_depends_on_supports_prompt_caching() {
        let off = table("plain");
        assert_eq!(off["cache"]["enabled"].as_bool(), Some(false));
        let on = table("plain-caching");
        assert!(on["cache"].get("enabled").is_none());
        assert_eq!(f(&on, &["pricing", "cache_read_usd_per_mtok"]), 0.15);
    }

    #[test]
    fn errors_name_the_key_and_the_problem() {
        let e = provider_toml(CATALOG, "claude-xx").unwrap_err();
        assert!(
            e.to_string().contains("unknown LiteLLM model key `claude-xx`") && e.to_string().contains("`claude-x`"),
            "{e}"
        );
        let e = provider_toml(CATALOG, "half").unwrap_err().to_string();
        assert!(e.contains("`half` is incomplete") && e.contains("output_cost_per_token"), "{e}");
        let e = provider_toml(CATALOG, "embed").unwrap_err().to_string();
        assert!(e.contains("`embed` is an `embedding` model, not a chat model"), "{e}");
        for (mode, shown) in [("image_generation", "an `image_generation`"), ("rerank", "a `rerank`")] {
            let e = LiteLlmError::NotChat { key: "k".into(), mode: mode.into() }.to_string();
            assert_eq!(e, format!("LiteLLM entry `k` is {shown} model, not a chat model"));
        }
        let e = provider_toml(CATALOG, "sample_spec").unwrap_err().to_string();
        assert!(e.contains("`sample_spec` is not a model"), "{e}");
        let e = provider_toml(CATALOG, "two-tiers").unwrap_err().to_string();
        assert!(e.contains("`two-tiers`") && e.contains("32000, 128000"), "{e}");
        let e = provider_toml("[1]", "x").unwrap_err();
        assert_eq!(e, LiteLlmError::NotAnObject);
        assert!(matches!(provider_toml("{", "x").unwrap_err(), LiteLlmError::Json(_)));
    }

    #[test]
    fn chat_models_with_cache_prices_are_sorted_and_filtered() {
        let keys = chat_models_with_cache_prices(CATALOG).unwrap();
        assert_eq!(keys, ["cheap-ds", "claude-x", "gpt-y", "grok-z"]);
    }

    #[test]
    fn the_cache_numbers_a_note_calls_assumed_are_marked_assumed() {
        let assumed = |r: CacheRules| r.params().assumed;
        assert_eq!(assumed(CacheRules::Anthropic), [] as [&str; 0]);
        assert_eq!(assumed(CacheRules::Groq), [] as [&str; 0], "Groq publishes its 2h expiry");
        assert_eq!(assumed(CacheRules::OpenAi), ["ttl"]);
        assert_eq!(assumed(CacheRules::Other), ["ttl"]);
        assert_eq!(assumed(CacheRules::Cerebras), ["granularity_tokens"]);
        assert_eq!(assumed(CacheRules::DeepSeek), ["ttl", "granularity_tokens"]);
        // Every rule whose note says "assumed" or "assumption" marks something.
        for r in [CacheRules::Gemini, CacheRules::Xai, CacheRules::Fireworks, CacheRules::SambaNova] {
            assert!(r.params().note.contains("assum") && assumed(r) == ["ttl"], "{r:?}");
        }
    }

    #[test]
    fn per_mtok_removes_binary_noise() {
        assert_eq!(per_mtok(3e-7), 0.3);
        assert_eq!(num(per_mtok(3e-6)), "3.0");
        assert_eq!(per_mtok(1.3e-7), 0.13);
    }
}
