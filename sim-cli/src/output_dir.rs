//! Where a run's files go and why a directory is refused: a default directory
//! named after the scenario and the UTC time, a non-empty directory without
//! `--force`, or a directory another run is writing. Writing it is `staging`'s.

use std::fmt;
use std::path::{Path, PathBuf};

/// Default parent of run directories, relative to the current directory.
pub const DEFAULT_ROOT: &str = "outputs";

/// The output directory exists and holds files, and `--force` was not given.
#[derive(Debug)]
pub struct OutputExists {
    pub dir: PathBuf,
    /// It holds only agentsim's files and no manifest: an interrupted run.
    pub incomplete: bool,
}

impl fmt::Display for OutputExists {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.incomplete {
            write!(
                f,
                "output directory {} holds an incomplete run (no manifest.json); choose another --out, \
                 or pass --force to replace it",
                self.dir.display()
            )
        } else {
            write!(
                f,
                "output directory {} already exists and is not empty; choose another --out, \
                 or pass --force to replace agentsim's files in it",
                self.dir.display()
            )
        }
    }
}

impl std::error::Error for OutputExists {}

/// Another agentsim process is writing the output directory right now.
#[derive(Debug)]
pub struct OutputBusy {
    pub dir: PathBuf,
    pub pid: Option<u32>,
}

impl fmt::Display for OutputBusy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "output directory {} is being written by another agentsim run", self.dir.display())?;
        if let Some(pid) = self.pid {
            write!(f, " (process {pid})")?;
        }
        write!(f, "; wait for it to finish or choose another --out")
    }
}

impl std::error::Error for OutputBusy {}

/// `root/<name>-<timestamp>`, or with `-2`, `-3`, ... appended when runs of
/// the same scenario start within the same second.
pub fn default_dir(root: &Path, scenario_name: &str, timestamp: &str) -> PathBuf {
    let base = format!("{}-{timestamp}", file_name_safe(scenario_name));
    let first = root.join(&base);
    if !first.exists() {
        return first;
    }
    (2u32..).map(|i| root.join(format!("{base}-{i}"))).find(|p| !p.exists()).expect("some suffix is free")
}

/// A scenario name as a single, visible path component.
fn file_name_safe(name: &str) -> String {
    let s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    let s = s.trim_start_matches('.');
    if s.is_empty() { "scenario".to_string() } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staging::tests::Scratch;
    use std::fs;

    #[test]
    fn default_dir_names_are_safe_and_unique() {
        let s = Scratch::new("outdir-default");
        let ts = "20260101T000000Z";
        assert_eq!(default_dir(&s.0, "quick start/v2", ts), s.0.join("quick_start_v2-20260101T000000Z"));
        assert_eq!(default_dir(&s.0, "..", ts), s.0.join("scenario-20260101T000000Z"));
        fs::create_dir(s.0.join("q-20260101T000000Z")).unwrap();
        fs::create_dir(s.0.join("q-20260101T000000Z-2")).unwrap();
        assert_eq!(default_dir(&s.0, "q", ts), s.0.join("q-20260101T000000Z-3"));
    }

    #[test]
    fn refusals_say_what_to_do() {
        let exists = OutputExists { dir: "d".into(), incomplete: false }.to_string();
        assert!(exists.contains("--force"), "{exists}");
        let incomplete = OutputExists { dir: "d".into(), incomplete: true }.to_string();
        assert!(incomplete.contains("incomplete run (no manifest.json)"), "{incomplete}");
        let busy = OutputBusy { dir: "d".into(), pid: Some(42) }.to_string();
        assert!(busy.contains("another agentsim run (process 42)"), "{busy}");
    }
}
