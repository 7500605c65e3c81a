//! The built-in provider catalog: presets of real models with their prices,
//! cache rules, `as_of` date and source, and the LiteLLM catalog import.
//!
//! A preset is a provider table in the scenario format without `name` (one
//! TOML file per preset under `presets/`, embedded at compile time so the
//! engine needs no file I/O). The scenario loader merges a user's keys over
//! it (`preset = "anthropic/claude-sonnet-4-6"`). docs/providers.md lists every
//! number, its source, and which are assumptions.

pub mod assumptions;
pub mod litellm;

use std::fmt;

/// (name, TOML table), sorted by name: `preset_names` relies on the order.
const PRESETS: &[(&str, &str)] = &[
    ("anthropic/claude-haiku-4-5", include_str!("presets/anthropic__claude-haiku-4-5.toml")),
    ("anthropic/claude-opus-4-8", include_str!("presets/anthropic__claude-opus-4-8.toml")),
    ("anthropic/claude-sonnet-4-6", include_str!("presets/anthropic__claude-sonnet-4-6.toml")),
    ("cerebras/gpt-oss-120b", include_str!("presets/cerebras__gpt-oss-120b.toml")),
    ("deepseek/deepseek-v4-flash", include_str!("presets/deepseek__deepseek-v4-flash.toml")),
    ("fireworks/gpt-oss-120b", include_str!("presets/fireworks__gpt-oss-120b.toml")),
    ("google/gemini-2.5-flash", include_str!("presets/google__gemini-2.5-flash.toml")),
    ("google/gemini-2.5-pro", include_str!("presets/google__gemini-2.5-pro.toml")),
    ("groq/gpt-oss-120b", include_str!("presets/groq__gpt-oss-120b.toml")),
    ("openai/gpt-5.4", include_str!("presets/openai__gpt-5.4.toml")),
    ("openai/gpt-5.4-mini", include_str!("presets/openai__gpt-5.4-mini.toml")),
    ("sambanova/gpt-oss-120b", include_str!("presets/sambanova__gpt-oss-120b.toml")),
    ("selfhosted/llama-3.1-8b-h100", include_str!("presets/selfhosted__llama-3.1-8b-h100.toml")),
    ("together/gpt-oss-120b", include_str!("presets/together__gpt-oss-120b.toml")),
    ("xai/grok-4.3", include_str!("presets/xai__grok-4.3.toml")),
];

/// The preset's provider table (TOML, without `name`), or `None`.
pub fn preset_toml(name: &str) -> Option<&'static str> {
    PRESETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Every preset name, sorted.
pub fn preset_names() -> Vec<&'static str> {
    PRESETS.iter().map(|(n, _)| *n).collect()
}

/// No preset has this name; carries the closest names for the message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct UnknownPreset {
    pub name: String,
    pub suggestions: Vec<String>,
}

impl UnknownPreset {
    pub fn new(name: &str) -> Self {
        UnknownPreset {
            name: name.into(),
            suggestions: close_matches(name, preset_names()).into_iter().map(str::to_owned).collect(),
        }
    }
}

impl fmt::Display for UnknownPreset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown provider preset `{}`", self.name)?;
        if self.suggestions.is_empty() {
            write!(f, " (`agentsim providers list` shows them all)")
        } else {
            let s: Vec<String> = self.suggestions.iter().map(|s| format!("`{s}`")).collect();
            write!(f, " (did you mean {}?)", s.join(", "))
        }
    }
}

/// Up to five candidates close to `query`: containing it (or contained in it),
/// or within an edit distance of a third of its length, closest first.
pub fn close_matches<'a>(query: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let q = query.to_ascii_lowercase();
    let budget = (q.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let lc = c.to_ascii_lowercase();
            let d = edit_distance(&q, &lc);
            let related = !q.is_empty() && (lc.contains(&q) || q.contains(&lc));
            (d <= budget || related).then_some((d, c))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(5).map(|(_, c)| c).collect()
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// A provider table (preset or LiteLLM import) as a ready-to-paste
/// `[[providers]]` entry named `name`: sub-tables `[x]` become `[providers.x]`.
pub fn provider_block(name: &str, table_toml: &str) -> String {
    let mut out = format!("[[providers]]\nname = {}\n", litellm::quote(name));
    for line in table_toml.lines() {
        match table_header(line) {
            Some(inner) => {
                out.push_str("[providers.");
                out.push_str(inner);
                out.push_str("]\n");
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// `serving` for a line `[serving]` (a standard table header), else `None`.
fn table_header(line: &str) -> Option<&str> {
    let inner = line.trim_end().strip_prefix('[')?.strip_suffix(']')?;
    let simple =
        !inner.is_empty() && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    simple.then_some(inner)
}

/// Whether a provider table is self-hosted replicas (a `[replicas]` table)
/// rather than an API with token prices.
pub fn is_self_hosted(table_toml: &str) -> bool {
    table_toml.parse::<toml::Table>().is_ok_and(|t| t.get("replicas").is_some_and(toml::Value::is_table))
}

/// The headline numbers of a self-hosted preset, for `agentsim providers list`.
#[derive(Clone, Debug, PartialEq)]
pub struct SelfHostedSummary {
    pub model: String,
    pub as_of: String,
    /// `fitted` or `roofline`.
    pub step: String,
    /// KV blocks per replica as written, or `from GPU memory`.
    pub kv_blocks: String,
    /// USD per replica-hour: `2` or `2-4`.
    pub usd_per_replica_hour: String,
}

/// Reads the headline numbers of a `[replicas]` provider table.
pub fn summarize_self_hosted(table_toml: &str) -> Result<SelfHostedSummary, String> {
    let t: toml::Table = table_toml.parse().map_err(|e| format!("{e}"))?;
    let r = t.get("replicas").and_then(toml::Value::as_table).ok_or("no [replicas] table")?;
    let number = |v: &toml::Value| match v {
        toml::Value::Float(x) => Some(*x),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    };
    let price = match r.get("usd_per_replica_hour") {
        None => "0".to_owned(),
        Some(toml::Value::Array(a)) => {
            let ends: Option<Vec<f64>> = a.iter().map(number).collect();
            match ends.as_deref() {
                Some([low, high]) => format!("{low}-{high}"),
                _ => return Err("usd_per_replica_hour is not [low, high]".to_owned()),
            }
        }
        Some(v) => number(v).ok_or("usd_per_replica_hour is not a number")?.to_string(),
    };
    let str_of = |k: &str| t.get(k).and_then(toml::Value::as_str).unwrap_or("").to_owned();
    Ok(SelfHostedSummary {
        model: str_of("model"),
        as_of: str_of("as_of"),
        step: if r.contains_key("roofline") { "roofline" } else { "fitted" }.to_owned(),
        kv_blocks: r
            .get("kv_blocks")
            .and_then(toml::Value::as_integer)
            .map_or("from GPU memory".to_owned(), |n| n.to_string()),
        usd_per_replica_hour: price,
    })
}

/// The headline numbers of a provider table, for `agentsim providers list`.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderSummary {
    pub model: String,
    pub as_of: String,
    pub input_usd_per_mtok: f64,
    pub cache_read_usd_per_mtok: f64,
    /// Write price of the first cache tier.
    pub cache_write_usd_per_mtok: f64,
    pub output_usd_per_mtok: f64,
    /// `automatic`, `explicit`, or `off` when the cache is disabled.
    pub cache_mode: String,
    /// TTL of each cache tier, in order.
    pub ttls: Vec<String>,
    pub min_tokens: u64,
}

/// Reads the headline numbers of a provider table; cache prices default to the
/// input price as in scenario files.
pub fn summarize(table_toml: &str) -> Result<ProviderSummary, String> {
    let t: toml::Table = table_toml.parse().map_err(|e| format!("{e}"))?;
    let empty = toml::Table::new();
    let sub = |k: &str| t.get(k).and_then(toml::Value::as_table).unwrap_or(&empty);
    let (cache, pricing) = (sub("cache"), sub("pricing"));
    let number = |v: Option<&toml::Value>| match v {
        Some(toml::Value::Float(x)) => Some(*x),
        Some(toml::Value::Integer(i)) => Some(*i as f64),
        _ => None,
    };
    let input = number(pricing.get("input_usd_per_mtok")).ok_or("no pricing.input_usd_per_mtok")?;
    let output = number(pricing.get("output_usd_per_mtok")).ok_or("no pricing.output_usd_per_mtok")?;
    let read = number(pricing.get("cache_read_usd_per_mtok")).unwrap_or(input);
    let tiers: Vec<(String, String)> = match cache.get("tiers").and_then(toml::Value::as_array) {
        Some(a) => a
            .iter()
            .map(|t| {
                let s = |k| t.get(k).and_then(toml::Value::as_str).unwrap_or("?").to_owned();
                (s("name"), s("ttl"))
            })
            .collect(),
        None => {
            let ttl = cache.get("ttl").and_then(toml::Value::as_str).unwrap_or("5m");
            vec![(ttl.to_owned(), ttl.to_owned())]
        }
    };
    let write = match pricing.get("cache_write_usd_per_mtok") {
        Some(toml::Value::Table(by_tier)) => number(by_tier.get(&tiers[0].0)),
        v => number(v),
    }
    .unwrap_or(input);
    let enabled = cache.get("enabled").and_then(toml::Value::as_bool).unwrap_or(true);
    let str_of = |k: &str| t.get(k).and_then(toml::Value::as_str).unwrap_or("").to_owned();
    Ok(ProviderSummary {
        model: str_of("model"),
        as_of: str_of("as_of"),
        input_usd_per_mtok: input,
        cache_read_usd_per_mtok: read,
        cache_write_usd_per_mtok: write,
        output_usd_per_mtok: output,
        cache_mode: if enabled {
            cache.get("mode").and_then(toml::Value::as_str).unwrap_or("automatic").to_owned()
        } else {
            "off".to_owned()
        },
        ttls: tiers.into_iter().map(|(_, ttl)| ttl).collect(),
        min_tokens: cache.get("min_tokens").and_then(toml::Value::as_integer).map_or(0, |m| m.max(0) as u64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sorted_unique_and_cover_eight_providers() {
        let names = preset_names();
        assert!(names.len() >= 12, "{names:?}");
        assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
        let mut providers: Vec<&str> = names.iter().map(|n| n.split('/').next().unwrap()).collect();
        providers.dedup();
        assert!(providers.len() >= 8, "{providers:?}");
    }

    /// API presets (self-hosted ones are checked below).
    fn api_presets() -> impl Iterator<Item = &'static str> {
        preset_names().into_iter().filter(|n| !is_self_hosted(preset_toml(n).unwrap()))
    }

    #[test]
    fn every_preset_parses_and_carries_as_of_and_source_without_a_name() {
        for name in api_presets() {
            let text = preset_toml(name).unwrap();
            let t: toml::Table = text.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(t.get("name").is_none(), "{name} has a name");
            let as_of = t["as_of"].as_str().unwrap();
            assert!(
                as_of.len() == 10 && as_of.as_bytes()[4] == b'-' && as_of.as_bytes()[7] == b'-',
                "{name}: as_of {as_of}"
            );
            assert!(t["source"].as_str().unwrap().contains("(key "), "{name}");
            for table in ["serving", "cache", "pricing"] {
                assert!(t[table].is_table(), "{name}: no [{table}]");
            }
            let s = summarize(text).unwrap();
            assert!(s.input_usd_per_mtok > 0.0 && s.output_usd_per_mtok > 0.0, "{name}");
            assert!(s.cache_read_usd_per_mtok <= s.input_usd_per_mtok, "{name}");
        }
    }

    /// What a user sees in `agentsim providers show`: each serving number
    /// says whether it was measured (and where) or assumed.
    /// The keys of `section` (not of its sub-tables) and what each says it is.
    fn notes(name: &str, text: &str, section: &str) -> Vec<(String, String)> {
        let keys: Vec<(String, String)> = assumptions::key_notes(text)
            .into_iter()
            .filter(|(k, _)| k.rsplit_once('.').is_some_and(|(s, _)| s == section))
            .collect();
        assert!(!keys.is_empty(), "{name}: no [{section}]");
        keys
    }

    #[test]
    fn every_serving_number_says_measured_or_assumption() {
        for name in api_presets() {
            let keys = notes(name, preset_toml(name).unwrap(), "serving");
            for (line, said) in &keys {
                let measured = said.starts_with("measured: Artificial Analysis 2026");
                assert!(measured || said.starts_with("assumption"), "{name}: `{line}` says neither: {said:?}");
            }
            assert_eq!(keys.len(), 4, "{name}: {keys:?}");
        }
    }

    #[test]
    fn every_self_hosted_number_says_measured_or_assumption() {
        let hosted: Vec<&str> =
            preset_names().into_iter().filter(|n| is_self_hosted(preset_toml(n).unwrap())).collect();
        assert_eq!(hosted, ["selfhosted/llama-3.1-8b-h100"]);
        for name in hosted {
            let text = preset_toml(name).unwrap();
            let t: toml::Table = text.parse().unwrap();
            assert!(t["source"].as_str().unwrap().contains("BLIS"), "{name}");
            for section in ["replicas", "replicas.step"] {
                for (line, said) in notes(name, text, section) {
                    let measured = said.starts_with("measured: BLIS");
                    assert!(measured || said.starts_with("assumption"), "{name}: `{line}` says neither: {said:?}");
                }
            }
            assert!(t.get("serving").is_none() && t.get("cache").is_none(), "{name}: replicas replace both");
        }
        let s = summarize_self_hosted(preset_toml("selfhosted/llama-3.1-8b-h100").unwrap()).unwrap();
        assert_eq!(
            (s.model.as_str(), s.step.as_str(), s.kv_blocks.as_str(), s.usd_per_replica_hour.as_str()),
            ("llama-3.1-8b", "fitted", "29205", "2-4")
        );
        assert!(!is_self_hosted(preset_toml("together/gpt-oss-120b").unwrap()));
    }

    #[test]
    fn unknown_preset_suggests_close_names() {
        assert!(preset_toml("anthropic/claude-sonet-4-6").is_none());
        let e = UnknownPreset::new("anthropic/claude-sonet-4-6");
        assert_eq!(e.suggestions[0], "anthropic/claude-sonnet-4-6");
        let e = UnknownPreset::new("gpt-oss-120b");
        assert!(e.suggestions.contains(&"groq/gpt-oss-120b".to_owned()), "{e}");
        assert!(e.to_string().starts_with("unknown provider preset `gpt-oss-120b` (did you mean"));
    }

    #[test]
    fn provider_block_names_the_entry_and_nests_sub_tables() {
        let block = provider_block("sonnet", preset_toml("anthropic/claude-sonnet-4-6").unwrap());
        assert!(block.starts_with("[[providers]]\nname = \"sonnet\"\n"), "{block}");
        assert!(block.contains("\n[providers.cache]\n") && !block.contains("\n[cache]"));
        let doc: toml::Table = block.parse().unwrap();
        let p = &doc["providers"].as_array().unwrap()[0];
        assert_eq!(p["pricing"]["input_usd_per_mtok"].as_float(), Some(3.0));
    }

    #[test]
    fn summary_reads_first_tier_write_price_and_ttls() {
        let s = summarize(preset_toml("anthropic/claude-sonnet-4-6").unwrap()).unwrap();
        assert_eq!(s.cache_write_usd_per_mtok, 3.75);
        assert_eq!(s.ttls, ["5m", "1h"]);
        assert_eq!(s.cache_mode, "explicit");
        let s = summarize(preset_toml("together/gpt-oss-120b").unwrap()).unwrap();
        assert_eq!(s.cache_mode, "off");
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
