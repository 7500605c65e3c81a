//! Helpers shared by the integration tests: run the CLI in-process, scratch
//! directories that clean up after themselves, and small test scenarios.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// What one CLI invocation produced.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Panics with both streams when the exit code is not `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(self.code, code, "exit code\n--- stdout:\n{}\n--- stderr:\n{}", self.stdout, self.stderr);
        self
    }
}

/// Runs `agentsim ARGS...` in-process.
pub fn agentsim<I, S>(args: I) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let argv = std::iter::once(OsString::from("agentsim")).chain(args.into_iter().map(Into::into));
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = sim_cli::main_with_args(argv, &mut stdout, &mut stderr);
    Outcome {
        code,
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// Runs `agentsim run SCENARIO --out OUT --quiet EXTRA...` and expects success
/// and a complete run directory (what every reader of one checks first).
pub fn run_quiet(scenario: &Path, out: &Path, extra: &[&str]) {
    let args = ["run", &arg(scenario), "--out", &arg(out), "--quiet"];
    agentsim(args.iter().chain(extra)).expect_code(0);
    assert!(sim_cli::run_dir::is_complete(out), "{} is not a complete run", out.display());
}

/// A fresh directory under the system temp dir, removed (with its content) on drop.
#[derive(Debug)]
pub struct Scratch {
    root: PathBuf,
}

impl Scratch {
    pub fn new(tag: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("agentsim-it-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).expect("create scratch dir");
        Scratch { root }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Writes `text` to `rel` and returns its path.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        fs::write(&p, text).expect("write scratch file");
        p
    }

    /// Names directly inside the scratch root, sorted.
    pub fn entries(&self) -> Vec<String> {
        list(&self.root)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// File names in `dir`, sorted.
pub fn list(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("list {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Asserts that two run directories hold the same chart files (at least
/// one) with the same bytes, and that each manifest lists its charts.
#[track_caller]
pub fn assert_same_charts(a: &Path, b: &Path) {
    let (x, y) = (list(&a.join("charts")), list(&b.join("charts")));
    assert!(!x.is_empty() && x == y, "charts differ: {x:?} vs {y:?}");
    for name in &x {
        let rel = format!("charts/{name}");
        assert!(
            read(&a.join(&rel)) == read(&b.join(&rel)),
            "{rel} differs between {} and {}",
            a.display(),
            b.display()
        );
        for dir in [a, b] {
            let files = read_json(&dir.join("manifest.json"))["files"].clone();
            assert!(
                files.as_array().unwrap().iter().any(|f| f == rel.as_str()),
                "{rel} not in {}'s manifest",
                dir.display()
            );
        }
    }
}

pub fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&read(path)).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// A path as a CLI argument.
pub fn arg(p: &Path) -> String {
    p.to_str().expect("scratch paths are UTF-8").to_string()
}

/// The bundled scenario `scenarios/<name>`.
pub fn bundled(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("scenarios").join(name)
}

/// A scratch directory (tagged `tag`) holding a complete run of the bundled
/// `scenario` with the `extra` flags, and the run's directory.
pub fn bundled_run(tag: &str, scenario: &str, extra: &[&str]) -> (Scratch, PathBuf) {
    let s = Scratch::new(tag);
    let out = s.path("run");
    run_quiet(&bundled(scenario), &out, extra);
    (s, out)
}

/// The overall mean of `metric` in a summary.json value.
#[track_caller]
pub fn overall_mean(summary: &serde_json::Value, metric: &str) -> f64 {
    summary["variants"][0]["metrics"][metric]["mean"]
        .as_f64()
        .unwrap_or_else(|| panic!("{metric} has no mean in {summary:#}"))
}

/// Two providers and two workloads, small enough to run in milliseconds, with
/// caching, queueing (few slots) and randomness in every quantity.
pub const SMALL: &str = r#"name = "itest"
description = "integration test scenario"

[simulation]
seed = 7
replicates = 4

[[providers]]
name = "alpha"
model = "alpha-1"
serving = { slots = 2, base_latency = { kind = "exponential", mean = "200ms" }, prefill_tokens_per_s = 20000, decode_tokens_per_s = 100 }
cache = { ttl = "30s" }
pricing = { input_usd_per_mtok = 3.0, cache_read_usd_per_mtok = 0.3, cache_write_usd_per_mtok = 3.75, output_usd_per_mtok = 15.0 }

[[providers]]
name = "beta"
serving = { slots = 8, base_latency = "100ms", prefill_tokens_per_s = 50000, decode_tokens_per_s = 300 }
pricing = { input_usd_per_mtok = 0.5, output_usd_per_mtok = 1.5 }

[[workloads]]
name = "coder"
provider = "alpha"
shared_prefix_tokens = 2000
task_tokens = { kind = "uniform_int", low = 100, high = 500 }
steps = { kind = "uniform_int", low = 3, high = 8 }
output_tokens = { kind = "exponential", mean = 150 }
tool_result_tokens = { kind = "uniform_int", low = 50, high = 400 }
think_time = { kind = "exponential", mean = "5s" }
arrivals = { rate_per_s = 0.5, sessions = 30 }

[[workloads]]
name = "chat"
provider = "beta"
shared_prefix_tokens = 500
steps = { kind = "empirical", values = [1, 2, 4], weights = [3, 2, 1] }
output_tokens = { kind = "lognormal", median = 100, p90 = 400 }
think_time = { kind = "uniform", low = "1s", high = "20s" }
arrivals = { rate_per_s = 1.0, horizon = "40s" }
"#;

/// `SMALL` written into `scratch` as `small.toml`.
pub fn small_scenario(scratch: &Scratch) -> PathBuf {
    scratch.write("small.toml", SMALL)
}
