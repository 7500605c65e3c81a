//! Interrupt and resume: a real run interrupted part-way (SIGINT once some
//! replicates' records are on disk) leaves a resumable directory, and
//! `run --resume` completes it byte-identical to an uninterrupted run, even
//! after a record line cut in half; a changed scenario file or a directory
//! that is not resumable is refused.

use crate::process::{interrupt, spawn};
use crate::support::{Scratch, agentsim, arg, list, read, run_quiet, small_scenario};
use std::path::Path;
use std::time::{Duration, Instant};

/// Every file of a plain run that must be identical to the uninterrupted
/// run's (every output but the manifest, which records how the run was made).
pub fn compared() -> &'static [&'static str] {
    const FILES: [&str; 8] = [
        "summary.json",
        "summary.csv",
        "distributions.csv",
        "replicates.csv",
        "requests.csv",
        "timeseries.csv",
        "scenario.toml",
        "scenario.resolved.toml",
    ];
    for f in FILES {
        assert!(sim_cli::OUTPUT_FILE_NAMES.contains(&f), "{f} is an output");
    }
    &FILES
}

const EXTRA: [&str; 6] = [
    "--requests-csv",
    "--replicates",
    "40",
    "--threads",
    "1",
    "--variant=cheap=providers[1].pricing.output_usd_per_mtok=1",
];

/// A 4-point sweep of 10 replicates with a variant, on one thread.
const SWEEP: [&str; 8] = [
    "--requests-csv",
    "--replicates",
    "10",
    "--threads",
    "1",
    "--variant=cheap=providers[1].pricing.output_usd_per_mtok=1",
    "--sweep",
    "workloads[0].arrivals.rate_per_s=0.25,0.5,1,2",
];

/// Starts the run into the existing empty directory `out`, waits until
/// `records` complete records are in its staging, and interrupts it.
fn interrupted_run(scenario: &Path, out: &Path, records: usize) -> String {
    interrupted_with(scenario, out, records, &EXTRA)
}

fn interrupted_with(scenario: &Path, out: &Path, records: usize, extra: &[&str]) -> String {
    std::fs::create_dir(out).unwrap();
    let args: Vec<String> =
        ["run", &arg(scenario), "--out", &arg(out), "--quiet"].iter().chain(extra).map(|s| s.to_string()).collect();
    let mut child = spawn(&args);
    let staged = out.join(".agentsim.staging").join("records.jsonl");
    let start = Instant::now();
    let complete = || std::fs::read(&staged).map_or(0, |b| b.iter().filter(|c| **c == b'\n').count());
    while complete() < records {
        assert!(child.try_wait().unwrap().is_none(), "the run ended before {records} records");
        assert!(start.elapsed() < Duration::from_secs(120), "no records after 120 s");
        std::thread::sleep(Duration::from_millis(2));
    }
    interrupt(&child);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn an_interrupted_run_resumes_to_the_uninterrupted_bytes() {
    let s = Scratch::new("resume");
    let scenario = small_scenario(&s);
    let whole = s.path("whole");
    run_quiet(&scenario, &whole, &EXTRA);
    let out = s.path("run");
    let stderr = interrupted_run(&scenario, &out, 3);
    assert!(stderr.contains("interrupted after "), "{stderr}");
    assert!(stderr.contains(&format!("of 40 replicates; resume with: agentsim run --resume {}", out.display())));
    assert_eq!(list(&out), ["records.jsonl", "resume.json"], "resumable, and not a run");
    // A record line cut by the interruption is ignored.
    let mut text = std::fs::read_to_string(out.join("records.jsonl")).unwrap();
    let kept = text.lines().count();
    assert!(kept >= 3, "{kept}");
    let first = text.lines().next().unwrap().to_string();
    text.push_str(&first[..first.len() / 2]);
    std::fs::write(out.join("records.jsonl"), text).unwrap();

    resume_to(&out, &whole, kept, &[]);
    assert!(!out.join("records.jsonl").exists() && !out.join("resume.json").exists(), "{:?}", list(&out));
}

#[test]
fn an_interrupted_sweep_resumes_to_the_uninterrupted_bytes() {
    let s = Scratch::new("resume-sweep");
    let scenario = small_scenario(&s);
    let whole = s.path("whole");
    run_quiet(&scenario, &whole, &SWEEP);
    let out = s.path("run");
    // Past point 0's 10 replicates: the resumed run reuses a finished point and part of the next.
    let stderr = interrupted_with(&scenario, &out, 13, &SWEEP);
    assert!(stderr.contains("of 40 replicates; resume with: agentsim run --resume"), "{stderr}");
    let text = std::fs::read_to_string(out.join("records.jsonl")).unwrap();
    let kept = text.lines().count();
    let points: Vec<u32> = text.lines().map(|l| sim_core::metrics::TaskRecord::from_line(l).unwrap().point).collect();
    assert_eq!(points[..13], [0; 10].into_iter().chain([1; 3]).collect::<Vec<_>>()[..], "(point, replicate) order");
    resume_to(&out, &whole, kept, &["sweep.csv"]);
}

/// Resumes `out` on another thread count and checks it against the
/// uninterrupted run `whole` (every compared file and `more`), `kept` records reused.
fn resume_to(out: &Path, whole: &Path, kept: usize, more: &[&str]) {
    agentsim(["run", "--resume", &arg(out), "--quiet", "--threads", "2"]).expect_code(0);
    assert!(sim_cli::run_dir::is_complete(out));
    for name in more.iter().chain(compared()) {
        assert!(read(&whole.join(name)) == read(&out.join(name)), "{name} differs from the uninterrupted run");
    }
    crate::support::assert_same_charts(whole, out);
    let manifest = crate::support::read_json(&out.join("manifest.json"));
    assert_eq!(manifest["resumed_with"].as_u64(), Some(kept as u64));
}

#[test]
fn a_changed_scenario_or_a_non_resumable_directory_is_refused() {
    let s = Scratch::new("resume-refused");
    let scenario = small_scenario(&s);
    let out = s.path("run");
    interrupted_run(&scenario, &out, 1);
    let before = list(&out);
    let mut text = std::fs::read_to_string(&scenario).unwrap();
    text.push_str("# edited\n");
    std::fs::write(&scenario, text).unwrap();
    let o = agentsim(["run", "--resume", &arg(&out)]).expect_code(2);
    assert!(o.stderr.contains("changed since the run started"), "{}", o.stderr);
    assert_eq!(list(&out), before, "still resumable, untouched");

    let o = agentsim(["run", "--resume", &arg(&s.path("nothing"))]).expect_code(2);
    assert!(o.stderr.contains("is not a resumable directory"), "{}", o.stderr);
    let complete = s.path("complete");
    run_quiet(&scenario, &complete, &[]);
    let o = agentsim(["run", "--resume", &arg(&complete)]).expect_code(2);
    assert!(o.stderr.contains("(it holds a complete run)"), "{}", o.stderr);
    let o = agentsim(["run", &arg(&scenario), "--resume", &arg(&out)]).expect_code(2);
    assert!(o.stderr.contains("cannot be used with"), "{}", o.stderr);
}
