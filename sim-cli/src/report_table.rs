//! The short human-readable table printed after a run: the main overall
//! metrics as `mean [ci95_low, ci95_high]` across replicates.

use sim_core::metrics::{MetricStats, Summary, TableGroup, table_metrics};
use std::fmt::Write as _;

// Which metrics the table shows, and in which rows, is declared with each
// metric in sim-core's registry (`TableGroup`): the main rows always; the
// replicas rows (hourly bill, decode speed, throughput, how busy, preemptions,
// KV peak) when some provider is self-hosted (`kv_util_peak` defined); the
// admission rows (429s, retries, timeouts, error rate, SLO attainment) when
// one happened in some replicate; every metric is in summary.json and summary.csv.

/// With several providers the overall rows add up every provider: a total
/// of one system when the providers serve its different parts, but only a sum
/// of alternatives when each serves its own copy of a workload (a provider
/// comparison). Which one the table cannot tell, so the rows say what they
/// are and the per-provider table follows (docs/outputs.md, "The run table").
pub const ALL_PROVIDERS: &str = "all providers together (a sum over providers; each provider side by side below):";

/// The table of the baseline, overall scope, then, with variants, the
/// variants side by side (`variants_table`).
pub fn render(summary: &Summary) -> String {
    let mut out = String::new();
    let reps = summary.replicates;
    let _ = writeln!(
        out,
        "{}: {reps} replicate{}, seed {}; mean [95% CI] over replicates",
        summary.scenario,
        if reps == 1 { "" } else { "s" },
        summary.seed
    );
    for v in summary.variants.iter().take(1) {
        let self_hosted = v.metrics.get("kv_util_peak").is_some_and(|s| s.mean.is_some());
        let extra = if self_hosted { table_metrics(TableGroup::Replicas) } else { Vec::new() };
        // Attainment is defined only with objectives; the counts only matter when not 0.
        let happened =
            |name: &str| v.metrics.get(name).and_then(|s| s.mean).is_some_and(|m| m != 0.0 || name == "slo_attainment");
        let admission: Vec<&str> = table_metrics(TableGroup::Admission).into_iter().filter(|n| happened(n)).collect();
        let rows: Vec<(&str, String, String)> = table_metrics(TableGroup::Main)
            .iter()
            .chain(&extra)
            .chain(&admission)
            .filter_map(|&name| v.metrics.get(name).map(|s| (name, mean_cell(s), interval_cell(s))))
            .collect();
        let several = v.by_provider.0.len() > 1;
        if several {
            let _ = writeln!(out, "{ALL_PROVIDERS}");
        }
        let name_w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let mean_w = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
        for (name, mean, interval) in rows {
            let line = format!("  {name:<name_w$}  {mean:>mean_w$} {interval}");
            let _ = writeln!(out, "{}", line.trim_end());
        }
        if several {
            render_comparison(&mut out, &v.by_provider.0);
        }
    }
    for line in crate::variants_table::lines(summary) {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// A side-by-side table of the providers (mean [95% CI]) on the metrics that
/// tell them apart, so a comparison scenario answers its question on the terminal.
fn render_comparison(out: &mut String, providers: &[(String, sim_core::metrics::MetricTable)]) {
    let metrics = table_metrics(TableGroup::Comparison);
    let cell = |t: &sim_core::metrics::MetricTable, m: &str| t.get(m).map_or_else(|| "-".to_string(), stats_cell);
    let mut rows: Vec<Vec<String>> =
        vec![std::iter::once("provider".to_string()).chain(metrics.iter().map(|m| m.to_string())).collect()];
    rows.extend(
        providers
            .iter()
            .map(|(name, t)| std::iter::once(name.clone()).chain(metrics.iter().map(|m| cell(t, m))).collect()),
    );
    let _ = writeln!(out, "by provider:");
    for line in crate::columns::align(&rows, &vec![true; 1 + metrics.len()]) {
        let _ = writeln!(out, "  {line}");
    }
}

/// `mean [lo, hi]`, or the mean alone without an interval; `-` when undefined.
pub fn stats_cell(s: &MetricStats) -> String {
    format!("{} {}", mean_cell(s), interval_cell(s)).trim_end().to_string()
}

pub fn mean_cell(s: &MetricStats) -> String {
    s.mean.map_or_else(|| "-".to_string(), human)
}

/// Empty when there is no interval (fewer than two replicates defined it).
pub fn interval_cell(s: &MetricStats) -> String {
    match (s.ci95_low, s.ci95_high) {
        (Some(lo), Some(hi)) => format!("[{}, {}]", human(lo), human(hi)),
        _ => String::new(),
    }
}

/// Four significant digits, trailing zeros dropped, without exponents in everyday ranges: a table to
/// read, not to parse (the files keep full precision).
pub fn human(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-4..9).contains(&magnitude) {
        return format!("{x:.3e}");
    }
    let decimals = (3 - magnitude).max(0) as usize;
    let s = format!("{x:.decimals$}");
    // Trailing zeros would suggest a precision the table does not claim.
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { &s };
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::metrics::{ReplicateMetrics, ScopeMetrics, VariantSummary};

    /// Rows of the main table (the registry's own test pins which they are).
    fn main_rows() -> usize {
        table_metrics(TableGroup::Main).len()
    }

    #[test]
    fn human_numbers() {
        assert_eq!(human(1234.0), "1234");
        assert_eq!(human(12_345.6), "12346");
        assert_eq!(human(0.012_345_6), "0.01235");
        assert_eq!(human(2.5), "2.5");
        assert_eq!(human(0.000_25), "0.00025");
        assert_eq!(human(-3.25), "-3.25");
        assert_eq!(human(0.0), "0");
        assert_eq!(human(1.5e-7), "1.500e-7");
        assert_eq!(human(3.2e12), "3.200e12");
    }

    /// Replicate `i` with these overall and per-provider scopes.
    fn replicate(i: u32, overall: ScopeMetrics, by_provider: Vec<ScopeMetrics>, sim_end_s: f64) -> ReplicateMetrics {
        ReplicateMetrics { replicate: i, overall, by_provider, sim_end_s, ..ReplicateMetrics::default() }
    }

    /// The run table of a baseline-only run of `reps`.
    fn table_of(scenario: &str, seed: u64, providers: &[String], reps: &[ReplicateMetrics]) -> String {
        render(&Summary {
            schema_version: 1,
            scenario: scenario.into(),
            seed,
            replicates: reps.len() as u32,
            variants: vec![VariantSummary::from_replicates("baseline", providers, &[], &[], reps)],
            ranking: None,
            target_ci: None,
        })
    }

    #[test]
    fn table_is_aligned_with_intervals() {
        let rep = |i: u32, requests: u64| {
            let mut overall = ScopeMetrics::default();
            overall.sessions_started = 1;
            overall.requests = requests;
            replicate(i, overall, vec![], 0.0)
        };
        let text = table_of("demo", 7, &[], &[rep(0, 10), rep(1, 12)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "demo: 2 replicates, seed 7; mean [95% CI] over replicates");
        assert_eq!(lines.len(), 1 + main_rows());
        assert_eq!(lines[1], "  requests                11 [-1.706, 23.71]");
        assert_eq!(lines[2], "  cost_usd                 0 [0, 0]");
        assert_eq!(lines[7], "  cache_hit_rate           -");
    }

    #[test]
    fn a_self_hosted_provider_adds_its_rows() {
        use sim_core::metrics::{Area, ServingGauges};
        let mut overall = ScopeMetrics::default();
        overall.sessions_started = 1;
        overall.requests = 4;
        overall.cost.compute.add(2.5);
        // 3 of 4 replicas busy for the 10 s observed: utilization 0.75.
        overall.serving = Some(ServingGauges {
            busy: Area { level_s: 30.0, peak: 4 },
            capacity_s: 40.0,
            preemptions: 7,
            kv_util_peak: Some(0.5),
            ..ServingGauges::default()
        });
        let text = table_of("fleet", 1, &[], &[replicate(0, overall, vec![], 10.0)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + main_rows() + table_metrics(TableGroup::Replicas).len());
        let tail = &lines[1 + main_rows()..];
        assert_eq!(tail[0].split_whitespace().collect::<Vec<_>>(), ["cost_usd_compute", "2.5"]);
        assert_eq!(tail[3].split_whitespace().collect::<Vec<_>>(), ["utilization", "0.75"]);
        assert_eq!(tail[4].split_whitespace().collect::<Vec<_>>(), ["preemptions", "7"]);
        assert_eq!(tail[5].split_whitespace().collect::<Vec<_>>(), ["kv_util_peak", "0.5"]);
    }

    #[test]
    fn admission_rows_appear_only_when_something_happened() {
        let rep = |i: u32, limited: u64| {
            let mut overall = ScopeMetrics::default();
            overall.sessions_started = 1;
            overall.rate_limited = limited;
            overall.retries = limited;
            replicate(i, overall, vec![], 1.0)
        };
        let table = |reps: &[ReplicateMetrics]| table_of("limits", 1, &[], reps);
        let quiet = table(&[rep(0, 0), rep(1, 0)]);
        assert_eq!(quiet.lines().count(), 1 + main_rows(), "{quiet}");
        let busy = table(&[rep(0, 3), rep(1, 5)]);
        let tail: Vec<Vec<&str>> = busy.lines().skip(1 + main_rows()).map(|l| l.split_whitespace().collect()).collect();
        assert_eq!(tail.iter().map(|r| r[0]).collect::<Vec<_>>(), ["rate_limited", "retries"], "{busy}");
        assert_eq!(tail[0][1], "4");
    }

    #[test]
    fn several_providers_get_a_comparison_table() {
        let rep = |i: u32| {
            let mut a = ScopeMetrics::default();
            a.sessions_started = 2;
            a.cost.output.add(1.0 + f64::from(i));
            let mut b = ScopeMetrics::default();
            b.sessions_started = 2;
            b.cost.output.add(3.0);
            replicate(i, a.clone(), vec![a, b], 0.0)
        };
        let text = table_of("cmp", 1, &["a".into(), "bb".into()], &[rep(0), rep(1)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], ALL_PROVIDERS, "the overall rows say they add up the providers");
        let tail = &lines[2 + main_rows()..];
        assert_eq!(tail[0], "by provider:");
        let header: Vec<&str> = tail[1].split_whitespace().collect();
        assert_eq!(
            header,
            [
                "provider",
                "cost_usd_per_session",
                "cost_usd",
                "cache_hit_rate",
                "blended_usd_per_mtok",
                "ttft_s_p50",
                "ttft_s_p95"
            ]
        );
        // Per session (2 sessions): a 0.5, 1 (mean 0.75), bb 1.5; totals a 1, 2, bb 3.
        assert!(tail[2].starts_with("  a         0.75 [-2.427, 3.927]  1.5 [-4.853, 7.853]  -"), "{}", tail[2]);
        assert!(tail[3].starts_with("  bb        1.5 [1.5, 1.5]        3 [3, 3]             -"), "{}", tail[3]);
        // One provider: no label, no provider table.
        let alone = table_of("one", 1, &["a".into()], &[rep(0), rep(1)]);
        assert!(!alone.contains(ALL_PROVIDERS) && !alone.contains("by provider:"), "{alone}");
    }
}
