//! `validate`, `schema`, and clap's own help, version and usage errors.

use crate::support::{Scratch, agentsim, arg, small_scenario};

#[test]
fn validate_accepts_a_good_file() {
    let s = Scratch::new("validate-ok");
    let o = agentsim(["validate", &arg(&small_scenario(&s))]).expect_code(0);
    let mut lines = o.stdout.lines();
    assert_eq!(lines.next(), Some("ok: itest (2 providers, 2 workloads)"));
    // Then the work estimate: what the run will take before it is run.
    assert!(lines.next().unwrap().starts_with("estimate per replicate: 7.000e1 sessions, "), "{}", o.stdout);
    assert!(o.stdout.contains("CPU-seconds, peak memory about "), "{}", o.stdout);
    assert_eq!(o.stderr, "");
    assert_eq!(s.entries(), ["small.toml"], "validate writes nothing");
}

#[test]
fn validate_applies_overrides() {
    let s = Scratch::new("validate-set");
    let file = arg(&small_scenario(&s));
    let o = agentsim(["validate", &file, "--set", "name=renamed"]).expect_code(0);
    assert!(o.stdout.starts_with("ok: renamed (2 providers, 2 workloads)\n"), "{}", o.stdout);
    let o = agentsim(["validate", &file, "--set", "workloads[1].provider=nowhere"]).expect_code(2);
    assert_eq!(o.stdout, "");
    assert!(o.stderr.contains("workloads[1].provider: "), "{}", o.stderr);
}

#[test]
fn validate_of_a_missing_file_is_an_io_failure() {
    let s = Scratch::new("validate-missing");
    let missing = s.path("nope.toml");
    let o = agentsim(["validate", &arg(&missing)]).expect_code(2);
    assert!(o.stderr.contains(&format!("cannot read scenario file {}", missing.display())), "{}", o.stderr);
}

#[test]
fn schema_is_json_describing_the_scenario() {
    let o = agentsim(["schema"]).expect_code(0);
    let schema: serde_json::Value = serde_json::from_str(&o.stdout).expect("schema is JSON");
    let props = schema["properties"].as_object().expect("schema has properties");
    for key in ["name", "description", "simulation", "providers", "workloads"] {
        assert!(props.contains_key(key), "no {key} in schema properties");
    }
    assert!(o.stdout.ends_with("}\n"));
}

#[test]
fn help_and_version_go_to_stdout() {
    let o = agentsim(["--help"]).expect_code(0);
    for cmd in ["run", "validate", "schema"] {
        assert!(o.stdout.lines().any(|l| l.trim_start().starts_with(cmd)), "{cmd} missing from\n{}", o.stdout);
    }
    let o = agentsim(["--version"]).expect_code(0);
    assert_eq!(o.stdout, format!("agentsim {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn usage_errors_exit_2() {
    agentsim(Vec::<String>::new()).expect_code(2);
    let o = agentsim(["run", "x.toml", "--bogus"]).expect_code(2);
    assert!(o.stderr.contains("--bogus"), "{}", o.stderr);
    agentsim(["run", "x.toml", "--threads", "0"]).expect_code(2);
    agentsim(["run", "x.toml", "--replicates", "0"]).expect_code(2);
}
