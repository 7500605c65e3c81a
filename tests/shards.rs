//! `run --shard I/N` and `merge`: shards run as separate processes and merged
//! in any order give the single-machine run's bytes; a merge of partials that
//! are not exactly one run's shards is refused with nothing written.

use crate::process::spawn;
use crate::support::{Scratch, agentsim, arg, read, run_quiet, small_scenario};
use std::path::Path;

/// A variant that changes prices and cache tiers' use, so paired differences
/// and the ranking are part of what must merge exactly.
const VARIANT: &str = "cheap=providers[0].pricing.output_usd_per_mtok=5,providers[0].cache.ttl=5s";
const COMPARED: [&str; 6] =
    ["summary.json", "summary.csv", "distributions.csv", "replicates.csv", "timeseries.csv", "requests.csv"];

/// 7 replicates of a plain run.
const PLAIN: [&str; 2] = ["--replicates", "7"];
/// A 2 x 3 grid of 5 replicates: 30 tasks, so shards' shares cross points unevenly.
const SWEEP: [&str; 6] = [
    "--replicates",
    "5",
    "--sweep",
    "providers[0].cache.ttl=10s,1m",
    "--sweep",
    "workloads[0].arrivals.rate_per_s=0.5..2:3",
];
const SWEEP_COMPARED: [&str; 7] = [
    "summary.json",
    "summary.csv",
    "sweep.csv",
    "distributions.csv",
    "replicates.csv",
    "timeseries.csv",
    "requests.csv",
];

fn shard_args(scenario: &Path, out: &Path, i: u32, n: u32, extra: &[&str]) -> Vec<String> {
    ["run", &arg(scenario), "--out", &arg(out), "--quiet", "--requests-csv"]
        .iter()
        .chain(extra)
        .map(|s| s.to_string())
        .chain(["--variant".into(), VARIANT.into(), "--shard".into(), format!("{i}/{n}")])
        .collect()
}

/// Runs every shard of `n` at once, each its own process.
fn run_shards(s: &Scratch, scenario: &Path, n: u32, tag: &str, extra: &[&str]) -> Vec<String> {
    let dirs: Vec<_> = (1..=n).map(|i| s.path(&format!("{tag}-{i}"))).collect();
    let children: Vec<_> = dirs.iter().zip(1..).map(|(d, i)| spawn(&shard_args(scenario, d, i, n, extra))).collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    dirs.iter().map(|d| arg(d)).collect()
}

#[test]
fn shards_in_separate_processes_merge_to_the_single_machine_bytes() {
    let s = Scratch::new("shards");
    let scenario = small_scenario(&s);
    let single = s.path("single");
    run_quiet(&scenario, &single, &["--requests-csv", "--replicates", "7", "--variant", VARIANT]);
    for n in 1..=3u32 {
        let mut dirs = run_shards(&s, &scenario, n, &format!("n{n}"), &PLAIN);
        // Every order of the arguments merges the same: reversed, rotated.
        dirs.reverse();
        dirs.rotate_left(n as usize / 2);
        let merged = s.path(&format!("merged-{n}"));
        let args = ["merge".to_string()].into_iter().chain(dirs).chain(["--out".into(), arg(&merged), "-q".into()]);
        agentsim(args).expect_code(0);
        assert!(sim_cli::run_dir::is_complete(&merged));
        for name in COMPARED {
            assert!(read(&single.join(name)) == read(&merged.join(name)), "{n} shards: {name} differs");
        }
        crate::support::assert_same_charts(&single, &merged);
        let manifest = crate::support::read_json(&merged.join("manifest.json"));
        assert_eq!(manifest["merged_from"].as_array().unwrap().len(), n as usize);
        assert_eq!(manifest["replicates"], 7);
    }
}

#[test]
fn sweep_shards_in_separate_processes_merge_to_the_single_machine_sweep_bytes() {
    let s = Scratch::new("sweep-shards");
    let scenario = small_scenario(&s);
    let single = s.path("single");
    run_quiet(&scenario, &single, &[&SWEEP[..], &["--requests-csv", "--variant", VARIANT]].concat());
    for n in 1..=3u32 {
        let mut dirs = run_shards(&s, &scenario, n, &format!("n{n}"), &SWEEP);
        let lines = |d: &String| std::fs::read_to_string(Path::new(d).join("records.jsonl")).unwrap().lines().count();
        assert_eq!(dirs.iter().map(lines).sum::<usize>(), 30, "every (point, replicate) once");
        dirs.rotate_left(n as usize / 2);
        if n == 3 {
            dirs.swap(0, 2);
        }
        let merged = s.path(&format!("merged-{n}"));
        let args = ["merge".to_string()].into_iter().chain(dirs).chain(["--out".into(), arg(&merged), "-q".into()]);
        agentsim(args).expect_code(0);
        for name in SWEEP_COMPARED {
            assert!(read(&single.join(name)) == read(&merged.join(name)), "{n} shards: {name} differs");
        }
        crate::support::assert_same_charts(&single, &merged);
        let manifest = crate::support::read_json(&merged.join("manifest.json"));
        assert_eq!(manifest["sweep"].as_array().map(Vec::len), Some(2));
    }
    // A shard of another grid is another run.
    let mut other = shard_args(&scenario, &s.path("other-2"), 2, 2, &SWEEP);
    let at = other.iter().position(|a| a == "providers[0].cache.ttl=10s,1m").unwrap();
    other[at] = "providers[0].cache.ttl=10s,2m".into();
    agentsim(&other).expect_code(0);
    let o = agentsim(["merge", &arg(&s.path("n2-1")), &arg(&s.path("other-2")), "--out", &arg(&s.path("o"))]);
    let o = o.expect_code(2);
    assert!(o.stderr.contains("sweep (parameters, values or a point's variants)"), "{}", o.stderr);
    assert!(!s.path("o").exists());
}

#[test]
fn a_shard_writes_only_its_share_and_replicate_0_files_only_in_its_holder() {
    let s = Scratch::new("shard-share");
    let scenario = small_scenario(&s);
    let dirs = run_shards(&s, &scenario, 3, "p", &PLAIN);
    let lines = |d: &str| std::fs::read_to_string(Path::new(d).join("records.jsonl")).unwrap().lines().count();
    assert_eq!(dirs.iter().map(|d| lines(d)).collect::<Vec<_>>(), [3, 2, 2], "7 replicates dealt round-robin");
    assert!(Path::new(&dirs[0]).join("timeseries.csv").is_file());
    assert!(!Path::new(&dirs[1]).join("timeseries.csv").exists());
    assert!(!Path::new(&dirs[2]).join("manifest.json").exists(), "a partial is not a run");
    let partial = crate::support::read_json(&Path::new(&dirs[1]).join("partial.json"));
    assert_eq!((partial["shard_index"].as_u64(), partial["run"]["shard_count"].as_u64()), (Some(2), Some(3)));
}

#[test]
fn merges_of_anything_but_one_runs_shards_are_refused() {
    let s = Scratch::new("merge-refusals");
    let scenario = small_scenario(&s);
    let dirs = run_shards(&s, &scenario, 2, "a", &PLAIN);
    // Same shard 2 of a run with another seed.
    let mut other = shard_args(&scenario, &s.path("other-2"), 2, 2, &PLAIN);
    other.extend(["--seed".into(), "99".into()]);
    agentsim(&other).expect_code(0);
    let cases: [(Vec<String>, &str); 4] = [
        (vec![dirs[0].clone()], "missing shards (of 2): 2"),
        (vec![dirs[0].clone(), dirs[1].clone(), dirs[1].clone()], "shard 2/2 is given twice"),
        (vec![dirs[0].clone(), arg(&s.path("other-2"))], "a shard of a different run than"),
        (vec![dirs[0].clone(), arg(&s.path("nothing"))], "is not a complete partial directory"),
    ];
    for (ins, expected) in cases {
        let out = s.path("out");
        let args = ["merge".to_string()].into_iter().chain(ins).chain(["--out".into(), arg(&out)]);
        let o = agentsim(args).expect_code(2);
        assert!(o.stderr.contains(expected), "{expected}: {}", o.stderr);
        assert!(!out.exists(), "nothing written");
    }
    let o = agentsim(["merge", &dirs[0], &arg(&s.path("other-2")), "--out", &arg(&s.path("out"))]).expect_code(2);
    assert!(o.stderr.contains("(seed differ)"), "{}", o.stderr);
    // Two shards with a variant of the same name that sets different things
    // are two experiments, whatever the names say.
    let named = |i: u32, dir: &str, set: &str| {
        let mut a = shard_args(&scenario, &s.path(dir), i, 2, &PLAIN);
        a.extend(["--variant".into(), format!("v={set}")]);
        agentsim(&a).expect_code(0);
        arg(&s.path(dir))
    };
    let (v1, v2) = (
        named(1, "v-1", "providers[0].pricing.output_usd_per_mtok=5"),
        named(2, "v-2", "providers[0].pricing.output_usd_per_mtok=7"),
    );
    let o = agentsim(["merge", &v1, &v2, "--out", &arg(&s.path("out"))]).expect_code(2);
    assert!(
        o.stderr.contains("(resolved scenarios (a variant's overrides, or a file the scenario names"),
        "{}",
        o.stderr
    );
    // A shard that lost a task: its last record is gone.
    let records = Path::new(&dirs[1]).join("records.jsonl");
    let text = std::fs::read_to_string(&records).unwrap();
    let kept: Vec<&str> = text.lines().collect();
    std::fs::write(&records, format!("{}\n", kept[..kept.len() - 1].join("\n"))).unwrap();
    let o = agentsim(["merge", &dirs[0], &dirs[1], "--out", &arg(&s.path("out"))]).expect_code(2);
    assert!(o.stderr.contains("shard 2/2") && o.stderr.contains("replicate 5 is missing"), "{}", o.stderr);
    assert!(!s.path("out").exists(), "nothing written");
}

/// docs/cluster/slurm-array.sh as Slurm runs it: once per array index with
/// its environment, `sbatch` (queueing the merge) replaced by a recorder; then
/// the recorded merge command. The result is the single-machine run.
#[test]
fn the_slurm_array_script_runs_the_shards_and_queues_the_merge() {
    use std::os::unix::fs::symlink;
    use std::process::Command;
    let s = Scratch::new("slurm");
    let scenario = small_scenario(&s);
    let bin = s.path("bin");
    std::fs::create_dir(&bin).unwrap();
    symlink(crate::process::agentsim_bin(), bin.join("agentsim")).unwrap();
    let recorder =
        "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in --wrap=*) echo \"${a#--wrap=}\" > \"$0.wrap\";; esac; done\n";
    s.write("bin/sbatch", recorder);
    Command::new("chmod").args(["+x", &arg(&bin.join("sbatch"))]).status().unwrap();
    let path = format!("{}:{}", arg(&bin), std::env::var("PATH").unwrap_or_default());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/cluster/slurm-array.sh");
    let shared = s.path("shared");
    // (task id, array size, SHARD_COUNT): the array, then shard 2 rerun alone as docs/cluster.md says.
    let task = |i: u32, count: u32, shard_count: Option<u32>| {
        let mut cmd = Command::new("bash");
        cmd.arg(script).env("PATH", &path).env("SCENARIO", &scenario).env("SHARED", &shared);
        cmd.envs([("SLURM_ARRAY_TASK_ID", i.to_string()), ("SLURM_ARRAY_TASK_COUNT", count.to_string())]);
        cmd.envs([("SLURM_ARRAY_JOB_ID", "77"), ("SLURM_CPUS_PER_TASK", "1")]);
        if let Some(n) = shard_count {
            cmd.env("SHARD_COUNT", n.to_string());
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "task {i}: {}", String::from_utf8_lossy(&out.stderr));
    };
    for i in 1..=3 {
        task(i, 3, None);
    }
    std::fs::remove_dir_all(shared.join("shard-2")).unwrap();
    task(2, 1, Some(3));
    let merge = std::fs::read_to_string(bin.join("sbatch.wrap")).expect("the first task queued the merge");
    let out = Command::new("sh").args(["-c", &merge]).env("PATH", &path).output().unwrap();
    assert!(out.status.success(), "{merge}: {}", String::from_utf8_lossy(&out.stderr));
    let single = s.path("single");
    run_quiet(&scenario, &single, &[]);
    for name in ["summary.json", "replicates.csv", "timeseries.csv"] {
        assert!(read(&single.join(name)) == read(&shared.join("merged").join(name)), "{name} differs");
    }
}

#[test]
fn a_bad_shard_flag_is_refused_by_name() {
    let s = Scratch::new("shard-flag");
    let scenario = small_scenario(&s);
    for (bad, expected) in [("0/2", "whole numbers from 1"), ("3/2", "shard 3 of 2 does not exist"), ("2", "I/N")] {
        let o = agentsim(["run", &arg(&scenario), "--shard", bad, "--out", &arg(&s.path("o"))]).expect_code(2);
        assert!(o.stderr.contains("--shard") && o.stderr.contains(expected), "{bad}: {}", o.stderr);
        assert!(!s.path("o").exists());
    }
}
