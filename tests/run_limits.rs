//! Issue 6's "no number silently wrong" and "work bounded" reproducers end to
//! end: a run that reaches a limit stops with exit 2 and writes nothing; runs
//! too large for their estimate are refused before they start, naming the
//! flag that lets them run.

use crate::support::{Scratch, agentsim, arg};

fn quickstart() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/quickstart.toml").to_string()
}

/// `agentsim run quickstart --out OUT EXTRA...`, expecting exit 2 (refused or stopped).
fn run_refused(out: &std::path::Path, extra: &[&str]) -> crate::support::Outcome {
    let args = ["run".to_string(), quickstart(), "--out".to_string(), arg(out)];
    agentsim(args.into_iter().chain(extra.iter().map(|a| a.to_string()))).expect_code(2)
}

#[test]
fn regression_a_clock_past_its_limit_stops_the_run_and_writes_nothing() {
    // Each think time has a mean under a year, but its lognormal tail passes
    // the clock's limit (about 1,142 years) within a few thousand draws.
    let s = Scratch::new("clock-limit");
    let out = s.path("run");
    let o = run_refused(
        &out,
        &[
            "--quiet",
            "--replicates",
            "2",
            "--set",
            "workloads[0].arrivals={rate_per_s=1, sessions=1000}",
            "--set",
            "workloads[0].steps=100",
            "--set",
            "workloads[0].think_time={kind=\"lognormal\", mu=4.7, sigma=5}",
        ],
    );
    assert!(o.stderr.contains("would happen after 1142 years of simulated time"), "{}", o.stderr);
    assert!(o.stderr.contains("no output was written"), "{}", o.stderr);
    assert_eq!(s.entries(), Vec::<String>::new(), "nothing is left behind");
}

#[test]
fn regression_a_hundred_million_sessions_are_refused_up_front() {
    // Issue 6: 1e8 sessions at 1,000/s aborted out of memory at 6.4 GB.
    let s = Scratch::new("huge-run");
    let out = s.path("run");
    let huge = ["--set", "workloads[0].arrivals={rate_per_s=1000, sessions=100000000}"];
    let o = run_refused(&out, &huge);
    assert!(o.stderr.contains("the run is estimated at"), "{}", o.stderr);
    assert!(o.stderr.contains("pass --max-events"), "{}", o.stderr);
    assert!(o.stderr.contains("estimate per replicate: 1.000e8 sessions"), "{}", o.stderr);
    assert_eq!(s.entries(), Vec::<String>::new());
    // With the events allowed, memory is what refuses it.
    let o = run_refused(&out, &[&["--max-events", "1e12"][..], &huge].concat());
    assert!(o.stderr.contains("of memory at its peak"), "{}", o.stderr);
    assert!(o.stderr.contains("pass --max-memory"), "{}", o.stderr);
}

#[test]
fn regression_a_million_replicates_are_refused_with_the_flag_to_pass() {
    // Issue 6: `--replicates 1000000` died out of memory; replicates no longer
    // cost memory, but a million of them is hours of work.
    let s = Scratch::new("million-replicates");
    let o = run_refused(&s.path("run"), &["--replicates", "1000000"]);
    assert!(o.stderr.contains("estimate for 1000000 replicate(s)"), "{}", o.stderr);
    assert!(o.stderr.contains("pass --max-events"), "{}", o.stderr);
}

#[test]
fn validate_shows_the_estimate_and_applies_the_limits() {
    let o = agentsim(["validate", &quickstart()]).expect_code(0);
    assert!(o.stdout.contains("estimate per replicate: 4.500e2 sessions"), "{}", o.stdout);
    let o = agentsim(["validate", &quickstart(), "--max-memory", "1MiB"]).expect_code(2);
    assert!(o.stderr.contains("more than the limit of 1.0 MiB"), "{}", o.stderr);
    let o = agentsim(["validate", &quickstart(), "--max-memory", "lots"]).expect_code(2);
    assert!(o.stderr.contains("write e.g. 512MiB or 16GiB"), "{}", o.stderr);
}

#[test]
fn regression_overflowing_token_products_are_refused_with_the_product_named() {
    let o = agentsim([
        "validate",
        &quickstart(),
        "--set",
        "workloads[0].steps=1000",
        "--set",
        "workloads[0].output_tokens=4294967296",
        "--set",
        "workloads[0].tool_result_tokens=4294967296",
        "--set",
        "workloads[0].arrivals={rate_per_s=1, sessions=5000}",
    ])
    .expect_code(2);
    assert!(o.stderr.contains("workloads[0].steps: steps (mean 1000) x tokens added per step"), "{}", o.stderr);
}

#[test]
fn regression_a_trace_length_of_u64_max_is_refused() {
    let s = Scratch::new("trace-length");
    let trace = s.write(
        "t.jsonl",
        "{\"timestamp\": 0, \"input_length\": 512, \"output_length\": 18446744073709551615, \"hash_ids\": [1]}\n",
    );
    let o = agentsim(["replay", "--trace", &arg(&trace), "--format", "mooncake", "--out", &arg(&s.path("r"))])
        .expect_code(2);
    assert!(o.stderr.contains("`output_length` 18446744073709551615 is more than 4294967296 tokens"), "{}", o.stderr);
}
