//! `manifest.json`: how a run was made (version, inputs, settings, wall-clock
//! facts), so a result directory can be traced back and re-run. It is the one
//! output allowed to differ between runs of the same seed.

use crate::scenario_file::LoadedScenario;
use crate::timestamp::UtcTime;
use serde::Serialize;
use sim_core::metrics::SCHEMA_VERSION;
use sim_core::montecarlo::RunOptions;
use sim_core::scenario::{Override, Variant};
use std::ffi::OsString;
use std::path::Path;

/// The content of `manifest.json` (fields documented in docs/outputs.md).
#[derive(Debug, Serialize)]
pub struct Manifest {
    pub agentsim_version: &'static str,
    pub schema_version: u32,
    pub scenario: String,
    pub scenario_file: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub replicates: u32,
    pub threads: usize,
    pub requests_csv: bool,
    /// `--set` overrides in the order given, as `path=value`.
    pub overrides: Vec<String>,
    /// The variants run besides the baseline (file `[[variants]]`, then `--variant`), in order.
    pub variants: Vec<String>,
    /// The swept paths (file `[[sweep]]`, then `--sweep`), in order; absent without a sweep.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sweep: Vec<String>,
    /// The arguments as received, program name first.
    pub command_line: Vec<String>,
    /// When the run started (UTC, RFC 3339).
    pub started_utc: String,
    /// Wall-clock seconds spent simulating (not writing).
    pub simulation_wall_s: f64,
    /// Files of this run, in the order they were written.
    pub files: Vec<String>,
    /// `agentsim merge` only: the partial directories merged, in shard
    /// order (then `threads` is the most any shard used and
    /// `simulation_wall_s` the shards' sum).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<Vec<String>>,
    /// `run --resume` only: how many replicates the interrupted run had
    /// finished (reused from its records, not simulated again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_with: Option<u32>,
}

/// What a run directory's manifest says about the run (`run`, a sweep, `sensitivity`).
pub struct Ran<'a> {
    pub file: &'a Path,
    pub loaded: &'a LoadedScenario,
    pub variants: &'a [Variant],
    pub opts: &'a RunOptions,
    pub threads: usize,
    pub wall_s: f64,
    pub started: &'a UtcTime,
    pub argv: &'a [OsString],
}

/// The manifest of a run, `files` still empty: [`crate::charts_stage::finish`]
/// fills it in once it knows the charts and reports, and writes it last.
/// `resumed_with`: how many replicates a resumed run reused.
pub fn new(ran: &Ran<'_>, set: &[Override], requests_csv: bool, resumed_with: Option<u32>) -> Manifest {
    Manifest {
        agentsim_version: env!("CARGO_PKG_VERSION"),
        schema_version: SCHEMA_VERSION,
        scenario: ran.loaded.scenario.name.clone(),
        scenario_file: ran.file.display().to_string(),
        scenario_sha256: ran.loaded.sha256.clone(),
        seed: ran.opts.seed,
        replicates: ran.opts.replicates,
        threads: ran.threads,
        requests_csv,
        overrides: set.iter().map(|o| format!("{}={}", o.path, o.value)).collect(),
        variants: ran.variants.iter().map(|v| v.name.clone()).collect(),
        sweep: ran.loaded.sweep.as_ref().map(|s| s.parameters.clone()).unwrap_or_default(),
        command_line: ran.argv.iter().map(|a| a.to_string_lossy().into_owned()).collect(),
        started_utc: ran.started.rfc3339(),
        simulation_wall_s: ran.wall_s,
        files: Vec::new(),
        merged_from: None,
        resumed_with,
    }
}
