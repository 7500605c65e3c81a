//! `--target-ci`: replicates are added in order until every target metric's
//! relative 95% half-width is small enough, in every variant; where the run
//! stops is the same for any thread count; when it is reached the bound
//! holds in summary.json; a metric that never gets there stops at the maximum.

use crate::support::{Scratch, agentsim, arg, read, read_json, run_quiet, small_scenario};
use std::path::Path;

const VARIANT: &str = "--variant=dear=providers[0].pricing.output_usd_per_mtok=30";

fn target_run(scenario: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let base = ["--replicates", "3", "--max-replicates", "60", VARIANT, "--target-metric", "cost_usd_per_session"];
    let args: Vec<&str> = base.iter().chain(extra).copied().collect();
    run_quiet(scenario, out, &args);
    read_json(&out.join("summary.json"))
}

/// (ci95_high - ci95_low) / 2 / |mean| of an overall metric of variant `v`.
fn rel_half_width(summary: &serde_json::Value, v: usize, metric: &str) -> f64 {
    let m = &summary["variants"][v]["metrics"][metric];
    let (mean, lo, hi) =
        (m["mean"].as_f64().unwrap(), m["ci95_low"].as_f64().unwrap(), m["ci95_high"].as_f64().unwrap());
    (hi - lo) / 2.0 / mean.abs()
}

#[test]
fn where_the_run_stops_is_the_same_for_any_thread_count_and_meets_the_bound() {
    let s = Scratch::new("target-ci");
    let scenario = small_scenario(&s);
    let extra = ["--target-ci", "0.08", "--target-metric", "requests"];
    let runs: Vec<_> = [1, 2, 4]
        .iter()
        .map(|t| {
            let out = s.path(&format!("t{t}"));
            target_run(&scenario, &out, &[&extra[..], &["--threads", &t.to_string()]].concat());
            out
        })
        .collect();
    for name in ["summary.json", "summary.csv", "replicates.csv", "scenario.resolved.toml"] {
        assert!(read(&runs[0].join(name)) == read(&runs[1].join(name)), "{name}: 1 vs 2 threads");
        assert!(read(&runs[0].join(name)) == read(&runs[2].join(name)), "{name}: 1 vs 4 threads");
    }
    let summary = read_json(&runs[0].join("summary.json"));
    let used = summary["replicates"].as_u64().unwrap();
    let t = &summary["target_ci"];
    assert_eq!(t["reached"], true, "{t}");
    assert_eq!(
        (t["rel"].as_f64(), t["min_replicates"].as_u64(), t["max_replicates"].as_u64()),
        (Some(0.08), Some(3), Some(60))
    );
    assert_eq!(t["metrics"], serde_json::json!(["cost_usd_per_session", "requests"]));
    assert!(used > 3 && used < 60, "replicates were added, then the run stopped: {used}");
    for v in 0..2 {
        for metric in ["cost_usd_per_session", "requests"] {
            assert!(rel_half_width(&summary, v, metric) <= 0.08, "variant {v} {metric}");
        }
    }
    // It stopped at the first count that met the bound: one fewer did not.
    let fewer = s.path("fewer");
    run_quiet(&scenario, &fewer, &["--replicates", &(used - 1).to_string(), VARIANT]);
    let fewer = read_json(&fewer.join("summary.json"));
    let met = |m: &str| (0..2).all(|v| rel_half_width(&fewer, v, m) <= 0.08);
    assert!(!(met("cost_usd_per_session") && met("requests")), "{} replicates were enough already", used - 1);
    let resolved = String::from_utf8(read(&runs[0].join("scenario.resolved.toml"))).unwrap();
    assert!(resolved.contains(&format!("replicates = {used}")), "the resolved scenario says how many ran");
}

#[test]
fn a_metric_that_never_converges_stops_at_the_maximum() {
    let s = Scratch::new("target-ci-max");
    let scenario = small_scenario(&s);
    let out = s.path("run");
    let o = agentsim(
        ["run", &arg(&scenario), "--out", &arg(&out), "--replicates", "2", "--target-ci", "1e-9"]
            .into_iter()
            .chain(["--max-replicates", "6"]),
    )
    .expect_code(0);
    assert!(o.stdout.contains("NOT reached; stopped at the maximum of 6 replicates"), "{}", o.stdout);
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["replicates"], 6);
    assert_eq!(summary["target_ci"]["reached"], false);
    let rows = String::from_utf8(read(&out.join("replicates.csv"))).unwrap();
    assert_eq!(rows.lines().filter(|l| l.contains(",baseline,all,")).count(), 6);
}

#[test]
fn target_ci_flags_are_checked() {
    let s = Scratch::new("target-ci-flags");
    let scenario = arg(&small_scenario(&s));
    let out = arg(&s.path("o"));
    let cases: [(&[&str], &str); 5] = [
        (&["--target-ci", "0.1", "--shard", "1/2"], "cannot be used with"),
        (&["--target-ci", "0", "--shard", "1/2"], "expected a relative half-width above 0"),
        (&["--target-ci", "0.1", "--max-replicates", "2"], "--max-replicates 2 is below the 4 replicates"),
        (
            &["--target-ci", "0.1", "--target-metric", "nope"],
            "--target-metric: variant `baseline` has no metric `nope`",
        ),
        (&["--max-replicates", "9"], "--target-ci"),
    ];
    for (flags, expected) in cases {
        let o = agentsim(["run", &scenario, "--out", &out].iter().chain(flags)).expect_code(2);
        assert!(o.stderr.contains(expected), "{flags:?}: {}", o.stderr);
        assert!(!s.path("o").exists());
    }
}
