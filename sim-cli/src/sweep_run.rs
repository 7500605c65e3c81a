//! `agentsim run` of a sweep: each grid point is one run of the scenario's
//! replicates with every variant (`montecarlo::run`), all on the same seed
//! and replicate indices, so points differ only by their values (common
//! random numbers). Staging, options and the common files are `run_cmd`'s;
//! the sweep's summaries are `sweep_outputs`'.

use crate::args::RunArgs;
use crate::outputs::{self, ReplicatesCsv, VariantTiers};
use crate::run_cmd::{self, REPLICATES_CSV, RunCtx};
use crate::scenario_file::LoadedScenario;
use crate::timestamp::UtcTime;
use crate::whole_run::{WholeRun, worker_pool};
use crate::{output_dir, progress, staging, sweep_outputs, sweep_table, work_limits};
use anyhow::Context as _;
use sim_core::metrics::{ReplicateMetrics, Summary};
use sim_core::montecarlo::{self, Replicate0, RunHooks, RunOptions};
use sim_core::scenario::{Scenario, Sweep};
use std::ffi::OsString;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

pub fn run(
    args: &RunArgs,
    argv: &[OsString],
    loaded: &LoadedScenario,
    sweep: &Sweep,
    started: &UtcTime,
    stdout: &mut dyn Write,
) -> anyhow::Result<()> {
    for p in sweep.points.iter().filter(|p| !p.variants.is_empty()) {
        let tiers = montecarlo::variant_tiers(&p.scenario, &p.variants);
        args.rank_by.check(tiers.iter().map(|(n, t)| (*n, t.as_slice()))).context("--rank-by")?;
    }
    let defaults =
        output_dir::default_dirs(Path::new(output_dir::DEFAULT_ROOT), &loaded.scenario.name, &started.compact());
    let (dir, mut staging) = staging::stage(args.out.as_deref(), defaults, args.force)?;
    let opts = run_cmd::run_options(&loaded.scenario, args);
    let (first, others) = scenarios(sweep);
    work_limits::check(first, &others, &opts, work_limits::threads(args.replicates.threads), &args.limits)?;
    let replicates_csv = staging.create_file(REPLICATES_CSV).context("cannot create replicates.csv")?;
    let (sim, rest) = simulate(sweep, &opts, args, BufWriter::new(replicates_csv))?;

    let summaries: Vec<&Summary> = std::iter::once(&sim.result.summary).chain(&rest).collect();
    let files = [
        ("summary.json", sweep_outputs::summary_json(sweep, &summaries)?),
        ("summary.csv", outputs::summary_csv_of(&summaries, true)?),
        ("sweep.csv", sweep_outputs::sweep_csv(sweep, &summaries)?),
    ];
    let ctx = RunCtx { args, argv, loaded, opts: &opts, started };
    let first = Replicate0 { requests: sim.result.requests, timeseries: sim.result.timeseries };
    let facts = (sim.threads, sim.wall_s);
    run_cmd::render(&mut staging, &ctx, &first, &sweep.points[0].scenario, &files, facts, None)?;
    staging.commit()?;

    if !args.quiet {
        stdout.write_all(sweep_table::render(sweep, &summaries).as_bytes())?;
        write!(stdout, "output: ")?;
    }
    writeln!(stdout, "{}", dir.display())?;
    Ok(())
}

/// Every scenario a sweep runs on each replicate: point 0's baseline, then
/// its variants and every other point's baseline and variants, so the work
/// estimate counts them all.
pub fn scenarios(sweep: &Sweep) -> (&Scenario, Vec<&Scenario>) {
    let mut all =
        sweep.points.iter().flat_map(|p| std::iter::once(&p.scenario).chain(p.variants.iter().map(|v| &v.scenario)));
    let first = all.next().expect("a sweep has at least one point");
    (first, all.collect())
}

/// Runs every point in grid order, writing `replicates.csv` rows (with their
/// point) as replicates finish. Returns point 0's result (with the requests
/// and time series of its baseline's replicate 0, if asked for) and the
/// other points' summaries.
fn simulate(
    sweep: &Sweep,
    opts: &RunOptions,
    args: &RunArgs,
    replicates_csv: impl Write + Send,
) -> anyhow::Result<(WholeRun, Vec<Summary>)> {
    let pool = worker_pool(args.replicates.threads)?;
    let units = sweep.points.len() as u64 * u64::from(opts.replicates);
    let bar = progress::units_bar(units, "replicates of all sweep points", args.quiet);
    let clock = Instant::now();
    let tiers: Vec<Vec<(&str, Vec<String>)>> =
        sweep.points.iter().map(|p| montecarlo::variant_tiers(&p.scenario, &p.variants)).collect();
    let tiers: Vec<&VariantTiers<'_>> = tiers.iter().map(Vec::as_slice).collect();
    let base = &sweep.points[0].scenario;
    let mut csv = ReplicatesCsv::with_points(replicates_csv, &tiers, &base.provider_names(), &base.workload_names())?;
    let mut csv_error = None;
    let mut first = None;
    let mut rest = Vec::new();
    for (i, point) in sweep.points.iter().enumerate() {
        let mut point_opts = opts.clone();
        // Only point 0's baseline records: the files hold one replicate's detail.
        point_opts.record_requests &= i == 0;
        point_opts.record_timeseries &= i == 0;
        let mut on_replicate = |variant: &str, r: &ReplicateMetrics| {
            if csv_error.is_none()
                && let Err(e) = csv.row_at(i, variant, r)
            {
                csv_error = Some(e);
            }
        };
        let hooks = RunHooks { on_done: &|| bar.inc(1), on_replicate: &mut on_replicate };
        let result = pool.install(|| montecarlo::run(&point.scenario, &point.variants, &point_opts, hooks));
        let result =
            result.with_context(|| format!("the simulation stopped at sweep point {i}; no output was written"));
        match (result, i) {
            (Err(e), _) => {
                bar.finish_and_clear();
                return Err(e);
            }
            (Ok(r), 0) => first = Some(r),
            (Ok(r), _) => rest.push(r.summary),
        }
    }
    let wall_s = clock.elapsed().as_secs_f64();
    bar.finish_and_clear();
    if let Some(e) = csv_error {
        return Err(e.context("cannot write replicates.csv"));
    }
    csv.finish()?.flush().context("cannot write replicates.csv")?;
    let result = first.context("a sweep has at least one point")?;
    Ok((WholeRun { result, threads: pool.current_num_threads(), wall_s }, rest))
}
