//! A sweep's summary files: `sweep.csv` (one row per point, variant and
//! overall metric, with the paired difference from the point's baseline) and
//! `summary.json` with its `sweep` field (point 0's summary stays at the top
//! level, so readers of plain runs keep working). See docs/outputs.md.

use crate::csv_row::opt_cell;
use crate::outputs::{finish, json_file};
use crate::sweep_labels::SweepLabels;
use anyhow::Context as _;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use sim_core::metrics::{MetricStats, Ranking, Summary, VariantSummary};
use sim_core::scenario::value_label;

/// `summary.json` of a sweep: point 0's summary, plus `sweep`.
pub fn summary_json(sweep: &SweepLabels, summaries: &[&Summary]) -> anyhow::Result<Vec<u8>> {
    let points = sweep
        .points
        .iter()
        .zip(summaries)
        .enumerate()
        .map(|(point, (p, s))| PointJson {
            point,
            values: Values(sweep.parameters.iter().zip(p).collect()),
            variants: &s.variants,
            ranking: s.ranking.as_ref(),
        })
        .collect();
    let first = summaries.first().context("a sweep has at least one point")?;
    let json = SweptSummary { summary: first, sweep: SweepJson { parameters: &sweep.parameters, points } };
    json_file(&json).context("cannot serialise summary.json")
}

#[derive(Serialize)]
struct SweptSummary<'a> {
    #[serde(flatten)]
    summary: &'a Summary,
    sweep: SweepJson<'a>,
}

#[derive(Serialize)]
struct SweepJson<'a> {
    parameters: &'a [String],
    points: Vec<PointJson<'a>>,
}

#[derive(Serialize)]
struct PointJson<'a> {
    point: usize,
    values: Values<'a>,
    variants: &'a [VariantSummary],
    #[serde(skip_serializing_if = "Option::is_none")]
    ranking: Option<&'a Ranking>,
}

/// Swept path -> value at the point, as a JSON object in parameter order.
struct Values<'a>(Vec<(&'a String, &'a toml::Value)>);

impl Serialize for Values<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (path, value) in &self.0 {
            match value {
                // TOML's serde form of a date is a private wrapper; JSON gets its text.
                toml::Value::Datetime(d) => m.serialize_entry(path, &d.to_string())?,
                other => m.serialize_entry(path, other)?,
            }
        }
        m.end()
    }
}

/// `sweep.csv`: per point, per variant (baseline first), per metric of the
/// overall scope: the point, each swept value as written, the statistics
/// and, for a variant, its paired difference from the point's baseline.
pub fn sweep_csv(sweep: &SweepLabels, summaries: &[&Summary]) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let head = ["variant", "metric", "mean", "ci95_low", "ci95_high", "diff_mean", "diff_ci95_low", "diff_ci95_high"];
    w.write_record(std::iter::once("point").chain(sweep.parameters.iter().map(String::as_str)).chain(head))?;
    for (point, (p, s)) in sweep.points.iter().zip(summaries).enumerate() {
        let lead: Vec<String> = std::iter::once(point.to_string()).chain(p.iter().map(value_label)).collect();
        for v in &s.variants {
            for (metric, stats) in &v.metrics.0 {
                let MetricStats { mean, ci95_low, ci95_high, .. } = *stats;
                let d = v.diff_vs_baseline.as_ref().map(|d| d.metrics.get(metric).copied().unwrap_or_default());
                let diff = d.map_or([None; 3], |d| [d.mean, d.ci95_low, d.ci95_high]);
                let cells = [v.name.clone(), metric.clone(), opt_cell(mean), opt_cell(ci95_low), opt_cell(ci95_high)];
                w.write_record(lead.iter().cloned().chain(cells).chain(diff.map(opt_cell)))?;
            }
        }
    }
    finish(w)
}
