//! The `agentsim` process as the integration tests run it: the same
//! `sim_cli::process_main` as the real binary.

fn main() -> std::process::ExitCode {
    sim_cli::process_main()
}
