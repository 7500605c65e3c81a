//! A run directory that appears complete or not at all. [`Staging::begin`]
//! takes the directory's lock and creates a staging directory before any
//! simulation, so an unusable output path fails at once; files are written
//! there (whole, or streamed through [`Staging::create_file`]);
//! [`Staging::commit`] publishes them.
//!
//! - A new directory is staged beside it (`.agentsim-KEY.staging/NAME`, see
//!   `sibling`) and appears in one rename.
//! - An existing directory (empty, `.`, or non-empty with `--force`) cannot be
//!   replaced by a rename without losing the user's own files or the
//!   directory itself, so it is staged inside (`.agentsim.staging`) and filled
//!   in place. `manifest.json` marks a complete run: the commit removes the
//!   old manifest first, then the old run's other files, then moves the new
//!   files in, manifest last. A directory without a manifest holds no run.
//!
//! A staging directory that is not committed (error, Ctrl-C through
//! `interrupt`) is removed; one left by a killed process is removed by the
//! next run, whose lock proves the old owner dead.

use crate::dir_lock::{DirLock, LockError};
use crate::output_dir::{OutputBusy, OutputExists};
use crate::outputs::OUTPUT_FILE_NAMES;
use crate::resumable::Resumable;
use crate::run_dir::{MANIFEST, MARKERS};
use crate::{interrupt, sibling};
use anyhow::Context as _;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// Lock file of a run writing into an existing directory, inside it.
pub const IN_PLACE_LOCK: &str = ".agentsim.lock";
/// Staging directory of such a run, inside the directory.
pub const IN_PLACE_STAGING: &str = ".agentsim.staging";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// The target does not exist: it appears by one rename.
    NewDir,
    /// The target exists: it is filled file by file, manifest last.
    InPlace,
}

/// A run directory being written; removed on drop unless committed.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    mode: Mode,
    /// Where staged files are created.
    files_dir: PathBuf,
    /// What to remove if the run does not commit; holds `files_dir`.
    root: PathBuf,
    /// Staged file names, in creation order.
    names: Vec<&'static str>,
    /// Staged chart files, as paths under the run directory (`charts/NAME`).
    charts: Vec<String>,
    lock: Option<DirLock>,
    /// Registration with `interrupt`.
    id: u64,
    finished: bool,
}

/// Stages `out` when given; else the first of `defaults` that is free: a
/// name that exists, or that another run is writing, is skipped, so runs
/// started in the same second get `-2`, `-3`... instead of refusing each other.
pub fn stage(
    out: Option<&Path>,
    mut defaults: impl Iterator<Item = PathBuf>,
    force: bool,
) -> anyhow::Result<(PathBuf, Staging)> {
    if let Some(dir) = out {
        return Ok((dir.to_path_buf(), Staging::begin(dir, force)?));
    }
    for _ in 0..10_000 {
        let dir = defaults.next().expect("default names never run out");
        if fs::symlink_metadata(&dir).is_ok() {
            continue;
        }
        match Staging::begin(&dir, false) {
            Ok(staging) => return Ok((dir, staging)),
            Err(e) if e.is::<OutputBusy>() || e.is::<OutputExists>() => continue,
            Err(e) => return Err(e),
        }
    }
    anyhow::bail!("no free default output directory after 10000 names; pass --out")
}

impl Staging {
    /// Locks `target` and creates its staging directory. Refuses a directory
    /// that another run is writing ([`OutputBusy`]) or that holds files
    /// without `force` ([`OutputExists`]); any file system problem (a
    /// read-only directory, a name too long) is reported here, before the
    /// caller spends time simulating.
    pub fn begin(target: &Path, force: bool) -> anyhow::Result<Staging> {
        // A new directory may be created by someone else between looking and
        // locking; then look again (bounded: it takes a racing process each time).
        for _ in 0..3 {
            // A link to nowhere would pass for a free name and fail only at
            // the commit, after the simulation.
            if fs::symlink_metadata(target).is_ok_and(|m| m.file_type().is_symlink()) && fs::metadata(target).is_err() {
                anyhow::bail!(
                    "output path {} is a symbolic link to nothing; remove it or choose another --out",
                    target.display()
                );
            }
            match fs::metadata(target) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    if let Some(staging) = begin_new(target)? {
                        return Ok(staging);
                    }
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot use output directory {}", target.display()));
                }
                Ok(m) if m.is_dir() => return begin_in_place(target, force),
                Ok(_) => anyhow::bail!("output path {} exists and is not a directory", target.display()),
            }
        }
        anyhow::bail!("output directory {} keeps appearing and disappearing; try again", target.display())
    }

    /// Writes a whole file into the staging directory.
    pub fn write_file(&mut self, name: &'static str, bytes: &[u8]) -> io::Result<()> {
        self.create_file(name)?.write_all(bytes)
    }

    /// Creates a file in the staging directory for streaming writes. The
    /// commit syncs it to disk, so the caller only has to finish writing.
    pub fn create_file(&mut self, name: &'static str) -> io::Result<File> {
        if self.names.contains(&name) || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot stage `{name}` twice or as a path"),
            ));
        }
        // Under the registry lock: a Ctrl-C removal then sees every entry.
        let _live = interrupt::live();
        let file = File::create_new(self.files_dir.join(name))?;
        self.names.push(name);
        Ok(file)
    }

    /// On Ctrl-C, once a replicate's record is complete in the staged
    /// `records.jsonl`, leave a resumable directory at the target (with
    /// `marker` as its `resume.json`) instead of removing everything.
    pub fn keep_on_interrupt(&self, marker: Vec<u8>, replicates: u32) {
        let r = Resumable {
            files_dir: self.files_dir.clone(),
            target: self.target.clone(),
            in_place: self.mode == Mode::InPlace,
            marker,
            replicates,
        };
        interrupt::live().set_resumable(self.id, r);
    }

    /// The staged names, in creation order (the manifest lists them).
    pub fn names(&self) -> &[&'static str] {
        &self.names
    }

    /// Where the staged files are: a reader of the run's results (the
    /// charts) reads them there before the commit.
    pub fn files_dir(&self) -> &Path {
        &self.files_dir
    }

    /// Writes a chart file `name` into the staged `charts/` subdirectory.
    pub fn write_chart(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let path = format!("{}/{name}", sim_report::CHARTS_DIR);
        if self.charts.contains(&path) || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("cannot stage chart `{name}`")));
        }
        let _live = interrupt::live();
        fs::create_dir_all(self.files_dir.join(sim_report::CHARTS_DIR))?;
        File::create_new(self.files_dir.join(&path))?.write_all(bytes)?;
        self.charts.push(path);
        Ok(())
    }

    /// What a manifest lists: the staged files, then `next` (files about to
    /// be staged, so a manifest built before them lists them), the charts,
    /// then itself.
    pub fn manifest_files(&self, next: &[&str]) -> Vec<String> {
        let names = self.names.iter().chain(next).map(|n| n.to_string());
        names.chain(self.charts.iter().cloned()).chain([MANIFEST.to_string()]).collect()
    }

    /// Removes a staged file that must not be published (a run's working file).
    pub fn discard(&mut self, name: &'static str) -> io::Result<()> {
        let _live = interrupt::live();
        fs::remove_file(self.files_dir.join(name))?;
        self.names.retain(|n| *n != name);
        Ok(())
    }

    /// Publishes the staged files at the target, `manifest.json` last (it
    /// must have been staged: it is the completion marker).
    pub fn commit(self) -> anyhow::Result<()> {
        self.commit_marked(MANIFEST)
    }

    /// Publishes the staged files at the target, `marker` (the completion
    /// marker of this kind of directory, which must have been staged) last.
    pub fn commit_marked(mut self, marker: &'static str) -> anyhow::Result<()> {
        anyhow::ensure!(self.names.contains(&marker), "internal error: this directory must have a {marker}");
        // On disk before visible: a crash after the commit cannot expose a
        // file whose content is still in flight.
        for name in self.names.iter().copied().chain(self.charts.iter().map(String::as_str)) {
            let path = self.files_dir.join(name);
            File::open(&path).and_then(|f| f.sync_all()).with_context(|| format!("cannot write {}", path.display()))?;
        }
        let mut live = interrupt::live();
        match self.mode {
            Mode::NewDir => fs::rename(&self.files_dir, &self.target).map_err(|e| match e.kind() {
                io::ErrorKind::DirectoryNotEmpty | io::ErrorKind::AlreadyExists => {
                    OutputExists { dir: self.target.clone(), incomplete: false }.into()
                }
                _ => anyhow::Error::new(e).context(format!("cannot create output directory {}", self.target.display())),
            })?,
            Mode::InPlace => fill_in_place(&self.target, &self.files_dir, (&self.names, &self.charts), marker)?,
        }
        // Best effort: the run is complete and visible whatever this says.
        let changed = if self.mode == Mode::NewDir { parent_of(&self.target) } else { self.target.clone() };
        let _ = File::open(changed).and_then(|d| d.sync_all());
        let _ = fs::remove_dir_all(&self.root);
        live.remove(self.id);
        self.lock = None;
        self.finished = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mut live = interrupt::live();
        let _ = fs::remove_dir_all(&self.root);
        live.remove(self.id);
        self.lock = None;
    }
}

/// Stages a directory that does not exist yet, or returns `None` if it
/// appeared meanwhile.
fn begin_new(target: &Path) -> anyhow::Result<Option<Staging>> {
    let name = target.file_name().with_context(|| format!("output path {} names no directory", target.display()))?;
    let parent = parent_of(target);
    fs::create_dir_all(&parent).with_context(|| format!("cannot create directory {}", parent.display()))?;
    let key = sibling::key(name);
    // Locked before the interrupt registry: taking the lock may wait a moment
    // for a cleaner (`DirLock::try_acquire`), and a Ctrl-C must not wait with it.
    let lock = take_lock(&sibling::lock_path(&parent, &key), target, &parent)?;
    let mut live = interrupt::live();
    if fs::metadata(target).is_ok() {
        return Ok(None);
    }
    let root = sibling::staging_path(&parent, &key);
    // The lock is ours, so a staging directory under this key is a dead run's.
    remove_dir_if_present(&root)?;
    fs::create_dir(&root).with_context(|| format!("cannot write in {}", parent.display()))?;
    let files_dir = root.join(name);
    // Creating the real name now (on the same file system) reports a name
    // that is too long or invalid before the simulation, not after.
    if let Err(e) = fs::create_dir(&files_dir) {
        let _ = fs::remove_dir(&root);
        return Err(e).with_context(|| format!("cannot use output directory {}", target.display()));
    }
    let id = live.add(root.clone(), lock.path().to_path_buf());
    drop(live);
    sibling::clean_dead(&parent, &key);
    let staging = Staging {
        target: target.to_path_buf(),
        mode: Mode::NewDir,
        files_dir,
        root,
        names: vec![],
        charts: vec![],
        lock: Some(lock),
        id,
        finished: false,
    };
    Ok(Some(staging))
}

/// Stages into an existing directory.
fn begin_in_place(target: &Path, force: bool) -> anyhow::Result<Staging> {
    // Locked before the interrupt registry, as in `begin_new`.
    let lock = take_lock(&target.join(IN_PLACE_LOCK), target, target)?;
    let mut live = interrupt::live();
    let root = target.join(IN_PLACE_STAGING);
    remove_dir_if_present(&root)?;
    let others = visible_entries(target)?;
    if !others.is_empty() && !force {
        let incomplete = !others.iter().any(|n| MARKERS.contains(&n.as_str()))
            && others.iter().all(|n| OUTPUT_FILE_NAMES.contains(&n.as_str()));
        return Err(OutputExists { dir: target.to_path_buf(), incomplete }.into());
    }
    fs::create_dir(&root).with_context(|| format!("cannot write in output directory {}", target.display()))?;
    let id = live.add(root.clone(), lock.path().to_path_buf());
    let staging = Staging {
        target: target.to_path_buf(),
        mode: Mode::InPlace,
        files_dir: root.clone(),
        root,
        names: vec![],
        charts: vec![],
        lock: Some(lock),
        id,
        finished: false,
    };
    Ok(staging)
}

fn take_lock(path: &Path, target: &Path, dir: &Path) -> anyhow::Result<DirLock> {
    DirLock::try_acquire(path).map_err(|e| match e {
        LockError::Busy(pid) => OutputBusy { dir: target.to_path_buf(), pid }.into(),
        LockError::Io(e) => anyhow::Error::new(e)
            .context(format!("cannot write in {}", dir.display()))
            .context(format!("cannot use output directory {}", target.display())),
    })
}

/// The old run stops being a run (its completion marker goes) before any of
/// its other files does; the new one becomes one when its marker arrives, last.
fn fill_in_place(
    target: &Path,
    files_dir: &Path,
    (names, charts): (&[&'static str], &[String]),
    marker: &'static str,
) -> anyhow::Result<()> {
    let old = MARKERS.into_iter().chain(OUTPUT_FILE_NAMES.into_iter().filter(|n| !MARKERS.contains(n)));
    for name in old {
        let path = target.join(name);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot remove the previous run's {}", path.display()));
            }
            _ => {}
        }
    }
    remove_previous_charts(target)
        .with_context(|| format!("cannot remove the previous run's charts in {}", target.display()))?;
    if !charts.is_empty() {
        let dir = target.join(sim_report::CHARTS_DIR);
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let new = names.iter().copied().filter(|n| *n != marker).chain(charts.iter().map(String::as_str)).chain([marker]);
    for name in new {
        fs::rename(files_dir.join(name), target.join(name))
            .with_context(|| format!("cannot move {name} into {}", target.display()))?;
    }
    Ok(())
}

/// Removes the chart files `agentsim report` drew from the run being
/// replaced (they would describe it, not the new one), and `charts/` itself
/// when nothing else is in it; a user's own files there stay.
pub(crate) fn remove_previous_charts(target: &Path) -> io::Result<()> {
    for chart in sim_report::existing_charts(target) {
        fs::remove_file(chart)?;
    }
    // Not empty (a user's file) or absent: both leave it as it is.
    let _ = fs::remove_dir(target.join(sim_report::CHARTS_DIR));
    Ok(())
}

/// Names in `dir` other than a run's own lock and staging directory.
fn visible_entries(dir: &Path) -> anyhow::Result<Vec<String>> {
    let entries = fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    let mut names = Vec::new();
    for e in entries {
        let name = e.with_context(|| format!("cannot list {}", dir.display()))?.file_name();
        let name = name.to_string_lossy();
        if name != IN_PLACE_LOCK && name != IN_PLACE_STAGING {
            names.push(name.into_owned());
        }
    }
    Ok(names)
}

fn remove_dir_if_present(dir: &Path) -> anyhow::Result<()> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove the stale staging directory {}", dir.display()))
        }
        _ => Ok(()),
    }
}

/// The directory holding `path` (`.` for a bare name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
#[path = "staging_tests.rs"]
pub(crate) mod tests;
