//! Unit tests of `staging`: what a directory looks like after a commit, a
//! refusal, a drop without commit, a dead run's leftovers and a second run.

use super::*;
use crate::run_dir::is_complete;
use crate::sibling;

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

/// Every name in `dir`, hidden ones included, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// A run with `summary` as summary.json and a manifest listing its files.
fn stage_run(target: &Path, force: bool, summary: &str) -> anyhow::Result<Staging> {
    let mut s = Staging::begin(target, force)?;
    s.write_file("summary.json", summary.as_bytes())?;
    let manifest = format!(r#"{{"summary": "{summary}", "files": ["summary.json", "manifest.json"]}}"#);
    s.write_file(MANIFEST, manifest.as_bytes())?;
    Ok(s)
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap()
}

#[test]
fn a_new_dir_appears_complete_and_nothing_else_remains() {
    let s = Scratch::new("stage-new");
    let target = s.0.join("nested").join("run");
    let staged = stage_run(&target, false, "1").unwrap();
    assert!(!target.exists(), "nothing at the target before the commit");
    staged.commit().unwrap();
    assert_eq!(entries(&target), ["manifest.json", "summary.json"]);
    assert!(is_complete(&target));
    assert_eq!(entries(&s.0.join("nested")), ["run"], "no lock or staging left beside it");
}

#[test]
fn a_streamed_file_is_committed_whole() {
    let s = Scratch::new("stage-stream");
    let target = s.0.join("run");
    let mut staged = Staging::begin(&target, false).unwrap();
    let mut f = staged.create_file("replicates.csv").unwrap();
    for i in 0..1000 {
        writeln!(f, "{i},row").unwrap();
    }
    drop(f);
    staged.write_file(MANIFEST, b"{}").unwrap();
    assert_eq!(staged.names(), ["replicates.csv", "manifest.json"]);
    assert!(staged.create_file("replicates.csv").is_err(), "a name is staged once");
    assert!(staged.create_file("../escape").is_err());
    staged.commit().unwrap();
    assert_eq!(read(&target.join("replicates.csv")).lines().count(), 1000);
}

#[test]
fn a_run_that_does_not_commit_leaves_nothing() {
    let s = Scratch::new("stage-drop");
    drop(stage_run(&s.0.join("run"), false, "1").unwrap());
    assert!(entries(&s.0).is_empty(), "{:?}", entries(&s.0));
    let existing = s.0.join("empty");
    fs::create_dir(&existing).unwrap();
    drop(stage_run(&existing, false, "1").unwrap());
    assert!(entries(&existing).is_empty(), "{:?}", entries(&existing));
}

#[test]
fn a_commit_needs_the_manifest() {
    let s = Scratch::new("stage-nomanifest");
    let mut staged = Staging::begin(&s.0.join("run"), false).unwrap();
    staged.write_file("summary.json", b"{}").unwrap();
    assert!(staged.commit().unwrap_err().to_string().contains("manifest.json"));
    assert!(entries(&s.0).is_empty());
}

#[test]
fn an_existing_empty_dir_is_filled_in_place() {
    let s = Scratch::new("stage-empty");
    let dir = s.0.join("run");
    fs::create_dir(&dir).unwrap();
    // `run/.` is the directory itself: a rename could not replace it.
    stage_run(&dir.join("."), false, "1").unwrap().commit().unwrap();
    assert_eq!(entries(&dir), ["manifest.json", "summary.json"]);
}

#[test]
fn a_non_empty_dir_is_refused_without_force_and_untouched() {
    let s = Scratch::new("stage-refuse");
    let dir = s.0.join("run");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("notes.txt"), "mine").unwrap();
    let err = Staging::begin(&dir, false).unwrap_err();
    assert!(matches!(err.downcast_ref(), Some(OutputExists { incomplete: false, .. })), "{err:#}");
    assert_eq!(entries(&dir), ["notes.txt"]);
    let file = s.0.join("plain");
    fs::write(&file, "x").unwrap();
    assert!(Staging::begin(&file, true).unwrap_err().to_string().contains("not a directory"));
}

#[test]
fn agentsim_files_without_a_manifest_are_reported_as_an_incomplete_run() {
    let s = Scratch::new("stage-incomplete");
    fs::write(s.0.join("summary.json"), "{}").unwrap();
    fs::write(s.0.join("replicates.csv"), "").unwrap();
    let err = Staging::begin(&s.0, false).unwrap_err();
    assert!(matches!(err.downcast_ref(), Some(OutputExists { incomplete: true, .. })), "{err:#}");
}

#[test]
fn force_replaces_the_whole_previous_run_and_keeps_the_users_files() {
    let s = Scratch::new("stage-force");
    let dir = s.0.join("run");
    let mut first = stage_run(&dir, false, "1").unwrap();
    first.write_file("requests.csv", b"old").unwrap();
    first.commit().unwrap();
    fs::write(dir.join("notes.txt"), "mine").unwrap();
    stage_run(&dir, true, "2").unwrap().commit().unwrap();
    assert_eq!(entries(&dir), ["manifest.json", "notes.txt", "summary.json"], "the old requests.csv would mix runs");
    assert_eq!(read(&dir.join("summary.json")), "2");
    assert!(read(&dir.join(MANIFEST)).contains(r#""summary": "2""#));
    assert!(is_complete(&dir));
}

#[test]
fn a_second_writer_of_one_directory_is_refused() {
    let s = Scratch::new("stage-busy");
    let new = s.0.join("run");
    let first = stage_run(&new, false, "1").unwrap();
    let err = Staging::begin(&new, true).unwrap_err();
    assert!(err.is::<OutputBusy>(), "{err:#}");
    first.commit().unwrap();
    let in_place = stage_run(&new, true, "2").unwrap();
    let err = Staging::begin(&new, true).unwrap_err();
    assert!(err.is::<OutputBusy>(), "{err:#}");
    in_place.commit().unwrap();
    assert_eq!(read(&new.join("summary.json")), "2");
}

#[test]
fn a_directory_created_during_the_run_is_not_overwritten() {
    let s = Scratch::new("stage-appeared");
    let target = s.0.join("run");
    let staged = stage_run(&target, true, "1").unwrap();
    fs::create_dir(&target).unwrap();
    fs::write(target.join("theirs.txt"), "x").unwrap();
    let err = staged.commit().unwrap_err();
    assert!(err.is::<OutputExists>(), "{err:#}");
    assert_eq!(entries(&target), ["theirs.txt"]);
    assert_eq!(entries(&s.0), ["run"], "the staging directory is gone");
}

#[test]
fn a_killed_runs_staging_is_removed_by_the_next_run() {
    let s = Scratch::new("stage-stale");
    // What SIGKILL leaves: a staging directory and an unlocked lock file,
    // once for the same output directory and once for another one.
    for name in ["run", "other-run"] {
        let key = sibling::key(std::ffi::OsStr::new(name));
        fs::create_dir_all(sibling::staging_path(&s.0, &key).join(name)).unwrap();
        fs::write(sibling::staging_path(&s.0, &key).join(name).join("summary.json"), "{}").unwrap();
        fs::write(sibling::lock_path(&s.0, &key), "1\n").unwrap();
    }
    stage_run(&s.0.join("run"), false, "1").unwrap().commit().unwrap();
    assert_eq!(entries(&s.0), ["run"]);
    // Inside an existing directory, likewise.
    let dir = s.0.join("in-place");
    fs::create_dir_all(dir.join(IN_PLACE_STAGING)).unwrap();
    fs::write(dir.join(IN_PLACE_STAGING).join("summary.json"), "{}").unwrap();
    fs::write(dir.join(IN_PLACE_LOCK), "1\n").unwrap();
    stage_run(&dir, false, "1").unwrap().commit().unwrap();
    assert_eq!(entries(&dir), ["manifest.json", "summary.json"]);
}

#[test]
fn every_legal_name_length_works_and_a_longer_one_fails_before_writing() {
    let s = Scratch::new("stage-long");
    for len in [245, 255] {
        let target = s.0.join("r".repeat(len));
        stage_run(&target, false, "1").unwrap().commit().unwrap();
        assert!(is_complete(&target));
    }
    let err = Staging::begin(&s.0.join("r".repeat(256)), false).unwrap_err();
    let io = err.chain().find_map(|e| e.downcast_ref::<io::Error>()).expect("an I/O error");
    assert_eq!(io.kind(), io::ErrorKind::InvalidFilename, "{err:#}");
    assert!(format!("{err:#}").starts_with("cannot use output directory"), "{err:#}");
    assert_eq!(entries(&s.0).len(), 2, "{:?}", entries(&s.0));
}

/// A directory this process cannot write in: a read-only one, or (as root,
/// who writes anywhere) the read-only /sys.
#[cfg(unix)]
fn unwritable_dir(scratch: &Scratch) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = scratch.0.join("read-only");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
    for candidate in [dir, PathBuf::from("/sys")] {
        if fs::write(candidate.join(".agentsim-probe"), "").is_err() {
            return candidate;
        }
        let _ = fs::remove_file(candidate.join(".agentsim-probe"));
    }
    panic!("found no directory this test cannot write in");
}

#[cfg(unix)]
#[test]
fn an_unwritable_directory_fails_at_begin() {
    let s = Scratch::new("stage-ro");
    let ro = unwritable_dir(&s);
    let err = Staging::begin(&ro.join("new-run"), false).unwrap_err();
    assert!(format!("{err:#}").contains("cannot write in"), "{err:#}");
    let err = Staging::begin(&ro, true).unwrap_err();
    assert!(format!("{err:#}").contains("cannot write in"), "{err:#}");
}

#[test]
fn staged_charts_are_listed_and_committed_new_or_in_place() {
    let s = Scratch::new("stage-charts");
    let target = s.0.join("run");
    for force in [false, true] {
        let mut staged = Staging::begin(&target, force).unwrap();
        staged.write_file("summary.json", b"{}").unwrap();
        staged.write_chart("a.svg", b"<svg/>").unwrap();
        assert!(staged.write_chart("a.svg", b"again").is_err(), "a chart is staged once");
        assert!(staged.write_chart("../x.svg", b"out").is_err(), "a chart stays in charts/");
        assert_eq!(staged.manifest_files(&[]), ["summary.json", "charts/a.svg", "manifest.json"]);
        // Files about to be staged (the reports) are listed before the charts.
        let next = staged.manifest_files(&["report.html"]);
        assert_eq!(next, ["summary.json", "report.html", "charts/a.svg", "manifest.json"]);
        let manifest = r#"{"files": ["summary.json", "charts/a.svg", "manifest.json"]}"#;
        staged.write_file(MANIFEST, manifest.as_bytes()).unwrap();
        staged.commit().unwrap();
        // The second pass (in place, --force) replaces the first's chart.
        assert_eq!(entries(&target), ["charts", "manifest.json", "summary.json"]);
        assert_eq!(read(&target.join("charts/a.svg")), "<svg/>");
        assert!(is_complete(&target));
    }
}
