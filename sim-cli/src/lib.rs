//! The agentsim command line as a library, so tests can run it in-process.
//!
//! A tour:
//! - [`main_with_args`]: the whole CLI over explicit arguments and streams.
//! - `args`: what the user typed (clap derive), nothing resolved yet.
//! - `run_cmd`: `agentsim run`: load, stage the output directory (`staging`:
//!   locked, checked before simulating), simulate, render, commit.
//! - `run_dir`: reading a run directory (complete only with its manifest).
//! - `interrupt`: Ctrl-C removes what is staged and exits 130.
//! - `validate_cmd`: `agentsim validate` and `agentsim schema`.
//! - `providers_cmd`: `agentsim providers list|show|import-litellm`, the
//!   provider catalog of `sim_core::catalog` printed as scenario TOML.
//! - `replay_cmd`: `agentsim replay`, a request trace through the prompt
//!   cache alone (`sim_core::trace`), one result row per capacity.
//! - `plan_cmd`: `agentsim plan`, the largest load or smallest capacity
//!   meeting objectives by bisection over a scenario value (`sim_core::plan`),
//!   or with `--cheapest` (`plan_cheapest`) the cheapest variant meeting them.
//! - `sensitivity_cmd`: `agentsim sensitivity`, each assumed number (and
//!   `--param`) at its low and high end as variants of one paired run, the
//!   tornado table and `sensitivity.csv` (`sim_core::sensitivity`).
//! - `shard`: `run --shard I/N` (a share of the replicates) and its
//!   partial directory's `partial.json`; `merge_cmd`: `agentsim merge`, the
//!   partials folded into the single-machine run's files.
//! - `resumable`, `resume_cmd`: what Ctrl-C leaves once replicates have
//!   finished (records + `resume.json`), and `run --resume DIR` finishing it.
//! - `exit`: the one place where an error becomes a message and an exit code.
//!
//! Invariant: a run either publishes a complete output directory or leaves
//! no run at its path (docs/outputs.md); the simulation lives in `sim-core`.

mod args;
mod charts_stage;
mod columns;
mod csv_row;
mod dir_lock;
mod exit;
mod fit_cmd;
mod input_file;
mod interrupt;
mod manifest;
mod output_dir;
mod outputs;
mod plan_cheapest;
mod plan_cmd;
mod plan_outputs;
pub use outputs::OUTPUT_FILE_NAMES;
mod merge_cmd;
mod progress;
mod providers_cmd;
mod replay_cmd;
mod report_cmd;
mod report_table;
mod resumable;
mod resume_cmd;
mod run_cmd;
pub mod run_dir;
mod scenario_file;
mod sensitivity_cmd;
mod shard;
mod sibling;
mod staging;
mod start_time_note;
mod sweep_labels;
mod sweep_outputs;
mod sweep_run;
mod sweep_table;
mod target_ci;
mod timestamp;
mod trace_input;
mod validate_cmd;
mod variants_table;
mod whole_run;
mod work_limits;

use args::{Cli, Command};
use clap::Parser as _;
use std::ffi::OsString;
use std::io::Write;

pub use exit::{EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_INVALID_INPUT, EXIT_OK};
pub use interrupt::install_handler as install_interrupt_handler;

/// Runs the CLI with `args` (including the program name, as `std::env::args_os`
/// gives it) and returns the process exit code: 0 success, 1 failure (I/O,
/// refused or busy output directory), 2 invalid input (scenario, command
/// line, an input file that cannot be read).
pub fn main_with_args(args: impl IntoIterator<Item = OsString>, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => return exit::report_usage(err, stdout, stderr),
    };
    let result = match cli.command {
        Command::Run(run) => run_cmd::run(&run, &args, stdout),
        Command::Validate(v) => validate_cmd::validate(&v, stdout),
        Command::Schema => validate_cmd::schema(stdout),
        Command::Providers(p) => providers_cmd::run(&p, stdout),
        Command::Replay(r) => replay_cmd::run(&r, &args, stdout),
        Command::Fit(f) => fit_cmd::run(&f, stdout),
        Command::Plan(p) => plan_cmd::run(&p, &args, stdout),
        Command::Sensitivity(s) => sensitivity_cmd::run(&s, &args, stdout),
        Command::Merge(m) => merge_cmd::merge(&m, &args, stdout),
        Command::Report(r) => report_cmd::run(&r, stdout),
    };
    exit::report(result, stderr)
}

/// Everything the `agentsim` process does: installs the Ctrl-C handler, runs
/// the CLI on the process's arguments and streams, and returns its exit code.
/// (A second binary, the integration tests' copy of `agentsim`, calls this too.)
pub fn process_main() -> std::process::ExitCode {
    // Only a process installs it: tests run the library in-process, many at once.
    if let Err(e) = install_interrupt_handler() {
        eprintln!("warning: cannot handle Ctrl-C ({e}); an interrupted run may leave a staging directory");
    }
    // Unlocked handles: the progress bar draws on stderr from worker threads,
    // so holding the stderr lock here for the whole run would deadlock them.
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    let code = main_with_args(std::env::args_os(), &mut stdout, &mut stderr);
    // A failed flush here (closed pipe) has nowhere left to be reported.
    let _ = stdout.flush();
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
}
