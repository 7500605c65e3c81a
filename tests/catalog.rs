//! The provider catalog: LiteLLM-derived providers bill exactly as LiteLLM's
//! documented cost rules say (fixture, and the full shared catalog when it is
//! present), presets agree with the catalog entries they cite, and the
//! `agentsim providers` subcommands.

use crate::support::{Scratch, agentsim, arg};
use serde_json::{Map, Value};
use sim_core::catalog::{self, litellm};
use sim_core::model::pricing::{classify_tokens, request_cost};
use sim_core::scenario::{self, Scenario, ServiceTier, SourceText};
use sim_core::time::SimTime;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/litellm_sample.json")
}

pub(crate) fn fixture_text() -> String {
    std::fs::read_to_string(fixture()).expect("read the LiteLLM fixture")
}

/// A one-provider scenario around a provider table.
fn scenario_around(table_toml: &str) -> Result<Scenario, scenario::ScenarioError> {
    let text = format!(
        "name = \"catalog-test\"\n\n{}\n[[workloads]]\nname = \"w\"\nprovider = \"p\"\nsteps = 1\noutput_tokens = 1\narrivals = {{ rate_per_s = 1.0, sessions = 1 }}\n",
        catalog::provider_block("p", table_toml)
    );
    scenario::load(&SourceText { name: "catalog-test.toml", text: &text }, &[])
}

// ---------------------------------------------------------------------------
// An independent implementation of LiteLLM's cost rules, read from the raw
// JSON entry (LiteLLM's `generic_cost_per_token`), with agentsim's documented
// readings where LiteLLM has no rule (docs/providers.md):
//   cost = uncached x input + reads x cache_read + writes x write price of
//   their tier + output x output;
//   above `input_cost_per_token_above_<N>k_tokens` (input > N*1000; xAI
//   >= N*1000) the `_above_` rates apply to the whole request, each falling
//   back to its base rate; inside an off-peak window (read as a Monday) the
//   `off_peak_pricing` rates replace the standard ones.
//   A write price that is absent or 0 means the provider does not bill writes
//   apart: they are prompt tokens at the input rate; an absent read price is
//   the input rate.
// ---------------------------------------------------------------------------

/// Token counts of one case: input, cache reads, writes (first tier), writes
/// (1h tier), output.
#[derive(Clone, Copy, Debug)]
struct Case {
    input: u64,
    read: u64,
    write: u64,
    write_1h: u64,
    output: u64,
}

#[derive(Debug, Default, PartialEq)]
struct Classes {
    uncached: f64,
    cache_read: f64,
    cache_write: f64,
    output: f64,
}

fn rate(e: &Map<String, Value>, k: &str) -> Option<f64> {
    match e.get(k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn long_threshold(e: &Map<String, Value>) -> Option<(String, u64)> {
    let tiers = ["_batches", "_flex", "_priority", "_ultrafast", "_balanced", "_decisions", "_fast"];
    e.keys().find_map(|k| {
        let n = k.strip_prefix("input_cost_per_token_above_")?.strip_suffix("_tokens")?;
        if tiers.iter().any(|t| k.ends_with(t)) {
            return None;
        }
        let v = match n.strip_suffix('k') {
            Some(d) => d.parse::<u64>().ok()? * 1000,
            None => n.parse().ok()?,
        };
        Some((n.to_owned(), v))
    })
}

fn minutes(hhmm: &str) -> Option<u32> {
    let (h, m) = hhmm.trim().split_once(':')?;
    Some(h.parse::<u32>().ok()? * 60 + m.parse::<u32>().ok()?)
}

/// Whether `tod_s` (UTC) is off-peak on a Monday under `off_peak_pricing`.
fn off_peak_monday(off: &Map<String, Value>, tod_s: u32) -> bool {
    let now = tod_s / 60;
    let spans = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect(),
            _ => vec![],
        }
    };
    let mut all = spans(off.get("hours_utc"));
    for rule in off.get("windows").and_then(Value::as_array).into_iter().flatten() {
        let monday =
            rule.get("weekdays").and_then(Value::as_array).is_none_or(|d| d.iter().any(|x| x.as_u64() == Some(1)));
        if monday {
            all.extend(spans(rule.get("hours_utc")));
        }
    }
    all.iter().any(|span| {
        let Some((a, b)) = span.split_once('-') else {
            return false;
        };
        let (Some(a), Some(b)) = (minutes(a), minutes(b)) else {
            return false;
        };
        if a < b {
            (a..b).contains(&now)
        } else {
            // start == end is the whole day; start > end wraps midnight.
            now >= a || now < b
        }
    })
}

fn litellm_cost(e: &Map<String, Value>, c: Case, tod_s: u32) -> Classes {
    let base_in = rate(e, "input_cost_per_token").unwrap();
    let base_out = rate(e, "output_cost_per_token").unwrap();
    let base_read = rate(e, "cache_read_input_token_cost");
    let base_write = rate(e, "cache_creation_input_token_cost").filter(|w| *w > 0.0);
    let base_1h = rate(e, "cache_creation_input_token_cost_above_1hr");
    let (mut inp, mut out, mut read, mut write, mut w1h) =
        (base_in, base_out, base_read.unwrap_or(base_in), base_write.unwrap_or(base_in), base_1h);
    if let Some((n, threshold)) = long_threshold(e) {
        let inclusive = e.get("litellm_provider").and_then(Value::as_str) == Some("xai");
        if c.input > threshold || (inclusive && c.input == threshold) {
            let above = |k: &str| rate(e, &format!("{k}_above_{n}_tokens"));
            inp = above("input_cost_per_token").unwrap_or(base_in);
            out = above("output_cost_per_token").unwrap_or(base_out);
            read = above("cache_read_input_token_cost").or(base_read).unwrap_or(inp);
            write = above("cache_creation_input_token_cost").filter(|w| *w > 0.0).or(base_write).unwrap_or(inp);
            w1h = above("cache_creation_input_token_cost_above_1hr").or(base_1h);
        }
    }
    let off_peak = e.get("off_peak_pricing").and_then(Value::as_object).filter(|off| off_peak_monday(off, tod_s));
    if let Some(off) = off_peak {
        inp = rate(off, "input_cost_per_token").unwrap_or(inp);
        out = rate(off, "output_cost_per_token").unwrap_or(out);
        read = rate(off, "cache_read_input_token_cost").unwrap_or(read);
        // No off-peak write rate: writes that are prompt tokens follow input.
        write = rate(off, "cache_creation_input_token_cost").filter(|w| *w > 0.0).or(base_write).unwrap_or(inp);
    }
    let uncached = c.input - c.read - c.write - c.write_1h;
    Classes {
        uncached: uncached as f64 * inp,
        cache_read: c.read as f64 * read,
        cache_write: c.write as f64 * write + c.write_1h as f64 * w1h.unwrap_or(0.0),
        output: c.output as f64 * out,
    }
}

fn agentsim_cost(s: &Scenario, c: Case, tod_s: u32) -> Classes {
    let p = &s.providers[0];
    let writes: Vec<u64> = if p.cache.tiers.len() > 1 {
        vec![c.write, c.write_1h]
    } else {
        assert_eq!(c.write_1h, 0, "a 1h write needs a 1h tier");
        vec![c.write]
    };
    let tokens = classify_tokens(c.input, c.read, &writes, c.output, 0);
    let cost = request_cost(&p.pricing, SimTime::ZERO, tod_s, ServiceTier::Standard, &tokens);
    Classes { uncached: cost.uncached, cache_read: cost.cache_read, cache_write: cost.cache_write, output: cost.output }
}

/// Agreement to 1e-9 relative (float rounding of the per-token rates), or
/// both below 1e-15 dollars.
pub(crate) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(a.abs()) || (a - b).abs() < 1e-15
}

/// The token-count cases for an entry: no cache, reads only, first-tier
/// writes, 1h writes (when priced), output only, and both sides of the
/// long-context threshold.
fn cases(e: &Map<String, Value>) -> Vec<Case> {
    let c = |input, read, write, write_1h, output| Case { input, read, write, write_1h, output };
    let mut v = vec![
        c(10_000, 0, 0, 0, 500),
        c(50_000, 40_000, 0, 0, 300),
        c(30_000, 10_000, 15_000, 0, 200),
        c(0, 0, 0, 0, 1_000),
    ];
    if e.contains_key("cache_creation_input_token_cost_above_1hr") {
        v.push(c(30_000, 5_000, 10_000, 8_000, 100));
    }
    if let Some((_, t)) = long_threshold(e) {
        for input in [t - 1, t, t + 1, t + 50_000] {
            v.push(c(input, input / 2, input / 4, 0, 700));
            if e.contains_key("cache_creation_input_token_cost_above_1hr") {
                v.push(c(input, input / 2, input / 8, input / 8, 700));
            }
        }
    }
    v
}

/// What the comparison of every chat model with cache prices found.
#[derive(Debug)]
pub(crate) struct Equivalence {
    /// Models imported and compared.
    pub(crate) checked: usize,
    /// Models refused as unsupported (tiered pricing, several thresholds).
    pub(crate) unsupported: usize,
    /// Token-class comparisons made (4 classes per case per time of day).
    pub(crate) comparisons: usize,
    /// One line per case where agentsim and LiteLLM's rules disagree.
    pub(crate) mismatches: Vec<String>,
}

/// Compares agentsim's bill with LiteLLM's rules for every chat model with
/// cache prices in `json`. Unsupported entries must be refused with a message
/// naming the key, and only for the documented reasons.
pub(crate) fn litellm_equivalence(json: &str) -> Equivalence {
    let cat = litellm::Catalog::parse(json).unwrap();
    let keys = cat.chat_models_with_cache_prices();
    assert!(!keys.is_empty());
    let mut found = Equivalence { checked: 0, unsupported: 0, comparisons: 0, mismatches: Vec::new() };
    for key in &keys {
        let e = cat.entry(key).unwrap();
        let table = match cat.provider_toml(key) {
            Ok(t) => t,
            Err(err @ litellm::LiteLlmError::Unsupported { .. }) => {
                let msg = err.to_string();
                assert!(msg.contains(&format!("`{key}`")), "{msg}");
                let thresholds = e.keys().filter(|k| k.starts_with("input_cost_per_token_above_")).count();
                assert!(e.contains_key("tiered_pricing") || thresholds > 1, "{msg}");
                found.unsupported += 1;
                continue;
            }
            Err(err) => panic!("{key}: {err}"),
        };
        let s = scenario_around(&table).unwrap_or_else(|err| panic!("{key}: {err}\n{table}"));
        let prov = s.providers[0].provenance.as_ref();
        assert!(prov.is_none_or(|p| p.as_of == litellm::CATALOG_AS_OF), "{key}");
        // 02:00 UTC is peak on weekdays (DeepSeek), 12:00 UTC off-peak.
        for tod_s in [2 * 3600, 12 * 3600] {
            for case in cases(e) {
                let want = litellm_cost(e, case, tod_s);
                let got = agentsim_cost(&s, case, tod_s);
                let ok = close(got.uncached, want.uncached)
                    && close(got.cache_read, want.cache_read)
                    && close(got.cache_write, want.cache_write)
                    && close(got.output, want.output);
                found.comparisons += 4;
                if !ok {
                    found.mismatches.push(format!("{key} {case:?} at {tod_s}s: agentsim {got:?}, LiteLLM {want:?}"));
                }
            }
        }
        found.checked += 1;
    }
    found
}

/// `litellm_equivalence`, asserting no mismatch; returns (checked,
/// unsupported) counts.
fn check_equivalence(json: &str) -> (usize, usize) {
    let found = litellm_equivalence(json);
    let failures = &found.mismatches;
    assert!(
        failures.is_empty(),
        "{} mismatches, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
    (found.checked, found.unsupported)
}

#[test]
fn fixture_models_bill_as_litellm_rules_say() {
    let (checked, unsupported) = check_equivalence(&fixture_text());
    assert!(checked >= 40, "only {checked} checked");
    // The fixture holds one tiered_pricing entry and one with two thresholds.
    assert_eq!(unsupported, 2);
}

#[test]
fn full_shared_catalog_bills_as_litellm_rules_say_when_present() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/litellm_model_prices.json");
    let Ok(json) = std::fs::read_to_string(&path) else {
        println!("note: {} absent; full-catalog equivalence skipped", path.display());
        return;
    };
    let (checked, unsupported) = check_equivalence(&json);
    println!("full catalog: {checked} models checked, {unsupported} refused as unsupported");
    assert!(checked > 1_000);
}

#[test]
fn every_preset_loads_and_agrees_with_the_litellm_entry_it_cites() {
    let cat = litellm::Catalog::parse(&fixture_text()).unwrap();
    for name in catalog::preset_names() {
        let preset = catalog::preset_toml(name).unwrap();
        let s = scenario_around(preset).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Self-hosted replicas cite BLIS, not a LiteLLM price entry.
        if catalog::is_self_hosted(preset) {
            assert!(s.providers[0].replicas.is_some(), "{name}");
            continue;
        }
        let source = source_of(preset);
        let key = source
            .split("(key ")
            .nth(1)
            .and_then(|r| r.split(')').next())
            .unwrap_or_else(|| panic!("{name}: no key in source {source}"));
        let imported = scenario_around(&cat.provider_toml(key).unwrap()).unwrap();
        let (p, q) = (&s.providers[0].pricing, &imported.providers[0].pricing);
        assert_eq!(p.base.input_usd_per_mtok, q.base.input_usd_per_mtok, "{name}");
        assert_eq!(p.base.output_usd_per_mtok, q.base.output_usd_per_mtok, "{name}");
        let (pc, qc) = (&s.providers[0].cache, &imported.providers[0].cache);
        if pc.enabled && qc.enabled {
            assert_eq!(p.base.cache_read_usd_per_mtok, q.base.cache_read_usd_per_mtok, "{name}");
            assert_eq!(p.base.cache_write_usd_per_mtok, q.base.cache_write_usd_per_mtok, "{name}");
        }
        // Storage is not in LiteLLM (Gemini's comes from Google's Gemini pricing page): compare the rest.
        let without_storage = |l: &Option<sim_core::scenario::LongContext>| {
            l.clone().map(|mut l| {
                l.sheet.storage_usd_per_mtok_hour = 0.0;
                l
            })
        };
        assert_eq!(without_storage(&p.long_context), without_storage(&q.long_context), "{name}");
        assert_eq!(p.windows, q.windows, "{name}");
        assert_eq!(pc.tiers.len(), qc.tiers.len(), "{name}");
    }
}

/// The top-level `source = "..."` of a provider table (the test crate has no
/// TOML parser; presets write it on one line).
fn source_of(table: &str) -> &str {
    table.lines().find_map(|l| l.strip_prefix("source = \"")?.strip_suffix('"')).expect("a source line")
}

// ---------------------------------------------------------------------------
// The CLI.
// ---------------------------------------------------------------------------

const WORKLOAD: &str = "\n[[workloads]]\nname = \"w\"\nprovider = \"PROVIDER\"\nsteps = 2\noutput_tokens = 10\narrivals = { rate_per_s = 1.0, sessions = 2 }\n";

#[test]
fn providers_list_shows_every_preset_with_its_headline_numbers() {
    let out = agentsim(["providers", "list"]).expect_code(0);
    let mut lines = out.stdout.lines();
    let header = lines.next().unwrap();
    for col in ["name", "input", "cache read", "cache write", "output", "cache", "ttl", "min tokens", "as_of"] {
        assert!(header.contains(col), "{header}");
    }
    for name in catalog::preset_names() {
        assert!(out.stdout.contains(name), "{name} missing:\n{}", out.stdout);
    }
    let sonnet = out.stdout.lines().find(|l| l.starts_with("anthropic/claude-sonnet-4-6 ")).unwrap();
    let cells: Vec<&str> = sonnet.split_whitespace().collect();
    assert_eq!(
        cells,
        ["anthropic/claude-sonnet-4-6", "3", "0.3", "3.75", "15", "explicit", "5m,1h", "1024", "2026-11-20"]
    );
    // Self-hosted presets have no token prices: their own table, priced per replica-hour.
    let hosted = out.stdout.lines().find(|l| l.starts_with("selfhosted/llama-3.1-8b-h100 ")).unwrap();
    let cells: Vec<&str> = hosted.split_whitespace().collect();
    assert_eq!(cells, ["selfhosted/llama-3.1-8b-h100", "llama-3.1-8b", "fitted", "29205", "2-4", "2026-12-02"]);
}

#[test]
fn providers_show_prints_a_block_that_validates() {
    let name = "google/gemini-2.5-pro";
    let out = agentsim(["providers", "show", name]).expect_code(0);
    assert!(out.stdout.contains("[[providers]]\nname = \"google/gemini-2.5-pro\"\n"), "{}", out.stdout);
    assert!(out.stdout.contains("storage_usd_per_mtok_hour = 4.5"), "{}", out.stdout);
    let scratch = Scratch::new("providers-show");
    let text = format!("name = \"shown\"\n\n{}{}", out.stdout, WORKLOAD.replace("PROVIDER", name));
    let file = scratch.write("shown.toml", &text);
    agentsim(["validate".to_owned(), arg(&file)]).expect_code(0);
}

#[test]
fn providers_show_unknown_name_exits_2_with_close_matches() {
    let out = agentsim(["providers", "show", "anthropic/claude-sonet-4-6"]).expect_code(2);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("unknown provider preset `anthropic/claude-sonet-4-6`")
            && out.stderr.contains("did you mean `anthropic/claude-sonnet-4-6`"),
        "{}",
        out.stderr
    );
}

#[test]
fn providers_import_litellm_prints_one_block_per_model_that_validates() {
    let f = arg(&fixture());
    let out = agentsim(["providers", "import-litellm", &f, "--model", "claude-sonnet-4-6", "--model", "xai/grok-4.3"])
        .expect_code(0);
    assert_eq!(out.stdout.matches("[[providers]]").count(), 2, "{}", out.stdout);
    assert!(out.stdout.contains("name = \"xai/grok-4.3\""));
    assert!(out.stdout.contains("threshold_tokens = 199999"));
    let scratch = Scratch::new("providers-import");
    let text = format!(
        "name = \"imported\"\n\n{}\n{}{}",
        out.stdout,
        WORKLOAD.replace("PROVIDER", "claude-sonnet-4-6"),
        WORKLOAD.replace("PROVIDER", "xai/grok-4.3").replace("name = \"w\"", "name = \"w2\"")
    );
    let file = scratch.write("imported.toml", &text);
    agentsim(["validate".to_owned(), arg(&file)]).expect_code(0);
}

#[test]
fn providers_import_litellm_errors_name_the_key() {
    let f = arg(&fixture());
    let out = agentsim(["providers", "import-litellm", &f, "--model", "claude-sonet-4-6"]).expect_code(2);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.contains("unknown LiteLLM model key `claude-sonet-4-6`")
            && out.stderr.contains("`claude-sonnet-4-6`"),
        "{}",
        out.stderr
    );
    let out = agentsim(["providers", "import-litellm", &f, "--model", "text-embedding-3-small"]).expect_code(2);
    assert!(out.stderr.contains("not a chat model"), "{}", out.stderr);
    let out = agentsim(["providers", "import-litellm", &f, "--model", "opencode_go/claude-haiku-5-5"]).expect_code(2);
    assert!(out.stderr.contains("tiered_pricing"), "{}", out.stderr);
    // Nothing printed when one of several keys fails.
    let out =
        agentsim(["providers", "import-litellm", &f, "--model", "gpt-5.4", "--model", "sample_spec"]).expect_code(2);
    assert!(out.stdout.is_empty() && out.stderr.contains("`sample_spec`"), "{}", out.stderr);
}

#[test]
fn providers_import_litellm_needs_a_model_and_a_readable_file() {
    let f = arg(&fixture());
    let out = agentsim(["providers", "import-litellm", &f]).expect_code(2);
    assert!(out.stderr.contains("--model"), "{}", out.stderr);
    let scratch = Scratch::new("providers-import-missing");
    let missing = arg(&scratch.path("nope.json"));
    let out = agentsim(["providers", "import-litellm", &missing, "--model", "gpt-5.4"]).expect_code(2);
    assert!(out.stderr.contains("cannot read LiteLLM catalog"), "{}", out.stderr);
    let bad = arg(&scratch.write("bad.json", "{ not json"));
    let out = agentsim(["providers", "import-litellm", &bad, "--model", "gpt-5.4"]).expect_code(2);
    assert!(out.stderr.contains("not valid JSON"), "{}", out.stderr);
}
