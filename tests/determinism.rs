//! The same seed gives byte-identical result files, whatever the thread count;
//! a different seed gives different results (so the equalities mean something).

use crate::support::{Scratch, agentsim, arg, read, read_json, small_scenario};
use std::path::Path;

/// The files that must not depend on anything but the scenario and the seed.
const RESULT_FILES: [&str; 4] = ["summary.json", "summary.csv", "replicates.csv", "requests.csv"];

fn run(scenario: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["run".to_string(), arg(scenario), "--out".into(), arg(out), "--quiet".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    agentsim(args).expect_code(0);
}

#[track_caller]
fn assert_same_results(a: &Path, b: &Path) {
    for name in RESULT_FILES {
        let (x, y) = (read(&a.join(name)), read(&b.join(name)));
        assert!(x == y, "{name} differs between {} and {}", a.display(), b.display());
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
