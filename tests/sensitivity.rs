//! `agentsim sensitivity` end to end: the tornado's order and exact zeros on
//! common random numbers, the assumed numbers of a preset, the run directory,
//! determinism across thread counts, and bad flags (exit 2, nothing written).

use crate::support::{Scratch, agentsim, arg, list, read, read_json, small_scenario};
use std::path::Path;

/// One provider on a preset (its serving numbers are assumptions), one workload.
const ON_PRESET: &str = r#"name = "sens"
[simulation]
seed = 3
replicates = 4

[[providers]]
name = "haiku"
preset = "anthropic/claude-haiku-4-5"

[[workloads]]
name = "coder"
provider = "haiku"
shared_prefix_tokens = 5000
task_tokens = { kind = "uniform_int", low = 100, high = 500 }
steps = { kind = "uniform_int", low = 2, high = 6 }
output_tokens = { kind = "exponential", mean = 150 }
tool_result_tokens = { kind = "uniform_int", low = 50, high = 400 }
think_time = { kind = "exponential", mean = "5s" }
arrivals = { rate_per_s = 0.5, sessions = 12 }
"#;

/// Runs `agentsim sensitivity FILE --out OUT --quiet ARGS...` and expects `code`.
fn sensitivity(file: &Path, out: &Path, args: &[&str], code: i32) -> crate::support::Outcome {
    let head = ["sensitivity".to_string(), arg(file), "--out".into(), arg(out), "--quiet".into()];
    agentsim(head.into_iter().chain(args.iter().map(|a| a.to_string()))).expect_code(code)
}

/// sensitivity.csv as rows of cells (no quoted commas in these tests' values).
fn csv_rows(dir: &Path) -> Vec<Vec<String>> {
    let text = String::from_utf8(read(&dir.join("sensitivity.csv"))).unwrap();
    text.lines().map(|l| l.split(',').map(String::from).collect()).collect()
}

const PARAMS: [&str; 6] = [
    "--param",
    "providers[0].pricing.batch_multiplier=0.25,1",
    "--param",
    "providers[0].serving.slots=1,128",
    "--param",
    "providers[0].pricing.output_usd_per_mtok=1,20",
];

#[test]
fn the_dominant_parameter_ranks_first_and_an_unused_price_has_exactly_no_effect() {
    let s = Scratch::new("sens-rank");
    let file = s.write("s.toml", ON_PRESET);
    let mut args = PARAMS.to_vec();
    args.extend(["--only-params", "--metric", "cost_usd_per_session"]);
    sensitivity(&file, &s.path("out"), &args, 0);
    let rows = csv_rows(&s.path("out"));
    assert_eq!(rows[0][..9], ["metric", "rank", "parameter", "origin", "range", "current", "side", "value", "variant"]);
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
    let (rank, param, mean, lo, hi, detectable) = (
        col("rank"),
        col("parameter"),
        col("diff_mean"),
        col("diff_ci95_low"),
        col("diff_ci95_high"),
        col("detectable"),
    );
    let order: Vec<(&str, &str)> = rows[1..].iter().map(|r| (r[rank].as_str(), r[param].as_str())).collect();
    assert_eq!(order[0], ("1", "providers[0].pricing.output_usd_per_mtok"));
    assert_eq!(order[1], ("1", "providers[0].pricing.output_usd_per_mtok"));
    assert_eq!(order.len(), 6, "one row per parameter and side");
    // Output tokens cost (price - 5) x tokens: the two effects are in the
    // ratio (20 - 5) / (1 - 5), replicate by replicate.
    let (low, high): (f64, f64) = (rows[1][mean].parse().unwrap(), rows[2][mean].parse().unwrap());
    assert!((high / low + 3.75).abs() < 1e-9, "{low} {high}");
    assert_eq!((rows[1][col("current")].as_str(), rows[1][col("value")].as_str()), ("5.0", "1"));
    // No request uses the batch tier: same replicates, same draws, the same
    // bill to the last bit, so the effect is exactly 0 and not detectable.
    // Slots change only timing, and no cache entry expires within these
    // sessions: every request is billed the same amount in another order,
    // and costs are summed exactly, so that effect is exactly 0 too (a tie,
    // ranked in --param order).
    for (name, place) in [("batch_multiplier", "2"), ("serving.slots", "3")] {
        let zero: Vec<&Vec<String>> = rows[1..].iter().filter(|r| r[param].ends_with(name)).collect();
        assert_eq!(zero.len(), 2);
        for r in zero {
            assert_eq!(
                (r[mean].as_str(), r[lo].as_str(), r[hi].as_str(), r[detectable].as_str()),
                ("0", "0", "0", "false")
            );
            assert_eq!(r[rank], place, "{r:?}");
        }
    }
    // The table says so too, largest effect first.
    let out = agentsim([
        "sensitivity",
        &arg(&file),
        "--out",
        &arg(&s.path("printed")),
        "--only-params",
        "--metric",
        "cost_usd_per_session",
        PARAMS[0],
        PARAMS[1],
        PARAMS[4],
        PARAMS[5],
    ])
    .expect_code(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("sensitivity of cost_usd_per_session (baseline "), "{}", out.stdout);
    assert!(lines[2].trim_start().starts_with("providers[0].pricing.output_usd_per_mtok"), "{}", out.stdout);
    assert!(lines[3].trim_start().starts_with("providers[0].pricing.batch_multiplier"), "{}", out.stdout);
    assert!(
        lines[3].ends_with("no detectable effect") && !lines[2].ends_with("no detectable effect"),
        "{}",
        out.stdout
    );
}

#[test]
fn the_presets_assumed_numbers_are_varied_unless_the_scenario_sets_them() {
    let s = Scratch::new("sens-assumed");
    let file = s.write("s.toml", ON_PRESET);
    let out = s.path("out");
    let set = ["--set", "providers[0].serving.slots=16", "--metric", "ttft_s_p50", "--replicates", "2"];
    sensitivity(&file, &out, &set, 0);
    assert_eq!(
        list(&out),
        ["charts", "manifest.json", "report.html", "report.md", "scenario.toml", "sensitivity.csv", "summary.json"]
    );
    let rows = csv_rows(&out);
    let params: Vec<(&str, &str, &str)> =
        rows[1..].iter().step_by(2).map(|r| (r[2].as_str(), r[3].as_str(), r[4].as_str())).collect();
    let mut names: Vec<&str> = params.iter().map(|p| p.0).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "providers[0].serving.base_latency",
            "providers[0].serving.decode_tokens_per_s",
            "providers[0].serving.prefill_tokens_per_s"
        ],
        "slots is set by --set: not an assumption"
    );
    assert!(params.iter().all(|p| p.1 == "preset anthropic/claude-haiku-4-5" && p.2 == "x0.5..x2"), "{params:?}");
    // The base latency drives the median time to first token: it ranks first.
    assert_eq!(params[0].0, "providers[0].serving.base_latency");
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["variants"].as_array().unwrap().len(), 1 + 2 * 3);
    assert_eq!(summary["replicates"], 2);
    assert_eq!(summary["variants"][1]["name"], "providers.0.serving.base_latency.low");
    let manifest = read_json(&out.join("manifest.json"));
    assert_eq!(manifest["files"].as_array().unwrap().last().unwrap(), "manifest.json");
    // A second run never replaces the first silently.
    sensitivity(&file, &out, &set, 1);
}

#[test]
fn sensitivity_csv_is_identical_whatever_the_thread_count() {
    let s = Scratch::new("sens-threads");
    let file = s.write("s.toml", ON_PRESET);
    let args = ["--metric", "cost_usd_per_session", "--metric", "ttft_s_p95", PARAMS[4], PARAMS[5]];
    for (dir, threads) in [("one", "1"), ("three", "3")] {
        let mut a = args.to_vec();
        a.extend(["--threads", threads]);
        sensitivity(&file, &s.path(dir), &a, 0);
    }
    for name in ["sensitivity.csv", "summary.json"] {
        assert_eq!(read(&s.path("one").join(name)), read(&s.path("three").join(name)), "{name}");
    }
}

#[test]
fn bad_params_and_metrics_are_exit_2_with_the_flag_named_and_nothing_written() {
    let s = Scratch::new("sens-bad");
    let file = s.write("s.toml", ON_PRESET);
    let out = s.path("out");
    let metric = ["--metric", "cost_usd_per_session"];
    fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        [&["--metric", "cost_usd_per_session"][..], extra].concat()
    }
    let e = sensitivity(&file, &out, &with(&["--param", "providers[0].serving.slots=a,b"]), 2);
    assert!(e.stderr.contains("--param") && e.stderr.contains("providers[0].serving.slots=a"), "{}", e.stderr);
    assert!(e.stderr.contains("expected a non-negative integer"), "{}", e.stderr);
    let e = sensitivity(&file, &out, &with(&["--param", "providers[0].servng.slots=1,2"]), 2);
    assert!(e.stderr.contains("unknown key `servng`"), "{}", e.stderr);
    let e = sensitivity(&file, &out, &with(&["--param", "providers[0].serving.slots=1"]), 2);
    assert!(e.stderr.contains("--param") && e.stderr.contains("PATH=LOW,HIGH"), "{}", e.stderr);
    let e = sensitivity(&file, &out, &with(&["--param", "a.b=1,2", "--param", "a.b=3,4"]), 2);
    assert!(e.stderr.contains("--param a.b: named twice"), "{}", e.stderr);
    let e = sensitivity(&file, &out, &["--metric", "cost_per_sesion", "--metric", "requests", "--metric", "x"], 2);
    assert!(e.stderr.contains("--metric cost_per_sesion, --metric x: no such metric"), "{}", e.stderr);
    // Without presets nothing is assumed: name what to vary.
    let e = sensitivity(&small_scenario(&s), &out, &metric, 2);
    assert!(e.stderr.contains("nothing to vary") && e.stderr.contains("--param"), "{}", e.stderr);
    assert!(!out.exists(), "nothing is written for a refused analysis");
}

#[test]
fn a_swept_scenario_is_refused_not_silently_unswept() {
    let s = Scratch::new("sens-sweep");
    let file =
        s.write("s.toml", &format!("{ON_PRESET}\n[[sweep]]\npath = \"workloads[0].steps.high\"\nvalues = [4, 8]\n"));
    let o = sensitivity(&file, &s.path("out"), &["--metric", "cost_usd_per_session"], 2);
    assert!(
        o.stderr.contains("sweeps workloads[0].steps.high: sensitivity varies one scenario, not a grid"),
        "{}",
        o.stderr
    );
    assert!(!s.path("out").exists());
}
