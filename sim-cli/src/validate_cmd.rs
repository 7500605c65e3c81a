//! `agentsim validate` and `agentsim schema`: the scenario format without a run.

use crate::args::ValidateArgs;
use crate::scenario_file;
use std::io::Write;

/// Prints `ok: ...` for a valid scenario; problems become the error (exit 2).
pub fn validate(args: &ValidateArgs, stdout: &mut dyn Write) -> anyhow::Result<()> {
    let loaded = scenario_file::load(&args.file, &args.overrides.set)?;
    let s = &loaded.scenario;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let (p, w) = (s.providers.len(), s.workloads.len());
    writeln!(stdout, "ok: {} ({p} provider{}, {w} workload{})", s.name, plural(p), plural(w))?;
    Ok(())
}

/// The JSON Schema of scenario files, pretty-printed.
pub fn schema(stdout: &mut dyn Write) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(&sim_core::scenario::json_schema())?;
    writeln!(stdout, "{text}")?;
    Ok(())
}
