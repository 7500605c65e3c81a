//! Where a run's files go and the no-clobber policy: a default directory named
//! after the scenario and the UTC time, refusal of a non-empty directory
//! unless `--force`, and publishing the files all at once.

use crate::atomic::{self, OutputFile};
use crate::outputs::OUTPUT_FILE_NAMES;
use anyhow::Context as _;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Default parent of run directories, relative to the current directory.
pub const DEFAULT_ROOT: &str = "outputs";

/// The output directory exists and holds files, and `--force` was not given.
#[derive(Debug)]
pub struct OutputExists {
    pub dir: PathBuf,
}

impl fmt::Display for OutputExists {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "output directory {} already exists and is not empty; choose another --out, \
             or pass --force to replace agentsim's files in it",
            self.dir.display()
        )
    }
}

impl std::error::Error for OutputExists {}

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

/// Checked before simulating, so a refused directory costs no simulation time.
/// Publishing checks again (atomically), in case the directory filled meanwhile.
pub fn check_available(dir: &Path, force: bool) -> anyhow::Result<()> {
    match fs::metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot inspect output directory {}", dir.display())),
        Ok(m) if !m.is_dir() => anyhow::bail!("output path {} exists and is not a directory", dir.display()),
        Ok(_) if force || is_empty_dir(dir)? => Ok(()),
        Ok(_) => Err(OutputExists { dir: dir.to_path_buf() }.into()),
    }
}

/// Writes `files` to `dir`. A missing `dir` appears complete in one rename;
/// an existing empty one is filled file by file (and emptied again on failure). With `force`, into a non-empty `dir`, each file is replaced by a
/// rename (in the given order, so put the manifest last) and agentsim's files
/// that this run does not write are removed; nothing else there is touched.
pub fn publish(dir: &Path, files: &[OutputFile], force: bool) -> anyhow::Result<()> {
    let in_place = force && dir.is_dir() && !is_empty_dir(dir)?;
    if !in_place && dir.is_dir() && is_empty_dir(dir)? {
        // An existing empty directory (possibly `.`, which cannot be replaced
        // by a rename): fill it file by file, and take back what was written
        // if a write fails, so it is never left half-filled.
        return fill_empty_dir(dir, files);
    }
    if !in_place {
        return atomic::create_dir_with_files(dir, files).map_err(|e| {
            if e.kind() == io::ErrorKind::DirectoryNotEmpty {
                OutputExists { dir: dir.to_path_buf() }.into()
            } else {
                anyhow::Error::new(e).context(format!("cannot write output directory {}", dir.display()))
            }
        });
    }
    for f in files {
        let path = dir.join(f.name);
        atomic::replace_file(&path, &f.bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    for stale in OUTPUT_FILE_NAMES.iter().filter(|n| !files.iter().any(|f| f.name == **n)) {
        let path = dir.join(stale);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot remove stale {}", path.display()));
            }
            _ => {}
        }
    }
    Ok(())
}

fn fill_empty_dir(dir: &Path, files: &[OutputFile]) -> anyhow::Result<()> {
    for (i, f) in files.iter().enumerate() {
        let path = dir.join(f.name);
        if let Err(e) = atomic::replace_file(&path, &f.bytes) {
            for written in &files[..i] {
                let _ = fs::remove_file(dir.join(written.name));
            }
            return Err(e).with_context(|| format!("cannot write {}", path.display()));
        }
    }
    Ok(())
}

fn is_empty_dir(dir: &Path) -> anyhow::Result<bool> {
    let mut entries = fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    Ok(entries.next().is_none())
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
    use crate::atomic::tests::Scratch;

    fn file(name: &'static str, text: &str) -> OutputFile {
        OutputFile { name, bytes: text.as_bytes().to_vec() }
    }

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
    fn non_empty_dir_is_refused_without_force() {
        let s = Scratch::new("outdir-refuse");
        let dir = s.0.join("run");
        check_available(&dir, false).unwrap();
        fs::create_dir(&dir).unwrap();
        check_available(&dir, false).unwrap();
        fs::write(dir.join("x"), "x").unwrap();
        let err = check_available(&dir, false).unwrap_err();
        assert!(err.is::<OutputExists>());
        assert!(err.to_string().contains("--force"), "{err}");
        check_available(&dir, true).unwrap();
        fs::write(s.0.join("plain"), "x").unwrap();
        assert!(!check_available(&s.0.join("plain"), true).unwrap_err().is::<OutputExists>());
    }

    #[test]
    fn an_existing_empty_directory_is_filled_in_place() {
        let s = Scratch::new("outdir-empty");
        let dir = s.0.join("run");
        fs::create_dir(&dir).unwrap();
        // `run/.` is the directory itself: a rename could not replace it.
        publish(&dir.join("."), &[file("summary.json", "1"), file("manifest.json", "m")], false).unwrap();
        assert_eq!(fs::read_to_string(dir.join("summary.json")).unwrap(), "1");
        assert_eq!(fs::read_to_string(dir.join("manifest.json")).unwrap(), "m");
    }

    #[test]
    fn forced_publish_replaces_our_files_only() {
        let s = Scratch::new("outdir-force");
        let dir = s.0.join("run");
        publish(&dir, &[file("summary.json", "1"), file("requests.csv", "r")], false).unwrap();
        fs::write(dir.join("notes.txt"), "mine").unwrap();
        let err = publish(&dir, &[file("summary.json", "2")], false).unwrap_err();
        assert!(err.is::<OutputExists>(), "{err:#}");
        assert_eq!(fs::read_to_string(dir.join("summary.json")).unwrap(), "1");
        publish(&dir, &[file("summary.json", "2")], true).unwrap();
        assert_eq!(fs::read_to_string(dir.join("summary.json")).unwrap(), "2");
        assert!(!dir.join("requests.csv").exists(), "a stale output would mix two runs");
        assert_eq!(fs::read_to_string(dir.join("notes.txt")).unwrap(), "mine");
    }
}
