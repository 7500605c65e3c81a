//! The `agentsim` binary: the whole process is `sim_cli::process_main`.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    sim_cli::process_main()
}
