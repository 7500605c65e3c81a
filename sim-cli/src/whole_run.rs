//! Every replicate of a scenario and its variants in one `montecarlo::run`,
//! folded in memory, without records or resume: what `sensitivity` uses
//! (`run_cmd` runs plain runs and sweeps task by task so it can shard and
//! resume them); and the worker pool every run uses.

use crate::outputs;
use crate::progress;
use anyhow::Context as _;
use sim_core::metrics::{ReplicateMetrics, VariantRecord};
use sim_core::montecarlo::{self, RunHooks, RunOptions, RunResult};
use sim_core::scenario::{Scenario, Variant};
use std::io::Write;
use std::time::Instant;

/// A finished simulation and the facts about how it ran.
pub struct WholeRun {
    pub result: RunResult,
    pub threads: usize,
    pub wall_s: f64,
}

/// The pool of `--threads` workers (one per CPU by default).
pub fn worker_pool(threads: Option<u32>) -> anyhow::Result<rayon::ThreadPool> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        pool = pool.num_threads(t as usize);
    }
    pool.build().context("cannot start the worker threads")
}

/// Runs the replicates of `scenario` and its `variants` on a pool of
/// `threads`, writing `replicates.csv` rows to `replicates_csv` in replicate
/// order as they finish.
pub fn simulate(
    scenario: &Scenario,
    variants: &[Variant],
    opts: &RunOptions,
    threads: Option<u32>,
    quiet: bool,
    replicates_csv: impl Write + Send,
) -> anyhow::Result<WholeRun> {
    let pool = worker_pool(threads)?;
    let bar = progress::replicate_bar(opts.replicates, quiet);
    let clock = Instant::now();
    let tiers = montecarlo::variant_tiers(scenario, variants);
    let mut csv =
        outputs::ReplicatesCsv::new(replicates_csv, &tiers, &scenario.provider_names(), &scenario.workload_names())?;
    let mut csv_error = None;
    let mut on_replicate = |variant: &str, m: &ReplicateMetrics, r: &VariantRecord| {
        if csv_error.is_none()
            && let Err(e) = csv.row(variant, m.replicate, r)
        {
            csv_error = Some(e);
        }
    };
    let hooks = RunHooks { on_done: &|| bar.inc(1), on_replicate: &mut on_replicate };
    let result = pool.install(|| montecarlo::run(scenario, variants, opts, hooks));
    let wall_s = clock.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let result = result.context("the simulation stopped; no output was written")?;
    if let Some(e) = csv_error {
        return Err(e.context("cannot write replicates.csv"));
    }
    csv.finish()?.flush().context("cannot write replicates.csv")?;
    Ok(WholeRun { result, threads: pool.current_num_threads(), wall_s })
}
