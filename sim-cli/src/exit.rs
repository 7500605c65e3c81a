//! The one place where an outcome becomes a message and a process exit code
//! (ripgrep's habit): commands return typed errors wrapped in `anyhow`, and
//! only this module decides what each kind means to a caller's shell.

use crate::input_file::InputFileError;
use crate::shard::BadPartials;
use crate::trace_input::TraceFileError;
use crate::work_limits::RefusedRun;
use clap::error::{ContextKind, ContextValue};
use sim_core::catalog::{UnknownPreset, litellm::LiteLlmError};
use sim_core::engine::SimLimit;
use sim_core::metrics::RankError;
use sim_core::plan::PlanError;
use sim_core::scenario::ScenarioError;
use sim_core::sensitivity::SensitivityError;
use sim_report::ReportError;
use std::io::{self, Write};

pub const EXIT_OK: i32 = 0;
/// Something went wrong that is not the input's fault (I/O on the output, a
/// refused or busy output directory).
pub const EXIT_FAILURE: i32 = 1;
/// The scenario, the command line (a planning flag: `PlanError`), a named preset or LiteLLM entry, or a
/// trace file is invalid, a run directory's result file is missing or
/// malformed (`agentsim report`), an input file cannot be read (missing, not a
/// regular file), the run's estimate passes a limit (`RefusedRun`), or the
/// scenario drove a replicate past a limit of what the engine represents
/// exactly (`SimLimit`); same code as clap's usage errors.
pub const EXIT_INVALID_INPUT: i32 = 2;
/// Stopped by Ctrl-C (128 + SIGINT, as shells report it). The output
/// directory is complete if the run had already committed it, resumable if
/// replicates had finished (`run --resume`), else absent.
pub const EXIT_INTERRUPTED: i32 = 130;

/// An input refused with a message of its own (a directory that cannot be
/// resumed, a flag that contradicts the scenario): exit 2.
#[derive(Debug)]
pub struct InputRefused(pub String);

impl std::fmt::Display for InputRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputRefused {}

/// The command's outcome -> exit code, printing the error (with its causes).
pub fn report(result: anyhow::Result<()>, stderr: &mut dyn Write) -> i32 {
    let Err(err) = result else {
        return EXIT_OK;
    };
    if is_broken_pipe(&err) {
        // The reader went away (`agentsim schema | head`): not a failure worth a message.
        return EXIT_OK;
    }
    let code = exit_code(&err);
    // Nothing sensible remains to be done if stderr itself cannot be written.
    let _ = writeln!(stderr, "error: {err:#}");
    code
}

/// Which exit code an error deserves.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    if err.chain().any(|e| {
        e.is::<ScenarioError>()
            || e.is::<UnknownPreset>()
            || e.is::<LiteLlmError>()
            || e.is::<TraceFileError>()
            || e.is::<SimLimit>()
            || e.is::<RefusedRun>()
            || e.is::<InputFileError>()
            || e.is::<RankError>()
            || e.is::<PlanError>()
            || e.is::<SensitivityError>()
            || e.is::<BadPartials>()
            || e.is::<InputRefused>()
            || e.downcast_ref::<ReportError>().is_some_and(ReportError::is_bad_input)
    }) {
        EXIT_INVALID_INPUT
    } else {
        EXIT_FAILURE
    }
}

/// Clap's own errors keep clap's behaviour: help and version go to stdout with
/// code 0, usage errors to stderr with code 2.
/// A value or argument clap echoes is cut like every echoed user value.
pub fn report_usage(mut err: clap::Error, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    for kind in [ContextKind::InvalidValue, ContextKind::InvalidArg] {
        if let Some(ContextValue::String(s)) = err.get(kind) {
            let clipped = sim_core::echo::clip(s).into_owned();
            err.insert(kind, ContextValue::String(clipped));
        }
    }
    let text = err.render().to_string();
    let _ = if err.use_stderr() { stderr.write_all(text.as_bytes()) } else { stdout.write_all(text.as_bytes()) };
    err.exit_code()
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::scenario::{Origin, Problem};

    fn scenario_error() -> ScenarioError {
        ScenarioError {
            problems: vec![Problem {
                origin: Origin::File { file: "a.toml".into(), line: 3, column: 7 },
                path: "providers[0].name".into(),
                message: "missing".into(),
            }],
            more: 0,
        }
    }

    #[test]
    fn scenario_errors_exit_2_even_with_context() {
        let err = anyhow::Error::new(scenario_error()).context("loading a.toml");
        assert_eq!(exit_code(&err), EXIT_INVALID_INPUT);
    }

    #[test]
    fn unreadable_input_files_exit_2() {
        let err = InputFileError { what: "trace", path: "t.jsonl".into(), reason: "gone".into() };
        assert_eq!(exit_code(&anyhow::Error::new(err)), EXIT_INVALID_INPUT);
    }

    #[test]
    fn a_bad_run_directory_exits_2_and_a_failed_chart_write_1() {
        let bad = ReportError::Csv { file: "replicates.csv".into(), line: 3, message: "x".into() };
        assert_eq!(exit_code(&anyhow::Error::new(bad)), EXIT_INVALID_INPUT);
        let io = ReportError::Write { file: "charts".into(), source: io::Error::other("disk full") };
        assert_eq!(exit_code(&anyhow::Error::new(io)), EXIT_FAILURE);
    }

    #[test]
    fn io_errors_exit_1() {
        let err = anyhow::Error::new(io::Error::new(io::ErrorKind::NotFound, "gone"));
        assert_eq!(exit_code(&err), EXIT_FAILURE);
    }

    #[test]
    fn report_prints_every_problem_and_causes() {
        let mut stderr = Vec::new();
        let err = anyhow::Error::new(scenario_error());
        assert_eq!(report(Err(err), &mut stderr), EXIT_INVALID_INPUT);
        let text = String::from_utf8(stderr).unwrap();
        assert!(text.starts_with("error: "), "{text}");
        assert!(text.contains("a.toml:3:7: providers[0].name: missing"), "{text}");
    }

    #[test]
    fn broken_pipe_is_silent_success() {
        let mut stderr = Vec::new();
        let err = anyhow::Error::new(io::Error::from(io::ErrorKind::BrokenPipe));
        assert_eq!(report(Err(err), &mut stderr), EXIT_OK);
        assert!(stderr.is_empty());
    }
}
