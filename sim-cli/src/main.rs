//! The `agentsim` binary: the whole process is `sim_cli::process_main`.

fn main() -> std::process::ExitCode {
    sim_cli::process_main()
}
