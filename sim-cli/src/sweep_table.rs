//! The table printed after a sweep: one row per point and variant, the swept
//! values then the main metrics as `mean [ci95_low, ci95_high]`; every metric
//! and the paired differences are in sweep.csv and summary.json.

use crate::report_table::stats_cell;
use crate::sweep_labels::SweepLabels;
use sim_core::metrics::Summary;
use sim_core::scenario::value_label;
use std::fmt::Write as _;

/// The metrics the sweep table shows, in order.
const SWEEP_TABLE_METRICS: [&str; 4] = ["cost_usd_per_session", "cache_hit_rate", "ttft_s_p95", "e2e_s_p95"];

/// The table; `summaries` are the points' summaries in grid order.
pub fn render(sweep: &SweepLabels, summaries: &[&Summary]) -> String {
    let mut out = String::new();
    let Some(first) = summaries.first() else { return out };
    let reps = first.replicates;
    let _ = writeln!(
        out,
        "{}: {} sweep points x {reps} replicate{}, seed {}; mean [95% CI] over replicates",
        first.scenario,
        sweep.points.len(),
        if reps == 1 { "" } else { "s" },
        first.seed
    );
    let with_variants = first.variants.len() > 1;
    let header = std::iter::once("point".to_string())
        .chain(sweep.parameters.iter().cloned())
        .chain(with_variants.then(|| "variant".to_string()))
        .chain(SWEEP_TABLE_METRICS.iter().map(|m| m.to_string()));
    let mut rows: Vec<Vec<String>> = vec![header.collect()];
    for (point, (p, s)) in sweep.points.iter().zip(summaries).enumerate() {
        for v in &s.variants {
            let row = std::iter::once(point.to_string())
                .chain(p.iter().map(value_label))
                .chain(with_variants.then(|| v.name.clone()))
                .chain(SWEEP_TABLE_METRICS.iter().map(|m| v.metrics.get(m).map_or("-".to_string(), stats_cell)));
            rows.push(row.collect());
        }
    }
    let lead = 1 + sweep.parameters.len() + usize::from(with_variants);
    let left: Vec<bool> = (0..lead + SWEEP_TABLE_METRICS.len()).map(|c| c > 0 && c < lead).collect();
    for line in crate::columns::align(&rows, &left) {
        let _ = writeln!(out, "  {line}");
    }
    out
}
