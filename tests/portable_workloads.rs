//! Workloads are provider-neutral: every bundled workload (`scenarios/**`, not
//! the benchmarks) validates and runs on every built-in preset, its breakpoint
//! tiers mapped to the preset's own (docs/caching.md "Tier intents").

use sim_core::catalog::preset_names;
use sim_core::metrics::{ReplicateMetrics, VariantRecord};
use sim_core::montecarlo::{self, RunHooks, RunOptions};
use sim_core::scenario::{Scenario, SourceText, load};
use std::path::{Path, PathBuf};

/// Sessions per workload: enough for every step kind and cache path to run, few enough for a debug build.
const SESSIONS: i64 = 2;

/// Every `.toml` under `scenarios/`, except `scenarios/bench/`, sorted.
fn bundled_scenarios() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "bench") {
                    walk(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "toml") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios"), &mut out);
    out.sort();
    out
}

/// `text` with every provider replaced by `preset` under the same name (so the
/// workloads still name it), one replicate without warm-up, and `SESSIONS`
/// Poisson sessions per workload.
fn on_preset(text: &str, preset: &str) -> String {
    let mut doc: toml::Table = text.parse().unwrap();
    let providers = doc["providers"].as_array_mut().unwrap();
    for p in providers.iter_mut() {
        let name = p["name"].clone();
        *p = toml::Value::Table(toml::Table::from_iter([
            ("name".to_string(), name),
            ("preset".to_string(), toml::Value::String(preset.to_string())),
        ]));
    }
    let sim = doc.entry("simulation").or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let sim = sim.as_table_mut().unwrap();
    sim.insert("replicates".into(), toml::Value::Integer(1));
    // Sessions started in a warm-up are not counted, and these few all start early.
    sim.remove("warmup");
    for w in doc["workloads"].as_array_mut().unwrap() {
        let arrivals = w.as_table_mut().unwrap().get_mut("arrivals").and_then(toml::Value::as_table_mut).unwrap();
        assert!(arrivals.get("file").is_none(), "trace workloads are left out");
        arrivals.remove("horizon");
        // A list of scheduled instants gives the count itself: submit at 0 instead.
        if arrivals.remove("at").is_some() {
            arrivals.insert("every".into(), toml::Value::String("1h".into()));
        }
        arrivals.insert("sessions".into(), toml::Value::Integer(SESSIONS));
    }
    doc.to_string()
}

fn run_one(sc: &Scenario) -> sim_core::metrics::Summary {
    let opts = RunOptions::from_scenario(sc);
    let hooks = RunHooks { on_done: &|| {}, on_replicate: &mut |_: &str, _: &ReplicateMetrics, _: &VariantRecord| {} };
    montecarlo::run(sc, &[], &opts, hooks).unwrap().summary
}

fn overall(summary: &sim_core::metrics::Summary, metric: &str) -> f64 {
    summary.variants[0].metrics.get(metric).and_then(|s| s.mean).unwrap_or(0.0)
}

#[test]
fn every_bundled_workload_runs_on_every_preset() {
    let files = bundled_scenarios();
    assert!(files.len() >= 9, "found {files:?}");
    let presets = preset_names();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        // A trace workload's prompts and arrivals are the trace's, not a
        // portable generated workload (tests/trace_formats.rs runs it).
        if text.contains("kind = \"trace\"") {
            continue;
        }
        for preset in &presets {
            let name = format!("{} on {preset}", file.display());
            let text = on_preset(&text, preset);
            let sc = load(&SourceText { name: &name, text: &text }, &[])
                .unwrap_or_else(|e| panic!("{name} does not validate:\n{e}"));
            let summary = run_one(&sc);
            let sessions = SESSIONS as f64 * sc.workloads.len() as f64;
            assert_eq!(overall(&summary, "sessions_started"), sessions, "{name}");
            assert!(overall(&summary, "requests") >= sessions, "{name}");
        }
    }
}

/// The 1-hour intents of explicit_breakpoints.toml write to a 24h-only cache's
/// one tier, and to Anthropic's `1h` tier: the metric names the tier used.
#[test]
fn intents_are_billed_to_the_tier_the_provider_used() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/examples/explicit_breakpoints.toml"),
    )
    .unwrap();
    let writes = |preset: &str, tier: &str| {
        let text = on_preset(&text, preset);
        let sc = load(&SourceText { name: preset, text: &text }, &[]).unwrap();
        overall(&run_one(&sc), &format!("tokens_cache_write_{tier}"))
    };
    assert!(writes("deepseek/deepseek-v4-flash", "24h") > 0.0);
    assert!(writes("anthropic/claude-sonnet-4-6", "1h") > 0.0);
    assert!(writes("anthropic/claude-sonnet-4-6", "5m") > 0.0);
}
