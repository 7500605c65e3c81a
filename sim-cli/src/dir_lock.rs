//! An exclusive, non-blocking lock held through a lock file for as long as a
//! run writes a directory: a second run is refused, and a lock the next run
//! can take proves that the previous writer is dead. A run cleaning up after
//! dead runs holds their locks for a moment without naming itself, and a
//! writer waits that moment out (a few seconds at most) rather than report a
//! busy directory.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another live process holds it; its process id if it wrote one.
    Busy(Option<u32>),
    /// The lock file cannot be created or locked (read-only directory, ...).
    Io(io::Error),
}

/// A held lock. Dropping it removes the lock file, then releases the lock.
#[derive(Debug)]
pub struct DirLock {
    path: PathBuf,
    file: File,
}

/// Bounds the retries when holders keep replacing the lock file under us.
const ATTEMPTS: usize = 16;
/// How long a writer waits for a holder that has not named itself: a cleaner
/// (see `try_acquire_to_clean`) or a writer between its lock and its pid.
/// Where a held lock file cannot be read (Windows locks its bytes), every
/// busy lock is such a holder: the refusal then comes after this wait.
const UNNAMED_HOLDER_WAIT: Duration = Duration::from_secs(3);
const UNNAMED_HOLDER_POLL: Duration = Duration::from_millis(10);

impl DirLock {
    /// Takes the lock of `path` (creating the file) for a run that writes,
    /// and names this process in it; or says which process holds it. A holder
    /// that names no process is waited for, up to a few seconds.
    pub fn try_acquire(path: &Path) -> Result<DirLock, LockError> {
        let mut waited = Duration::ZERO;
        loop {
            match Self::acquire(path, Some(std::process::id())) {
                Err(LockError::Busy(None)) if waited < UNNAMED_HOLDER_WAIT => {
                    std::thread::sleep(UNNAMED_HOLDER_POLL);
                    waited += UNNAMED_HOLDER_POLL;
                }
                other => return other,
            }
        }
    }

    /// Takes the lock of `path` for as long as it takes to remove a dead
    /// run's leftovers, at once or not at all. It names no process, so a run
    /// starting meanwhile waits for it rather than being refused.
    pub fn try_acquire_to_clean(path: &Path) -> Result<DirLock, LockError> {
        Self::acquire(path, None)
    }

    fn acquire(path: &Path, holder: Option<u32>) -> Result<DirLock, LockError> {
        for _ in 0..ATTEMPTS {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(LockError::Io)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => return Err(LockError::Busy(holder_pid(&mut file))),
                Err(TryLockError::Error(e)) => return Err(LockError::Io(e)),
            }
            // A holder unlinks its lock file before releasing it: a file we
            // opened before that unlink and locked after it guards nothing, so
            // the lock is ours only if the path still names the file we locked.
            if still_named(path, &file).map_err(LockError::Io)? {
                write_holder(&mut file, holder).map_err(LockError::Io)?;
                return Ok(DirLock { path: path.to_path_buf(), file });
            }
        }
        Err(LockError::Io(io::Error::other(format!("lock file {} keeps being replaced", path.display()))))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Unlinked while still held (see `acquire`), then released.
        // Without inode numbers to re-check, removing it would let two
        // processes lock different files of one name.
        if cfg!(unix) {
            let _ = fs::remove_file(&self.path);
        }
        // Closing the file would release it too; this says when.
        let _ = self.file.unlock();
    }
}

/// For the "busy" message: the lock file holds its holder's process id, or
/// nothing (not a dead run's id) while a cleaner holds it.
fn write_holder(file: &mut File, holder: Option<u32>) -> io::Result<()> {
    file.set_len(0)?;
    file.rewind()?;
    match holder {
        Some(pid) => writeln!(file, "{pid}"),
        None => Ok(()),
    }
}

fn holder_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(unix)]
fn still_named(path: &Path, file: &File) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt as _;
    let held = file.metadata()?;
    match fs::metadata(path) {
        Ok(m) => Ok(m.dev() == held.dev() && m.ino() == held.ino()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Lock files are never removed on these platforms (see `Drop`), so the
/// path always names the file that was opened.
#[cfg(not(unix))]
fn still_named(_path: &Path, _file: &File) -> io::Result<bool> {
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staging::tests::Scratch;

    #[test]
    fn a_held_lock_is_busy_and_names_its_holder() {
        let s = Scratch::new("lock-busy");
        let path = s.0.join("x.lock");
        let held = DirLock::try_acquire(&path).unwrap();
        // flock locks are per open file, so a second open in this process conflicts too.
        match DirLock::try_acquire(&path) {
            Err(LockError::Busy(pid)) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected busy, got {other:?}"),
        }
        drop(held);
        assert!(!path.exists(), "the lock file goes with the lock");
        let again = DirLock::try_acquire(&path).unwrap();
        assert_eq!(again.path(), path);
    }

    #[test]
    fn a_lock_on_an_unlinked_file_is_not_taken() {
        let s = Scratch::new("lock-unlinked");
        let path = s.0.join("x.lock");
        // The race `try_acquire` guards against: we opened the file, its
        // holder unlinked it and released. Locking that orphan proves nothing.
        let orphan = OpenOptions::new().write(true).create(true).truncate(false).open(&path).unwrap();
        fs::remove_file(&path).unwrap();
        orphan.try_lock().unwrap();
        assert!(!still_named(&path, &orphan).unwrap());
        fs::write(&path, "").unwrap();
        assert!(!still_named(&path, &orphan).unwrap(), "another file now has the name");
        let lock = DirLock::try_acquire(&path).unwrap();
        assert!(still_named(&path, &lock.file).unwrap());
    }

    #[test]
    fn a_writer_waits_out_a_cleaner_instead_of_reporting_busy() {
        let s = Scratch::new("lock-cleaner");
        let path = s.0.join("x.lock");
        // A dead run's lock file still names it; the cleaner must not pass that on.
        fs::write(&path, "12345\n").unwrap();
        let cleaner = DirLock::try_acquire_to_clean(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "");
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            drop(cleaner);
        });
        let writer = DirLock::try_acquire(&path).unwrap();
        release.join().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap().trim(), std::process::id().to_string());
        // A cleaner, unlike a writer, never waits.
        assert!(matches!(DirLock::try_acquire_to_clean(&path), Err(LockError::Busy(Some(_)))));
        drop(writer);
    }

    #[test]
    fn an_uncreatable_lock_file_is_an_io_error() {
        let s = Scratch::new("lock-ro");
        let missing = s.0.join("no-such-dir").join("x.lock");
        assert!(matches!(DirLock::try_acquire(&missing), Err(LockError::Io(_))));
    }
}
