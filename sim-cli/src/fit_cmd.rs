//! `agentsim fit`: a trace's arrival rate, token and session distributions
//! fitted by sim-core (`fit::fit`), printed as a `[[workloads]]` block ready
//! to paste into a scenario, with the fit statistics as comments. Writes no
//! file. docs/traces.md, "Fitting a workload".

use crate::trace_input::TraceInput;
use clap::Args;
use std::io::Write;

#[derive(Debug, Args)]
pub struct FitArgs {
    #[command(flatten)]
    pub input: TraceInput,
    /// Name of the printed workload [default: the trace file's stem].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

pub fn run(args: &FitArgs, stdout: &mut dyn Write) -> anyhow::Result<()> {
    let (_, trace) = args.input.read()?;
    let name = args.name.clone().unwrap_or_else(|| {
        args.input.trace.file_stem().map_or_else(|| "trace".into(), |s| s.to_string_lossy().into_owned())
    });
    let report = sim_core::fit::fit(&trace);
    stdout.write_all(report.workload_toml(&name).as_bytes())?;
    Ok(())
}
