//! What the comparison charts compare: the run's variants (baseline first),
//! or, in a run of one variant over several providers, its providers. Each
//! subject keeps one colour in every chart, and the finding in a chart's
//! title is worded here once for all of them.

use crate::data::RunData;
use crate::error::Result;
use crate::style::significant;
use sim_core::metrics::{DiffTable, MetricStats, MetricTable};

/// Whether the subjects are variants or providers (axis and legend wording).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Variants,
    Providers,
}

impl Kind {
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Variants => "variant",
            Kind::Providers => "provider",
        }
    }
}

/// One variant or provider as the charts see it.
#[derive(Clone, Debug)]
pub struct Subject<'a> {
    pub name: &'a str,
    /// Its index among the run's variants or providers: its colour.
    pub index: usize,
    /// Its statistics in summary.json.
    pub metrics: &'a MetricTable,
    /// Its paired difference from the baseline (variants other than it only).
    pub diff: Option<&'a DiffTable>,
    /// Its rows in replicates.csv: (variant, scope).
    pub variant: &'a str,
    pub scope: String,
}

/// The run's subjects: per provider when the run has one variant and
/// several providers (a provider comparison), else per variant.
pub fn subjects(run: &RunData) -> (Kind, Vec<Subject<'_>>) {
    let variants = &run.summary.variants;
    match variants.as_slice() {
        [only] if only.by_provider.0.len() > 1 => {
            let subjects = only
                .by_provider
                .0
                .iter()
                .enumerate()
                .map(|(index, (name, metrics))| Subject {
                    name,
                    index,
                    metrics,
                    diff: None,
                    variant: &only.name,
                    scope: format!("provider:{name}"),
                })
                .collect();
            (Kind::Providers, subjects)
        }
        _ => (Kind::Variants, variant_subjects(run)),
    }
}

/// The run's variants as subjects (baseline first), whatever its providers:
/// for what only the whole run has per variant (distributions.csv).
pub fn variant_subjects(run: &RunData) -> Vec<Subject<'_>> {
    run.summary
        .variants
        .iter()
        .enumerate()
        .map(|(index, v)| Subject {
            name: &v.name,
            index,
            metrics: &v.metrics,
            diff: v.diff_vs_baseline.as_ref().map(|d| &d.metrics),
            variant: &v.name,
            scope: "all".to_string(),
        })
        .collect()
}

impl Subject<'_> {
    pub fn stats(&self, metric: &str) -> Option<&MetricStats> {
        self.metrics.get(metric)
    }

    /// The subject's values of `metric` in replicates.csv, in replicate
    /// order (of a sweep, the run's point's: 0, as summary.json's top level,
    /// unless seen through [`RunData::at_point`]).
    pub fn replicate_values(&self, run: &RunData, metric: &str) -> Result<Vec<f64>> {
        let Some(t) = &run.replicates else { return Ok(Vec::new()) };
        let (variant, scope, value) = (t.column("variant")?, t.column("scope")?, t.column(metric)?);
        let mut values = Vec::new();
        for row in &t.rows {
            if run.at_this_point(t, row) && t.text(row, variant) == self.variant && t.text(row, scope) == self.scope {
                values.extend(t.number(row, value)?);
            }
        }
        Ok(values)
    }
}

/// A title stating which subject is lowest in `metric` (`what`, e.g. "cost
/// per session") and by how much, with the 95% interval from summary.json:
/// against the baseline as a paired relative difference when the subjects
/// are variants, else the lowest subject's own mean and interval.
pub fn lowest_finding(kind: Kind, subjects: &[Subject], metric: &str, what: &str, unit: &str) -> String {
    let mean = |s: &Subject| s.stats(metric).and_then(|m| m.mean);
    let Some(best) = subjects
        .iter()
        .filter(|s| mean(s).is_some())
        .min_by(|a, b| mean(a).partial_cmp(&mean(b)).unwrap_or(std::cmp::Ordering::Equal))
    else {
        return format!("{what}: no replicate defined it");
    };
    let own = || with_interval(best.stats(metric), unit);
    match (kind, best.diff.and_then(|d| d.get(metric))) {
        (Kind::Variants, Some(d)) => match (d.rel, d.rel_ci95_low, d.rel_ci95_high) {
            (Some(rel), Some(lo), Some(hi)) => {
                format!("{} cuts {what} {}% [{}, {}] vs {}", best.name, pct(-rel), pct(-hi), pct(-lo), subjects[0].name)
            }
            _ => format!("{} has the lowest {what}: {}", best.name, own()),
        },
        (Kind::Variants, None) if subjects.len() > 1 => {
            format!("{} has the lowest {what}: {}; no variant does better", best.name, own())
        }
        _ if subjects.len() == 1 => format!("{what}: {}", own()),
        _ => format!("{} has the lowest {what}: {}", best.name, own()),
    }
}

/// "12.3 USD [11.9, 12.7]" from a metric's mean and 95% interval.
pub fn with_interval(stats: Option<&MetricStats>, unit: &str) -> String {
    let Some(s) = stats else { return "undefined".to_string() };
    match (s.mean, s.ci95_low, s.ci95_high) {
        (Some(m), Some(lo), Some(hi)) => {
            format!("{} {unit} [{}, {}]", significant(m, 3), significant(lo, 3), significant(hi, 3))
        }
        (Some(m), _, _) => format!("{} {unit} (one replicate, no interval)", significant(m, 3)),
        _ => "undefined".to_string(),
    }
}

/// A fraction as a whole percentage ("23"), or with one decimal under 10%.
fn pct(fraction: f64) -> String {
    let p = fraction * 100.0;
    if p.abs() < 10.0 { format!("{p:.1}") } else { format!("{p:.0}") }
}
