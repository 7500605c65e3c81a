//! `agentsim run`: load and validate, stage the output directory (lock it,
//! refuse a taken or unusable one), run the replicates on a pool of
//! `--threads`, render every file into the staging directory, commit it, then
//! print the table.

use crate::args::RunArgs;
use crate::exit::InputRefused;
use crate::manifest::{self, Ran};
use crate::outputs::{ReplicatesCsv, VariantTiers};
use crate::resumable::ResumeMarker;
use crate::run_dir::{PARTIAL, RECORDS};
use crate::scenario_file::LoadedScenario;
use crate::shard::{Partial, RunIdentity, ShardSpec, SweptRun};
use crate::staging::{self, Staging};
use crate::sweep_labels::SweepLabels;
use crate::timestamp::UtcTime;
use crate::{
    output_dir, outputs, progress, report_table, resume_cmd, scenario_file, sweep_run, target_ci, work_limits,
};
use anyhow::Context as _;
use sim_core::metrics::{FoldNames, RunFold, Summary, TaskRecord};
use sim_core::montecarlo::{self, BASELINE, Replicate0, RunOptions, TaskHooks, Tasks};
use sim_core::scenario::{Scenario, Variant};
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
    let sweep = loaded.sweep.as_ref();
    if sweep.is_some() && args.target_ci.is_some() {
        return Err(InputRefused(
            "--target-ci does not apply to a sweep: its stopping rule picks one replicate count for a run, \
             and a grid would need one count per point; run each point as its own run (--set) with --target-ci"
                .into(),
        )
        .into());
    }
    let mut opts = run_options(&loaded.scenario, args);
    let points: Vec<Point<'_>> = match sweep {
        Some(s) => s.points.iter().map(|p| Point::new(&p.scenario, &p.variants, &opts)).collect(),
        None => vec![Point::new(&loaded.scenario, &loaded.variants, &opts)],
    };
    for p in points.iter().filter(|p| !p.variants.is_empty()) {
        let tiers = montecarlo::variant_tiers(p.scenario, p.variants);
        args.rank_by.check(tiers.iter().map(|(n, t)| (*n, t.as_slice()))).context("--rank-by")?;
    }
    // Before simulating, so a refused or unusable directory costs no simulation time.
    let defaults =
        output_dir::default_dirs(Path::new(output_dir::DEFAULT_ROOT), &loaded.scenario.name, &started.compact());
    let (dir, mut staging) = staging::stage(args.out.as_deref(), defaults, args.output.force)?;

    let mut target = target_ci::of_args(args, &points[0].names, opts.replicates)?;
    // The most replicates this run may use.
    let end = target.as_ref().map_or(opts.replicates, |t| t.max_replicates);
    let threads = work_limits::threads(args.replicates.threads);
    // Every variant of every point runs on every replicate: the run's work is their sum.
    let (first_scenario, others) = loaded.all_scenarios();
    let most = RunOptions { replicates: end, ..opts.clone() };
    work_limits::check(first_scenario, &others, &most, threads, &args.limits)?;
    if let Some(shard) = args.shard {
        let ctx = RunCtx { args, argv, loaded: &loaded, opts: &opts, started: &started };
        return run_shard(&ctx, &points, shard, staging, &dir, stdout);
    }
    let mut done = match resume {
        Some(d) => {
            Some(resume_cmd::DoneRecords::open(d, end, points.iter().map(|p| p.names.variants.len()).collect())?)
        }
        None => None,
    };
    // Streamed while replicates finish, so memory never holds them all.
    let replicates_csv = BufWriter::new(staging.create_file(REPLICATES_CSV).context("cannot create replicates.csv")?);
    let tiers: Vec<Vec<(&str, Vec<String>)>> = points.iter().map(|p| tiers_of(&p.names)).collect();
    let tiers: Vec<&VariantTiers<'_>> = tiers.iter().map(Vec::as_slice).collect();
    let (providers, workloads) = (&points[0].names.providers, &points[0].names.workloads);
    let mut csv = match sweep {
        Some(_) => ReplicatesCsv::with_points(replicates_csv, &tiers, providers, workloads)?,
        None => ReplicatesCsv::new(replicates_csv, tiers[0], providers, workloads)?,
    };
    let mut records = RecordsFile::new(staging.create_file(RECORDS).context("cannot create records.jsonl")?);
    let marker =
        ResumeMarker { scenario_sha256: loaded.sha256.clone(), seed: opts.seed, replicates: end, ..marker.clone() };
    let marker = outputs::json_file(&marker)?;
    let tasks = u32::try_from(points.len()).unwrap_or(u32::MAX).saturating_mul(end);
    let what = if sweep.is_some() { "replicates of all sweep points" } else { "replicates" };
    let workers = Workers::new(args, u64::from(tasks), what)?;
    let (mut first, mut first_again, mut reused, mut kept) = (Replicate0::default(), None, 0, false);
    let mut failed = None;
    // A sweep keeps each finished point's summary; a plain run its one fold (for --target-ci).
    let (mut summaries, mut last) = (Vec::with_capacity(points.len()), None);
    let mut stopped = false;
    // Point by point in grid order: a point's fold is finished before the next starts.
    for (i, p) in points.iter().enumerate() {
        let mut fold = RunFold::new(&p.names).context("--rank-by")?;
        let point_opts = point_options(&opts, i);
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
        let (mut here, mut go) = (0, true);
        while go
            && here < end
            && let Some(t) = done.as_mut().map(resume_cmd::DoneRecords::next_record).transpose()?.flatten()
        {
            if i == 0 && t.replicate == 0 {
                first_again = Some(resume_cmd::replicate_0_again((p.scenario, p.variants), &point_opts, args, &t)?);
            }
            here += 1;
            go = take(t);
        }
        reused += here;
        if !kept {
            // Every reused record is in the staging now: an interruption keeps them all.
            staging.keep_on_interrupt(marker.clone(), tasks);
            kept = true;
        }
        stopped |= !go;
        let rest = Tasks::range(if go { here } else { end }, end);
        let got = workers.run(p.scenario, p.variants, &point_opts, i as u32, rest, &mut take)?;
        if i == 0 {
            first = got;
        }
        match sweep {
            Some(_) => summaries.push(fold.summary(opts.seed)),
            None => last = Some(fold),
        }
    }
    if let Some(d) = done.as_mut().filter(|_| !stopped) {
        // Every task is folded: a further record is one too many (refused there).
        d.next_record()?;
    }
    let mut sim = workers.finish(first);
    if let Some(again) = first_again {
        sim.wall_s += again.wall_s;
        sim.first = again.first;
    }
    if let Some(e) = failed {
        return Err(e.context("cannot write replicates.csv"));
    }
    csv.finish()?.flush().context("cannot write replicates.csv")?;
    drop(records);
    // A complete run has no use for the records: they are a working file.
    staging.discard(RECORDS).context("cannot remove records.jsonl")?;
    let facts = (sim.threads, sim.wall_s);
    let resumed_with = resume.map(|_| reused);
    if let Some(sweep) = sweep {
        let labels = SweepLabels::of(sweep);
        let summaries: Vec<&Summary> = summaries.iter().collect();
        let ctx = RunCtx { args, argv, loaded: &loaded, opts: &opts, started: &started };
        let files = sweep_run::files(&labels, &summaries)?;
        render(&mut staging, &ctx, &sim.first, points[0].scenario, &files, facts, resumed_with)?;
        staging.commit()?;
        return sweep_run::print(stdout, args.output.quiet, &labels, &summaries, &dir);
    }
    let fold = last.context("a plain run has one point")?;
    let mut summary = fold.summary(opts.seed);
    // The replicates used, as the resolved scenario and the manifest say.
    opts.replicates = fold.folded();
    if let Some(t) = &mut target {
        t.reached = target_ci::reached(t, &fold);
        summary.target_ci = Some(t.clone());
    }

    let ctx = RunCtx { args, argv, loaded: &loaded, opts: &opts, started: &started };
    let summaries = outputs::plain_files(&summary)?;
    render(&mut staging, &ctx, &sim.first, &loaded.scenario, &summaries, facts, resumed_with)?;
    staging.commit()?;
    let note = crate::start_time_note::after_run(&loaded.scenario, file, &summary);
    let description = Some(loaded.scenario.description.as_str());
    print_run(stdout, args.output.quiet, &summary, description, &note, &dir)
}

/// One grid point as a run computes it (a plain run is one point): its
/// scenario, its variants and the names its fold needs.
pub(crate) struct Point<'a> {
    pub(crate) scenario: &'a Scenario,
    pub(crate) variants: &'a [Variant],
    pub(crate) names: FoldNames,
}

impl<'a> Point<'a> {
    fn new(scenario: &'a Scenario, variants: &'a [Variant], opts: &RunOptions) -> Self {
        Point { scenario, variants, names: montecarlo::fold_names(scenario, variants, &opts.rank_by) }
    }
}

/// A point's options: only point 0's baseline records requests and the
/// time series (the files hold one replicate's detail).
fn point_options(opts: &RunOptions, point: usize) -> RunOptions {
    let mut o = opts.clone();
    o.record_requests &= point == 0;
    o.record_timeseries &= point == 0;
    o
}

/// After a committed run: the scenario's `description` (when it has one),
/// the table and `note` (unless quiet), then the directory.
pub fn print_run(
    stdout: &mut dyn Write,
    quiet: bool,
    summary: &Summary,
    description: Option<&str>,
    note: &str,
    dir: &Path,
) -> anyhow::Result<()> {
    if !quiet {
        if let Some(d) = description.map(str::trim).filter(|d| !d.is_empty()) {
            writeln!(stdout, "{d}")?;
        }
        stdout.write_all(report_table::render(summary).as_bytes())?;
        if let Some(t) = &summary.target_ci {
            stdout.write_all(target_ci::line(t, summary.replicates).as_bytes())?;
        }
        stdout.write_all(note.as_bytes())?;
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

/// The worker pool, progress bar and wall clock the simulations of one run
/// share (a sweep runs each point's tasks in turn on them).
pub struct Workers {
    pool: rayon::ThreadPool,
    bar: indicatif::ProgressBar,
    clock: Instant,
}

impl Workers {
    /// `units` tasks to come in all, named `what` on the bar.
    pub fn new(args: &RunArgs, units: u64, what: &str) -> anyhow::Result<Self> {
        let pool = crate::whole_run::worker_pool(args.replicates.threads)?;
        Ok(Workers { pool, bar: progress::units_bar(units, what, args.output.quiet), clock: Instant::now() })
    }

    /// Runs `tasks` of sweep point `point` (0 without a sweep) of `scenario`
    /// and its `variants`, handing each record to `on_task` in task order.
    pub fn run(
        &self,
        scenario: &Scenario,
        variants: &[Variant],
        opts: &RunOptions,
        point: u32,
        tasks: Tasks,
        on_task: &mut (dyn FnMut(TaskRecord) -> bool + Send),
    ) -> anyhow::Result<Replicate0> {
        let bar = &self.bar;
        let hooks = TaskHooks { on_done: &|| bar.inc(1), on_task };
        let result = self.pool.install(|| montecarlo::run_tasks(scenario, variants, opts, point, tasks, hooks));
        result.map_err(|e| {
            self.bar.finish_and_clear();
            let at = if point > 0 { format!(" at sweep point {point}") } else { String::new() };
            anyhow::Error::new(e).context(format!("the simulation stopped{at}; no output was written"))
        })
    }

    /// Clears the bar; the facts of the run with what replicate 0 yielded.
    pub fn finish(self, first: Replicate0) -> Simulated {
        self.bar.finish_and_clear();
        Simulated { first, threads: self.pool.current_num_threads(), wall_s: self.clock.elapsed().as_secs_f64() }
    }
}

/// `run --shard I/N`: computes the shard's tasks of every point and commits
/// a partial directory (records, what replicate 0 alone yields, the
/// scenario, and `partial.json` last).
fn run_shard(
    ctx: &RunCtx<'_>,
    points: &[Point<'_>],
    shard: ShardSpec,
    mut staging: Staging,
    dir: &Path,
    stdout: &mut dyn Write,
) -> anyhow::Result<()> {
    let RunCtx { args, loaded, opts, started, .. } = *ctx;
    let mut records = RecordsFile::new(staging.create_file(RECORDS).context("cannot create records.jsonl")?);
    let mut failed = None;
    let shares: Vec<Tasks> = (0..points.len()).map(|i| shard.tasks_at(i as u32, opts.replicates)).collect();
    let share: u64 = shares.iter().map(|t| u64::from(t.len())).sum();
    let workers = Workers::new(args, share, "replicates of this shard")?;
    let mut first = Replicate0::default();
    for (i, (p, tasks)) in points.iter().zip(&shares).enumerate() {
        let mut push = |t: TaskRecord| {
            if failed.is_none()
                && let Err(e) = records.push(&t)
            {
                failed = Some(e);
            }
            true
        };
        let got = workers.run(p.scenario, p.variants, &point_options(opts, i), i as u32, *tasks, &mut push)?;
        if i == 0 {
            first = got;
        }
    }
    let sim = workers.finish(first);
    if let Some(e) = failed {
        return Err(e);
    }
    drop(records);
    let recorded = points[0].scenario;
    let mut write = |name: &'static str, bytes: &[u8]| {
        staging.write_file(name, bytes).with_context(|| format!("cannot write {name} of the partial directory"))
    };
    // Only replicate 0 (of point 0) yields these; rendered here so a merge needs no scenario.
    if shares[0].contains(0) {
        if args.requests_csv {
            write("requests.csv", &outputs::requests_csv(&sim.first.requests, recorded, BASELINE)?)?;
        }
        write("timeseries.csv", &outputs::timeseries_csv(&sim.first.timeseries, recorded)?)?;
    }
    write("scenario.toml", &loaded.bytes)?;
    write("scenario.resolved.toml", resolved_toml(&loaded.scenario, opts).as_bytes())?;
    let sweep = loaded
        .sweep
        .as_ref()
        .map(|s| SweptRun { labels: SweepLabels::of(s), points: points.iter().map(|p| p.names.clone()).collect() });
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
            fold: points[0].names.clone(),
            sweep,
            resolved_sha256: resolved_hashes(loaded),
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
    if !args.output.quiet {
        let total = points.len() as u64 * u64::from(opts.replicates);
        let of = if points.len() > 1 { " (all sweep points)" } else { "" };
        writeln!(
            stdout,
            "shard {}/{}: {share} of {total} replicates{of}; merge every shard with `agentsim merge DIR... --out DIR`",
            shard.index, shard.count,
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
    let manifest = manifest::new(&ran, &args.overrides.set, args.requests_csv, resumed_with);
    crate::charts_stage::finish(staging, manifest, args.output.no_charts, args.output.quiet)
}

/// `scenario.resolved.toml`: the scenario as it ran, `--seed` and
/// `--replicates` included, so loading it alone reproduces the run.
fn resolved_toml(scenario: &Scenario, opts: &RunOptions) -> String {
    let mut ran = scenario.clone();
    ran.simulation.seed = opts.seed;
    ran.simulation.replicates = opts.replicates;
    sim_core::scenario::to_toml(&ran)
}

/// SHA-256 of every scenario `loaded` simulates, as resolved (see
/// `RunIdentity::resolved_sha256`).
fn resolved_hashes(loaded: &LoadedScenario) -> Vec<String> {
    let (first, rest) = loaded.all_scenarios();
    std::iter::once(first)
        .chain(rest)
        .map(|s| scenario_file::hex_sha256(sim_core::scenario::to_toml(s).as_bytes()))
        .collect()
}
