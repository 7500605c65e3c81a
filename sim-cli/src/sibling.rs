//! The hidden entries a run keeps beside a new output directory while it
//! writes it (a lock file and a staging directory, named by a short hash of
//! the directory's name so that any legal name fits), and the removal of
//! those a killed run left behind.

use crate::dir_lock::DirLock;
use crate::scenario_file::hex_sha256;
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

const PREFIX: &str = ".agentsim-";
const LOCK_SUFFIX: &str = ".lock";
const STAGING_SUFFIX: &str = ".staging";
/// Hex digits of the name hash: 64 bits, so distinct names in one parent
/// never share a key in practice (a collision would only refuse a run as busy).
const KEY_LEN: usize = 16;

/// The key of an output directory name within its parent.
pub fn key(name: &OsStr) -> String {
    hex_sha256(name.as_encoded_bytes())[..KEY_LEN].to_string()
}

/// `PARENT/.agentsim-KEY.lock`: held while a run writes the directory named by KEY.
pub fn lock_path(parent: &Path, key: &str) -> PathBuf {
    parent.join(format!("{PREFIX}{key}{LOCK_SUFFIX}"))
}

/// `PARENT/.agentsim-KEY.staging`: where that run stages its files.
pub fn staging_path(parent: &Path, key: &str) -> PathBuf {
    parent.join(format!("{PREFIX}{key}{STAGING_SUFFIX}"))
}

/// The key of a sibling lock or staging entry name, if it is one.
fn parse_key(name: &str) -> Option<&str> {
    let rest = name.strip_prefix(PREFIX)?;
    let key = rest.strip_suffix(LOCK_SUFFIX).or_else(|| rest.strip_suffix(STAGING_SUFFIX))?;
    (key.len() == KEY_LEN && key.bytes().all(|b| b.is_ascii_hexdigit())).then_some(key)
}

/// Removes the staging directories (and lock files) of dead runs in `parent`,
/// except `own_key`'s. A run's lock is held for as long as it lives, so a lock
/// we can take belongs to a run that was killed. Best effort: what cannot be
/// removed now is tried again by the next run.
pub fn clean_dead(parent: &Path, own_key: &str) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let keys: BTreeSet<String> = entries
        .filter_map(|e| e.ok()?.file_name().to_str().and_then(parse_key).map(str::to_owned))
        .filter(|k| k != own_key)
        .collect();
    for key in keys {
        if let Ok(lock) = DirLock::try_acquire_to_clean(&lock_path(parent, &key)) {
            let _ = fs::remove_dir_all(staging_path(parent, &key));
            drop(lock);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staging::tests::Scratch;

    #[test]
    fn keys_are_short_and_parse_back() {
        let long = "x".repeat(255);
        let k = key(OsStr::new(&long));
        assert_eq!(k.len(), KEY_LEN);
        let lock = lock_path(Path::new("p"), &k);
        let staging = staging_path(Path::new("p"), &k);
        assert!(lock.file_name().unwrap().len() < 40);
        assert_eq!(parse_key(lock.file_name().unwrap().to_str().unwrap()), Some(k.as_str()));
        assert_eq!(parse_key(staging.file_name().unwrap().to_str().unwrap()), Some(k.as_str()));
        assert_ne!(key(OsStr::new("a")), key(OsStr::new("b")));
        for other in [".agentsim-xyz.lock", ".agentsim-0123456789abcdef.tmp", "agentsim-0123456789abcdef.lock"] {
            assert_eq!(parse_key(other), None, "{other}");
        }
    }

    #[test]
    fn dead_stagings_go_and_live_ones_stay() {
        let s = Scratch::new("sibling-clean");
        let (dead, live, own) = (key(OsStr::new("dead")), key(OsStr::new("live")), key(OsStr::new("own")));
        for k in [&dead, &live, &own] {
            fs::create_dir_all(staging_path(&s.0, k).join("run")).unwrap();
            fs::write(staging_path(&s.0, k).join("run").join("summary.json"), "{}").unwrap();
        }
        // A killed run leaves its lock file, unlocked.
        fs::write(lock_path(&s.0, &dead), "12345\n").unwrap();
        let _held = DirLock::try_acquire(&lock_path(&s.0, &live)).unwrap();
        fs::write(s.0.join("mine.txt"), "user file").unwrap();
        clean_dead(&s.0, &own);
        assert!(!staging_path(&s.0, &dead).exists());
        assert!(!lock_path(&s.0, &dead).exists());
        assert!(staging_path(&s.0, &live).exists(), "its owner still runs");
        assert!(staging_path(&s.0, &own).exists(), "the caller's own is the caller's business");
        assert!(s.0.join("mine.txt").exists());
    }

    #[test]
    fn a_writer_starting_while_a_cleaner_sweeps_is_never_refused() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let s = Scratch::new("sibling-sweep");
        let keys: Vec<String> = (0..2).map(|i| key(OsStr::new(&format!("run-{i}")))).collect();
        let done = AtomicBool::new(false);
        let refused = std::thread::scope(|scope| {
            // Another run's cleanup, sweeping the parent over and over.
            scope.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    clean_dead(&s.0, "own");
                }
            });
            let mut refused = Vec::new();
            for round in 0..400 {
                let k = &keys[round % keys.len()];
                // A cleaner that named itself (this process) would be reported as a busy writer.
                let lock = match DirLock::try_acquire(&lock_path(&s.0, k)) {
                    Ok(lock) => lock,
                    Err(e) => {
                        refused.push(format!("round {round}: {e:?}"));
                        continue;
                    }
                };
                // Then the writer dies, leaving a staging directory for the
                // cleaner to take the lock and remove while the next writer starts.
                let staging = staging_path(&s.0, k);
                let _ = fs::create_dir_all(&staging);
                for f in 0..20 {
                    let _ = fs::write(staging.join(f.to_string()), "x");
                }
                drop(lock);
            }
            done.store(true, Ordering::Relaxed);
            refused
        });
        assert!(refused.is_empty(), "{refused:?}");
    }
}
