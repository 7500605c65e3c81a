//! Running the real `agentsim` binary as a child process, for what an
//! in-process run cannot show: signals, a second process, a blocked read.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `agentsim` process of this build (the tests package's copy of the
/// binary, which cargo builds before these tests: see tests/Cargo.toml).
pub fn agentsim_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_agentsim-under-test"))
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
