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
    // Cargo lists the sources the binary was built from beside it; one
    // newer than the binary means `cargo test -p agentsim-tests` did not rebuild it.
    let built = modified(&bin);
    let dep_info = bin.with_extension("d");
    if let Ok(text) = std::fs::read_to_string(&dep_info) {
        for source in dep_info_sources(&text) {
            let source = Path::new(&source);
            assert!(
                !source.exists() || modified(source) <= built,
                "{} is older than {}: rebuild it with `cargo build -p sim-cli` so these tests run the current code",
                bin.display(),
                source.display()
            );
        }
    }
    bin
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path).and_then(|m| m.modified()).unwrap_or_else(|e| panic!("mtime of {}: {e}", path.display()))
}

/// The prerequisites of a Makefile-style dep-info file (`target: a b\ c`).
fn dep_info_sources(text: &str) -> Vec<String> {
    let Some(line) = text.lines().next() else {
        return Vec::new();
    };
    let Some((_, deps)) = line.split_once(": ") else {
        return Vec::new();
    };
    let mut sources = vec![String::new()];
    let mut chars = deps.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => sources.last_mut().unwrap().extend(chars.next()),
            ' ' => sources.push(String::new()),
            c => sources.last_mut().unwrap().push(c),
        }
    }
    sources.retain(|s| !s.is_empty());
    sources
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
