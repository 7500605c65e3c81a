//! Ctrl-C stops a run at once and leaves no half-written output. Live
//! staging directories are registered here; the handler takes the same mutex
//! as a commit (so a commit under way finishes first), removes every
//! registered staging directory and its lock file, and exits. A run that
//! registered itself as resumable and has finished replicates instead leaves
//! a resumable directory (`resumable`) and says how to resume it.
//!
//! Without a handler (tests running the CLI in-process) the registry is
//! harmless bookkeeping.

use crate::exit::EXIT_INTERRUPTED;
use crate::resumable::{self, Resumable};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

/// What an interrupted run must remove.
#[derive(Debug)]
struct Entry {
    id: u64,
    staging: PathBuf,
    lock: PathBuf,
    resumable: Option<Resumable>,
}

/// The registered staging directories; held while creating, committing or
/// removing one, which makes those steps atomic with respect to Ctrl-C.
#[derive(Debug, Default)]
pub struct Live {
    entries: Vec<Entry>,
    next_id: u64,
}

impl Live {
    /// Registers a staging directory and the lock file guarding it.
    pub fn add(&mut self, staging: PathBuf, lock: PathBuf) -> u64 {
        self.next_id += 1;
        self.entries.push(Entry { id: self.next_id, staging, lock, resumable: None });
        self.next_id
    }

    /// Marks a registered staging as one to keep, resumable, on Ctrl-C.
    pub fn set_resumable(&mut self, id: u64, r: Resumable) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.id == id) {
            e.resumable = Some(r);
        }
    }

    pub fn remove(&mut self, id: u64) {
        self.entries.retain(|e| e.id != id);
    }
}

static LIVE: Mutex<Live> = Mutex::new(Live { entries: Vec::new(), next_id: 0 });

/// The registry, locked. A panic elsewhere cannot poison what it protects:
/// the list is valid after every single push or retain.
pub fn live() -> MutexGuard<'static, Live> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Installs the Ctrl-C handler; the binary calls this once, before running.
pub fn install_handler() -> Result<(), ctrlc::Error> {
    ctrlc::set_handler(on_interrupt)
}

fn on_interrupt() {
    // Held until the process exits, so nothing is staged or committed after.
    let live = live();
    let mut kept = Vec::new();
    for e in &live.entries {
        if let Some(r) = &e.resumable
            && let Some(done) = resumable::keep(r)
        {
            kept.push(format!(
                "interrupted after {done} of {} replicates; resume with: agentsim run --resume {}",
                r.replicates,
                r.target.display()
            ));
        }
        let _ = std::fs::remove_dir_all(&e.staging);
        // Still locked by this process, so no other run can hold this file.
        let _ = std::fs::remove_file(&e.lock);
    }
    if kept.is_empty() {
        eprintln!("\nerror: interrupted; no partial output was left");
    } else {
        eprintln!("\nerror: {}", kept.join("\n"));
    }
    // Worker threads are mid-simulation: ending the process stops them.
    std::process::exit(EXIT_INTERRUPTED);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_removed_by_id() {
        let mut live = Live::default();
        let a = live.add("a".into(), "a.lock".into());
        let b = live.add("b".into(), "b.lock".into());
        assert_ne!(a, b);
        live.remove(a);
        assert_eq!(live.entries.iter().map(|e| e.id).collect::<Vec<_>>(), [b]);
    }
}
