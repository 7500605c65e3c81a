//! Regression tests for issue 6's validation findings: problems capped at 50
//! plus an exact count (validation was quadratic and uncapped), scenario files
//! over 1 MiB refused unread, `1e15d` explained as exponent notation on every
//! path, and long user values cut wherever a message echoes them.

use crate::rejections::{flag_rejection, scenario_rejection, trace_rejection};
use crate::support::{Scratch, agentsim, arg, bundled};
use sim_core::scenario::{MAX_PROBLEMS, MAX_SCENARIO_BYTES};

#[test]
fn validation_quadratic_in_problems_now_capped_at_50_and_counted() {
    // 40,000 stray `=` lines took 30 s and printed 15.7 MB.
    let scratch = Scratch::new("stray-equals");
    let file = scratch.write("stray.toml", &"=\n".repeat(40_000));
    let out = agentsim(["validate", &arg(&file)]);
    let total = scenario_rejection(&out, &arg(&file));
    assert!(total > 40_000, "{total}");
    assert_eq!(out.stderr.trim_end().lines().count(), 1 + MAX_PROBLEMS + 1, "{}", out.stderr);
    assert!(out.stderr.len() < 10_000, "{} bytes", out.stderr.len());
}

#[test]
fn the_count_of_problems_past_the_cap_is_exact() {
    let scratch = Scratch::new("many-unknown");
    let keys: String = (0..700).map(|i| format!("unknown_{i} = {i}\n")).collect();
    let quickstart = std::fs::read_to_string(bundled("quickstart.toml")).expect("quickstart");
    let file = scratch.write("many.toml", &format!("{keys}{quickstart}"));
    let out = agentsim(["validate", &arg(&file), "--set", "simulation.seed=-1", "--set", "name=3"]);
    assert_eq!(scenario_rejection(&out, &arg(&file)), 702);
    assert!(out.stderr.trim_end().ends_with("\n  ... and 652 more problems"), "{}", out.stderr);
    assert!(out.stderr.starts_with("error: 702 problems in scenario:\n"), "{}", out.stderr);
}

#[test]
fn scenario_file_over_1_mib_is_refused_before_parsing() {
    // A 50 MB file of stray lines needed more than 14 GB.
    let scratch = Scratch::new("too-large");
    let text = "=\n".repeat(MAX_SCENARIO_BYTES / 2 + 1);
    let file = scratch.write("huge.toml", &text);
    let out = agentsim(["validate", &arg(&file)]);
    assert_eq!(scenario_rejection(&out, &arg(&file)), 1);
    assert!(
        out.stderr.contains(&format!("huge.toml:1:1: the file is {} bytes; scenario files are limited to", text.len())),
        "{}",
        out.stderr
    );
}

#[test]
fn ttl_1e15d_is_explained_as_exponent_notation_everywhere() {
    // `replay --ttl 1e15d` said "unknown unit `e15d`".
    let scratch = Scratch::new("ttl-exponent");
    let trace =
        scratch.write("t.jsonl", "{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1]}\n");
    let out = agentsim(["replay", "--trace", &arg(&trace), "--format", "mooncake", "--ttl", "1e15d"]);
    flag_rejection(&out, "--ttl");
    assert!(out.stderr.contains("exponent notation is not supported in durations"), "{}", out.stderr);
    assert!(out.stderr.contains("e.g. \"1000000000000000d\""), "{}", out.stderr);
    assert!(!out.stderr.contains("unknown unit"), "{}", out.stderr);

    let file = arg(&bundled("quickstart.toml"));
    let out = agentsim(["validate", &file, "--set", "providers[0].cache.ttl=1e15d"]);
    scenario_rejection(&out, &file);
    assert!(out.stderr.contains("exponent notation is not supported in durations"), "{}", out.stderr);

    // Without an exponent, past the clock's range: the bound is named.
    let out = agentsim(["replay", "--trace", &arg(&trace), "--format", "mooncake", "--ttl", "300000000d"]);
    flag_rejection(&out, "--ttl");
    assert!(out.stderr.contains("is too large: the longest duration is 213503982d"), "{}", out.stderr);
    let out = agentsim(["replay", "--trace", &arg(&trace), "--format", "mooncake", "--ttl", "NaNs"]);
    assert!(out.stderr.contains("is not a duration: write an integer or decimal number"), "{}", out.stderr);
}

#[test]
fn capacity_tokens_out_of_range_names_the_bound() {
    let scratch = Scratch::new("capacity-range");
    let trace =
        scratch.write("t.jsonl", "{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1]}\n");
    let replay = |capacity: &str| {
        agentsim(["replay", "--trace", &arg(&trace), "--format", "mooncake", "--capacity-tokens", capacity])
    };
    for capacity in ["99999999999G", "99999999999999999999999"] {
        let out = replay(capacity);
        flag_rejection(&out, "--capacity-tokens");
        assert!(out.stderr.contains(&format!("is too large: at most {} tokens", u64::MAX)), "{}", out.stderr);
    }
    let out = replay("1e6");
    assert!(out.stderr.contains("`1e6` is not a token count: write an integer"), "{}", out.stderr);
}

#[test]
fn a_100kb_value_is_cut_wherever_it_is_echoed() {
    // An error echoing a 100 KB `--set` value printed it whole.
    let long = "9".repeat(100_000);
    let file = arg(&bundled("quickstart.toml"));
    let cut = |stderr: &str| {
        assert!(stderr.len() < 3_000, "{} bytes: {}", stderr.len(), &stderr[..300]);
        assert!(stderr.contains("…(+"), "{stderr}");
    };
    for set in [
        format!("simulation.seed={long}"),
        format!("simulation.seed=\"{long}\""),
        format!("providers[0].cache.ttl={long}s"),
        format!("providers[0].cache.ttl=1{long}"),
        format!("x{long}=1"),
        format!("name=a/{long}"),
    ] {
        let out = agentsim(["validate", &file, "--set", &set]);
        scenario_rejection(&out, &file);
        cut(&out.stderr);
    }
    // Rejected by the flag parser itself: the value is echoed cut there too.
    for set in [long.clone(), format!("a[{long}]=1"), format!("a.{long}.=1")] {
        let out = agentsim(["validate", &file, "--set", &set]);
        flag_rejection(&out, "--set");
        cut(&out.stderr);
    }
    let out = agentsim(["run", &file, "--seed", &long]);
    flag_rejection(&out, "--seed");
    cut(&out.stderr);

    let scratch = Scratch::new("echo-cut");
    let trace = scratch.write("t.jsonl", &format!("{{\"timestamp\": \"{long}\"}}\n"));
    let out = agentsim(["replay", "--trace", &arg(&trace), "--format", "mooncake", "--ttl", &format!("{long}x")]);
    flag_rejection(&out, "--ttl");
    cut(&out.stderr);
    let out = agentsim(["replay", "--trace", &arg(&trace), "--format", "mooncake", "--out", &arg(&scratch.path("o"))]);
    trace_rejection(&out, &arg(&trace));
    cut(&out.stderr);

    // A 100 KB key and string value in the file itself.
    let text = format!("k{long} = 1\nname = \"{long}\"\n");
    let big = scratch.write("big.toml", &text);
    let out = agentsim(["validate", &arg(&big)]);
    scenario_rejection(&out, &arg(&big));
    cut(&out.stderr);
}
