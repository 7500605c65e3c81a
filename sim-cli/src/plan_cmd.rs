//! `agentsim plan`: the largest load (or smallest capacity) meeting every
//! objective, by bisection over one scenario value (`--search`), or with
//! `--cheapest` the cheapest variant meeting them (`plan_cheapest`). Flags
//! are checked and both ends of the range loaded before the output directory
//! is staged; every point runs the scenario's replicates through
//! [`simulate`], the one call of the Monte Carlo driver.

use crate::args::OverrideArgs;
use crate::manifest::{self, Ran};
use crate::scenario_file::{self, LoadedScenario};
use crate::staging::{self, Staging};
use crate::timestamp::UtcTime;
use crate::work_limits::{self, LimitArgs};
use crate::{output_dir, plan_outputs, progress};
use anyhow::Context as _;
use clap::Args;
use sim_core::metrics::{DEFAULT_RANK_METRIC, MetricStats, ReplicateMetrics, VariantRecord};
use sim_core::montecarlo::{self, RunHooks, RunOptions, RunResult};
use sim_core::plan::{self, Direction, Judged, KeyKind, Objective, PlanError, Range, SearchSpec};
use sim_core::scenario::{Override, Scenario, Variant};
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Scenario file (TOML).
    pub file: PathBuf,
    /// An objective every answer must meet, `METRIC<=X` (or `>=`, `<`, `>`)
    /// on an overall metric, or `provider:NAME:METRIC` / `workload:NAME:METRIC`
    /// (repeatable, at least one); met only when its whole 95% interval is on
    /// the right side.
    #[arg(long = "slo", value_name = "METRIC<=X", required = true)]
    pub slo: Vec<String>,
    /// The scenario value to search and its range, e.g.
    /// `workloads[0].arrivals.rate_per_s=0.5..8` (append `:log` for geometric midpoints).
    #[arg(long, value_name = "PATH=LO..HI[:log]", required_unless_present = "cheapest")]
    pub search: Option<String>,
    /// Find the largest value meeting every objective; they worsen as it grows (load) [default].
    #[arg(long, conflicts_with = "minimize")]
    pub maximize: bool,
    /// Find the smallest value meeting every objective; they improve as it
    /// grows (slots, replicas, a rate-limit tier).
    #[arg(long)]
    pub minimize: bool,
    /// Float keys: stop when the bracket is narrower than this fraction of its
    /// upper end [default: 0.01]. Integer keys are searched exactly.
    #[arg(long, value_name = "T", value_parser = parse_tolerance)]
    pub tolerance: Option<f64>,
    /// Instead of a search: the cheapest of the scenario's variants meeting every objective.
    #[arg(long, conflicts_with_all = ["search", "maximize", "minimize", "tolerance"])]
    pub cheapest: bool,
    /// With --cheapest: one candidate per provider of the scenario, every workload routed to it.
    #[arg(long, requires = "cheapest")]
    pub across_providers: bool,
    /// With --cheapest: the overall metric a candidate's cost is read from (lower is cheaper).
    #[arg(long, value_name = "METRIC", default_value = DEFAULT_RANK_METRIC, requires = "cheapest")]
    pub cost_metric: String,
    /// Replicates per evaluated point, at least 2 (intervals need them)
    /// [default: the scenario's `simulation.replicates`].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(2..))]
    pub replicates: Option<u32>,
    /// Master seed [default: the scenario's `simulation.seed`]; every point uses it.
    #[arg(long, value_name = "S", value_parser = clap::value_parser!(u64).range(..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Worker threads; results do not depend on it [default: one per CPU].
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// Output directory [default: outputs/<scenario-name>-plan-<UTC timestamp>/].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub output: crate::args::OutputFlags,
    #[command(flatten)]
    pub limits: LimitArgs,
}

fn parse_tolerance(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(t) if t > 0.0 && t < 1.0 => Ok(t),
        _ => Err(format!("expected a fraction between 0 and 1 (exclusive) such as 0.01, got {text:?}")),
    }
}

/// One evaluated point of a search: what `plan.csv` shows of it.
#[derive(Clone, Debug)]
pub struct PointData {
    pub judged: Judged,
    pub sessions_active: MetricStats,
    pub concurrency: MetricStats,
    /// What the load costs (the capacity chart's cost panel).
    pub cost_per_session: MetricStats,
}

/// What a search run keeps for rendering.
pub struct Searched {
    pub scenario_name: String,
    pub spec: SearchSpec,
    pub kind: KeyKind,
    pub direction: Direction,
    pub tolerance: f64,
    pub objectives: Vec<Objective>,
    pub opts: RunOptions,
    pub result: plan::SearchResult<PointData>,
}

pub fn run(args: &PlanArgs, argv: &[OsString], stdout: &mut dyn Write) -> anyhow::Result<()> {
    let started = UtcTime::now();
    let loaded = scenario_file::load(&args.file, &args.overrides.set, &args.overrides.variants, &[])?;
    // The search or the candidates are the plan's own axis; a grid on top has no single answer.
    if let Some(sweep) = &loaded.sweep {
        let m = "a plan runs the scenario without its [[sweep]]; remove the sweep (or use `agentsim run`)".to_string();
        return Err(PlanError { problems: vec![PlanError::flag("[[sweep]]", &sweep.parameters.join(","), m)] }.into());
    }
    let opts = run_options(args, &loaded.scenario)?;
    // clap's `requires` sees a bool flag's default as present, so it is checked here.
    if args.across_providers && !args.cheapest {
        let m = "--across-providers chooses among providers with --cheapest; add --cheapest".to_string();
        return Err(PlanError { problems: vec![PlanError::flag("--across-providers", "", m)] }.into());
    }
    if args.cheapest {
        return crate::plan_cheapest::run(args, argv, stdout, loaded, opts, &started);
    }
    // A search runs the baseline only: the file's [[variants]] are not run.
    if let Some(v) = args.overrides.variants.first() {
        let m = "variants are compared with --cheapest; a search runs the scenario alone".to_string();
        return Err(PlanError { problems: vec![PlanError::flag("--variant", &v.name, m)] }.into());
    }
    let sc = &loaded.scenario;
    let (objectives, spec) = flags(args, sc)?;
    let text = args.search.as_deref().unwrap_or_default();
    let written = text.split_once('=').and_then(|(_, r)| r.trim().trim_end_matches(":log").split_once(".."));
    let kind = spec
        .key_kind(&sim_core::scenario::to_toml(sc), written.unwrap_or_default())
        .map_err(|m| PlanError { problems: vec![PlanError::flag("--search", text, m)] })?;
    let at = |value: f64| {
        let mut set = args.overrides.set.clone();
        set.push(Override { path: spec.path.clone(), value: plan::value_text(kind, value) });
        loaded
            .reload(&args.file, &set)
            .with_context(|| format!("--search `{text}`: at {}", plan::value_text(kind, value)))
    };
    // Both ends load, so a bad path or value fails before any simulation.
    at(spec.lo)?;
    at(spec.hi)?;
    let defaults =
        output_dir::default_dirs(Path::new(output_dir::DEFAULT_ROOT), &format!("{}-plan", sc.name), &started.compact());
    let (dir, mut staging) = staging::stage(args.out.as_deref(), defaults, args.output.force)?;
    let direction = if args.minimize { Direction::Minimize } else { Direction::Maximize };
    let tolerance = args.tolerance.unwrap_or(plan::DEFAULT_TOLERANCE);
    let range = Range { lo: spec.lo, hi: spec.hi, kind, log: spec.log, tolerance };
    let clock = Instant::now();
    let result = plan::bisect(&range, direction, |value| {
        let data = evaluate(&at(value)?, &objectives, &opts, args)?;
        Ok::<_, anyhow::Error>((data.judged.all_met(), data))
    })?;
    let wall_s = clock.elapsed().as_secs_f64();
    let searched =
        Searched { scenario_name: sc.name.clone(), spec, kind, direction, tolerance, objectives, opts, result };
    staging.write_file("plan.csv", &plan_outputs::plan_csv(&searched)?).context("cannot write plan.csv")?;
    staging.write_file("plan.json", &plan_outputs::plan_json(&searched)?).context("cannot write plan.json")?;
    finish(staging, args, argv, &loaded, &[], (&searched.opts, &started, wall_s))?;
    if !args.output.quiet {
        stdout.write_all(plan_outputs::search_text(&searched).as_bytes())?;
        write!(stdout, "output: ")?;
    }
    writeln!(stdout, "{}", dir.display())?;
    Ok(())
}

/// The cost plan.csv and plan.json carry per point.
pub const COST_METRIC: &str = "cost_usd_per_session";

/// Runs one point of a search and judges it, saturation included.
fn evaluate(
    scenario: &Scenario,
    objectives: &[Objective],
    opts: &RunOptions,
    args: &PlanArgs,
) -> anyhow::Result<PointData> {
    let out = simulate(scenario, &[], opts, args, &mut |_, _, _| {})?;
    let summary = &out.summary.variants[0];
    let window = plan::load_window(scenario);
    let saturated = plan::saturated_provider(&out.timeseries, scenario.providers.len(), window).is_some();
    let stat = |m: &str| summary.metrics.get(m).copied().unwrap_or(MetricStats::from_values([]));
    Ok(PointData {
        judged: plan::judge(objectives, summary, saturated),
        sessions_active: stat("sessions_active_mean"),
        concurrency: stat("concurrency_mean"),
        cost_per_session: stat(COST_METRIC),
    })
}

/// Seed and replicates from the flags or the scenario; at least 2 replicates.
fn run_options(args: &PlanArgs, sc: &Scenario) -> anyhow::Result<RunOptions> {
    let mut opts = RunOptions::from_scenario(sc);
    opts.seed = args.seed.unwrap_or(opts.seed);
    opts.replicates = args.replicates.unwrap_or(opts.replicates);
    opts.record_timeseries = true;
    if opts.replicates < 2 {
        let m = "the scenario runs 1 replicate; an objective's 95% interval needs at least 2 (pass --replicates N)";
        return Err(PlanError { problems: vec![PlanError::flag("--replicates", "1", m.to_string())] }.into());
    }
    Ok(opts)
}

/// `--slo` and `--search`, every problem of both at once.
fn flags(args: &PlanArgs, sc: &Scenario) -> Result<(Vec<Objective>, SearchSpec), PlanError> {
    let objectives = objectives(args, sc);
    let spec = plan::parse_search(args.search.as_deref().unwrap_or_default());
    match (objectives, spec) {
        (Ok(o), Ok(s)) => Ok((o, s)),
        (o, s) => {
            let problems = o.err().into_iter().chain(s.err()).flat_map(|e| e.problems).collect();
            Err(PlanError { problems })
        }
    }
}

/// Every `--slo`, checked against the names of `sc`.
pub fn objectives(args: &PlanArgs, sc: &Scenario) -> Result<Vec<Objective>, PlanError> {
    plan::parse_objectives(&args.slo, &sc.cache_tier_names(), &sc.provider_names(), &sc.workload_names())
}

/// Runs `scenario` and `variants` once (every replicate) on a pool of
/// `--threads`, after the work-limit check, with a progress bar; the only
/// call of `montecarlo::run` in `plan`.
pub fn simulate(
    scenario: &Scenario,
    variants: &[Variant],
    opts: &RunOptions,
    args: &PlanArgs,
    on_replicate: &mut (dyn FnMut(&str, &ReplicateMetrics, &VariantRecord) + Send),
) -> anyhow::Result<RunResult> {
    let threads = work_limits::threads(args.threads);
    let others: Vec<&Scenario> = variants.iter().map(|v| &v.scenario).collect();
    work_limits::check(scenario, &others, opts, threads, &args.limits)?;
    let pool =
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().context("cannot start the worker threads")?;
    let bar = progress::replicate_bar(opts.replicates, args.output.quiet);
    let hooks = RunHooks { on_done: &|| bar.inc(1), on_replicate };
    let result = pool.install(|| montecarlo::run(scenario, variants, opts, hooks));
    bar.finish_and_clear();
    result.context("the simulation stopped; no output was written")
}

/// Writes `scenario.toml` and the manifest (last) into `staging`, and
/// commits it; `variants` are those that ran besides the baseline.
pub fn finish(
    mut staging: Staging,
    args: &PlanArgs,
    argv: &[OsString],
    loaded: &LoadedScenario,
    variants: &[Variant],
    (opts, started, wall_s): (&RunOptions, &UtcTime, f64),
) -> anyhow::Result<()> {
    staging.write_file("scenario.toml", &loaded.bytes).context("cannot write scenario.toml")?;
    let threads = work_limits::threads(args.threads);
    let ran = Ran { file: &args.file, loaded, variants, opts, threads, wall_s, started, argv };
    let manifest = manifest::new(&ran, &args.overrides.set, false, None);
    crate::charts_stage::finish(&mut staging, manifest, args.output.no_charts, args.output.quiet)?;
    staging.commit()
}
