//! `agentsim run`: load and validate, stage the output directory (lock it,
//! refuse a taken or unusable one), run the replicates on a pool of
//! `--threads`, render every file into the staging directory, commit it, then
//! print the table.

use crate::args::RunArgs;
use crate::exit::InputRefused;
use crate::manifest::{self, Ran};
use crate::outputs::ReplicatesCsv;
use crate::resumable::ResumeMarker;
use crate::run_dir::{PARTIAL, RECORDS};
use crate::scenario_file::LoadedScenario;
use crate::shard::{Partial, RunIdentity, ShardSpec};
use crate::staging::{self, Staging};
use crate::timestamp::UtcTime;
use crate::{output_dir, outputs, progress, report_table, resume_cmd, scenario_file, target_ci, work_limits};
use anyhow::Context as _;
use sim_core::metrics::{FoldNames, RunFold, Summary, TaskRecord};
use sim_core::montecarlo::{self, BASELINE, Replicate0, RunOptions, TaskHooks, Tasks};
use sim_core::scenario::Scenario;
use std::ffi::OsString;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

pub fn run(args: &RunArgs, argv: &[OsString], stdout: &mut dyn Write) -> anyhow::Result<()> {
    match &args.resume {
        Some(dir) => resume_cmd::resume(dir, args, stdout),
        None => {
            let marker = resume_cmd::marker_of(argv)?;
            execute(args, argv, &marker, None, stdout)
        }
    }
}

/// Runs `args` (with a scenario file); `marker` is what an interruption
/// leaves in `resume.json`; `resume` is the directory whose records a resumed
/// run reuses.
pub fn execute(
    args: &RunArgs,
    argv: &[OsString],
    marker: &ResumeMarker,
    resume: Option<&Path>,
    stdout: &mut dyn Write,
) -> anyhow::Result<()> {
    let started = UtcTime::now();
    let file = args.file.as_deref().context("no scenario file")?;
    let o = &args.overrides;
    let loaded = scenario_file::load(file, &o.set, &o.variants, &o.sweep)?;
    if resume.is_some() && loaded.sha256 != marker.scenario_sha256 {
        return Err(InputRefused(format!(
            "the scenario file {} changed since the run started (sha256 {} then, {} now); \
             resuming would mix two scenarios: start a new run instead",
            file.display(),
            marker.scenario_sha256,
            loaded.sha256
        ))
        .into());
    }
    if let Some(sweep) = &loaded.sweep {
        // Sweep runs fold each point in memory (`whole_run`): no records to shard or resume yet.
        let refused = [("--shard", args.shard.is_some()), ("--target-ci", args.target_ci.is_some())];
        if let Some((flag, _)) = refused.iter().find(|(_, on)| *on) {
            return Err(InputRefused(format!(
                "{flag} does not run sweeps yet: run the sweep on one machine, or each point as its own run with --set"
            ))
            .into());
        }
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

    let mut opts = run_options(&loaded.scenario, args);
    let names = montecarlo::fold_names(&loaded.scenario, &loaded.variants, &opts.rank_by);
    let mut target = target_ci::of_args(args, &names, opts.replicates)?;
    // The most replicates this run may use.
    let end = target.as_ref().map_or(opts.replicates, |t| t.max_replicates);
    let threads = work_limits::threads(args.replicates.threads);
    // Every variant runs on every replicate: the run's work is their sum.
    let variants: Vec<&Scenario> = loaded.variants.iter().map(|v| &v.scenario).collect();
    let most = RunOptions { replicates: end, ..opts.clone() };
    work_limits::check(&loaded.scenario, &variants, &most, threads, &args.limits)?;
    if let Some(shard) = args.shard {
        let ctx = RunCtx { args, argv, loaded: &loaded, opts: &opts, started: &started };
        return run_shard(&ctx, shard, staging, &dir, stdout);
    }
    let mut done = match resume {
        Some(d) => Some(resume_cmd::DoneRecords::open(d, end, names.variants.len())?),
        None => None,
    };
    let mut fold = RunFold::new(&names).context("--rank-by")?;
    // Streamed while replicates finish, so memory never holds them all.
    let replicates_csv = staging.create_file(REPLICATES_CSV).context("cannot create replicates.csv")?;
    let mut csv =
        ReplicatesCsv::new(BufWriter::new(replicates_csv), &tiers_of(&names), &names.providers, &names.workloads)?;
    let mut records = RecordsFile::new(staging.create_file(RECORDS).context("cannot create records.jsonl")?);
    let mut failed = None;
    let mut take = |t: TaskRecord| {
        if failed.is_none()
            && let Err(e) = csv.task(&t).and_then(|()| records.push(&t))
        {
            failed = Some(e);
        }
        fold.push(&t);
        // Decided on the in-order fold: the same stop for any thread count.
        let stop = target.as_ref().is_some_and(|t| target_ci::reached(t, &fold));
        !stop
    };
    // What an earlier, interrupted run finished is folded first, unchanged.
    let mut first_again = None;
    let (mut reused, mut go) = (0, true);
    while go && let Some(t) = done.as_mut().map(resume_cmd::DoneRecords::next_record).transpose()?.flatten() {
        if t.replicate == 0 {
            first_again = Some(resume_cmd::replicate_0_again(&loaded, &opts, args, &t)?);
        }
        reused += 1;
        go = take(t);
    }
    let marker =
        ResumeMarker { scenario_sha256: loaded.sha256.clone(), seed: opts.seed, replicates: end, ..marker.clone() };
    staging.keep_on_interrupt(outputs::json_file(&marker)?, end);
    let rest = Tasks::range(if go { reused } else { end }, end);
    let mut sim = simulate(&loaded, &opts, args, rest, &mut take)?;
    if let Some(first) = first_again {
        sim.wall_s += first.wall_s;
        sim.first = first.first;
    }
    if let Some(e) = failed {
        return Err(e.context("cannot write replicates.csv"));
    }
    csv.finish()?.flush().context("cannot write replicates.csv")?;
    drop(records);
    // A complete run has no use for the records: they are a working file.
    staging.discard(RECORDS).context("cannot remove records.jsonl")?;
    let mut summary = fold.summary(opts.seed);
    // The replicates used, as the resolved scenario and the manifest say.
    opts.replicates = fold.folded();
    if let Some(t) = &mut target {
        t.reached = target_ci::reached(t, &fold);
        summary.target_ci = Some(t.clone());
    }

    let ctx = RunCtx { args, argv, loaded: &loaded, opts: &opts, started: &started };
    let summaries =
        [("summary.json", outputs::summary_json(&summary)?), ("summary.csv", outputs::summary_csv(&summary)?)];
    let facts = (sim.threads, sim.wall_s);
    render(&mut staging, &ctx, &sim.first, &loaded.scenario, &summaries, facts, resume.map(|_| reused))?;
    staging.commit()?;
    print_run(stdout, args.quiet, &summary, &dir)
}

/// After a committed run: the table (unless quiet), then the directory.
pub fn print_run(stdout: &mut dyn Write, quiet: bool, summary: &Summary, dir: &Path) -> anyhow::Result<()> {
    if !quiet {
        stdout.write_all(report_table::render(summary).as_bytes())?;
        if let Some(t) = &summary.target_ci {
            stdout.write_all(target_ci::line(t, summary.replicates).as_bytes())?;
        }
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

/// The variants' (name, tiers) pairs as `ReplicatesCsv` takes them.
pub fn tiers_of(names: &FoldNames) -> Vec<(&str, Vec<String>)> {
    names.variants.iter().map(|(n, t)| (n.as_str(), t.clone())).collect()
}

/// `records.jsonl` being written: one line per task, flushed as each
/// arrives, so an interruption keeps every finished task.
pub struct RecordsFile(std::fs::File);

impl RecordsFile {
    pub fn new(file: std::fs::File) -> Self {
        RecordsFile(file)
    }

    /// Appends one record line whole, in one write.
    pub fn push(&mut self, t: &TaskRecord) -> anyhow::Result<()> {
        let mut line = t.to_line();
        line.push('\n');
        self.0.write_all(line.as_bytes()).context("cannot write records.jsonl")
    }
}

/// What a run was asked to do, as every step of it reads it.
#[derive(Clone, Copy)]
pub(crate) struct RunCtx<'a> {
    pub(crate) args: &'a RunArgs,
    pub(crate) argv: &'a [OsString],
    pub(crate) loaded: &'a LoadedScenario,
    pub(crate) opts: &'a RunOptions,
    pub(crate) started: &'a UtcTime,
}

/// A finished simulation and the facts about how it ran.
pub struct Simulated {
    pub first: Replicate0,
    pub threads: usize,
    pub wall_s: f64,
}

/// Runs `tasks` on a pool of `--threads`, handing each task's record to
/// `on_task` in task order as they finish.
pub fn simulate(
    loaded: &LoadedScenario,
    opts: &RunOptions,
    args: &RunArgs,
    tasks: Tasks,
    on_task: &mut (dyn FnMut(TaskRecord) -> bool + Send),
) -> anyhow::Result<Simulated> {
    let pool = crate::whole_run::worker_pool(args.replicates.threads)?;
    let bar = progress::replicate_bar(tasks.len(), args.quiet);
    let clock = Instant::now();
    let hooks = TaskHooks { on_done: &|| bar.inc(1), on_task };
    let result = pool.install(|| montecarlo::run_tasks(&loaded.scenario, &loaded.variants, opts, tasks, hooks));
    let wall_s = clock.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let first = result.context("the simulation stopped; no output was written")?;
    Ok(Simulated { first, threads: pool.current_num_threads(), wall_s })
}

/// `run --shard I/N`: computes the shard's tasks and commits a partial
/// directory (records, what replicate 0 alone yields, the scenario, and
/// `partial.json` last).
fn run_shard(
    ctx: &RunCtx<'_>,
    shard: ShardSpec,
    mut staging: Staging,
    dir: &Path,
    stdout: &mut dyn Write,
) -> anyhow::Result<()> {
    let RunCtx { args, loaded, opts, started, .. } = *ctx;
    let tasks = shard.tasks(opts.replicates);
    let mut records = RecordsFile::new(staging.create_file(RECORDS).context("cannot create records.jsonl")?);
    let mut failed = None;
    let sim = simulate(loaded, opts, args, tasks, &mut |t: TaskRecord| {
        if failed.is_none()
            && let Err(e) = records.push(&t)
        {
            failed = Some(e);
        }
        true
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    drop(records);
    let scenario = &loaded.scenario;
    let mut write = |name: &'static str, bytes: &[u8]| {
        staging.write_file(name, bytes).with_context(|| format!("cannot write {name} of the partial directory"))
    };
    // Only replicate 0 yields these; they are rendered here so a merge needs no scenario.
    if tasks.contains(0) {
        if args.requests_csv {
            write("requests.csv", &outputs::requests_csv(&sim.first.requests, scenario, BASELINE)?)?;
        }
        write("timeseries.csv", &outputs::timeseries_csv(&sim.first.timeseries, scenario)?)?;
    }
    write("scenario.toml", &loaded.bytes)?;
    write("scenario.resolved.toml", resolved_toml(scenario, opts).as_bytes())?;
    let partial = Partial {
        run: RunIdentity {
            agentsim_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario_sha256: loaded.sha256.clone(),
            overrides: override_texts(args),
            variants: loaded.variants.iter().map(|v| v.name.clone()).collect(),
            seed: opts.seed,
            replicates: opts.replicates,
            requests_csv: args.requests_csv,
            shard_count: shard.count,
            fold: montecarlo::fold_names(scenario, &loaded.variants, &opts.rank_by),
        },
        shard_index: shard.index,
        scenario_file: args.file.as_deref().unwrap_or(Path::new("")).display().to_string(),
        threads: sim.threads,
        started_utc: started.rfc3339(),
        simulation_wall_s: sim.wall_s,
        files: staging.names().iter().chain([&PARTIAL]).map(|n| n.to_string()).collect(),
    };
    staging.write_file(PARTIAL, &outputs::json_file(&partial)?).context("cannot write partial.json")?;
    staging.commit_marked(PARTIAL)?;
    if !args.quiet {
        writeln!(
            stdout,
            "shard {}/{}: {} of {} replicates; merge every shard with `agentsim merge DIR... --out DIR`",
            shard.index,
            shard.count,
            tasks.len(),
            opts.replicates
        )?;
        write!(stdout, "partial: ")?;
    }
    writeln!(stdout, "{}", dir.display())?;
    Ok(())
}

/// `--set` overrides in the order given, as `path=value`.
fn override_texts(args: &RunArgs) -> Vec<String> {
    args.overrides.set.iter().map(|o| format!("{}={}", o.path, o.value)).collect()
}

/// Writes every output file into `staging`: `summaries` (rendered by the
/// caller) first, the manifest (the completion marker, listing the others)
/// last. `recorded` is the scenario whose replicate 0 `first` holds: the
/// baseline, or a sweep's point 0.
#[allow(clippy::too_many_arguments)]
pub(crate) fn render(
    staging: &mut Staging,
    ctx: &RunCtx<'_>,
    first: &Replicate0,
    recorded: &Scenario,
    summaries: &[(&'static str, Vec<u8>)],
    (threads, wall_s): (usize, f64),
    resumed_with: Option<u32>,
) -> anyhow::Result<()> {
    let RunCtx { args, argv, loaded, opts, started } = *ctx;
    let mut write = |name: &'static str, bytes: &[u8]| {
        staging.write_file(name, bytes).with_context(|| format!("cannot write {name} of the output directory"))
    };
    for (name, bytes) in summaries {
        write(name, bytes)?;
    }
    if args.requests_csv {
        write("requests.csv", &outputs::requests_csv(&first.requests, recorded, BASELINE)?)?;
    }
    write("timeseries.csv", &outputs::timeseries_csv(&first.timeseries, recorded)?)?;
    write("scenario.toml", &loaded.bytes)?;
    write("scenario.resolved.toml", resolved_toml(&loaded.scenario, opts).as_bytes())?;
    let file = args.file.as_deref().unwrap_or(Path::new(""));
    let ran = Ran { file, loaded, variants: &loaded.variants, opts, threads, wall_s, started, argv };
    manifest::write(staging, &ran, &args.overrides.set, args.requests_csv, resumed_with)
}

/// `scenario.resolved.toml`: the scenario as it ran, `--seed` and
/// `--replicates` included, so loading it alone reproduces the run.
fn resolved_toml(scenario: &Scenario, opts: &RunOptions) -> String {
    let mut ran = scenario.clone();
    ran.simulation.seed = opts.seed;
    ran.simulation.replicates = opts.replicates;
    sim_core::scenario::to_toml(&ran)
}
