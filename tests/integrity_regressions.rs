//! Issue 6's reproducers about inputs and output directories, one test
//! each: a FIFO input blocked forever, long `--out` names and unwritable
//! directories failed only after simulating, `--seed` took a wider range than
//! the scenario file, and a missing trace exited 1 from `replay` only.

use crate::process::run_bounded;
use crate::support::{Scratch, agentsim, arg, read_json, small_scenario};
use sim_cli::run_dir::is_complete;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// Far beyond what a refusal needs (milliseconds), far below what the
/// refused work would take (blocked forever, or hours of simulation).
const LIMIT: Duration = Duration::from_secs(30);

/// Arguments that would simulate for hours if the output directory were
/// only checked afterwards.
fn endless_run(scenario: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["run".to_string(), arg(scenario), "--out".into(), arg(out), "--quiet".into()];
    args.extend(["--replicates", "1", "--set", "workloads[0].arrivals.sessions=100000000"].map(String::from));
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn expect_exit(o: &Output, code: i32) -> String {
    let text = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{text}");
    text
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("run mkfifo(1)");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn trace_scenario(trace: &str) -> String {
    format!(
        r#"name = "trace"
[[providers]]
name = "p"
serving = {{ slots = 10, base_latency = "0s", prefill_tokens_per_s = 1000000, decode_tokens_per_s = 1000000 }}
pricing = {{ input_usd_per_mtok = 1.0, output_usd_per_mtok = 2.0 }}
[[workloads]]
name = "w"
provider = "p"
arrivals = {{ kind = "trace", file = "{trace}", format = "mooncake" }}
"#
    )
}

#[test]
fn fifo_inputs_are_refused_with_exit_2() {
    let s = Scratch::new("fifo");
    let fifo = s.path("input.fifo");
    mkfifo(&fifo);
    let out = arg(&s.path("out"));
    let traced = s.write("traced.toml", &trace_scenario("input.fifo"));
    let commands: [Vec<String>; 5] = [
        vec!["run".into(), arg(&fifo), "--out".into(), out.clone()],
        vec!["validate".into(), arg(&fifo)],
        vec!["run".into(), arg(&traced), "--out".into(), out.clone()],
        ["replay", "--trace", &arg(&fifo), "--format", "mooncake", "--out", &out].map(String::from).to_vec(),
        ["providers", "import-litellm", &arg(&fifo), "--model", "m"].map(String::from).to_vec(),
    ];
    for args in commands {
        let text = expect_exit(&run_bounded(&args, LIMIT), 2);
        assert!(text.contains("not a regular file (a FIFO)"), "{args:?}: {text}");
    }
    assert!(!s.path("out").exists());
}

#[test]
fn out_names_of_245_to_255_characters_work_and_longer_fail_before_simulating() {
    let s = Scratch::new("long-out");
    let scenario = small_scenario(&s);
    for len in [245, 250, 255] {
        let out = s.path(&"o".repeat(len));
        agentsim(["run", &arg(&scenario), "--out", &arg(&out), "--quiet", "--replicates", "1"]).expect_code(0);
        assert!(is_complete(&out), "{len} characters");
    }
    let o = run_bounded(&endless_run(&scenario, &s.path(&"o".repeat(256)), &[]), LIMIT);
    let text = expect_exit(&o, 1);
    assert!(text.contains("cannot use output directory"), "{text}");
}

/// A directory this process cannot write in: a read-only one, or (for root,
/// who writes anywhere) the read-only /sys.
fn unwritable_dir(s: &Scratch) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = s.path("read-only");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
    for candidate in [dir, PathBuf::from("/sys")] {
        let probe = candidate.join(".agentsim-probe");
        if fs::write(&probe, "").is_err() {
            return candidate;
        }
        let _ = fs::remove_file(probe);
    }
    panic!("found no directory this test cannot write in");
}

#[test]
fn read_only_dir_and_parent_fail_before_simulating() {
    let s = Scratch::new("read-only-out");
    let scenario = small_scenario(&s);
    let ro = unwritable_dir(&s);
    for (out, extra) in [(ro.join("new-run"), &[][..]), (ro.clone(), &["--force"][..])] {
        let text = expect_exit(&run_bounded(&endless_run(&scenario, &out, extra), LIMIT), 1);
        assert!(text.contains(&format!("cannot write in {}", ro.display())), "{text}");
    }
}

#[test]
fn seed_range_is_0_to_2_pow_63_minus_1_everywhere() {
    let s = Scratch::new("seed-range");
    let scenario = arg(&small_scenario(&s));
    let max = "9223372036854775807";
    let out = s.path("max");
    agentsim(["run", &scenario, "--out", &arg(&out), "--quiet", "--replicates", "1", "--seed", max]).expect_code(0);
    assert_eq!(read_json(&out.join("manifest.json"))["seed"].to_string(), max);
    let too_big = "9223372036854775808";
    let o = agentsim(["run", &scenario, "--seed", too_big]).expect_code(2);
    assert!(o.stderr.contains("0..=9223372036854775807"), "{}", o.stderr);
    let o = agentsim(["run", &scenario, "--set", &format!("simulation.seed={too_big}")]).expect_code(2);
    assert!(o.stderr.contains("0..=9223372036854775807"), "{}", o.stderr);
    let file = s.write("big-seed.toml", &crate::support::SMALL.replace("seed = 7", &format!("seed = {too_big}")));
    agentsim(["validate", &arg(&file)]).expect_code(2);
}

#[test]
fn replay_missing_trace_exits_2_like_a_scenarios_missing_trace() {
    let s = Scratch::new("missing-trace");
    let out = arg(&s.path("out"));
    let o = agentsim(["replay", "--trace", &arg(&s.path("gone.jsonl")), "--format", "mooncake", "--out", &out]);
    let o = o.expect_code(2);
    assert!(o.stderr.contains("cannot read trace"), "{}", o.stderr);
    let traced = s.write("traced.toml", &trace_scenario("gone.jsonl"));
    agentsim(["run", &arg(&traced), "--out", &out]).expect_code(2);
    assert!(!s.path("out").exists());
}

#[test]
fn regression_a_dangling_symlink_as_out_fails_before_simulating() {
    // Found in review: it passed for a free name and failed only at the commit.
    let s = Scratch::new("dangling-out");
    let scenario = small_scenario(&s);
    let out = s.path("d");
    std::os::unix::fs::symlink(s.path("nowhere"), &out).unwrap();
    let o = agentsim(["run", &arg(&scenario), "--out", &arg(&out), "--quiet"]).expect_code(1);
    assert!(o.stderr.contains("is a symbolic link to nothing"), "{}", o.stderr);
}
