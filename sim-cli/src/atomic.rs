//! All-or-nothing file system writes: a whole new directory appears at once
//! (staged in a hidden sibling, then renamed), and a single file is replaced
//! by a rename from a hidden temporary beside it. Readers never see a partial
//! file, and a failed write leaves nothing behind at the target.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// A file to write: a plain name (no directories) and its complete content.
#[derive(Debug)]
pub struct OutputFile {
    pub name: &'static str,
    pub bytes: Vec<u8>,
}

impl OutputFile {
    pub fn new(name: &'static str, bytes: Vec<u8>) -> Self {
        OutputFile { name, bytes }
    }
}

/// Creates `dir` holding exactly `files`. `dir` must not exist or be an empty
/// directory; if it became non-empty meanwhile, the rename fails and nothing
/// of it is touched.
pub fn create_dir_with_files(dir: &Path, files: &[OutputFile]) -> io::Result<()> {
    let parent = parent_of(dir);
    fs::create_dir_all(&parent)?;
    let staging = hidden_sibling(dir, "tmp");
    if staging.exists() {
        // Left by a crashed process with our pid: the name is ours alone.
        fs::remove_dir_all(&staging)?;
    }
    fs::create_dir(&staging)?;
    let result = fill_and_rename(&staging, dir, files);
    if result.is_err() {
        // Best effort: the original error is the one worth reporting.
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

fn fill_and_rename(staging: &Path, dir: &Path, files: &[OutputFile]) -> io::Result<()> {
    for f in files {
        write_synced(&staging.join(f.name), &f.bytes)?;
    }
    if dir.is_dir() {
        // Only an empty directory can be removed, so this never loses data;
        // rename over a directory is not portable, hence the removal.
        fs::remove_dir(dir)?;
    }
    fs::rename(staging, dir)
}

/// Replaces (or creates) `path` with `bytes` in one rename.
pub fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = hidden_sibling(path, "tmp");
    let result = write_synced(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Written and flushed to the device before any rename makes it visible, so a
/// crash cannot publish a name whose content is still in flight.
fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// `.NAME.KIND-<pid>` beside `path`: hidden, and unique to this process.
fn hidden_sibling(path: &Path, kind: &str) -> PathBuf {
    let name = path.file_name().map_or_else(|| "out".into(), |n| n.to_string_lossy());
    parent_of(path).join(format!(".{name}.{kind}-{}", std::process::id()))
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fresh, empty directory under the system temp dir, removed on drop.
    pub(crate) struct Scratch(pub PathBuf);

    impl Scratch {
        pub(crate) fn new(tag: &str) -> Self {
            use std::sync::atomic::{AtomicU32, Ordering};
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("agentsim-cli-{tag}-{}-{n}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn file(name: &'static str, text: &str) -> OutputFile {
        OutputFile { name, bytes: text.as_bytes().to_vec() }
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn new_dir_appears_with_every_file_and_no_staging_left() {
        let s = Scratch::new("atomic-new");
        let dir = s.0.join("nested").join("run");
        create_dir_with_files(&dir, &[file("a.txt", "A"), file("b.txt", "B")]).unwrap();
        assert_eq!(entries(&dir), ["a.txt", "b.txt"]);
        assert_eq!(fs::read_to_string(dir.join("b.txt")).unwrap(), "B");
        assert_eq!(entries(&s.0.join("nested")), ["run"]);
    }

    #[test]
    fn an_empty_existing_dir_is_filled() {
        let s = Scratch::new("atomic-empty");
        let dir = s.0.join("run");
        fs::create_dir(&dir).unwrap();
        create_dir_with_files(&dir, &[file("a.txt", "A")]).unwrap();
        assert_eq!(entries(&dir), ["a.txt"]);
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let s = Scratch::new("atomic-fail");
        let dir = s.0.join("run");
        // A name inside a missing subdirectory cannot be created.
        let err = create_dir_with_files(&dir, &[file("a.txt", "A"), file("no/such.txt", "B")]);
        assert!(err.is_err());
        assert!(entries(&s.0).is_empty(), "{:?}", entries(&s.0));
    }

    #[test]
    fn a_dir_that_became_non_empty_is_not_touched() {
        let s = Scratch::new("atomic-race");
        let dir = s.0.join("run");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("keep.txt"), "mine").unwrap();
        assert!(create_dir_with_files(&dir, &[file("a.txt", "A")]).is_err());
        assert_eq!(entries(&dir), ["keep.txt"]);
        assert_eq!(entries(&s.0), ["run"]);
    }

    #[test]
    fn replace_file_swaps_content() {
        let s = Scratch::new("atomic-replace");
        let path = s.0.join("f.txt");
        fs::write(&path, "old").unwrap();
        replace_file(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(entries(&s.0), ["f.txt"]);
    }
}
