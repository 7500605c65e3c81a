//! Admission through the CLI: a burst over a request limit gives exactly one
//! 429 and its retry in requests.csv and the metrics; the bundled
//! `rate_limits` example runs and shows the heavier population limited; a
//! hanging outage without a client timeout is refused before running.

use crate::support::{Scratch, agentsim, arg};
use std::fs;

/// 61 one-step sessions at t = 0 (a rate of 10^9/s rounds every gap to 0
/// us) against 60 RPM and plenty of slots.
const BURST: &str = r#"name = "burst"
[simulation]
replicates = 2
[[providers]]
name = "p"
serving = { slots = 100, prefill_tokens_per_s = 10000, decode_tokens_per_s = 50 }
cache = { enabled = false }
pricing = { input_usd_per_mtok = 3, output_usd_per_mtok = 15 }
rate_limits = { requests_per_min = 60 }
[[workloads]]
name = "w"
provider = "p"
task_tokens = 1000
steps = 1
output_tokens = 100
retry = { max_attempts = 3, backoff_base = "100ms", jitter = "none" }
arrivals = { rate_per_s = 1e9, sessions = 61 }
"#;

fn column<'a>(header: &[&str], row: &[&'a str], name: &str) -> &'a str {
    row[header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name}"))]
}

fn cells(header: &[&str], row: &[&str], names: &[&str]) -> Vec<String> {
    names.iter().map(|n| column(header, row, n).to_string()).collect()
}

#[test]
fn a_burst_over_the_request_limit_is_one_429_and_one_retry_in_every_output() {
    let s = Scratch::new("admission-burst");
    let file = s.path("burst.toml");
    fs::write(&file, BURST).unwrap();
    let out = s.path("run");
    agentsim(["run", &arg(&file), "--out", &arg(&out), "--quiet", "--requests-csv"]).expect_code(0);
    let text = fs::read_to_string(out.join("requests.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 62);
    let limited: Vec<_> = rows.iter().filter(|r| column(&header, r, "status") == "rate_limited").collect();
    assert_eq!(limited.len(), 1);
    let session = column(&header, limited[0], "session");
    let of_session: Vec<_> = rows
        .iter()
        .filter(|r| column(&header, r, "session") == session)
        .map(|r| {
            cells(&header, r, &["status", "attempt", "arrival_s", "start_s", "end_s", "input_tokens", "output_tokens"])
        })
        .collect();
    assert_eq!(
        of_session,
        [vec!["rate_limited", "1", "0", "0", "0", "0", "0"], vec!["ok", "2", "1", "1", "3.1", "1000", "100"],]
    );
    let reps = fs::read_to_string(out.join("replicates.csv")).unwrap();
    let mut lines = reps.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    for line in lines {
        let row: Vec<&str> = line.split(',').collect();
        let got =
            cells(&header, &row, &["requests", "rate_limited", "retries", "errors", "timeouts", "sessions_completed"]);
        assert_eq!(got, ["61", "1", "1", "0", "0", "61"], "{line}");
    }
}

#[test]
fn the_rate_limits_example_limits_the_heavy_population_only() {
    let s = Scratch::new("admission-example");
    let out = s.path("run");
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/examples/rate_limits.toml");
    agentsim(["run", example, "--out", &arg(&out), "--quiet", "--replicates", "3"]).expect_code(0);
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let by_provider = &summary["variants"][0]["by_provider"];
    let mean = |p: &str, m: &str| by_provider[p][m]["mean"].as_f64().unwrap_or_else(|| panic!("{p} {m}"));
    assert_eq!(mean("tier1-light", "rate_limited"), 0.0);
    assert!(mean("tier1-heavy", "rate_limited") > 10.0);
    assert!(mean("tier1-heavy", "retries") > 0.0);
    assert!(mean("tier1-heavy", "slo_attainment") < mean("tier1-light", "slo_attainment"));
}

#[test]
fn a_hanging_outage_needs_a_client_timeout() {
    let s = Scratch::new("admission-hang");
    let file = s.path("hang.toml");
    let text = BURST.replace(
        "rate_limits = { requests_per_min = 60 }",
        "outages = [{ start = \"1m\", end = \"2m\", mode = \"hang\" }]",
    );
    let text = text.replace("retry = { max_attempts = 3, backoff_base = \"100ms\", jitter = \"none\" }\n", "");
    fs::write(&file, text).unwrap();
    let o = agentsim(["run", &arg(&file), "--out", &arg(&s.path("run")), "--quiet"]).expect_code(2);
    assert!(
        o.stderr.contains(
            "hang.toml:10:1: workloads[0].retry.timeout: is needed: provider `p` has an outage that hangs requests (providers[0].outages[0])"
        ),
        "{}",
        o.stderr
    );
    assert!(!s.path("run").exists());
}
