//! The resolved scenario loads back to an equal `Scenario`: every bundled
//! scenario, every preset, a LiteLLM entry and one scenario using every
//! distribution kind and optional section; plus the exact text of the forms
//! chosen for exactness.

use super::*;
use crate::dist::Dist;
use crate::scenario::{NoFiles, SourceText, load_with};
use std::path::{Path, PathBuf};

const TRACE: &str = "{\"timestamp\": 0, \"input_length\": 1024, \"output_length\": 10, \"hash_ids\": [1, 2]}\n";

/// Reads the files a scenario names from `dir`.
fn files_in(dir: PathBuf) -> impl Fn(&str) -> Result<String, String> {
    move |p: &str| std::fs::read_to_string(dir.join(p)).map_err(|e| e.to_string())
}

fn load_text(text: &str, files: &dyn crate::scenario::FileSource) -> Scenario {
    load_with(&SourceText { name: "s.toml", text }, &[], files).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// What the resolved file can say of provenance: its as_of and source keys;
/// the origin is only a comment, so the reloaded provider's own is `scenario`.
/// It is the baseline: variants and sweeps stay in the original file and the manifest.
fn as_reloaded(mut s: Scenario) -> Scenario {
    s.variants.clear();
    s.sweep.clear();
    for p in &mut s.providers {
        p.provenance = p.provenance.take().and_then(|v| {
            (!v.as_of.is_empty() || !v.source.is_empty()).then(|| Provenance { origin: "scenario".to_string(), ..v })
        });
    }
    s
}

/// Writes `s`, loads the text back and checks it is the same scenario; the
/// second writing must be the same text (nothing drifts on a second pass).
fn round_trip(s: &Scenario, files: &dyn crate::scenario::FileSource) -> String {
    let text = to_toml(s);
    let back = load_text(&text, files);
    assert_eq!(back, as_reloaded(s.clone()), "{text}");
    assert_eq!(to_toml(&back), origins_as_scenario(&text));
    text
}

/// A provider with provenance says `# origin = "<preset>"`; once reloaded it says `scenario`.
fn origins_as_scenario(text: &str) -> String {
    text.lines()
        .map(|l| if l.starts_with("# origin = ") { "# origin = \"scenario\"" } else { l })
        .map(|l| format!("{l}\n"))
        .collect()
}

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            toml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

#[test]
fn every_bundled_scenario_round_trips() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"));
    let mut paths = Vec::new();
    toml_files(root, &mut paths);
    paths.sort();
    assert!(paths.len() >= 10, "only {} scenarios under {}", paths.len(), root.display());
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let files = files_in(path.parent().unwrap().to_path_buf());
        let s = load_text(&text, &files);
        round_trip(&s, &files);
    }
}

#[test]
fn every_preset_round_trips_with_its_provenance() {
    for name in crate::catalog::preset_names() {
        let text = format!(
            "name = \"p\"\n[[providers]]\nname = \"x\"\npreset = \"{name}\"\n[[workloads]]\nname = \"w\"\nprovider = \"x\"\nsteps = 3\noutput_tokens = 100\narrivals = {{ rate_per_s = 1, sessions = 2 }}\n"
        );
        let s = load_text(&text, &NoFiles);
        let resolved = round_trip(&s, &NoFiles);
        let prov = s.providers[0].provenance.as_ref().expect("presets carry provenance");
        assert!(resolved.contains(&format!("# origin = \"{name}\"\n[[providers]]\n")), "{resolved}");
        assert!(resolved.contains(&format!("as_of = \"{}\"\n", prov.as_of)), "{resolved}");
    }
}

#[test]
fn litellm_entries_round_trip() {
    let fixtures = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures"));
    let catalog: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures.join("litellm_sample.json")).unwrap()).unwrap();
    let key = crate::catalog::litellm::chat_models_with_cache_prices(&catalog.to_string()).unwrap()[0].clone();
    let text = format!(
        "name = \"l\"\n[[providers]]\nname = \"x\"\nlitellm = {{ file = \"litellm_sample.json\", model = \"{key}\" }}\n[[workloads]]\nname = \"w\"\nprovider = \"x\"\nsteps = 3\noutput_tokens = 100\narrivals = {{ rate_per_s = 1, sessions = 2 }}\n"
    );
    let files = files_in(fixtures);
    let s = load_text(&text, &files);
    let resolved = round_trip(&s, &files);
    assert!(resolved.contains(&format!("# origin = \"litellm:{key}\"\n")), "{resolved}");
    assert!(!resolved.contains("litellm ="), "the catalog's numbers are written, not the entry: {resolved}");
}

/// Every distribution kind, both serving models, every optional table.
const EVERYTHING: &str = r#"
name = "everything"
description = "line one\nline \"two\""
[simulation]
seed = 9223372036854775807
replicates = 3
end = "2h"
start_time_utc = "09:30:15"
warmup = "1.5s"
timeseries_interval = "10s"

[[providers]]
name = "api"
source = "hand-written"
serving = { slots = 3, base_latency = { kind = "lognormal", median = "300ms", p90 = "1.1s" }, prefill_tokens_per_s = 12345.678, cached_prefill_tokens_per_s = 1e6, decode_tokens_per_s = { kind = "gamma", shape = 9, scale = 7.5 }, load_curve = [[0, 1.0], [8, 0.7]], overhead_before_queue = { kind = "empirical", values = ["10ms", "30ms"], weights = [1, 2] }, overhead_per_output_token = "7us" }
cache = { mode = "explicit", tiers = [{ name = "short", ttl = "5m" }, { name = "long", ttl = "1h" }], min_tokens = 1024, granularity_tokens = 128, max_lifetime = "2h", capacity_tokens = 5000000, eviction = "lfu", scope = "api_key", miss_probability = 0.1, max_breakpoints = 3, lookback_blocks = 0, ttl_starts = "response_end", refresh_on_hit = false }
pricing = { input_usd_per_mtok = 3, output_usd_per_mtok = 15, cache_read_usd_per_mtok = 0.3, cache_write_usd_per_mtok = { short = 3.75, long = 6 }, storage_usd_per_mtok_hour = 4.5, windows = [{ start = "16:30", end = "00:30", multiplier = 0.5 }], long_context = { threshold_tokens = 200000, input_usd_per_mtok = 6 }, changes = [{ at = "30m", input_usd_per_mtok = 2.5 }, { at = "1h", long_context = { threshold_tokens = 100000 } }] }
failures = { error_rate = 0.01, max_retries = 4, retry_backoff = "250ms" }
rate_limits = { requests_per_min = 50, output_tokens_per_min = 9000, scope = "provider", cache_reads_count = true, reserve_output = true }
outages = [{ start = "10m", end = "11m", mode = "hang" }]
degraded = [{ start = "20m", end = "25m", factor = 0.25 }]
tiers = { flex_max_utilization = 0.6, batch_delay = { kind = "weibull", shape = 1.5, scale = "10m" }, batch_window = "12h", batch_in_rate_limits = true }

[[providers]]
name = "gpu"
replicas = { count = 2, gpu_memory_gib = 80, gpu_memory_utilization = 0.85, kv_bytes_per_token = 131072, roofline = { params = 8e9, layers = 32, kv_bytes_per_token = 131072, peak_flops = 989e12, mem_bytes_per_s = 3.35e12, eff_prefill = 0.6, eff_decode = 0.7, per_layer_overhead_us = 3.3 }, balancer = "prefix_affinity", affinity_tokens = 512, affinity_overflow_per_min = 30, usd_per_replica_hour = [2.5, 4.0], batch_window = "2ms", overhead_at_completion = "1ms" }

[[providers]]
name = "fitted"
replicas = { count = 1, kv_blocks = 4000, step = { b0_us = 5000, b1_us_per_prefill_token = 0.15, b2_us_per_decode_seq = 40 }, balancer = "least_kv", usd_per_replica_hour = 3.1 }

[[workloads]]
name = "agent"
provider = "api"
shared_segments = [{ name = "system", tokens = 3000 }, { name = "tools", tokens = 1500 }]
task_tokens = { kind = "lognormal", median = 800, p90 = 3000 }
steps = { kind = "uniform_int", low = 2, high = 9 }
output_tokens = { kind = "normal", mean = 200, std = 50, offset = -3, round = "ceil" }
reasoning_tokens = { kind = "empirical", values = [0, 100, 1000], weights = [1, 3, 4] }
reasoning_in_history = true
tool_result_tokens = { kind = "uniform", low = 10, high = 20.5 }
think_time = { kind = "exponential", mean = "2.5s" }
service_tier = "priority"
api_key = "team-a"
max_tokens = 2048
prompt_cache_key = "k"
cache_breakpoints = [{ after = "tools", tier = "long" }, { after = "task" }]
arrivals = { rate_per_s = 0.3, horizon = "1h" }
keep_alive = { interval = "4m", output_tokens = 2 }
retry = { max_attempts = 5, backoff_base = "1s", backoff_cap = "20s", jitter = "none", on_failure = "skip_step", timeout = "90s" }
objectives = { ttft = "2s", e2e = "1m" }

[[workloads]]
name = "prefix"
provider = "gpu"
shared_prefix_tokens = 2000
steps = { kind = "fixed", value = 4 }
output_tokens = 64
think_time = { kind = "uniform", low = "1s", high = "3s" }
arrivals = { rate_per_s = 2, sessions = 40 }

[[workloads]]
name = "replay"
provider = "fitted"
arrivals = { kind = "trace", file = "t.jsonl" }
"#;

#[test]
fn every_kind_and_section_round_trips() {
    let files = |p: &str| if p == "t.jsonl" { Ok(TRACE.to_string()) } else { Err(format!("no {p}")) };
    let s = load_text(EVERYTHING, &files);
    let text = round_trip(&s, &files);
    let Arrivals::Trace { file, .. } = &s.workloads[2].arrivals else { panic!("a trace workload") };
    assert_eq!(file, "t.jsonl");
    // The exact forms: microseconds, mu/sigma, cumulative, GiB, [low, high].
    for line in [
        "warmup = \"1500000us\"",
        "start_time_utc = \"09:30:15\"",
        "seed = 9223372036854775807",
        "description = \"line one\\nline \\\"two\\\"\"",
        "overhead_per_output_token = \"7us\"",
        "overhead_before_queue = { kind = \"empirical\", values = [\"10000us\", \"30000us\"], cumulative = [0.3333333333333333, 1.0] }",
        "reasoning_tokens = { kind = \"empirical\", values = [0.0, 100.0, 1000.0], cumulative = [0.125, 0.5, 1.0] }",
        "output_tokens = { kind = \"normal\", mean = 200.0, std = 50.0, offset = -3.0, round = \"ceil\" }",
        "cache_write_usd_per_mtok = { \"short\" = 3.75, \"long\" = 6.0 }",
        "windows = [{ start = \"16:30:00\", end = \"00:30:00\", multiplier = 0.5 }]",
        "gpu_memory_gib = 80.0",
        "usd_per_replica_hour = [2.5, 4.0]",
        "usd_per_replica_hour = 3.1",
        "cache_breakpoints = [{ after = \"tools\", tier = \"long\" }, { after = \"task\", tier = \"short\" }]",
        "shared_segments = [{ name = \"prefix/shared\", tokens = 2000 }]",
        "file = \"t.jsonl\"",
    ] {
        assert!(text.lines().any(|l| l == line), "no line `{line}` in\n{text}");
    }
    // A trace workload refuses the session keys: none is written for it.
    let replay = &text[text.find("name = \"replay\"").unwrap()..];
    assert!(!replay.contains("steps =") && !replay.contains("think_time"), "{replay}");
}

#[test]
fn lognormals_are_written_as_the_mu_and_sigma_they_hold() {
    // median 1 s, p90 e s: mu = ln 1 = 0, sigma = ln(e) / Z90 = 1 / 1.2815515655446004.
    let files = |_: &str| Ok(TRACE.to_string());
    let mut s = load_text(EVERYTHING, &files);
    s.workloads[0].think_time = Dist::LogNormal { mu: 0.0, sigma: 1.0 / crate::dist::Z90 };
    let text = to_toml(&s);
    assert!(text.contains("think_time = { kind = \"lognormal\", mu = 0.0, sigma = 0.7803041460723791 }\n"), "{text}");
    assert_eq!(load_text(&text, &files).workloads[0].think_time, s.workloads[0].think_time);
}
