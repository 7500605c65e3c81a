//! The agentsim command line as a library, so tests can run it in-process.
//!
//! A tour:
//! - [`main_with_args`]: the whole CLI over explicit arguments and streams.
//! - `args`: what the user typed (clap derive), nothing resolved yet.
//! - `run_cmd`: `agentsim run`: load, simulate, render every output in memory,
//!   then publish the output directory in one step (`output_dir`, `atomic`).
//! - `validate_cmd`: `agentsim validate` and `agentsim schema`.
//! - `providers_cmd`: `agentsim providers list|show|import-litellm`, the
//!   provider catalog of `sim_core::catalog` printed as scenario TOML.
//! - `replay_cmd`: `agentsim replay`, a request trace through the prompt
//!   cache alone (`sim_core::trace`), one result row per capacity.
//! - `exit`: the one place where an error becomes a message and an exit code.
//!
//! Invariant: a run either publishes a complete output directory or leaves
//! nothing at its path; the simulation itself lives in `sim-core`.

mod args;
mod atomic;
mod columns;
mod csv_row;
mod exit;
mod manifest;
mod output_dir;
mod outputs;
mod progress;
mod providers_cmd;
mod replay_cmd;
mod report_table;
mod run_cmd;
mod scenario_file;
mod timestamp;
mod validate_cmd;

use args::{Cli, Command};
use clap::Parser as _;
use std::ffi::OsString;
use std::io::Write;

pub use exit::{EXIT_FAILURE, EXIT_INVALID_INPUT, EXIT_OK};

/// Runs the CLI with `args` (including the program name, as `std::env::args_os`
/// gives it) and returns the process exit code: 0 success, 1 failure (I/O,
/// refused output directory), 2 invalid scenario or command-line usage.
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
    };
    exit::report(result, stderr)
}
