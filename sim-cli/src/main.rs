//! The `agentsim` binary: hands the process arguments and streams to the library.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Only the process installs it: tests run the library in-process, many at once.
    if let Err(e) = sim_cli::install_interrupt_handler() {
        eprintln!("warning: cannot handle Ctrl-C ({e}); an interrupted run may leave a staging directory");
    }
    // Unlocked handles: the progress bar draws on stderr from worker threads,
    // so holding the stderr lock here for the whole run would deadlock them.
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    let code = sim_cli::main_with_args(std::env::args_os(), &mut stdout, &mut stderr);
    // A failed flush here (closed pipe) has nowhere left to be reported.
    let _ = stdout.flush();
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
