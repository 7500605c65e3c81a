//! The `agentsim` process as the integration tests run it: the same
//! `sim_cli::process_main` on the same allocator as the real binary.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    sim_cli::process_main()
}
