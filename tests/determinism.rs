//! Determinism, in one place: the same seed gives byte-identical result files
//! across runs, thread counts (1, 2, 4), shard splits merged and an
//! interrupted run resumed, on small scenarios and on every bundled one; a
//! different seed gives different results (so the equalities mean something);
//! and a bundled scenario's summary is pinned by its SHA-256, so a platform
//! whose floating point differs fails (sim-core/src/maths: every
//! transcendental is the portable `libm`'s).
//!
//! Shards as separate processes, merge refusals and the merge of sweeps are
//! tests/shards.rs's; a real interruption by a signal is tests/resume.rs's.

use crate::support::{Scratch, agentsim, arg, bundled, read, read_json, run_quiet as run, small_scenario};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Every file of a run that must depend on nothing but the scenario and the
/// seed (tests/resume.rs's list), and `sweep.csv` where a sweep writes one.
#[track_caller]
fn assert_same_results(a: &Path, b: &Path) {
    assert_same_files(a, b);
    crate::support::assert_same_charts(a, b);
}

/// `assert_same_results` without the charts (runs made with `--no-charts`).
#[track_caller]
fn assert_same_files(a: &Path, b: &Path) {
    for name in crate::resume::compared().iter().chain(&["sweep.csv"]) {
        let (x, y) = (a.join(name), b.join(name));
        if *name == "sweep.csv" && !x.exists() && !y.exists() {
            continue;
        }
        assert!(read(&x) == read(&y), "{name} differs between {} and {}", a.display(), b.display());
    }
}

#[test]
fn same_seed_twice_is_byte_identical() {
    let s = Scratch::new("same-seed");
    let scenario = small_scenario(&s);
    let (a, b) = (s.path("a"), s.path("b"));
    run(&scenario, &a, &["--requests-csv", "--seed", "5"]);
    run(&scenario, &b, &["--requests-csv", "--seed", "5"]);
    assert_same_results(&a, &b);
}

#[test]
fn one_thread_and_two_threads_are_byte_identical() {
    let s = Scratch::new("threads");
    let scenario = small_scenario(&s);
    let (one, two) = (s.path("one"), s.path("two"));
    run(&scenario, &one, &["--requests-csv", "--threads", "1"]);
    run(&scenario, &two, &["--requests-csv", "--threads", "2"]);
    assert_same_results(&one, &two);
    // The manifest is the one file allowed to differ, and it says why.
    assert_eq!(read_json(&one.join("manifest.json"))["threads"], 1);
    assert_eq!(read_json(&two.join("manifest.json"))["threads"], 2);
}

#[test]
fn replicates_beyond_the_reorder_window_fold_identically_on_any_thread_count() {
    // 19 replicates: more than the reorder buffer holds (2 x threads), so
    // workers wait for the fold and replicates finish out of order.
    let s = Scratch::new("threads-window");
    let scenario = small_scenario(&s);
    let dirs: Vec<_> = ["1", "3", "4"].iter().map(|t| (t, s.path(&format!("t{t}")))).collect();
    for (t, dir) in &dirs {
        run(&scenario, dir, &["--requests-csv", "--threads", t, "--replicates", "19"]);
    }
    assert_same_results(&dirs[0].1, &dirs[1].1);
    assert_same_results(&dirs[0].1, &dirs[2].1);
    let rows = String::from_utf8(read(&dirs[0].1.join("replicates.csv"))).unwrap();
    let order: Vec<&str> = rows.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    // Each replicate's 5 scopes (all, 2 providers, 2 workloads) are consecutive rows.
    let expected: Vec<String> = (0..19).flat_map(|i| std::iter::repeat_n(i.to_string(), 5)).collect();
    assert_eq!(order, expected, "rows in replicate order");
}

#[test]
fn another_seed_changes_the_results() {
    let s = Scratch::new("other-seed");
    let scenario = small_scenario(&s);
    let (a, b) = (s.path("a"), s.path("b"));
    run(&scenario, &a, &["--seed", "1"]);
    run(&scenario, &b, &["--seed", "2"]);
    let (x, y) = (read_json(&a.join("summary.json")), read_json(&b.join("summary.json")));
    assert_eq!((x["seed"].as_u64(), y["seed"].as_u64()), (Some(1), Some(2)));
    let metrics = |v: &serde_json::Value| v["variants"][0]["metrics"]["tokens_input"].clone();
    assert_ne!(metrics(&x), metrics(&y), "token counts are random, so seeds 1 and 2 should differ");
}

/// Every cache and price feature at once: explicit and automatic modes, TTL
/// tiers, API-key scope, bounded LFU and LRU capacity, best-effort misses,
/// storage, keep-alive, a time-of-day window, a scheduled change, long
/// context, a batch tier and failures with retries.
const EVERYTHING: &str = r#"
name = "everything"
[simulation]
seed = 11
replicates = 4
start_time_utc = "23:30"
[[providers]]
name = "explicit"
preset = "anthropic/claude-sonnet-4-6"
cache = { capacity_tokens = 400000, eviction = "lfu", scope = "api_key", miss_probability = 0.05 }
failures = { error_rate = 0.02, max_retries = 2, retry_backoff = "500ms" }
[providers.pricing]
storage_usd_per_mtok_hour = 1.0
windows = [{ start = "00:00", end = "01:00", multiplier = 0.5 }]
changes = [{ at = "20m", input_usd_per_mtok = 2.0 }]
long_context = { threshold_tokens = 20000, input_usd_per_mtok = 6.0, output_usd_per_mtok = 22.5 }
[[providers]]
name = "auto"
preset = "openai/gpt-5.4"
cache = { capacity_tokens = 300000, eviction = "lru" }
[[workloads]]
name = "a"
provider = "explicit"
api_key = "team-a"
shared_segments = [{ name = "system", tokens = 3000 }, { name = "tools", tokens = 4000 }]
cache_breakpoints = [{ after = "tools", tier = "1h" }, { after = "end", tier = "5m" }]
keep_alive = { interval = "4m" }
service_tier = "batch"
task_tokens = { kind = "lognormal", median = 800, p90 = 3000 }
steps = { kind = "uniform_int", low = 2, high = 12 }
output_tokens = { kind = "exponential", mean = 200, offset = 1, round = "floor" }
reasoning_tokens = { kind = "exponential", mean = 100 }
tool_result_tokens = { kind = "uniform_int", low = 100, high = 1500 }
think_time = { kind = "exponential", mean = "3m" }
arrivals = { rate_per_s = 0.05, horizon = "40m" }
[[workloads]]
name = "b"
provider = "explicit"
api_key = "team-b"
shared_segments = [{ name = "system", tokens = 3000 }]
task_tokens = 500
steps = 5
output_tokens = 100
think_time = "30s"
arrivals = { rate_per_s = 0.05, horizon = "40m" }
[[workloads]]
name = "c"
provider = "auto"
shared_segments = [{ name = "system", tokens = 3000 }]
task_tokens = { kind = "uniform_int", low = 100, high = 3000 }
steps = { kind = "uniform_int", low = 1, high = 8 }
output_tokens = { kind = "exponential", mean = 150 }
think_time = { kind = "exponential", mean = "20s" }
arrivals = { rate_per_s = 0.1, horizon = "40m" }
"#;

#[test]
fn every_cache_and_price_feature_is_thread_count_independent() {
    let s = Scratch::new("threads-everything");
    let scenario = s.write("everything.toml", EVERYTHING);
    let (one, two) = (s.path("one"), s.path("two"));
    run(&scenario, &one, &["--requests-csv", "--threads", "1"]);
    run(&scenario, &two, &["--requests-csv", "--threads", "2"]);
    assert_same_results(&one, &two);
    // The features were really exercised.
    let summary = read_json(&one.join("summary.json"));
    let m = &summary["variants"][0]["metrics"];
    for metric in ["cost_usd_storage", "keep_alive_requests", "tokens_cache_write_1h", "errors", "tokens_reasoning"] {
        assert!(m[metric]["mean"].as_f64().unwrap() > 0.0, "{metric} is 0");
    }
}

/// The bundled scenarios too costly for a debug build as written, and the
/// overrides that shorten them (their models all still run: every workload
/// arrives, every variant is simulated). Every other one runs as bundled.
const SHORTENED: &[(&str, &[&str])] = &[
    // A day of four workloads: the coding agent's working hours up to 9:00,
    // two hours of the support bot, one of chat, 100 of the 2,000 batch jobs.
    (
        "shared_providers",
        &[
            "workloads[0].arrivals.horizon=9h",
            "workloads[1].arrivals.horizon=2h",
            "workloads[2].arrivals.horizon=1h",
            "workloads[3].arrivals.jobs=100",
        ],
    ),
    // 43 developers for one hour instead of eight.
    ("coding_agent", &["workloads[0].arrivals.horizon=1h"]),
    // Ten minutes of arrivals instead of thirty, on both deployments.
    ("self_hosted_vs_api", &["workloads[0].arrivals.horizon=10m", "workloads[1].arrivals.horizon=10m"]),
    // Six hours of the day instead of 24.
    ("support_bot", &["workloads[0].arrivals.horizon=6h"]),
];

/// The bundled scenarios of `scenarios/<dir>`, sorted.
fn bundled_in(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(bundled(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// One bundled scenario, 3 replicates: a run on 1 thread (the reference,
/// with charts); the same seed again on 4 threads; shards 1/2 and 2/2 (2
/// threads each) merged; a run resumed on 2 threads from the first
/// replicate's record, as an interruption leaves it: all byte-identical to
/// the reference. Then replicate 0 under another seed differs.
fn check_bundled(s: &Scratch, file: &Path) {
    let name = file.file_stem().unwrap().to_string_lossy().to_string();
    let shorten = SHORTENED.iter().find(|(n, _)| *n == name).map_or(&[][..], |(_, set)| *set);
    let mut flags: Vec<String> = vec!["--requests-csv".into()];
    flags.extend(shorten.iter().flat_map(|o| ["--set".to_string(), o.to_string()]));
    // The flags of every run of the scenario, then `more`; 3 replicates unless `more` says.
    let with = |more: &[&str]| -> Vec<String> {
        let replicates: &[&str] = if more.contains(&"--replicates") { &[] } else { &["--replicates", "3"] };
        let all = flags.iter().map(String::as_str).chain(replicates.iter().copied()).chain(more.iter().copied());
        all.map(str::to_string).collect()
    };
    let dir = |tag: &str| s.path(&format!("{name}-{tag}"));
    let run_with = |out: &Path, more: &[&str]| {
        let extra = with(more);
        run(file, out, &extra.iter().map(String::as_str).collect::<Vec<_>>());
    };

    let reference = dir("t1");
    run_with(&reference, &["--threads", "1"]);
    let four = dir("t4");
    run_with(&four, &["--threads", "4", "--no-charts"]);
    assert_same_files(&reference, &four);

    let shards: Vec<String> = (1..=2)
        .map(|i| {
            let out = dir(&format!("shard{i}"));
            let args =
                ["run", &arg(file), "--out", &arg(&out), "--quiet", "--shard", &format!("{i}/2"), "--threads", "2"];
            agentsim(args.iter().map(|a| a.to_string()).chain(with(&[]))).expect_code(0);
            arg(&out)
        })
        .collect();
    let merged = dir("merged");
    agentsim(["merge", &shards[1], &shards[0], "--out", &arg(&merged), "-q"]).expect_code(0);
    assert_same_results(&reference, &merged);

    // An interrupted run's directory: the records of the replicates it
    // finished (here replicate 0 of point 0, shard 1's first line: the same
    // record) and resume.json with the original command line.
    let resumed = dir("resumed");
    std::fs::create_dir(&resumed).unwrap();
    let records = std::fs::read_to_string(Path::new(&shards[0]).join("records.jsonl")).unwrap();
    std::fs::write(resumed.join("records.jsonl"), format!("{}\n", records.lines().next().unwrap())).unwrap();
    let manifest = read_json(&reference.join("manifest.json"));
    let command_line: Vec<String> = ["agentsim", "run", &arg(file), "--out", &arg(&resumed), "--quiet"]
        .iter()
        .map(|a| a.to_string())
        .chain(with(&[]))
        .collect();
    let marker = serde_json::json!({
        "agentsim_version": manifest["agentsim_version"],
        "scenario_sha256": manifest["scenario_sha256"],
        "command_line": command_line,
        "cwd": std::env::current_dir().unwrap(),
        "seed": manifest["seed"],
        "replicates": 3,
    });
    std::fs::write(resumed.join("resume.json"), marker.to_string()).unwrap();
    agentsim(["run", "--resume", &arg(&resumed), "--quiet", "--threads", "2", "--no-charts"]).expect_code(0);
    assert_eq!(read_json(&resumed.join("manifest.json"))["resumed_with"].as_u64(), Some(1), "{name}");
    assert_same_files(&reference, &resumed);

    // Replicate 0 alone under the next seed: its rows must change.
    let other = dir("other-seed");
    let seed = (manifest["seed"].as_u64().unwrap() + 1).to_string();
    run_with(&other, &["--seed", &seed, "--replicates", "1", "--no-charts"]);
    let replicate_0 = |d: &Path| -> Vec<String> {
        let text = String::from_utf8(read(&d.join("replicates.csv"))).unwrap();
        text.lines().filter(|l| l.starts_with("0,")).map(str::to_string).collect()
    };
    let (a, b) = (replicate_0(&reference), replicate_0(&other));
    assert!(!a.is_empty(), "{name}: no rows of replicate 0");
    if SEED_FREE.contains(&name.as_str()) {
        // Nothing in them is random: any seed must give the same numbers.
        assert_eq!(a, b, "{name}: has no random draw, yet seed {seed} changed it");
    } else {
        assert_ne!(a, b, "{name}: seed {seed} gives replicate 0 of the scenario's own seed");
    }
}

/// Bundled scenarios with no random draw at all (fixed arrivals, sizes and
/// service), checked by hand in docs/validation.md: the seed cannot move them.
const SEED_FREE: &[&str] = &["batching"];

/// Runs `check_bundled` on every scenario of the `dirs` of `scenarios/`.
fn check_bundled_dirs(tag: &str, dirs: &[&str]) -> usize {
    let s = Scratch::new(tag);
    let files: Vec<PathBuf> = dirs.iter().flat_map(|d| bundled_in(d)).collect();
    for file in &files {
        check_bundled(&s, file);
    }
    files.len()
}

// Three tests so the test harness runs them side by side.
#[test]
fn every_bundled_example_is_deterministic() {
    assert!(check_bundled_dirs("bundled-examples", &["examples"]) >= 10);
}

#[test]
fn every_bundled_workload_is_deterministic() {
    assert!(check_bundled_dirs("bundled-workloads", &["workloads"]) >= 4);
}

#[test]
fn the_quickstart_and_validation_scenarios_are_deterministic() {
    assert!(check_bundled_dirs("bundled-rest", &["", "validation"]) >= 4);
}

/// Every bundled scenario has its `--set` overrides applied and is walked:
/// a renamed scenario cannot leave an override unused.
#[test]
fn every_shortened_scenario_exists() {
    let all: Vec<String> = ["", "examples", "validation", "workloads"]
        .iter()
        .flat_map(|d| bundled_in(d))
        .map(|p| p.file_stem().unwrap().to_string_lossy().to_string())
        .collect();
    for (name, _) in SHORTENED {
        assert!(all.iter().any(|n| n == name), "{name} is not a bundled scenario");
    }
}

/// The quickstart's summary.json with 2 replicates, by SHA-256: the same on
/// every platform, since every transcendental is the portable `libm`'s
/// (sim-core/src/maths) and the rest is IEEE 754 arithmetic. If this fails
/// after a change meant to alter the model (or the summary's format), check
/// that the change is the cause (the sim-core pins of draws still hold, or
/// changed on purpose), then paste the new hash here and say so in the commit.
#[test]
fn the_quickstart_summary_is_pinned() {
    let s = Scratch::new("pinned");
    let out = s.path("run");
    run(&bundled("quickstart.toml"), &out, &["--replicates", "2", "--no-charts"]);
    let hash: String = Sha256::digest(read(&out.join("summary.json"))).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hash, "dba0f863640ee793090a1dca408a7c503c9a8177d6cd54aee36b3b4f124cd82f");
}
