//! What a sweep's run directory and terminal get beyond a plain run's: the
//! summary files of every point (`sweep_outputs`) and the sweep table. The
//! points themselves run through `run_cmd`'s task path, point by point in
//! grid order, all on the same seed and replicate indices, so points differ
//! only by their values (common random numbers); `merge_cmd` renders the
//! same files from a sweep's shards.

use crate::sweep_labels::SweepLabels;
use crate::{outputs, sweep_outputs, sweep_table};
use sim_core::metrics::Summary;
use std::io::Write;
use std::path::Path;

/// summary.json (with `sweep`), summary.csv and distributions.csv (with
/// `point`) and sweep.csv of the points' `summaries` in grid order, as a run
/// writes them.
pub fn files(labels: &SweepLabels, summaries: &[&Summary]) -> anyhow::Result<[(&'static str, Vec<u8>); 4]> {
    Ok([
        ("summary.json", sweep_outputs::summary_json(labels, summaries)?),
        ("summary.csv", outputs::summary_csv_of(summaries, true)?),
        ("distributions.csv", outputs::distributions_csv(summaries, true)?),
        ("sweep.csv", sweep_outputs::sweep_csv(labels, summaries)?),
    ])
}

/// After a committed sweep: the table (unless quiet), then the directory.
pub fn print(
    stdout: &mut dyn Write,
    quiet: bool,
    labels: &SweepLabels,
    summaries: &[&Summary],
    dir: &Path,
) -> anyhow::Result<()> {
    if !quiet {
        stdout.write_all(sweep_table::render(labels, summaries).as_bytes())?;
        write!(stdout, "output: ")?;
    }
    writeln!(stdout, "{}", dir.display())?;
    Ok(())
}
