//! `agentsim run --resume DIR`: finishes the run an interruption left in
//! DIR. The original arguments come from `resume.json`; the replicates whose
//! records are in DIR are folded as they are, the rest are simulated, and
//! every file comes out as the uninterrupted run would have written it.

use crate::args::{Cli, Command, RunArgs};
use crate::exit::InputRefused;
use crate::resumable::ResumeMarker;
use crate::run_cmd::{self, Simulated};
use crate::run_dir::{RECORDS, RESUME};
use anyhow::Context as _;
use clap::Parser as _;
use sim_core::metrics::TaskRecord;
use sim_core::montecarlo::{RunOptions, Tasks};
use sim_core::scenario::{Scenario, Variant};
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead as _, BufReader, Write};
use std::path::Path;

/// The marker a run started with `argv` leaves if interrupted (`execute`
/// fills in the scenario's hash, seed and replicates once it knows them).
pub fn marker_of(argv: &[OsString]) -> anyhow::Result<ResumeMarker> {
    Ok(ResumeMarker {
        agentsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario_sha256: String::new(),
        command_line: argv.iter().map(|a| a.to_string_lossy().into_owned()).collect(),
        cwd: std::env::current_dir().context("cannot read the current directory")?,
        seed: 0,
        replicates: 0,
    })
}

pub fn resume(dir: &Path, new: &RunArgs, stdout: &mut dyn Write) -> anyhow::Result<()> {
    let path = dir.join(RESUME);
    let not_resumable = |why: String| {
        let complete = if crate::run_dir::is_complete(dir) { " (it holds a complete run)" } else { "" };
        InputRefused(format!("{} is not a resumable directory{complete}: {why}", dir.display()))
    };
    let bytes = std::fs::read(&path).map_err(|e| not_resumable(format!("cannot read {RESUME}: {e}")))?;
    let marker: ResumeMarker =
        serde_json::from_slice(&bytes).map_err(|e| not_resumable(format!("{RESUME} is not readable: {e}")))?;
    if marker.agentsim_version != env!("CARGO_PKG_VERSION") {
        return Err(not_resumable(format!(
            "it was started by agentsim {}, this is {}",
            marker.agentsim_version,
            env!("CARGO_PKG_VERSION")
        ))
        .into());
    }
    let parsed = Cli::try_parse_from(&marker.command_line).map_err(|e| not_resumable(format!("{RESUME}: {e}")))?;
    let Command::Run(mut args) = parsed.command else {
        return Err(not_resumable(format!("{RESUME} does not hold an `agentsim run`")).into());
    };
    let file = args.file.take().ok_or_else(|| not_resumable(format!("{RESUME} names no scenario file")))?;
    args.file = Some(marker.cwd.join(file));
    args.out = Some(dir.to_path_buf());
    // The directory is this run's own: its records are reused, then replaced.
    args.output.force = true;
    args.replicates.threads = new.replicates.threads.or(args.replicates.threads);
    args.output.quiet = new.output.quiet;
    args.output.no_charts |= new.output.no_charts;
    let argv: Vec<OsString> = marker.command_line.iter().map(OsString::from).collect();
    run_cmd::execute(&args, &argv, &marker, Some(dir), stdout)
}

/// The records an interrupted run finished, read one at a time: replicates
/// 0, 1, ... of point 0, then of point 1 (a sweep), ..., each with every
/// variant (a last line cut by the interruption is ignored), so memory does
/// not grow with their number.
pub struct DoneRecords {
    path: std::path::PathBuf,
    lines: BufReader<File>,
    /// Records read so far.
    read: u64,
    /// Replicates per point.
    end: u32,
    /// Per point, its variant count (baseline included).
    variants: Vec<usize>,
}

impl DoneRecords {
    /// Opens `dir`'s records of a run of at most `end` replicates per point,
    /// point `p` having `variants[p]` variants.
    pub fn open(dir: &Path, end: u32, variants: Vec<usize>) -> anyhow::Result<Self> {
        let path = dir.join(RECORDS);
        let file = File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
        Ok(DoneRecords { path, lines: BufReader::new(file), read: 0, end, variants })
    }

    /// The next complete record, checked to be the next (point, replicate).
    pub fn next_record(&mut self) -> anyhow::Result<Option<TaskRecord>> {
        let mut text = String::new();
        self.lines.read_line(&mut text).with_context(|| format!("cannot read {}", self.path.display()))?;
        if !text.ends_with('\n') {
            return Ok(None);
        }
        let line = self.read + 1;
        let bad = |why: String| InputRefused(format!("{}:{line}: {why}; start a new run", self.path.display()));
        let per_point = u64::from(self.end.max(1));
        let (point, i) = (self.read / per_point, (self.read % per_point) as u32);
        let Some(&variants) = self.variants.get(point as usize) else {
            let points = self.variants.len() as u64 * u64::from(self.end);
            return Err(bad(format!("more records than the run's {points} replicates")).into());
        };
        let t = TaskRecord::from_line(text.trim_end()).map_err(|e| bad(e.to_string()))?;
        if u64::from(t.point) != point || t.replicate != i || t.variants.len() != variants {
            let at = if self.variants.len() > 1 { format!(" of sweep point {point}") } else { String::new() };
            return Err(bad(format!("expected replicate {i}{at} of every variant")).into());
        }
        self.read += 1;
        Ok(Some(t))
    }
}

/// Replicate 0 simulated again, for what only it yields (requests and time
/// series are not persisted); its record must equal the one persisted, or
/// the records are not this build's.
pub fn replicate_0_again(
    (scenario, variants): (&Scenario, &[Variant]),
    opts: &RunOptions,
    args: &RunArgs,
    persisted: &TaskRecord,
) -> anyhow::Result<Simulated> {
    let mut same = true;
    let workers = run_cmd::Workers::new(args, 1, "replicates")?;
    let first = workers.run(scenario, variants, opts, 0, Tasks::range(0, 1), &mut |t: TaskRecord| {
        same = t == *persisted;
        true
    })?;
    let sim = workers.finish(first);
    if !same {
        return Err(InputRefused(
            "the persisted replicate 0 differs from the same replicate simulated now; start a new run".into(),
        )
        .into());
    }
    Ok(sim)
}
