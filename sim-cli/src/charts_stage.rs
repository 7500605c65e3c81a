//! Charts drawn as part of a command: rendered from the result files
//! already staged (the same files `agentsim report` reads), written into the
//! staged `charts/` before the manifest, so a run directory appears with
//! its charts or not at all. A chart that cannot be drawn fails the command
//! before the commit (nothing is written); `--no-charts` then gets the
//! results, and `agentsim report DIR` draws the charts later.

use crate::progress;
use crate::staging::Staging;
use anyhow::Context as _;

/// Renders every chart the staged results allow into `staging`, unless
/// `skip` (`--no-charts`); a spinner shows while it runs (not with `quiet`).
pub fn render_into(staging: &mut Staging, skip: bool, quiet: bool) -> anyhow::Result<()> {
    // `plan --cheapest` writes cheapest.csv only: no chart reads it.
    let has_results = ["summary.json", "plan.json"].iter().any(|f| staging.files_dir().join(f).is_file());
    if skip || !has_results {
        return Ok(());
    }
    let spinner = progress::step_spinner("rendering charts", quiet);
    let why = "cannot draw the charts, so nothing was written (--no-charts skips them; \
               `agentsim report DIR` draws them from a run's saved results)";
    let run = sim_report::RunData::load(staging.files_dir()).context(why)?;
    let rendered = sim_report::render_all(&run).context(why)?;
    for r in &rendered {
        for (ext, bytes) in [("png", &r.png), ("svg", &r.svg)] {
            let name = format!("{}.{ext}", r.stem);
            staging.write_chart(&name, bytes).with_context(|| format!("cannot write charts/{name}"))?;
        }
    }
    spinner.finish_and_clear();
    Ok(())
}
