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

/// The default directory names, in order of preference: `root/<name>-<timestamp>`,
/// then with `-2`, `-3`, ... appended (runs of the same scenario that start
/// within the same second take the next free one; see `staging::stage`).
pub fn default_dirs(root: &Path, scenario_name: &str, timestamp: &str) -> impl Iterator<Item = PathBuf> + use<> {
    let base = format!("{}-{timestamp}", file_name_safe(scenario_name));
    let root = root.to_path_buf();
    std::iter::once(root.join(&base)).chain((2u32..).map(move |i| root.join(format!("{base}-{i}"))))
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

    #[test]
    fn default_dir_names_are_safe_and_unique() {
        let s = Scratch::new("outdir-default");
        let ts = "20260101T000000Z";
        let first = |name: &str| default_dirs(&s.0, name, ts).next().unwrap();
        assert_eq!(first("quick start/v2"), s.0.join("quick_start_v2-20260101T000000Z"));
        assert_eq!(first(".."), s.0.join("scenario-20260101T000000Z"));
        let third = default_dirs(&s.0, "q", ts).nth(2).unwrap();
        assert_eq!(third, s.0.join("q-20260101T000000Z-3"));
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
