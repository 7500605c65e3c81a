//! `agentsim run`: load and validate, stage the output directory (lock it,
//! refuse a taken or unusable one), run the replicates on a pool of
//! `--threads`, render every file into the staging directory, commit it, then
//! print the table.

use crate::args::RunArgs;
use crate::manifest::Manifest;
use crate::run_dir::MANIFEST;
use crate::scenario_file::LoadedScenario;
use crate::staging::{self, Staging};
use crate::timestamp::UtcTime;
use crate::{output_dir, outputs, progress, report_table, scenario_file, work_limits};
use anyhow::Context as _;
use sim_core::metrics::ReplicateMetrics;
use sim_core::metrics::SCHEMA_VERSION;
use sim_core::montecarlo::{self, BASELINE, RunHooks, RunOptions, RunResult};
use sim_core::scenario::{Override, Scenario, Variant};
use std::ffi::OsString;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

pub fn run(args: &RunArgs, argv: &[OsString], stdout: &mut dyn Write) -> anyhow::Result<()> {
    let started = UtcTime::now();
    let o = &args.overrides;
    let loaded = scenario_file::load(&args.file, &o.set, &o.variants, &o.sweep)?;
    if let Some(sweep) = &loaded.sweep {
        return crate::sweep_run::run(args, argv, &loaded, sweep, &started, stdout);
    }
    if !loaded.variants.is_empty() {
        let tiers = montecarlo::variant_tiers(&loaded.scenario, &loaded.variants);
        args.rank_by.check(tiers.iter().map(|(n, t)| (*n, t.as_slice()))).context("--rank-by")?;
    }
    // Before simulating, so a refused or unusable directory costs no simulation time.
    let defaults =
        output_dir::default_dirs(Path::new(output_dir::DEFAULT_ROOT), &loaded.scenario.name, &started.compact());
    let (dir, mut staging) = staging::stage(args.out.as_deref(), defaults, args.force)?;

    let opts = run_options(&loaded.scenario, args);
    let threads = work_limits::threads(args.replicates.threads);
    // Every variant runs on every replicate: the run's work is their sum.
    let variants: Vec<&Scenario> = loaded.variants.iter().map(|v| &v.scenario).collect();
    work_limits::check(&loaded.scenario, &variants, &opts, threads, &args.limits)?;
    // Streamed while replicates finish, so memory never holds them all.
    let replicates_csv = staging.create_file(REPLICATES_CSV).context("cannot create replicates.csv")?;
    let sim = simulate(
        &loaded.scenario,
        &loaded.variants,
        &opts,
        args.replicates.threads,
        args.quiet,
        BufWriter::new(replicates_csv),
    )?;

    let summaries = [
        ("summary.json", outputs::summary_json(&sim.result.summary)?),
        ("summary.csv", outputs::summary_csv(&sim.result.summary)?),
    ];
    render(&mut staging, args, argv, &loaded, &loaded.scenario, &opts, &sim, &summaries, &started)?;
    staging.commit()?;

    if !args.quiet {
        stdout.write_all(report_table::render(&sim.result.summary).as_bytes())?;
        write!(stdout, "output: ")?;
    }
    writeln!(stdout, "{}", dir.display())?;
    Ok(())
}

pub(crate) const REPLICATES_CSV: &str = "replicates.csv";

/// What `args` make of the scenario's settings (a sweep's points share them).
pub(crate) fn run_options(scenario: &Scenario, args: &RunArgs) -> RunOptions {
    let mut opts = args.replicates.options(scenario);
    opts.record_requests = args.requests_csv;
    opts.record_timeseries = true;
    opts.rank_by = args.rank_by.clone();
    opts
}

/// A finished simulation and the facts about how it ran (of a sweep: point
/// 0's result, whose requests and time series are written).
pub(crate) struct Simulated {
    pub(crate) result: RunResult,
    pub(crate) threads: usize,
    pub(crate) wall_s: f64,
}

/// The pool of `--threads` workers (one per CPU by default).
pub(crate) fn worker_pool(threads: Option<u32>) -> anyhow::Result<rayon::ThreadPool> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        pool = pool.num_threads(t as usize);
    }
    pool.build().context("cannot start the worker threads")
}

/// Runs the replicates of `scenario` and its `variants` on a pool of
/// `threads` (the one call of `montecarlo::run`, shared by `run` and
/// `sensitivity`), writing `replicates.csv` rows to `replicates_csv` in
/// replicate order as they finish.
pub(crate) fn simulate(
    scenario: &Scenario,
    variants: &[Variant],
    opts: &RunOptions,
    threads: Option<u32>,
    quiet: bool,
    replicates_csv: impl Write + Send,
) -> anyhow::Result<Simulated> {
    let pool = worker_pool(threads)?;
    let bar = progress::replicate_bar(opts.replicates, quiet);
    let clock = Instant::now();
    let tiers = montecarlo::variant_tiers(scenario, variants);
    let mut csv =
        outputs::ReplicatesCsv::new(replicates_csv, &tiers, &scenario.provider_names(), &scenario.workload_names())?;
    let mut csv_error = None;
    let mut on_replicate = |variant: &str, r: &ReplicateMetrics| {
        if csv_error.is_none()
            && let Err(e) = csv.row(variant, r)
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
    Ok(Simulated { result, threads: pool.current_num_threads(), wall_s })
}

/// Writes every output file into `staging`: `summaries` (the summary files,
/// rendered by the caller) first, the manifest (the completion marker,
/// listing the others) last. `recorded` is the scenario whose replicate 0
/// `sim` recorded (requests and time series): the baseline, or a sweep's point 0.
#[allow(clippy::too_many_arguments)]
pub(crate) fn render(
    staging: &mut Staging,
    args: &RunArgs,
    argv: &[OsString],
    loaded: &LoadedScenario,
    recorded: &Scenario,
    opts: &RunOptions,
    sim: &Simulated,
    summaries: &[(&'static str, Vec<u8>)],
    started: &UtcTime,
) -> anyhow::Result<()> {
    let (scenario, result) = (&loaded.scenario, &sim.result);
    let mut write = |name: &'static str, bytes: &[u8]| {
        staging.write_file(name, bytes).with_context(|| format!("cannot write {name} of the output directory"))
    };
    for (name, bytes) in summaries {
        write(name, bytes)?;
    }
    if args.requests_csv {
        write("requests.csv", &outputs::requests_csv(&result.requests, recorded, BASELINE)?)?;
    }
    write("timeseries.csv", &outputs::timeseries_csv(&result.timeseries, recorded)?)?;
    write("scenario.toml", &loaded.bytes)?;
    write("scenario.resolved.toml", resolved_toml(scenario, opts).as_bytes())?;
    let ran = Ran { file: &args.file, loaded, variants: &loaded.variants, opts, sim, started, argv };
    write_manifest(staging, &ran, &args.overrides.set, args.requests_csv)
}

/// What a run directory's manifest says about the run.
pub(crate) struct Ran<'a> {
    pub(crate) file: &'a Path,
    pub(crate) loaded: &'a LoadedScenario,
    pub(crate) variants: &'a [Variant],
    pub(crate) opts: &'a RunOptions,
    pub(crate) sim: &'a Simulated,
    pub(crate) started: &'a UtcTime,
    pub(crate) argv: &'a [OsString],
}

/// Writes `manifest.json`, the completion marker listing every file staged
/// before it, last (shared by `run` and `sensitivity`).
pub(crate) fn write_manifest(
    staging: &mut Staging,
    ran: &Ran<'_>,
    set: &[Override],
    requests_csv: bool,
) -> anyhow::Result<()> {
    let names = staging.names().iter().copied().chain([MANIFEST]);
    let manifest = Manifest {
        agentsim_version: env!("CARGO_PKG_VERSION"),
        schema_version: SCHEMA_VERSION,
        scenario: ran.loaded.scenario.name.clone(),
        scenario_file: ran.file.display().to_string(),
        scenario_sha256: ran.loaded.sha256.clone(),
        seed: ran.opts.seed,
        replicates: ran.opts.replicates,
        threads: ran.sim.threads,
        requests_csv,
        overrides: set.iter().map(|o| format!("{}={}", o.path, o.value)).collect(),
        variants: ran.variants.iter().map(|v| v.name.clone()).collect(),
        sweep: ran.loaded.sweep.as_ref().map(|s| s.parameters.clone()).unwrap_or_default(),
        command_line: ran.argv.iter().map(|a| a.to_string_lossy().into_owned()).collect(),
        started_utc: ran.started.rfc3339(),
        simulation_wall_s: ran.sim.wall_s,
        files: names.collect(),
    };
    staging.write_file(MANIFEST, &outputs::json_file(&manifest)?).context("cannot write manifest.json")?;
    Ok(())
}

/// `scenario.resolved.toml`: the scenario as it ran, `--seed` and
/// `--replicates` included, so loading it alone reproduces the run.
fn resolved_toml(scenario: &Scenario, opts: &RunOptions) -> String {
    let mut ran = scenario.clone();
    ran.simulation.seed = opts.seed;
    ran.simulation.replicates = opts.replicates;
    sim_core::scenario::to_toml(&ran)
}
