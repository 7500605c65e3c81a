//! `agentsim report RUN_DIR`: renders a finished run's charts and its
//! report.html and report.md again from
//! the results it saved, without simulating (sim-report does the drawing).

use crate::exit::InputRefused;
use crate::run_dir::{self, PARTIAL, RESUME};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A complete run directory (of `agentsim run`, `merge`, `plan` or `sensitivity`).
    #[arg(value_name = "RUN_DIR")]
    pub dir: PathBuf,
}

pub fn run(args: &ReportArgs, stdout: &mut dyn Write) -> anyhow::Result<()> {
    let dir = &args.dir;
    check_complete(dir)?;
    let before = sim_report::existing_charts(dir).len();
    let written = sim_report::render_run(dir)?;
    let charts = dir.join(sim_report::CHARTS_DIR);
    writeln!(
        stdout,
        "{} chart files written to {} ({before} earlier chart files replaced), and {} and {}",
        written.iter().filter(|p| p.starts_with(&charts)).count(),
        charts.display(),
        sim_report::report::HTML_FILE,
        sim_report::report::MARKDOWN_FILE,
    )?;
    for path in &written {
        writeln!(stdout, "{}", path.display())?;
    }
    Ok(())
}

/// Only a complete run is drawn: a shard's partial or an interrupted run's
/// directory holds records, not results, and says which command finishes it.
fn check_complete(dir: &std::path::Path) -> Result<(), InputRefused> {
    let refuse = |why: &str| Err(InputRefused(format!("RUN_DIR {}: {why}", dir.display())));
    if !dir.is_dir() {
        return refuse("not a directory");
    }
    if run_dir::is_complete(dir) {
        return Ok(());
    }
    if dir.join(PARTIAL).is_file() {
        return refuse("a shard's partial directory, not a run: merge the shards first (agentsim merge)");
    }
    if dir.join(RESUME).is_file() {
        return refuse("an interrupted run: finish it first (agentsim run --resume DIR)");
    }
    refuse("not a complete run directory (no manifest.json, or a file it lists is missing)")
}
