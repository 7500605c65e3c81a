//! Running the real `agentsim` binary as a child process, for what an
//! in-process run cannot show: signals, a second process, a blocked read.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// The `agentsim` binary of this build: `cargo test --workspace` builds it
/// into the profile directory that holds this test's `deps/`.
pub fn agentsim_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("path of the test executable");
    let profile_dir = exe.parent().and_then(Path::parent).expect("test executable lives in target/<profile>/deps");
    let bin = profile_dir.join(format!("agentsim{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: these tests run the real binary; build it with `cargo build -p sim-cli` \
         (`cargo test --workspace` builds it too)",
        bin.display()
    );
    let built = modified(&bin);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for src in [root.join("sim-cli").join("src"), root.join("sim-core").join("src")] {
        if let Some((newest, path)) = newest_source(&src) {
            assert!(
                newest <= built,
                "{} is older than {}: rebuild it with `cargo build -p sim-cli` so these tests run the current code",
                bin.display(),
                path.display()
            );
        }
    }
    bin
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path).and_then(|m| m.modified()).unwrap_or_else(|e| panic!("mtime of {}: {e}", path.display()))
}

/// The most recently modified `.rs` file under `dir`.
fn newest_source(dir: &Path) -> Option<(SystemTime, PathBuf)> {
    let mut newest: Option<(SystemTime, PathBuf)> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let candidate = if path.is_dir() {
            newest_source(&path)
        } else if path.extension().is_some_and(|e| e == "rs") {
            Some((modified(&path), path))
        } else {
            None
        };
        if let Some(c) = candidate
            && newest.as_ref().is_none_or(|n| c.0 > n.0)
        {
            newest = Some(c);
        }
    }
    newest
}

/// Starts `agentsim ARGS...` with stdout discarded and stderr captured.
pub fn spawn(args: &[String]) -> Child {
    Command::new(agentsim_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start agentsim")
}

/// Runs `agentsim ARGS...` to completion, killing it and failing the test if
/// it is still running after `limit`: for commands that must stop at once
/// (refusals), where a regression would otherwise run or block for hours.
pub fn run_bounded(args: &[String], limit: Duration) -> Output {
    let mut child = spawn(args);
    let start = Instant::now();
    while child.try_wait().expect("poll agentsim").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("agentsim {args:?} was still running after {limit:?}; it should have stopped at once");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().expect("collect agentsim output")
}

/// Sends SIGINT, as Ctrl-C in a terminal does (std can only send SIGKILL).
pub fn interrupt(child: &Child) {
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("run kill(1)");
    assert!(status.success(), "kill -INT {} failed", child.id());
}

/// Waits until `path` exists (another process reached a point), bounded.
pub fn wait_for(path: &Path, child: &mut Child) {
    let start = Instant::now();
    while !path.exists() {
        if let Some(status) = child.try_wait().expect("poll agentsim") {
            panic!("agentsim exited ({status}) before {} appeared", path.display());
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(2));
    }
}
