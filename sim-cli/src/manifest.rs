//! `manifest.json`: how a run was made (version, inputs, settings, wall-clock
//! facts), so a result directory can be traced back and re-run. It is the one
//! output allowed to differ between runs of the same seed.

use serde::Serialize;

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
    /// The arguments as received, program name first.
    pub command_line: Vec<String>,
    /// When the run started (UTC, RFC 3339).
    pub started_utc: String,
    /// Wall-clock seconds spent simulating (not writing).
    pub simulation_wall_s: f64,
    /// Files of this run, in the order they were written.
    pub files: Vec<&'static str>,
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
