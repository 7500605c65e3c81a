//! Renders a run's result files (summary.json, summary.csv, requests.csv,
//! timeseries.csv in memory; replicates.csv row by row as replicates finish) into the staging
//! directory; the bytes depend only on the result, never on threads or timing.

use crate::csv_row::{float_cell, opt_cell};
use anyhow::Context as _;
use serde::Serialize;
use sim_core::engine::{TIMESERIES_COLUMNS, TimeseriesRow};
use sim_core::metrics::{DiffTable, MetricStats, MetricTable, Summary, TaskRecord, VariantRecord, metric_names};
use sim_core::records::{RequestRecord, request_columns};
use sim_core::scenario::Scenario;

/// Every file name `run`, `replay`, `plan`, `sensitivity` or `merge` may write. `--force` removes the ones a run does not
/// write (e.g. an old requests.csv), so a directory never mixes two runs.
pub const OUTPUT_FILE_NAMES: [&str; 20] = [
    "summary.json",
    "summary.csv",
    "sweep.csv",
    "distributions.csv",
    "replicates.csv",
    "requests.csv",
    "timeseries.csv",
    "scenario.toml",
    "scenario.resolved.toml",
    "manifest.json",
    "replay.csv",
    "plan.csv",
    "plan.json",
    "cheapest.csv",
    "sensitivity.csv",
    "records.jsonl",
    "partial.json",
    "resume.json",
    "report.html",
    "report.md",
];

/// The summary files of a plain run (one point): summary.json, summary.csv
/// and distributions.csv.
pub fn plain_files(summary: &Summary) -> anyhow::Result<[(&'static str, Vec<u8>); 3]> {
    Ok([
        ("summary.json", summary_json(summary)?),
        ("summary.csv", summary_csv(summary)?),
        ("distributions.csv", distributions_csv(&[summary], false)?),
    ])
}

/// `distributions.csv`: per variant (baseline first), the overall scope's
/// distributions (`sim_core::metrics::DISTRIBUTIONS`) at every quantile of
/// the grid, each the mean over replicates of that quantile; with `points`,
/// every summary's rows start with its index in a `point` column.
pub fn distributions_csv(summaries: &[&Summary], points: bool) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(points.then_some("point").into_iter().chain(["variant", "distribution", "quantile", "value"]))?;
    for (point, summary) in summaries.iter().enumerate() {
        for v in &summary.variants {
            for (distribution, q, value) in v.distributions.rows() {
                let cells = [v.name.clone(), distribution.to_string(), float_cell(q), opt_cell(value)];
                w.write_record(points.then(|| point.to_string()).into_iter().chain(cells))?;
            }
        }
    }
    finish(w)
}

/// `summary.json`, written as [`json_file`].
pub fn summary_json(summary: &Summary) -> anyhow::Result<Vec<u8>> {
    json_file(summary).context("cannot serialise summary.json")
}

/// Every JSON file agentsim writes: pretty-printed, with a trailing newline.
pub fn json_file(value: &impl Serialize) -> serde_json::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// `summary.csv`: one row per (variant, scope, metric); scopes in the order
/// `all`, then `provider:<name>` and `workload:<name>` in scenario order. A
/// variant's rows carry its paired difference from the baseline (`diff_*`,
/// `rel_diff*`); the baseline's leave them empty.
pub fn summary_csv(summary: &Summary) -> anyhow::Result<Vec<u8>> {
    summary_csv_of(&[summary], false)
}

/// `summary.csv` of several summaries (a sweep's points, in order); with
/// `points`, each row starts with its summary's index in a `point` column.
pub fn summary_csv_of(summaries: &[&Summary], points: bool) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let lead = points.then_some("point");
    w.write_record(
        lead.into_iter()
            .chain(["variant", "scope", "metric", "mean", "std", "ci95_low", "ci95_high", "n"])
            .chain(DIFF_COLUMNS),
    )?;
    for (point, summary) in summaries.iter().enumerate() {
        summary_rows(&mut w, summary, points.then_some(point))?;
    }
    finish(w)
}

/// One summary's rows of summary.csv, after a `point` cell when given.
fn summary_rows(w: &mut csv::Writer<Vec<u8>>, summary: &Summary, point: Option<usize>) -> anyhow::Result<()> {
    for v in &summary.variants {
        let providers = v.by_provider.0.iter().map(|(n, t)| (n.as_str(), t));
        let workloads = v.by_workload.0.iter().map(|(n, t)| (n.as_str(), t));
        let diffs: Vec<Option<&DiffTable>> = match &v.diff_vs_baseline {
            None => vec![None; 1 + v.by_provider.0.len() + v.by_workload.0.len()],
            Some(d) => std::iter::once(&d.metrics)
                .chain(d.by_provider.0.iter().map(|(_, t)| t))
                .chain(d.by_workload.0.iter().map(|(_, t)| t))
                .map(Some)
                .collect(),
        };
        for ((scope, table), diff) in scopes(&v.metrics, providers, workloads).zip(diffs) {
            write_table(w, point, &v.name, &scope, table, diff)?;
        }
    }
    Ok(())
}

/// The paired-difference columns of summary.csv.
const DIFF_COLUMNS: [&str; 7] =
    ["diff_mean", "diff_std", "diff_ci95_low", "diff_ci95_high", "rel_diff", "rel_diff_ci95_low", "rel_diff_ci95_high"];

/// The scopes of summary.csv and replicates.csv in their row order: `all`, then
/// `provider:<name>` and `workload:<name>` in scenario order.
fn scopes<'a, T>(
    all: T,
    providers: impl IntoIterator<Item = (&'a str, T)>,
    workloads: impl IntoIterator<Item = (&'a str, T)>,
) -> impl Iterator<Item = (String, T)> {
    std::iter::once(("all".to_string(), all))
        .chain(providers.into_iter().map(|(name, t)| (format!("provider:{name}"), t)))
        .chain(workloads.into_iter().map(|(name, t)| (format!("workload:{name}"), t)))
}

fn write_table(
    w: &mut csv::Writer<Vec<u8>>,
    point: Option<usize>,
    variant: &str,
    scope: &str,
    table: &MetricTable,
    diff: Option<&DiffTable>,
) -> anyhow::Result<()> {
    for (metric, s) in &table.0 {
        let MetricStats { mean, std, ci95_low, ci95_high, n } = *s;
        let d = diff.map(|d| d.get(metric).copied().unwrap_or_default());
        let diff_cells =
            d.map_or([None; 7], |d| [d.mean, d.std, d.ci95_low, d.ci95_high, d.rel, d.rel_ci95_low, d.rel_ci95_high]);
        let cells = [
            variant.to_string(),
            scope.to_string(),
            metric.to_string(),
            opt_cell(mean),
            opt_cell(std),
            opt_cell(ci95_low),
            opt_cell(ci95_high),
            n.to_string(),
        ];
        let lead = point.map(|p| p.to_string());
        w.write_record(lead.into_iter().chain(cells).chain(diff_cells.map(opt_cell)))?;
    }
    Ok(())
}

/// `replicates.csv`, written row by row as replicates finish (in replicate
/// order): per replicate, one row per scope (in [`scopes`] order) with every
/// metric of that scope, then the engine's event count and end of simulated
/// time, which belong to the whole replicate and so fill only the `all` row.
/// Variants may name different cache tiers: the metric columns are those of
/// the baseline then any a variant adds, and a row leaves empty the columns
/// its variant does not have. A sweep's file starts each row with its point.
#[derive(Debug)]
pub struct ReplicatesCsv<W: std::io::Write> {
    w: csv::Writer<W>,
    providers: Vec<String>,
    workloads: Vec<String>,
    variants: Vec<RowLayout>,
    with_points: bool,
}

/// How one (point, variant)'s replicates fill the columns.
#[derive(Debug)]
struct RowLayout {
    point: Option<usize>,
    name: String,
    /// Per metric column, the variant's metric index.
    columns: Vec<Option<usize>>,
}

/// Each variant's name and cache tier names, the baseline first.
pub type VariantTiers<'a> = [(&'a str, Vec<String>)];

impl<W: std::io::Write> ReplicatesCsv<W> {
    /// Starts the file with its header; `tiers` names each variant (baseline
    /// first) with its cache tier names; `providers` and `workloads` are the
    /// scenario's names in scenario order, as `ReplicateMetrics` holds their scopes.
    pub fn new(out: W, tiers: &VariantTiers<'_>, providers: &[String], workloads: &[String]) -> anyhow::Result<Self> {
        Self::start(out, &[tiers], false, providers, workloads)
    }

    /// Like [`Self::new`] for a sweep: `points` holds each point's variant
    /// tiers, and every row starts with a `point` column.
    pub fn with_points(
        out: W,
        points: &[&VariantTiers<'_>],
        providers: &[String],
        workloads: &[String],
    ) -> anyhow::Result<Self> {
        Self::start(out, points, true, providers, workloads)
    }

    fn start(
        out: W,
        points: &[&VariantTiers<'_>],
        with_points: bool,
        providers: &[String],
        workloads: &[String],
    ) -> anyhow::Result<Self> {
        let mut w = csv::Writer::from_writer(out);
        let all = points.iter().enumerate().flat_map(|(p, tiers)| tiers.iter().map(move |t| (p, t)));
        let per_variant: Vec<(usize, &str, Vec<String>)> =
            all.map(|(p, (name, t))| (p, *name, metric_names(t))).collect();
        let mut columns: Vec<String> = Vec::new();
        for name in per_variant.iter().flat_map(|v| &v.2) {
            if !columns.contains(name) {
                columns.push(name.clone());
            }
        }
        let header = with_points
            .then_some("point")
            .into_iter()
            .chain(["replicate", "variant", "scope"])
            .chain(columns.iter().map(String::as_str))
            .chain(["events", "sim_end_s"]);
        w.write_record(header)?;
        let variants = per_variant
            .iter()
            .map(|(p, name, names)| {
                let index = columns.iter().map(|c| names.iter().position(|n| n == c)).collect();
                RowLayout { point: with_points.then_some(*p), name: name.to_string(), columns: index }
            })
            .collect();
        Ok(ReplicatesCsv { w, providers: providers.to_vec(), workloads: workloads.to_vec(), variants, with_points })
    }

    /// Writes one task's rows: every variant's, in the order of [`Self::new`]
    /// (at the task's point with [`Self::with_points`]).
    pub fn task(&mut self, t: &TaskRecord) -> anyhow::Result<()> {
        let point = self.with_points.then_some(t.point as usize);
        let names: Vec<String> = self.variants.iter().filter(|l| l.point == point).map(|l| l.name.clone()).collect();
        if names.len() < t.variants.len() {
            anyhow::bail!("replicates.csv: too many variants");
        }
        for (name, v) in names.iter().zip(&t.variants) {
            self.write(point, name, t.replicate, v)?;
        }
        Ok(())
    }

    /// Writes the rows of replicate `replicate` of `variant` (one named in [`Self::new`]).
    pub fn row(&mut self, variant: &str, replicate: u32, r: &VariantRecord) -> anyhow::Result<()> {
        self.write(None, variant, replicate, r)
    }

    fn layout_index(&self, point: Option<usize>, variant: &str) -> anyhow::Result<usize> {
        self.variants
            .iter()
            .position(|l| l.point == point && l.name == variant)
            .with_context(|| format!("replicates.csv: unknown variant `{variant}`"))
    }

    fn write(&mut self, point: Option<usize>, variant: &str, replicate: u32, r: &VariantRecord) -> anyhow::Result<()> {
        let at = self.layout_index(point, variant)?;
        let (columns, w) = (&self.variants[at].columns, &mut self.w);
        let providers = self.providers.iter().map(String::as_str).zip(&r.by_provider);
        let workloads = self.workloads.iter().map(String::as_str).zip(&r.by_workload);
        for (scope, metrics) in scopes(&r.overall, providers, workloads) {
            let whole = if scope == "all" {
                [r.events.to_string(), float_cell(r.sim_end_s)]
            } else {
                [String::new(), String::new()]
            };
            let values = &metrics.0;
            let cells = point
                .map(|p| p.to_string())
                .into_iter()
                .chain([replicate.to_string(), variant.to_string(), scope])
                .chain(columns.iter().map(|c| opt_cell(c.and_then(|i| values[i]))))
                .chain(whole);
            w.write_record(cells)?;
        }
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> anyhow::Result<W> {
        self.w.into_inner().map_err(|e| anyhow::anyhow!("cannot finish replicates.csv: {}", e.error()))
    }
}

/// `requests.csv`: the recorded requests, columns as `request_columns` says.
pub fn requests_csv(records: &[RequestRecord], scenario: &Scenario, variant: &str) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(request_columns(scenario))?;
    for r in records {
        w.write_record(r.cells(scenario, variant))?;
    }
    finish(w)
}

/// `timeseries.csv`: replicate 0's rows, columns as `TIMESERIES_COLUMNS` says.
pub fn timeseries_csv(rows: &[TimeseriesRow], scenario: &Scenario) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(TIMESERIES_COLUMNS)?;
    for r in rows {
        w.write_record(r.cells(&scenario.providers[r.provider].name))?;
    }
    finish(w)
}

/// The bytes of a CSV file rendered in memory.
pub fn finish(w: csv::Writer<Vec<u8>>) -> anyhow::Result<Vec<u8>> {
    w.into_inner().map_err(|e| anyhow::anyhow!("cannot finish a CSV file: {}", e.error()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::metrics::{ReplicateMetrics, ScopeMetrics, VariantSummary};

    fn replicate(i: u32, requests: u64) -> ReplicateMetrics {
        let mut overall = ScopeMetrics::default();
        overall.sessions_started = 2;
        overall.requests = requests;
        ReplicateMetrics {
            replicate: i,
            overall: overall.clone(),
            by_provider: vec![overall.clone()],
            by_workload: vec![overall],
            events: 10 + u64::from(i),
            sim_end_s: 1.5,
            start_spread: None,
        }
    }

    fn summary(reps: &[ReplicateMetrics]) -> Summary {
        Summary {
            schema_version: 1,
            scenario: "t".into(),
            seed: 1,
            replicates: reps.len() as u32,
            variants: vec![VariantSummary::from_replicates("baseline", &["p".into()], &["w".into()], &[], reps)],
            ranking: None,
            target_ci: None,
        }
    }

    #[test]
    fn summary_csv_is_long_format_over_every_scope() {
        let reps = [replicate(0, 4), replicate(1, 6)];
        let text = String::from_utf8(summary_csv(&summary(&reps)).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "variant,scope,metric,mean,std,ci95_low,ci95_high,n,\
             diff_mean,diff_std,diff_ci95_low,diff_ci95_high,rel_diff,rel_diff_ci95_low,rel_diff_ci95_high"
        );
        assert_eq!(lines.len(), 1 + 3 * metric_names(&[]).len());
        assert!(
            lines.contains(&"baseline,provider:p,requests,5,1.4142135623730951,-7.706204736,17.706204736,2,,,,,,,")
        );
        // No request, so no latency: empty cells and n = 0.
        assert!(lines.contains(&"baseline,workload:w,ttft_s_p50,,,,,0,,,,,,,"), "{text}");
    }

    fn replicates_csv(reps: &[ReplicateMetrics]) -> Vec<u8> {
        let mut w = ReplicatesCsv::new(Vec::new(), &[("baseline", vec![])], &["p".into()], &["w".into()]).unwrap();
        for r in reps {
            w.row("baseline", r.replicate, &VariantRecord::of(r, 0)).unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn replicates_csv_has_one_row_per_replicate_and_scope() {
        let mut second = replicate(1, 6);
        second.by_provider[0].requests = 5;
        second.by_workload[0].requests = 1;
        let text = String::from_utf8(replicates_csv(&[replicate(0, 4), second])).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + 2 * 3);
        assert!(lines[0].starts_with("replicate,variant,scope,sessions_started,sessions_completed,requests,"));
        assert!(lines[0].ends_with(",cache_tokens_peak,failovers,route_switches,events,sim_end_s"), "{}", lines[0]);
        assert!(lines[1].starts_with("0,baseline,all,2,0,4,"), "{}", lines[1]);
        assert!(lines[4].starts_with("1,baseline,all,2,0,6,"), "{}", lines[4]);
        assert!(lines[4].ends_with(",11,1.5"), "{}", lines[4]);
        // Events and the end time are the whole replicate's: empty in a scope's row.
        assert!(lines[5].starts_with("1,baseline,provider:p,2,0,5,"), "{}", lines[5]);
        assert!(lines[5].ends_with(",,"), "{}", lines[5]);
        assert!(lines[6].starts_with("1,baseline,workload:w,2,0,1,"), "{}", lines[6]);
        for line in &lines[1..] {
            assert_eq!(line.split(',').count(), 3 + metric_names(&[]).len() + 2, "{line}");
        }
    }

    #[test]
    fn summary_json_ends_with_newline() {
        let bytes = summary_json(&summary(&[replicate(0, 1)])).unwrap();
        assert_eq!(bytes.last(), Some(&b'\n'));
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["variants"][0]["metrics"]["requests"]["mean"], 1.0);
    }
}
