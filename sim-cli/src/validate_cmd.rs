//! `agentsim validate` and `agentsim schema`: the scenario format without a run.

use crate::args::ValidateArgs;
use crate::{scenario_file, work_limits};
use sim_core::montecarlo::RunOptions;
use std::io::Write;

/// Prints `ok: ...` and the run's work estimate for a valid scenario;
/// problems, or an estimate above the limits, become the error (exit 2).
pub fn validate(args: &ValidateArgs, stdout: &mut dyn Write) -> anyhow::Result<()> {
    let o = &args.overrides;
    let loaded = scenario_file::load(&args.file, &o.set, &o.variants, &o.sweep)?;
    let s = &loaded.scenario;
    let opts = RunOptions::from_scenario(s);
    let (first, others) = loaded.all_scenarios();
    let estimate = work_limits::check(first, &others, &opts, work_limits::threads(args.threads), &args.limits)?;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let (p, w) = (s.providers.len(), s.workloads.len());
    let v = loaded.variants.len();
    let variants = if v == 0 { String::new() } else { format!(", {v} variant{}", plural(v)) };
    let points = loaded.sweep.as_ref().map_or(0, |sw| sw.points.len());
    let sweep = if points == 0 { String::new() } else { format!(", {points} sweep point{}", plural(points)) };
    writeln!(stdout, "ok: {} ({p} provider{}, {w} workload{}{variants}{sweep})", s.name, plural(p), plural(w))?;
    write!(stdout, "{estimate}")?;
    write!(stdout, "{}", crate::start_time_note::lines(s, &args.file))?;
    Ok(())
}

/// The JSON Schema of scenario files, pretty-printed.
pub fn schema(stdout: &mut dyn Write) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(&sim_core::scenario::json_schema())?;
    writeln!(stdout, "{text}")?;
    Ok(())
}
