//! Renders a run's result files (summary.json, summary.csv, requests.csv,
//! timeseries.csv in memory; replicates.csv row by row as replicates finish) into the staging
//! directory; the bytes depend only on the result, never on threads or timing.

use crate::csv_row::{float_cell, opt_cell};
use anyhow::Context as _;
use serde::Serialize;
use sim_core::engine::{TIMESERIES_COLUMNS, TimeseriesRow};
use sim_core::metrics::{MetricStats, MetricTable, ReplicateMetrics, Summary, metric_names};
use sim_core::records::{RequestRecord, request_columns};
use sim_core::scenario::Scenario;

/// Every file name `run` or `replay` may write. `--force` removes the ones a run does not
/// write (e.g. an old requests.csv), so a directory never mixes two runs.
pub const OUTPUT_FILE_NAMES: [&str; 9] = [
    "summary.json",
    "summary.csv",
    "replicates.csv",
    "requests.csv",
    "timeseries.csv",
    "scenario.toml",
    "scenario.resolved.toml",
    "manifest.json",
    "replay.csv",
];

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
/// `all`, then `provider:<name>` and `workload:<name>` in scenario order.
pub fn summary_csv(summary: &Summary) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["variant", "scope", "metric", "mean", "std", "ci95_low", "ci95_high", "n"])?;
    for v in &summary.variants {
        let providers = v.by_provider.0.iter().map(|(n, t)| (n.as_str(), t));
        let workloads = v.by_workload.0.iter().map(|(n, t)| (n.as_str(), t));
        for (scope, table) in scopes(&v.metrics, providers, workloads) {
            write_table(&mut w, &v.name, &scope, table)?;
        }
    }
    finish(w)
}

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

fn write_table(w: &mut csv::Writer<Vec<u8>>, variant: &str, scope: &str, table: &MetricTable) -> anyhow::Result<()> {
    for (metric, s) in &table.0 {
        let MetricStats { mean, std, ci95_low, ci95_high, n } = *s;
        w.write_record([
            variant.to_string(),
            scope.to_string(),
            metric.to_string(),
            opt_cell(mean),
            opt_cell(std),
            opt_cell(ci95_low),
            opt_cell(ci95_high),
            n.to_string(),
        ])?;
    }
    Ok(())
}

/// `replicates.csv`, written row by row as replicates finish (in replicate
/// order): per replicate, one row per scope (in [`scopes`] order) with every
/// metric of that scope, then the engine's event count and end of simulated
/// time, which belong to the whole replicate and so fill only the `all` row.
#[derive(Debug)]
pub struct ReplicatesCsv<W: std::io::Write> {
    w: csv::Writer<W>,
    n_tiers: usize,
    providers: Vec<String>,
    workloads: Vec<String>,
    variant: String,
}

impl<W: std::io::Write> ReplicatesCsv<W> {
    /// Starts the file with its header; `providers` and `workloads` are the
    /// scenario's names in scenario order, as `ReplicateMetrics` holds their scopes.
    pub fn new(
        out: W,
        tier_names: &[String],
        providers: &[String],
        workloads: &[String],
        variant: &str,
    ) -> anyhow::Result<Self> {
        let mut w = csv::Writer::from_writer(out);
        let names = metric_names(tier_names);
        let header = ["replicate", "variant", "scope"]
            .into_iter()
            .chain(names.iter().map(String::as_str))
            .chain(["events", "sim_end_s"]);
        w.write_record(header)?;
        Ok(ReplicatesCsv {
            w,
            n_tiers: tier_names.len(),
            providers: providers.to_vec(),
            workloads: workloads.to_vec(),
            variant: variant.to_string(),
        })
    }

    /// Writes one replicate's rows.
    pub fn row(&mut self, r: &ReplicateMetrics) -> anyhow::Result<()> {
        let providers = self.providers.iter().map(String::as_str).zip(&r.by_provider);
        let workloads = self.workloads.iter().map(String::as_str).zip(&r.by_workload);
        for (scope, metrics) in scopes(&r.overall, providers, workloads) {
            let whole = if scope == "all" {
                [r.events.to_string(), float_cell(r.sim_end_s)]
            } else {
                [String::new(), String::new()]
            };
            let cells = [r.replicate.to_string(), self.variant.clone(), scope]
                .into_iter()
                .chain(metrics.values(self.n_tiers).into_iter().map(opt_cell))
                .chain(whole);
            self.w.write_record(cells)?;
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
    use sim_core::metrics::{ScopeMetrics, VariantSummary};

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
        }
    }

    fn summary(reps: &[ReplicateMetrics]) -> Summary {
        Summary {
            schema_version: 1,
            scenario: "t".into(),
            seed: 1,
            replicates: reps.len() as u32,
            variants: vec![VariantSummary::from_replicates("baseline", &["p".into()], &["w".into()], &[], reps)],
        }
    }

    #[test]
    fn summary_csv_is_long_format_over_every_scope() {
        let reps = [replicate(0, 4), replicate(1, 6)];
        let text = String::from_utf8(summary_csv(&summary(&reps)).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "variant,scope,metric,mean,std,ci95_low,ci95_high,n");
        assert_eq!(lines.len(), 1 + 3 * metric_names(&[]).len());
        assert!(lines.contains(&"baseline,provider:p,requests,5,1.4142135623730951,-7.706204736,17.706204736,2"));
        // No request, so no latency: empty cells and n = 0.
        assert!(lines.contains(&"baseline,workload:w,ttft_s_p50,,,,,0"), "{text}");
    }

    fn replicates_csv(reps: &[ReplicateMetrics]) -> Vec<u8> {
        let mut w = ReplicatesCsv::new(Vec::new(), &[], &["p".into()], &["w".into()], "baseline").unwrap();
        for r in reps {
            w.row(r).unwrap();
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
        assert!(lines[0].ends_with(",cache_tokens_peak,events,sim_end_s"), "{}", lines[0]);
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
