//! Invalid scenarios: every problem is reported at once, each with
//! `file:line:column: key.path: message`, the exit code is 2, and nothing is
//! written.

use crate::support::{Scratch, agentsim, arg};

/// Four independent mistakes (lines are 1-based):
/// 6: unknown key `slotz`; 9: a duration without a valid unit;
/// 13: a negative price; 17: a workload naming a provider that does not exist.
const BROKEN: &str = r#"name = "broken"

[[providers]]
name = "alpha"
[providers.serving]
slotz = 4
decode_tokens_per_s = 80
[providers.cache]
ttl = "5 parsecs"
[providers.pricing]
input_usd_per_mtok = 3.0
cache_read_usd_per_mtok = 0.3
output_usd_per_mtok = -15.0

[[workloads]]
name = "agents"
provider = "gamma"
steps = 4
output_tokens = 100
arrivals = { rate_per_s = 1.0, sessions = 5 }
"#;

/// `(line:column, key path)` of every problem in `BROKEN`.
const EXPECTED: [(&str, &str); 4] = [
    ("6:1", "providers[0].serving.slotz"),
    ("9:7", "providers[0].cache.ttl"),
    ("13:23", "providers[0].pricing.output_usd_per_mtok"),
    ("17:12", "workloads[0].provider"),
];

#[test]
fn every_problem_is_reported_with_its_location_and_exit_code_2() {
    let s = Scratch::new("invalid");
    let file = s.write("broken.toml", BROKEN);
    let out = s.path("run");
    let o = agentsim(["run", &arg(&file), "--out", &arg(&out)]).expect_code(2);
    assert_eq!(o.stdout, "");
    let problems: Vec<&str> = o.stderr.lines().filter(|l| l.starts_with("  ")).map(str::trim_start).collect();
    assert_eq!(problems.len(), EXPECTED.len(), "{}", o.stderr);
    for ((place, path), line) in EXPECTED.iter().zip(&problems) {
        let prefix = format!("{}:{place}: {path}: ", file.display());
        assert!(line.starts_with(&prefix), "expected `{prefix}...`, got `{line}`");
    }
    assert!(problems[0].contains("slots"), "an unknown key suggests the close one: {}", problems[0]);
    assert!(problems[3].contains("alpha"), "an unknown provider lists the known ones: {}", problems[3]);
    assert_eq!(s.entries(), ["broken.toml"], "no output directory, no staging directory");
}

#[test]
fn validate_reports_the_same_problems() {
    let s = Scratch::new("invalid-validate");
    let file = s.write("broken.toml", BROKEN);
    let o = agentsim(["validate", &arg(&file)]).expect_code(2);
    assert_eq!(o.stdout, "");
    for (place, path) in EXPECTED {
        assert!(o.stderr.contains(&format!("{}:{place}: {path}: ", file.display())), "{path} in\n{}", o.stderr);
    }
}

#[test]
fn toml_syntax_error_is_located() {
    let s = Scratch::new("invalid-syntax");
    let file = s.write("syntax.toml", "name = \"x\"\n[[providers]\nname = \"a\"\n");
    let o = agentsim(["validate", &arg(&file)]).expect_code(2);
    assert!(o.stderr.contains(&format!("{}:2:", file.display())), "{}", o.stderr);
}

#[test]
fn non_utf8_file_is_a_located_scenario_problem() {
    let s = Scratch::new("invalid-utf8");
    let file = s.path("latin1.toml");
    std::fs::write(&file, b"name = \"caf\xe9\"\n").unwrap();
    let o = agentsim(["validate", &arg(&file)]).expect_code(2);
    assert!(o.stderr.contains(&format!("{}:1:12: the file is not valid UTF-8", file.display())), "{}", o.stderr);
}
