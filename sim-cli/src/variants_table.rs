//! The side-by-side table of variants printed after a run with variants: each
//! main metric's mean per variant, and each variant's paired difference from
//! the baseline as a percentage with its 95% interval, then each variant's
//! probability of being best by the `--rank-by` metric (see docs/outputs.md).

use crate::report_table::human;
use sim_core::metrics::{Better, DiffStats, Ranking, Summary, TableGroup, VariantSummary, table_metrics};

/// Lines of the table (none without variants), each indented by two spaces.
pub fn lines(summary: &Summary) -> Vec<String> {
    let Some((base, variants)) = summary.variants.split_first() else { return Vec::new() };
    if variants.is_empty() {
        return Vec::new();
    }
    let header = std::iter::once("metric".to_string())
        .chain(std::iter::once(base.name.clone()))
        .chain(variants.iter().flat_map(|v| [v.name.clone(), "vs baseline [95% CI]".to_string()]));
    let mut rows: Vec<Vec<String>> = vec![header.collect()];
    for metric in table_metrics(TableGroup::Main) {
        let Some(b) = base.metrics.get(metric) else { continue };
        let mut row = vec![metric.to_string(), mean(b.mean)];
        for v in variants {
            row.push(mean(v.metrics.get(metric).and_then(|s| s.mean)));
            row.push(diff(v, metric));
        }
        rows.push(row);
    }
    let left: Vec<bool> = std::iter::once(true)
        .chain(std::iter::once(false))
        .chain(variants.iter().flat_map(|_| [false, true]))
        .collect();
    let mut out = vec!["variants (paired difference from the baseline, same replicates):".to_string()];
    out.extend(crate::columns::align(&rows, &left).into_iter().map(|l| format!("  {l}")));
    out.extend(summary.ranking.as_ref().map(|r| ranking_line(r, summary.replicates)));
    out
}

/// `P(best) by METRIC: baseline 0.20, ttl-1h 0.80`, saying how many
/// replicates counted when some left the metric undefined.
fn ranking_line(r: &Ranking, replicates: u32) -> String {
    let higher = if r.better == Better::Higher { " (higher is better)" } else { "" };
    let head = format!("P(best) by {}{higher}:", r.metric);
    if r.replicates == 0 {
        return format!("{head} undefined in every replicate");
    }
    let cells: Vec<String> = r
        .variants
        .iter()
        .map(|v| format!("{} {}", v.name, v.p_best.map_or("-".into(), |p| format!("{p:.2}"))))
        .collect();
    let used = if r.replicates < replicates {
        format!(" ({} of {replicates} replicates defined it for every variant)", r.replicates)
    } else {
        String::new()
    };
    format!("{head} {}{used}", cells.join(", "))
}

fn mean(m: Option<f64>) -> String {
    m.map_or_else(|| "-".to_string(), human)
}

/// The relative difference in percent with its interval; the absolute one
/// when the baseline mean is 0 (no ratio).
fn diff(v: &VariantSummary, metric: &str) -> String {
    diff_cell(&v.diff_vs_baseline.as_ref().and_then(|d| d.metrics.get(metric)).copied().unwrap_or_default())
}

/// A paired difference as [`diff`] shows it.
pub fn diff_cell(d: &DiffStats) -> String {
    let DiffStats { mean, ci95_low, ci95_high, rel, rel_ci95_low, rel_ci95_high, .. } = *d;
    let pct = |x: f64| format!("{:+.1}%", 100.0 * x);
    let interval = |lo: Option<f64>, hi: Option<f64>, f: &dyn Fn(f64) -> String| match (lo, hi) {
        (Some(lo), Some(hi)) => format!(" [{}, {}]", f(lo), f(hi)),
        _ => String::new(),
    };
    match (rel, mean) {
        (Some(r), _) => {
            format!("{}{}", pct(r), interval(rel_ci95_low, rel_ci95_high, &|x| format!("{:.1}", 100.0 * x)))
        }
        (None, Some(m)) => format!("{}{}", signed(m), interval(ci95_low, ci95_high, &human)),
        (None, None) => "-".to_string(),
    }
}

fn signed(x: f64) -> String {
    if x > 0.0 { format!("+{}", human(x)) } else { human(x) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::metrics::{DiffAccumulator, RankEntry, ReplicateMetrics, ScopeMetrics, VariantRecord};

    fn rep(i: u32, output_cost: f64) -> ReplicateMetrics {
        let mut overall = ScopeMetrics::default();
        overall.sessions_started = 2;
        overall.cost.output.add(output_cost);
        ReplicateMetrics { replicate: i, overall, ..ReplicateMetrics::default() }
    }

    #[test]
    fn variants_are_side_by_side_with_their_paired_difference() {
        // Baseline 10, 20 per replicate; variant 8, 15: differences -2, -5.
        let base = [rep(0, 10.0), rep(1, 20.0)];
        let cheap = [rep(0, 8.0), rep(1, 15.0)];
        let mut acc = DiffAccumulator::new(&[], &[], &[], &[]);
        for (b, v) in base.iter().zip(&cheap) {
            acc.push(&VariantRecord::of(b, 0), &VariantRecord::of(v, 0));
        }
        let mut variant = VariantSummary::from_replicates("cheap", &[], &[], &[], &cheap);
        variant.diff_vs_baseline = Some(acc.finish());
        let summary = Summary {
            schema_version: 2,
            scenario: "v".into(),
            seed: 1,
            replicates: 2,
            variants: vec![VariantSummary::from_replicates("baseline", &[], &[], &[], &base), variant],
            ranking: None,
            target_ci: None,
        };
        let lines = lines(&summary);
        assert_eq!(lines[0], "variants (paired difference from the baseline, same replicates):");
        let header: Vec<&str> = lines[1].split("  ").filter(|c| !c.is_empty()).map(str::trim).collect();
        assert_eq!(header, ["metric", "baseline", "cheap", "vs baseline [95% CI]"]);
        // Per session (2 sessions): baseline 5, 10 (mean 7.5), variant 4, 7.5
        // (mean 5.75); d = -1, -2.5, R = -1.75 / 7.5 = -23.3%. Residuals
        // d - R b = +1/6, -1/6: variance 1/18; Var(R) = (1/18) / (2 * 7.5^2)
        // = 1/2025, half-width 12.706 / 45 = 0.2824, so [-51.6, 4.9] percent.
        let row = lines.iter().find(|l| l.trim_start().starts_with("cost_usd_per_session")).unwrap();
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells, ["cost_usd_per_session", "7.5", "5.75", "-23.3%", "[-51.6,", "4.9]"], "{row}");
        // No variant, no table.
        let alone = Summary { variants: summary.variants[..1].to_vec(), ..summary };
        assert!(super::lines(&alone).is_empty());
    }

    fn ranking(better: Better, replicates: u32, p: [Option<f64>; 2]) -> Ranking {
        let variants =
            ["baseline", "ttl-1h"].iter().zip(p).map(|(n, p_best)| RankEntry { name: n.to_string(), p_best });
        Ranking { metric: "cost_usd_per_session".into(), better, replicates, variants: variants.collect() }
    }

    #[test]
    fn ranking_line_names_each_variants_probability() {
        let r = ranking(Better::Lower, 10, [Some(0.0), Some(1.0)]);
        assert_eq!(ranking_line(&r, 10), "P(best) by cost_usd_per_session: baseline 0.00, ttl-1h 1.00");
        let r = ranking(Better::Higher, 3, [Some(1.0 / 3.0), Some(2.0 / 3.0)]);
        assert_eq!(
            ranking_line(&r, 4),
            "P(best) by cost_usd_per_session (higher is better): baseline 0.33, ttl-1h 0.67 \
             (3 of 4 replicates defined it for every variant)"
        );
        let r = ranking(Better::Lower, 0, [None, None]);
        assert_eq!(ranking_line(&r, 4), "P(best) by cost_usd_per_session: undefined in every replicate");
    }
}
