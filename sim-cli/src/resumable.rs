//! Resumable directories: what an interrupted run leaves when some
//! replicates had finished (their records, and `resume.json`, the marker
//! that says how to finish the run), and turning a staging directory into
//! one. A resumable directory is not a run: it has no `manifest.json`.

use crate::outputs::OUTPUT_FILE_NAMES;
use crate::run_dir::{MARKERS, RECORDS, RESUME};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The content of `resume.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResumeMarker {
    pub agentsim_version: String,
    /// SHA-256 of the scenario file the run started with; a changed file is refused.
    pub scenario_sha256: String,
    /// The original `agentsim run` arguments, program name first.
    pub command_line: Vec<String>,
    /// The working directory they were given in (relative paths are resolved against it).
    pub cwd: PathBuf,
    pub seed: u64,
    pub replicates: u32,
}

/// What an interrupted run keeps, registered with `interrupt` by its staging.
#[derive(Debug)]
pub struct Resumable {
    /// Where the staged files (`records.jsonl` among them) are.
    pub files_dir: PathBuf,
    pub target: PathBuf,
    /// The target existed: its files are replaced one by one (markers first).
    pub in_place: bool,
    /// `resume.json`'s bytes.
    pub marker: Vec<u8>,
    pub replicates: u32,
}

/// Complete records in a records file (a cut last line does not count).
pub fn complete_records(path: &Path) -> usize {
    fs::read(path).map_or(0, |b| b.iter().filter(|c| **c == b'\n').count())
}

/// Turns the staging into a resumable directory at the target when at least
/// one replicate's record is complete; returns how many, or `None` (nothing
/// to keep, or it could not be kept: the caller removes the staging).
pub fn keep(r: &Resumable) -> Option<usize> {
    let done = complete_records(&r.files_dir.join(RECORDS));
    if done == 0 {
        return None;
    }
    let kept = if r.in_place { keep_in_place(r) } else { keep_new(r) };
    kept.ok().map(|()| done)
}

/// A new directory: the staged records and marker appear in one rename.
fn keep_new(r: &Resumable) -> io::Result<()> {
    for e in fs::read_dir(&r.files_dir)? {
        let name = e?.file_name();
        let path = r.files_dir.join(&name);
        if name == RECORDS {
            continue;
        }
        // Charts (a subdirectory) are drawn after the records are complete.
        if path.is_dir() { fs::remove_dir_all(path)? } else { fs::remove_file(path)? }
    }
    fs::write(r.files_dir.join(RESUME), &r.marker)?;
    fs::rename(&r.files_dir, &r.target)
}

/// An existing directory: the previous run stops being one (its marker goes
/// first), then the records and the marker, last, move in.
fn keep_in_place(r: &Resumable) -> io::Result<()> {
    let old = MARKERS.into_iter().chain(OUTPUT_FILE_NAMES.into_iter().filter(|n| !MARKERS.contains(n)));
    for name in old {
        match fs::remove_file(r.target.join(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    crate::staging::remove_previous_charts(&r.target)?;
    fs::rename(r.files_dir.join(RECORDS), r.target.join(RECORDS))?;
    fs::write(r.files_dir.join(RESUME), &r.marker)?;
    fs::rename(r.files_dir.join(RESUME), r.target.join(RESUME))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staging::tests::Scratch;

    fn resumable(s: &Scratch, in_place: bool) -> Resumable {
        let files_dir = s.0.join("staging");
        fs::create_dir(&files_dir).unwrap();
        fs::write(files_dir.join("replicates.csv"), "half").unwrap();
        let target = s.0.join("run");
        Resumable { files_dir, target, in_place, marker: b"{}".to_vec(), replicates: 4 }
    }

    #[test]
    fn nothing_complete_keeps_nothing() {
        let s = Scratch::new("keep-none");
        let r = resumable(&s, false);
        fs::write(r.files_dir.join(RECORDS), "{\"cut").unwrap();
        assert_eq!(keep(&r), None);
        assert!(!r.target.exists());
    }

    #[test]
    fn a_new_directory_gets_only_the_records_and_the_marker() {
        let s = Scratch::new("keep-new");
        let r = resumable(&s, false);
        fs::write(r.files_dir.join(RECORDS), "a\nb\n{\"cut").unwrap();
        assert_eq!(keep(&r), Some(2));
        let mut names: Vec<_> = fs::read_dir(&r.target).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, [RECORDS, RESUME]);
    }

    #[test]
    fn in_place_the_previous_run_goes_and_user_files_stay() {
        let s = Scratch::new("keep-in-place");
        let r = resumable(&s, true);
        fs::create_dir(&r.target).unwrap();
        for name in ["manifest.json", "summary.json", "notes.txt"] {
            fs::write(r.target.join(name), "old").unwrap();
        }
        fs::write(r.files_dir.join(RECORDS), "a\n").unwrap();
        assert_eq!(keep(&r), Some(1));
        let mut names: Vec<_> = fs::read_dir(&r.target).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, ["notes.txt", RECORDS, RESUME]);
    }
}
