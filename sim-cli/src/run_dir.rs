//! Reading a run directory: it holds a finished run only when `manifest.json`
//! is present (it is written last) and every file the manifest lists is there.
//! Anything that reads a run directory checks this first.

use std::path::Path;

/// The completion marker of a run directory.
pub const MANIFEST: &str = "manifest.json";
/// The completion marker of a shard's partial directory (`run --shard`).
pub const PARTIAL: &str = "partial.json";
/// The marker of an interrupted run's resumable directory.
pub const RESUME: &str = "resume.json";
/// Every marker: a directory holding one of them is an agentsim result.
pub const MARKERS: [&str; 3] = [MANIFEST, PARTIAL, RESUME];
/// The exact per-replicate records of a partial or resumable directory,
/// one JSON line per task (`sim_core::metrics::record`).
pub const RECORDS: &str = "records.jsonl";

/// Whether `dir` holds a complete run: a readable manifest whose `files` are
/// all present as regular files.
pub fn is_complete(dir: &Path) -> bool {
    is_complete_with(dir, MANIFEST)
}

/// Whether `dir` holds a complete directory of the kind `marker` marks: a
/// readable JSON `marker` whose `files` are all present as regular files.
pub fn is_complete_with(dir: &Path, marker: &str) -> bool {
    let Ok(bytes) = std::fs::read(dir.join(marker)) else {
        return false;
    };
    let Ok(manifest) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return false;
    };
    let Some(files) = manifest["files"].as_array() else {
        return false;
    };
    files.iter().all(|f| f.as_str().is_some_and(|name| plain_name(name) && dir.join(name).is_file()))
}

/// A manifest names files inside its directory (or its `charts/`), never a path elsewhere.
fn plain_name(name: &str) -> bool {
    let name = name.strip_prefix("charts/").unwrap_or(name);
    !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != ".."
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staging::tests::Scratch;
    use std::fs;

    #[test]
    fn complete_only_with_a_manifest_listing_present_files() {
        let s = Scratch::new("rundir");
        assert!(!is_complete(&s.0), "no manifest");
        fs::write(s.0.join("summary.json"), "{}").unwrap();
        fs::write(s.0.join(MANIFEST), r#"{"files": ["summary.json", "manifest.json"]}"#).unwrap();
        assert!(is_complete(&s.0));
        fs::write(s.0.join(MANIFEST), r#"{"files": ["summary.json", "requests.csv", "manifest.json"]}"#).unwrap();
        assert!(!is_complete(&s.0), "a listed file is missing");
        fs::write(s.0.join(MANIFEST), r#"{"files": ["../summary.json"]}"#).unwrap();
        assert!(!is_complete(&s.0), "a path outside the directory");
        fs::write(s.0.join(MANIFEST), "{").unwrap();
        assert!(!is_complete(&s.0), "a truncated manifest");
    }
}
