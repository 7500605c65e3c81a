//! Output directories are never clobbered: a taken directory is refused and
//! left byte-identical, `--force` replaces only agentsim's files, and a failed
//! run leaves nothing behind.

use crate::support::{Scratch, agentsim, arg, list, read, small_scenario};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Every file of `dir` and of its `charts/`, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let charts = dir.join("charts");
    let drawn = if charts.is_dir() { list(&charts) } else { Vec::new() };
    let files = list(dir).into_iter().filter(|n| n != "charts");
    files
        .chain(drawn.into_iter().map(|n| format!("charts/{n}")))
        .map(|name| (name.clone(), read(&dir.join(name))))
        .collect()
}

#[test]
fn second_run_into_the_same_dir_is_refused_and_changes_nothing() {
    let s = Scratch::new("clobber");
    let scenario = arg(&small_scenario(&s));
    let out = s.path("run");
    agentsim(["run", &scenario, "--out", &arg(&out), "--quiet", "--requests-csv"]).expect_code(0);
    let before = snapshot(&out);
    // 9 result files and the two reports.
    assert_eq!(before.keys().filter(|k| !k.starts_with("charts/")).count(), 11);
    assert!(before.contains_key("charts/cost_per_session.png"));

    let o = agentsim(["run", &scenario, "--out", &arg(&out), "--quiet", "--seed", "3"]).expect_code(1);
    assert!(o.stderr.contains("already exists and is not empty"), "{}", o.stderr);
    assert!(o.stderr.contains("--force"), "{}", o.stderr);
    assert_eq!(o.stdout, "");
    assert!(snapshot(&out) == before, "the first run's files changed");
    assert_eq!(s.entries(), ["run", "small.toml"], "no staging directory left behind");
}

#[test]
fn force_replaces_our_files_and_keeps_the_users() {
    let s = Scratch::new("force");
    let scenario = arg(&small_scenario(&s));
    let out = s.path("run");
    agentsim(["run", &scenario, "--out", &arg(&out), "--quiet", "--requests-csv"]).expect_code(0);
    let first = read(&out.join("summary.json"));
    fs::write(out.join("notes.txt"), "my notes").unwrap();

    agentsim(["run", &scenario, "--out", &arg(&out), "--quiet", "--seed", "3", "--force"]).expect_code(0);
    assert_ne!(read(&out.join("summary.json")), first, "seed 3 gives another summary");
    assert_eq!(
        list(&out),
        [
            "charts",
            "distributions.csv",
            "manifest.json",
            "notes.txt",
            "replicates.csv",
            "report.html",
            "report.md",
            "scenario.resolved.toml",
            "scenario.toml",
            "summary.csv",
            "summary.json",
            "timeseries.csv"
        ],
        "the old requests.csv would mix two runs, so it is gone; the user's file stays"
    );
    assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "my notes");
    assert_eq!(s.entries(), ["run", "small.toml"]);
}

#[test]
fn an_empty_existing_dir_is_used_without_force() {
    let s = Scratch::new("empty-dir");
    let out = s.path("run");
    fs::create_dir(&out).unwrap();
    agentsim(["run", &arg(&small_scenario(&s)), "--out", &arg(&out), "--quiet"]).expect_code(0);
    assert!(out.join("summary.json").is_file());
}

#[test]
fn a_failed_run_with_force_leaves_the_old_files() {
    let s = Scratch::new("force-fail");
    let scenario = small_scenario(&s);
    let out = s.path("run");
    agentsim(["run", &arg(&scenario), "--out", &arg(&out), "--quiet"]).expect_code(0);
    let before = snapshot(&out);
    let broken = s.write("broken.toml", "name = \"x\"\nproviders = 3\n");
    agentsim(["run", &arg(&broken), "--out", &arg(&out), "--quiet", "--force"]).expect_code(2);
    assert!(snapshot(&out) == before);
}

#[test]
fn an_output_path_that_is_a_file_is_refused() {
    let s = Scratch::new("out-file");
    let taken = s.write("taken", "not a directory");
    let o = agentsim(["run", &arg(&small_scenario(&s)), "--out", &arg(&taken), "--force"]).expect_code(1);
    assert!(o.stderr.contains("is not a directory"), "{}", o.stderr);
    assert_eq!(fs::read_to_string(&taken).unwrap(), "not a directory");
}
