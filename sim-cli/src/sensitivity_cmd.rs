//! `agentsim sensitivity`: which assumption drives the answer. Every assumed
//! number of the scenario's presets (and each `--param`) becomes two variants,
//! its low and high end, run with the baseline on the same replicates in one
//! paired run; prints a tornado table per `--metric` and writes a run
//! directory (sensitivity.csv, summary.json, scenario.toml, manifest.json).

use crate::args::SensitivityArgs;
use crate::csv_row::opt_cell;
use crate::manifest::{self, Ran};
use crate::staging::{self, Staging};
use crate::timestamp::UtcTime;
use crate::variants_table::diff_cell;
use crate::whole_run::simulate;
use crate::{columns, output_dir, outputs, report_table::human, scenario_file, work_limits};
use anyhow::Context as _;
use sim_core::metrics::{Summary, metric_names};
use sim_core::scenario::{self, Scenario, SourceText, Variant};
use sim_core::sensitivity::{self, Parameter, SensitivityError, TornadoRow};
use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

pub fn run(args: &SensitivityArgs, argv: &[OsString], stdout: &mut dyn Write) -> anyhow::Result<()> {
    let started = UtcTime::now();
    let loaded = scenario_file::load(&args.file, &args.set, &[], &[])?;
    if let Some(sweep) = &loaded.sweep {
        // Which point would the tornado be of? One answer per point is a sweep of sensitivities.
        return Err(crate::exit::InputRefused(format!(
            "{} sweeps {}: sensitivity varies one scenario, not a grid: run it on a copy without the [[sweep]], the point of interest set with --set",
            args.file.display(),
            sweep.parameters.join(", ")
        ))
        .into());
    }
    let name = args.file.display().to_string();
    let text = std::str::from_utf8(&loaded.bytes).context("the scenario file is not UTF-8")?;
    let files = scenario_file::file_source(&args.file);
    let assumed = sensitivity::assumed_parameters(text, &args.set, &files)?;
    // The file's own [[variants]] are not part of the analysis: it varies the baseline.
    let mut baseline = loaded.scenario.clone();
    baseline.variants.clear();
    let params = sensitivity::parameters(assumed, &args.params, args.only_params, &scenario::to_toml(&baseline))?;
    let src = SourceText { name: &name, text };
    let variants = scenario::load_variants(&src, &args.set, &files, &baseline, &sensitivity::variant_specs(&params))
        .context("a --param (or an assumed number) cannot take its low or high value; variant `PATH.low`/`PATH.high` sets PATH to it")?;
    check_metrics(&args.metrics, &baseline, &variants)?;

    let opts = args.replicates.options(&baseline);
    let threads = work_limits::threads(args.replicates.threads);
    let scenarios: Vec<&Scenario> = variants.iter().map(|v| &v.scenario).collect();
    work_limits::check(&baseline, &scenarios, &opts, threads, &args.limits)?;
    let defaults = output_dir::default_dirs(
        Path::new(output_dir::DEFAULT_ROOT),
        &format!("{}-sensitivity", baseline.name),
        &started.compact(),
    );
    let (dir, mut staging) = staging::stage(args.out.as_deref(), defaults, args.output.force)?;

    let sim = simulate(&baseline, &variants, &opts, args.replicates.threads, args.output.quiet, std::io::sink())?;
    let tornados: Vec<(&str, Vec<TornadoRow>)> =
        args.metrics.iter().map(|m| (m.as_str(), sensitivity::tornado(&params, &sim.result.summary, m))).collect();
    let ran = Ran {
        file: &args.file,
        loaded: &loaded,
        variants: &variants,
        opts: &opts,
        threads: sim.threads,
        wall_s: sim.wall_s,
        started: &started,
        argv,
    };
    render(&mut staging, args, &ran, &sim.result.summary, (&params, &tornados))?;
    staging.commit()?;

    if !args.output.quiet {
        for (metric, rows) in &tornados {
            let base = sim.result.summary.variants[0].metrics.get(metric).and_then(|s| s.mean);
            for line in table(metric, base, &params, rows) {
                writeln!(stdout, "{line}")?;
            }
            writeln!(stdout)?;
        }
        write!(stdout, "output: ")?;
    }
    writeln!(stdout, "{}", dir.display())?;
    Ok(())
}

/// Every `--metric` is an overall metric of the baseline and of every variant;
/// the error names all that are not.
fn check_metrics(metrics: &[String], baseline: &Scenario, variants: &[Variant]) -> Result<(), SensitivityError> {
    let tiers = sim_core::montecarlo::variant_tiers(baseline, variants);
    let unknown: Vec<String> =
        metrics.iter().filter(|m| !tiers.iter().all(|(_, t)| metric_names(t).contains(m))).cloned().collect();
    if unknown.is_empty() { Ok(()) } else { Err(SensitivityError::UnknownMetric { metrics: unknown }) }
}

/// Writes sensitivity.csv, summary.json and scenario.toml into `staging`, the
/// manifest (the completion marker) last.
fn render(
    staging: &mut Staging,
    args: &SensitivityArgs,
    ran: &Ran<'_>,
    summary: &Summary,
    (params, tornados): (&[Parameter], &[(&str, Vec<TornadoRow>)]),
) -> anyhow::Result<()> {
    let mut write = |name: &'static str, bytes: &[u8]| {
        staging.write_file(name, bytes).with_context(|| format!("cannot write {name} of the output directory"))
    };
    write("sensitivity.csv", &sensitivity_csv(params, tornados)?)?;
    write("summary.json", &outputs::summary_json(summary)?)?;
    write("scenario.toml", &ran.loaded.bytes)?;
    let manifest = manifest::new(ran, &args.set, false, None);
    crate::charts_stage::finish(staging, manifest, args.output.no_charts, args.output.quiet)
}

/// The columns of sensitivity.csv (docs/outputs.md).
pub const SENSITIVITY_COLUMNS: [&str; 18] = [
    "metric",
    "rank",
    "parameter",
    "origin",
    "range",
    "current",
    "side",
    "value",
    "variant",
    "diff_mean",
    "diff_ci95_low",
    "diff_ci95_high",
    "rel_diff",
    "rel_diff_ci95_low",
    "rel_diff_ci95_high",
    "n",
    "swing",
    "detectable",
];

/// `sensitivity.csv`: per metric, per parameter in tornado order (rank 1 is
/// the largest effect), its low then its high row.
fn sensitivity_csv(params: &[Parameter], tornados: &[(&str, Vec<TornadoRow>)]) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(SENSITIVITY_COLUMNS)?;
    for (metric, rows) in tornados {
        for (rank, row) in rows.iter().enumerate() {
            let p = &params[row.param];
            for (side, value, d) in [("low", &p.low, &row.low), ("high", &p.high, &row.high)] {
                let cells = [
                    metric.to_string(),
                    (rank + 1).to_string(),
                    p.path.clone(),
                    p.origin.clone(),
                    p.range.clone(),
                    p.current.clone(),
                    side.to_string(),
                    value.clone(),
                    sensitivity::variant_name(&p.path, side),
                    opt_cell(d.mean),
                    opt_cell(d.ci95_low),
                    opt_cell(d.ci95_high),
                    opt_cell(d.rel),
                    opt_cell(d.rel_ci95_low),
                    opt_cell(d.rel_ci95_high),
                    d.n.to_string(),
                    opt_cell(row.swing),
                    row.detectable.to_string(),
                ];
                w.write_record(cells)?;
            }
        }
    }
    outputs::finish(w)
}

/// The tornado table of one metric, largest effect first.
fn table(metric: &str, baseline: Option<f64>, params: &[Parameter], rows: &[TornadoRow]) -> Vec<String> {
    let base = baseline.map_or_else(|| "-".to_string(), human);
    let mut out = vec![format!(
        "sensitivity of {metric} (baseline {base}; paired difference from the baseline, same replicates, 95% CI):"
    )];
    let header = ["parameter", "low", "effect", "high", "effect", "swing", ""].map(String::from).to_vec();
    let mut cells = vec![header];
    for row in rows {
        let p = &params[row.param];
        cells.push(vec![
            p.path.clone(),
            p.low.clone(),
            diff_cell(&row.low),
            p.high.clone(),
            diff_cell(&row.high),
            row.swing.map_or_else(|| "-".to_string(), human),
            if row.detectable { String::new() } else { "no detectable effect".to_string() },
        ]);
    }
    let left = [true, false, true, false, true, false, true];
    out.extend(columns::align(&cells, &left).into_iter().map(|l| format!("  {l}")));
    out
}
