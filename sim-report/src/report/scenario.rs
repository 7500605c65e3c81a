//! The report's "what was simulated" and "assumptions and model limits"
//! sections, from summary.json and scenario.resolved.toml: the providers with
//! their prices, `as_of` dates and origins, and which numbers are a preset's
//! assumptions (the preset's own comments, read by sim-core's catalog).

use super::Block;
use crate::data::RunData;
use crate::style::significant;
use sim_core::scenario::parse_override;
use sim_core::sensitivity::assumed_parameters;

/// The prices shown per provider: (key in `[providers.pricing]`, column).
const PRICES: [(&str, &str); 4] = [
    ("input_usd_per_mtok", "input USD/Mtok"),
    ("output_usd_per_mtok", "output USD/Mtok"),
    ("cache_read_usd_per_mtok", "cache read USD/Mtok"),
    ("cache_write_usd_per_mtok", "cache write USD/Mtok"),
];

/// One `[[providers]]` table of the resolved scenario and the origin comment above it.
struct Provider {
    origin: String,
    table: toml::Table,
}

impl Provider {
    fn text(&self, key: &str) -> String {
        self.table.get(key).map_or_else(String::new, value_text)
    }
}

/// The resolved scenario's top-level table and its providers, or `None`
/// when the run directory has no (parseable) scenario.resolved.toml.
fn resolved(run: &RunData) -> Option<(toml::Table, Vec<Provider>)> {
    let text = run.resolved_scenario.as_deref()?;
    let doc: toml::Table = text.parse().ok()?;
    // The writer puts `# origin = "..."` right above each `[[providers]]`.
    let mut origins = Vec::new();
    let mut last_comment = None;
    for line in text.lines() {
        if let Some(o) = line.strip_prefix("# origin = ") {
            last_comment = Some(o.trim_matches('"').to_string());
        } else if line.trim() == "[[providers]]" {
            origins.push(last_comment.take().unwrap_or_default());
        } else if !line.trim().is_empty() {
            last_comment = None;
        }
    }
    let tables = doc.get("providers").and_then(toml::Value::as_array).cloned().unwrap_or_default();
    let providers = tables
        .into_iter()
        .zip(origins.into_iter().chain(std::iter::repeat(String::new())))
        .filter_map(|(t, origin)| Some(Provider { origin, table: t.as_table()?.clone() }))
        .collect();
    Some((doc, providers))
}

pub(super) fn what_was_simulated(run: &RunData) -> Vec<Block> {
    let s = &run.summary;
    let variants: Vec<&str> = s.variants.iter().map(|v| v.name.as_str()).collect();
    let mut out = Vec::new();
    let resolved = resolved(run);
    let description = resolved
        .as_ref()
        .and_then(|(doc, _)| doc.get("description").and_then(toml::Value::as_str))
        .map_or_else(String::new, |d| format!(": {d}"));
    out.push(Block::Paragraph(format!(
        "Scenario {}{description}. {} replicates with seed {}; variants: {} (the first is the baseline).",
        s.scenario,
        s.replicates,
        s.seed,
        variants.join(", ")
    )));
    let Some((doc, providers)) = resolved else {
        out.push(Block::Paragraph("No scenario.resolved.toml in the run directory: providers unknown.".into()));
        return out;
    };
    if let Some(workloads) = doc.get("workloads").and_then(toml::Value::as_array) {
        let items = workloads
            .iter()
            .filter_map(toml::Value::as_table)
            .map(|w| {
                let field = |k: &str| w.get(k).map_or_else(String::new, value_text);
                // A routed workload (docs/routing.md) names its policy and candidates instead.
                match w.get("routing").and_then(toml::Value::as_table) {
                    None => format!("workload {} on provider {}", field("name"), field("provider")),
                    Some(r) => {
                        let key = |k: &str| r.get(k).map_or_else(String::new, value_text);
                        let over = if r.contains_key("family") {
                            format!("family {}", key("family"))
                        } else {
                            format!("providers {}", key("providers"))
                        };
                        format!("workload {} routed ({}) across {over}", field("name"), key("policy"))
                    }
                }
            })
            .collect();
        out.push(Block::List(items));
    }
    let mut header: Vec<String> = ["provider", "model", "origin", "as_of"].map(String::from).to_vec();
    header.extend(PRICES.iter().map(|(_, col)| col.to_string()));
    let rows = providers
        .iter()
        .map(|p| {
            let pricing = p.table.get("pricing").and_then(toml::Value::as_table);
            let mut row = vec![p.text("name"), p.text("model"), p.origin.clone(), p.text("as_of")];
            row.extend(
                PRICES.iter().map(|(key, _)| pricing.and_then(|t| t.get(*key)).map_or_else(String::new, value_text)),
            );
            row
        })
        .collect();
    out.push(Block::Table { header, rows });
    let sources: Vec<String> = providers
        .iter()
        .filter(|p| p.table.contains_key("source"))
        .map(|p| format!("{}: {}", p.text("name"), p.text("source")))
        .collect();
    if !sources.is_empty() {
        out.push(Block::Subheading("Sources of the prices".into()));
        out.push(Block::List(sources));
    }
    out
}

pub(super) fn assumptions_and_limits(run: &RunData) -> Vec<Block> {
    let mut out = vec![Block::Subheading("Assumed numbers".into())];
    match assumed(run) {
        Err(why) => out.push(Block::Paragraph(format!("The assumed numbers cannot be listed: {why}."))),
        Ok(rows) if rows.is_empty() => out.push(Block::Paragraph(
            "No provider of this run keeps a preset's assumed number: every number is the scenario's \
             own or a published one."
                .into(),
        )),
        Ok(rows) => {
            out.push(Block::Paragraph(
                "The provider does not publish these numbers; the preset assumes them, and the scenario \
                 does not set them. agentsim sensitivity measures how much each moves the results \
                 over the range shown."
                    .into(),
            ));
            let header = ["provider", "key", "value", "range", "why"].map(String::from).to_vec();
            out.push(Block::Table { header, rows });
        }
    }
    out.push(Block::Subheading("Model limits".into()));
    out.push(Block::List(LIMITS.iter().map(|l| l.to_string()).collect()));
    out
}

/// The presets' assumed numbers the run's scenario (scenario.toml with the
/// manifest's `--set` overrides) leaves as they are, found exactly as
/// `agentsim sensitivity` finds its parameters: one row per number.
fn assumed(run: &RunData) -> Result<Vec<Vec<String>>, String> {
    let Some(text) = &run.scenario_toml else { return Ok(Vec::new()) };
    let overrides = run
        .manifest
        .as_ref()
        .and_then(|m| m["overrides"].as_array())
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(|o| parse_override(o.as_str()?).ok())
        .collect::<Vec<_>>();
    // A LiteLLM catalog is not kept in the run directory.
    let no_files = |path: &str| Err(format!("{path} (a LiteLLM catalog) is not in the run directory"));
    let params = assumed_parameters(text, &overrides, &no_files).map_err(|e| e.to_string())?;
    let names: Vec<String> =
        resolved(run).map(|(_, ps)| ps.iter().map(|p| p.text("name")).collect()).unwrap_or_default();
    Ok(params
        .into_iter()
        .map(|p| {
            // `providers[3].serving.x` -> the provider's name and `serving.x`.
            let (provider, key) = p
                .path
                .strip_prefix("providers[")
                .and_then(|r| r.split_once("]."))
                .and_then(|(i, key)| Some((names.get(i.parse::<usize>().ok()?)?.clone(), key.to_string())))
                .unwrap_or_else(|| (String::new(), p.path.clone()));
            vec![provider, key, p.current, format!("{}..{}", p.low, p.high), p.why]
        })
        .collect())
}

/// What the numbers of any run do not say (docs/model.md).
const LIMITS: [&str; 6] = [
    "Every number is a mean over the replicates with a Student-t 95% interval; with few replicates the intervals are wide.",
    "Variants run on common random numbers, so their paired differences are sharper than the overlap of their intervals.",
    "Latency is modelled (base latency, prefill and decode speeds, queueing for slots), not measured at the provider; other tenants' load is not simulated.",
    "Prompt caching follows the provider's published rules as modelled (docs/caching.md); a best-effort cache is a miss probability.",
    "Prices are those of the as_of date shown; providers change prices and cache rules.",
    "The time series is one replicate of the baseline and has no interval.",
];

/// A TOML value as short text: numbers with three significant digits at
/// most, strings bare, tables as `key value` pairs.
fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Float(f) => number(*f),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Table(t) => t.iter().map(|(k, v)| format!("{k} {}", value_text(v))).collect::<Vec<_>>().join(", "),
        toml::Value::Array(a) => a.iter().map(value_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn number(f: f64) -> String {
    if f == f.trunc() && f.abs() < 1e15 { format!("{f}") } else { significant(f, 4) }
}
