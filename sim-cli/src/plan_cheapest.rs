//! `agentsim plan --cheapest`: runs the scenario's variants (or, with
//! `--across-providers`, one variant per provider with every workload routed
//! to it) on the same replicates, judges every objective per candidate, and
//! picks the cheapest meeting them all; every other candidate's cost is shown
//! as a paired difference from it. Writes `cheapest.csv`.

use crate::columns::align;
use crate::csv_row::opt_cell;
use crate::plan_cmd::{PlanArgs, finish, objectives, simulate};
use crate::plan_outputs::{
    objective_cells, objective_display_cells, objective_display_columns, objective_header, stat_cell, yes,
};
use crate::scenario_file::{self, LoadedScenario};
use crate::timestamp::UtcTime;
use crate::variants_table::diff_cell;
use crate::{output_dir, outputs, staging};
use anyhow::Context as _;
use sim_core::catalog::close_matches;
use sim_core::metrics::{DiffStats, MetricStats, ReplicateMetrics, VariantRecord, metric_names};
use sim_core::montecarlo::{RunOptions, variant_tiers};
use sim_core::plan::{self, Judged, PlanError, cheapest};
use sim_core::scenario::{Override, VariantSpec};
use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// One candidate after the run.
struct Candidate {
    name: String,
    judged: Judged,
    cost: MetricStats,
    /// Paired difference from the chosen candidate (none when none meets).
    diff: Option<DiffStats>,
}

pub fn run(
    args: &PlanArgs,
    argv: &[OsString],
    stdout: &mut dyn Write,
    loaded: LoadedScenario,
    opts: RunOptions,
    started: &UtcTime,
) -> anyhow::Result<()> {
    let loaded = if args.across_providers { with_provider_variants(args, &loaded)? } else { loaded };
    let sc = &loaded.scenario;
    let tiers = variant_tiers(sc, &loaded.variants);
    // With --across-providers the baseline (the scenario as written) is not a candidate.
    let first = usize::from(args.across_providers);
    let objectives = objectives(args, sc);
    let cost_index = cost_indices(args, &tiers[first..]);
    if loaded.variants.is_empty() || objectives.is_err() || cost_index.is_err() {
        let mut problems: Vec<_> =
            objectives.err().into_iter().chain(cost_index.err()).flat_map(|e| e.problems).collect();
        if loaded.variants.is_empty() {
            let m = "nothing to compare: add [[variants]] or --variant, or pass --across-providers";
            problems.push(PlanError::flag("--cheapest", "", m.to_string()));
        }
        return Err(PlanError { problems }.into());
    }
    let (objectives, cost_index) = (objectives?, cost_index?);
    let defaults = output_dir::default_dirs(
        Path::new(output_dir::DEFAULT_ROOT),
        &format!("{}-cheapest", sc.name),
        &started.compact(),
    );
    let (dir, mut staging) = staging::stage(args.out.as_deref(), defaults, args.output.force)?;

    let names: Vec<&str> = tiers.iter().map(|(n, _)| *n).collect();
    let mut values: Vec<Vec<Option<f64>>> = vec![Vec::new(); names.len() - first];
    let mut collect = |name: &str, _: &ReplicateMetrics, r: &VariantRecord| {
        if let Some(i) = names[first..].iter().position(|n| *n == name) {
            values[i].push(r.overall.0[cost_index[i]]);
        }
    };
    let clock = Instant::now();
    let result = simulate(sc, &loaded.variants, &opts, args, &mut collect)?;
    let wall_s = clock.elapsed().as_secs_f64();
    // The time series is the baseline's only: saturation is not judged here.
    let summaries = &result.summary.variants[first..];
    let judged: Vec<Judged> = summaries.iter().map(|v| plan::judge(&objectives, v, false)).collect();
    let costs: Vec<MetricStats> = summaries
        .iter()
        .map(|v| v.metrics.get(&args.cost_metric).copied().unwrap_or(MetricStats::from_values([])))
        .collect();
    let picks: Vec<(bool, Option<f64>)> = judged.iter().zip(&costs).map(|(j, c)| (j.all_met(), c.mean)).collect();
    let chosen = cheapest::pick(&picks);
    let diffs = chosen.map(|c| cheapest::paired_from(&values, c));
    let candidates: Vec<Candidate> = summaries
        .iter()
        .zip(judged)
        .zip(costs)
        .enumerate()
        .map(|(i, ((v, judged), cost))| Candidate {
            name: v.name.clone(),
            judged,
            cost,
            diff: diffs.as_ref().map(|d| d[i]),
        })
        .collect();

    let csv = cheapest_csv(&objective_header(&objectives), &candidates, chosen, &args.cost_metric)?;
    staging.write_file("cheapest.csv", &csv).context("cannot write cheapest.csv")?;
    finish(staging, args, argv, &loaded, &loaded.variants, (&opts, started, wall_s))?;
    if !args.output.quiet {
        stdout.write_all(
            cheapest_text(&objective_display_columns(&objectives), &candidates, chosen, &args.cost_metric).as_bytes(),
        )?;
        write!(stdout, "output: ")?;
    }
    writeln!(stdout, "{}", dir.display())?;
    Ok(())
}

/// The scenario again with one more variant per provider, named after it,
/// routing every workload to it.
fn with_provider_variants(args: &PlanArgs, loaded: &LoadedScenario) -> anyhow::Result<LoadedScenario> {
    let sc = &loaded.scenario;
    // Each candidate sends every workload to one provider: a routed workload
    // would need its route replaced, which is a comparison of routing policies.
    if let Some(w) = sc.workloads.iter().find(|w| w.route.is_some()) {
        let m = format!(
            "workload `{}` routes across providers ([workloads.routing]); --across-providers needs every workload on one provider: compare routing policies with [[variants]] instead (docs/routing.md)",
            w.name
        );
        return Err(PlanError { problems: vec![PlanError::flag("--across-providers", "", m)] }.into());
    }
    let workloads = sc.workload_names().len();
    let mut specs = args.overrides.variants.clone();
    for p in sc.provider_names() {
        let quoted = serde_json::to_string(&p).context("provider name")?;
        let overrides = (0..workloads)
            .map(|i| Override { path: format!("workloads[{i}].provider"), value: quoted.clone() })
            .collect();
        specs.push(VariantSpec { name: p, overrides });
    }
    scenario_file::load(&args.file, &args.overrides.set, &specs, &[]).context("--across-providers")
}

/// The position of `--cost-metric` among each candidate's metrics.
fn cost_indices(args: &PlanArgs, candidates: &[(&str, Vec<String>)]) -> Result<Vec<usize>, PlanError> {
    let mut out = Vec::new();
    for (name, tiers) in candidates {
        let names = metric_names(tiers);
        match names.iter().position(|n| *n == args.cost_metric) {
            Some(i) => out.push(i),
            None => {
                let near = close_matches(&args.cost_metric, names.iter().map(String::as_str));
                let hint = if near.is_empty() { String::new() } else { format!(" (did you mean `{}`?)", near[0]) };
                let m = format!("variant `{name}` has no metric `{}`{hint}", args.cost_metric);
                return Err(PlanError { problems: vec![PlanError::flag("--cost-metric", &args.cost_metric, m)] });
            }
        }
    }
    Ok(out)
}

const DIFF_COLUMNS: [&str; 6] =
    ["diff_mean", "diff_ci95_low", "diff_ci95_high", "rel_diff", "rel_diff_ci95_low", "rel_diff_ci95_high"];

/// `cheapest.csv`: one row per candidate, in scenario order.
fn cheapest_csv(
    header: &[String],
    candidates: &[Candidate],
    chosen: Option<usize>,
    cost_metric: &str,
) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let head = ["variant", "chosen", "all_met"].into_iter().map(String::from).chain(header.iter().cloned());
    let cost = ["cost_metric", "cost_mean", "cost_ci95_low", "cost_ci95_high"];
    w.write_record(head.chain(cost.into_iter().chain(DIFF_COLUMNS).map(String::from)))?;
    for (i, c) in candidates.iter().enumerate() {
        let d = c.diff.unwrap_or_default();
        let row = [c.name.clone(), (chosen == Some(i)).to_string(), c.judged.all_met().to_string()]
            .into_iter()
            .chain(objective_cells(&c.judged));
        let cost =
            [cost_metric.to_string(), opt_cell(c.cost.mean), opt_cell(c.cost.ci95_low), opt_cell(c.cost.ci95_high)];
        let diff = [d.mean, d.ci95_low, d.ci95_high, d.rel, d.rel_ci95_low, d.rel_ci95_high].map(opt_cell);
        w.write_record(row.chain(cost).chain(diff))?;
    }
    outputs::finish(w)
}

/// The choice in one sentence, then every candidate with its verdicts and
/// its cost's paired difference from the choice.
fn cheapest_text(columns: &[String], candidates: &[Candidate], chosen: Option<usize>, cost_metric: &str) -> String {
    let mut out = match chosen {
        Some(i) => format!(
            "The cheapest candidate meeting every objective is {}: {cost_metric} {}.\n\n",
            candidates[i].name,
            stat_cell(&candidates[i].cost, "").trim_end()
        ),
        None => "No candidate meets every objective.\n\n".to_string(),
    };
    let vs = if chosen.is_some() { "vs cheapest" } else { "" };
    let head = ["variant"].into_iter().map(String::from).chain(columns.iter().cloned());
    let mut rows =
        vec![head.chain(["all met".to_string(), cost_metric.to_string(), vs.to_string()]).collect::<Vec<_>>()];
    for (i, c) in candidates.iter().enumerate() {
        let j = &c.judged;
        let cells = objective_display_cells(j);
        let diff = match (chosen == Some(i), c.diff) {
            (true, _) => "(chosen)".to_string(),
            (false, Some(d)) => diff_cell(&d),
            (false, None) => String::new(),
        };
        let row = [c.name.clone()].into_iter().chain(cells);
        rows.push(row.chain([yes(j.all_met()), stat_cell(&c.cost, "").trim_end().to_string(), diff]).collect());
    }
    let left: Vec<bool> = rows[0].iter().enumerate().map(|(i, h)| i == 0 || h == "verdict" || h == "all met").collect();
    for line in align(&rows, &left) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}
