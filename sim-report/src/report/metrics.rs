//! The report's metric tables: every metric of summary.json, per variant
//! (overall scope, and per provider when there are several), with its unit, mean and 95% interval, and the paired
//! difference from the baseline where there is one.

use super::Block;
use crate::data::RunData;
use crate::style::significant;
use sim_core::metrics::{METRICS, MetricStats, TIER_PLACEHOLDER};

pub(super) fn tables(run: &RunData) -> Vec<Block> {
    let mut out = vec![Block::Paragraph(
        "Every metric of the whole run (all providers and workloads), per variant (and per provider when there are several): the mean over the \
         replicates, its 95% interval and the number of replicates that defined it; for a variant, \
         its paired difference from the baseline. docs/outputs.md defines each metric."
            .into(),
    )];
    for v in &run.summary.variants {
        out.push(Block::Subheading(format!("Variant {}", v.name)));
        let diffs = v.diff_vs_baseline.as_ref().map(|d| &d.metrics);
        let mut header = stats_header();
        if diffs.is_some() {
            header.push("vs baseline, 95% interval".into());
        }
        let rows = v
            .metrics
            .0
            .iter()
            .map(|(name, stats)| {
                let mut row = row(name, stats);
                if let Some(d) = diffs {
                    row.push(d.get(name).map_or_else(String::new, |d| interval(d.mean, d.ci95_low, d.ci95_high)));
                }
                row
            })
            .collect();
        out.push(Block::Table { header, rows });
        // A provider comparison's subjects are the providers: their own tables.
        if v.by_provider.0.len() > 1 {
            for (provider, metrics) in &v.by_provider.0 {
                out.push(Block::Subheading(format!("Variant {}, provider {provider}", v.name)));
                let rows = metrics.0.iter().map(|(name, stats)| row(name, stats)).collect();
                out.push(Block::Table { header: stats_header(), rows });
            }
        }
    }
    out
}

fn stats_header() -> Vec<String> {
    ["metric", "unit", "mean", "95% interval", "n"].map(String::from).to_vec()
}

fn row(name: &str, stats: &MetricStats) -> Vec<String> {
    let mut row = vec![name.to_string(), unit(name).to_string()];
    row.extend(stats_cells(stats));
    row
}

fn stats_cells(s: &MetricStats) -> [String; 3] {
    let opt = |x: Option<f64>| x.map_or_else(|| "-".to_string(), |x| significant(x, 4));
    let ci = match (s.ci95_low, s.ci95_high) {
        (Some(lo), Some(hi)) => format!("[{}, {}]", significant(lo, 4), significant(hi, 4)),
        _ => "-".to_string(),
    };
    [opt(s.mean), ci, s.n.to_string()]
}

/// "-0.0123 [-0.0150, -0.0096]", or "-" when undefined.
fn interval(mean: Option<f64>, lo: Option<f64>, hi: Option<f64>) -> String {
    match (mean, lo, hi) {
        (Some(m), Some(lo), Some(hi)) => {
            format!("{} [{}, {}]", significant(m, 3), significant(lo, 3), significant(hi, 3))
        }
        (Some(m), _, _) => significant(m, 3),
        _ => "-".to_string(),
    }
}

/// The registry's unit of `name`, a per-tier metric matched by its pattern.
pub(super) fn unit(name: &str) -> &'static str {
    METRICS
        .iter()
        .find(|m| match m.name.split_once(TIER_PLACEHOLDER) {
            Some((pre, post)) => name.len() > pre.len() + post.len() && name.starts_with(pre) && name.ends_with(post),
            None => m.name == name,
        })
        .map_or("", |m| m.unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_come_from_the_registry_per_tier_metrics_included() {
        assert_eq!(unit("cost_usd_per_session"), "USD/session");
        assert_eq!(unit("ttft_s_p95"), "s");
        let per_tier = METRICS.iter().find(|m| m.name.contains(TIER_PLACEHOLDER)).expect("a per-tier metric");
        assert_eq!(unit(&per_tier.name.replace(TIER_PLACEHOLDER, "1h")), per_tier.unit);
        assert_eq!(unit("no_such_metric"), "");
    }
}
