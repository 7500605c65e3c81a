//! The same seed gives byte-identical result files, whatever the thread count;
//! a different seed gives different results (so the equalities mean something).

use crate::support::{Scratch, bundled, read, read_json, run_quiet as run, small_scenario};
use std::path::Path;

/// The files that must not depend on anything but the scenario and the seed.
const RESULT_FILES: [&str; 6] =
    ["summary.json", "summary.csv", "distributions.csv", "replicates.csv", "requests.csv", "timeseries.csv"];

#[track_caller]
fn assert_same_results(a: &Path, b: &Path) {
    for name in RESULT_FILES {
        let (x, y) = (read(&a.join(name)), read(&b.join(name)));
        assert!(x == y, "{name} differs between {} and {}", a.display(), b.display());
    }
    crate::support::assert_same_charts(a, b);
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

#[test]
fn every_bundled_scenario_is_byte_identical_on_one_and_two_threads() {
    // Every model a bundled scenario uses (rate limits with jittered retries,
    // replicas, tiers, caches) must keep the guarantee, not just the small one.
    let s = Scratch::new("bundled-threads");
    let mut checked = 0;
    for dir in ["", "examples", "validation", "workloads"] {
        let mut files: Vec<_> = std::fs::read_dir(bundled(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for file in files {
            let name = file.file_stem().unwrap().to_string_lossy().to_string();
            let (one, two) = (s.path(&format!("{name}-1")), s.path(&format!("{name}-2")));
            run(&file, &one, &["--requests-csv", "--threads", "1", "--replicates", "3"]);
            run(&file, &two, &["--requests-csv", "--threads", "2", "--replicates", "3"]);
            assert_same_results(&one, &two);
            checked += 1;
        }
    }
    assert!(checked >= 5, "found only {checked} bundled scenarios");
}
