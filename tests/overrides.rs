//! `--set` overrides, `--replicates` and `--seed` change what runs, are
//! recorded in the manifest, and bad overrides are reported like file problems.

use crate::support::{Scratch, agentsim, arg, overall_mean, read_json, run_quiet, small_scenario};
use std::path::Path;

fn run_summary(scenario: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    run_quiet(scenario, out, extra);
    read_json(&out.join("summary.json"))
}

#[test]
fn doubling_every_price_doubles_cost_exactly() {
    let s = Scratch::new("set-prices");
    let scenario = small_scenario(&s);
    let base = run_summary(&scenario, &s.path("base"), &[]);
    let doubled = [
        "--set=providers[0].pricing.input_usd_per_mtok=6",
        "--set=providers[0].pricing.cache_read_usd_per_mtok=0.6",
        "--set=providers[0].pricing.cache_write_usd_per_mtok=7.5",
        "--set=providers[0].pricing.output_usd_per_mtok=30",
        // beta's cache prices default to its input price, so they double with it.
        "--set=providers[1].pricing.input_usd_per_mtok=1",
        "--set=providers[1].pricing.output_usd_per_mtok=3",
    ];
    let high = run_summary(&scenario, &s.path("high"), &doubled);
    // Prices change no timing or token count, and doubling is exact in binary floating point.
    assert_eq!(overall_mean(&high, "requests"), overall_mean(&base, "requests"));
    assert_eq!(overall_mean(&high, "tokens_input"), overall_mean(&base, "tokens_input"));
    assert!(overall_mean(&base, "cost_usd") > 0.0);
    assert_eq!(overall_mean(&high, "cost_usd"), 2.0 * overall_mean(&base, "cost_usd"));

    let manifest = read_json(&s.path("high").join("manifest.json"));
    assert_eq!(manifest["overrides"][3], "providers[0].pricing.output_usd_per_mtok=30");
    assert_eq!(manifest["overrides"].as_array().unwrap().len(), doubled.len());
}

#[test]
fn set_changes_workload_shape() {
    let s = Scratch::new("set-sessions");
    let summary = run_summary(&small_scenario(&s), &s.path("run"), &["--set", "workloads[0].arrivals.sessions=9"]);
    let coder = &summary["variants"][0]["by_workload"]["coder"]["sessions_started"];
    assert_eq!(coder["mean"], 9.0, "{coder}");
    assert_eq!(coder["std"], 0.0, "a fixed session count does not vary");
}

#[test]
fn replicates_from_set_and_flag_the_flag_wins() {
    let s = Scratch::new("set-replicates");
    let scenario = small_scenario(&s);
    let by_set = run_summary(&scenario, &s.path("a"), &["--set", "simulation.replicates=2"]);
    assert_eq!(by_set["replicates"], 2);
    assert_eq!(by_set["variants"][0]["metrics"]["requests"]["n"], 2);
    let both = run_summary(&scenario, &s.path("b"), &["--set", "simulation.replicates=2", "--replicates", "3"]);
    assert_eq!(both["replicates"], 3);
    assert_eq!(both["variants"][0]["metrics"]["requests"]["n"], 3);
}

#[test]
fn seed_flag_and_set_agree() {
    let s = Scratch::new("seed");
    let scenario = small_scenario(&s);
    let by_flag = run_summary(&scenario, &s.path("a"), &["--seed", "99"]);
    let by_set = run_summary(&scenario, &s.path("b"), &["--set", "simulation.seed=99"]);
    assert_eq!(by_flag["seed"], 99);
    assert_eq!(by_flag, by_set);
}

#[test]
fn invalid_override_is_reported_and_nothing_is_written() {
    let s = Scratch::new("set-invalid");
    let out = s.path("run");
    let o = agentsim([
        "run",
        &arg(&small_scenario(&s)),
        "--out",
        &arg(&out),
        "--set",
        "providers[0].pricing.output_usd_per_mtok=-1",
    ])
    .expect_code(2);
    assert!(
        o.stderr.contains(
            "--set #1 `providers[0].pricing.output_usd_per_mtok=-1`: providers[0].pricing.output_usd_per_mtok: "
        ),
        "{}",
        o.stderr
    );
    assert!(!out.exists());
}

#[test]
fn override_without_equals_is_a_usage_error() {
    let s = Scratch::new("set-syntax");
    let o = agentsim(["run", &arg(&small_scenario(&s)), "--set", "simulation.seed"]).expect_code(2);
    assert!(o.stderr.contains("--set <KEY=VALUE>"), "{}", o.stderr);
    assert_eq!(s.entries(), ["small.toml"]);
}
