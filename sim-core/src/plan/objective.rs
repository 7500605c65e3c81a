//! Service-level objectives of `agentsim plan` (`--slo "ttft_s_p95<=3"`):
//! parsing, checking against a scenario's metrics, and the verdict of one
//! evaluated point from a metric's mean and 95% interval.

use super::PlanError;
use crate::catalog::close_matches;
use crate::metrics::{METRICS, MetricStats, ScopeSet, VariantSummary, metric_names};
use serde::Serialize;

/// Which scope of a summary an objective reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Overall,
    Provider(String),
    Workload(String),
}

/// How the metric must compare with the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Le,
    Lt,
    Ge,
    Gt,
}

impl Cmp {
    fn symbol(self) -> &'static str {
        match self {
            Cmp::Le => "<=",
            Cmp::Lt => "<",
            Cmp::Ge => ">=",
            Cmp::Gt => ">",
        }
    }

    fn holds(self, x: f64, threshold: f64) -> bool {
        match self {
            Cmp::Le => x <= threshold,
            Cmp::Lt => x < threshold,
            Cmp::Ge => x >= threshold,
            Cmp::Gt => x > threshold,
        }
    }
}

/// One objective: `[provider:NAME:|workload:NAME:]METRIC OP THRESHOLD`.
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    pub scope: Scope,
    pub metric: String,
    pub cmp: Cmp,
    pub threshold: f64,
}

/// An objective at one point. Only `Met` counts as meeting it: an interval
/// that straddles the threshold (`Uncertain`) or a metric no replicate
/// defined (`Undefined`, e.g. a latency with no answered request) is not
/// evidence that the objective holds, so the search treats both as missed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The whole 95% interval is on the right side of the threshold.
    Met,
    /// The whole 95% interval is on the wrong side.
    Missed,
    /// The interval straddles the threshold, or has fewer than 2 replicates.
    Uncertain,
    /// No replicate defined the metric.
    Undefined,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Missed => "missed",
            Verdict::Uncertain => "uncertain",
            Verdict::Undefined => "undefined",
        }
    }
}

impl Objective {
    /// Parses the syntax; the metric and scope names are checked against a
    /// scenario by [`Objective::check`].
    pub fn parse(text: &str) -> Result<Self, String> {
        let ops = [("<=", Cmp::Le), (">=", Cmp::Ge), ("<", Cmp::Lt), (">", Cmp::Gt)];
        let Some((at, op, cmp)) = ops.iter().find_map(|&(op, cmp)| text.find(op).map(|at| (at, op, cmp))) else {
            return Err("expected METRIC<=X, METRIC>=X, METRIC<X or METRIC>X (e.g. ttft_s_p95<=3)".to_string());
        };
        let (name, value) = (text[..at].trim(), text[at + op.len()..].trim());
        let threshold = value
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("threshold `{}` is not a finite number", crate::echo::clip(value)))?;
        let (scope, metric) = match name.split(':').collect::<Vec<_>>()[..] {
            [m] => (Scope::Overall, m),
            ["provider", p, m] => (Scope::Provider(p.to_string()), m),
            ["workload", w, m] => (Scope::Workload(w.to_string()), m),
            _ => {
                return Err(format!(
                    "`{}` is not METRIC, provider:NAME:METRIC or workload:NAME:METRIC",
                    crate::echo::clip(name)
                ));
            }
        };
        if metric.is_empty() {
            return Err("empty metric name".to_string());
        }
        Ok(Objective { scope, metric: metric.to_string(), cmp, threshold })
    }

    /// Checks the metric exists (with the scenario's cache `tiers`) and is
    /// defined in the objective's scope, and that the scope names a provider
    /// or workload of the scenario; suggests near names.
    pub fn check(&self, tiers: &[String], providers: &[String], workloads: &[String]) -> Result<(), String> {
        let names = metric_names(tiers);
        if !names.contains(&self.metric) {
            return Err(unknown("metric", &self.metric, names.iter().map(String::as_str)));
        }
        match &self.scope {
            Scope::Overall => Ok(()),
            Scope::Provider(p) if !providers.contains(p) => {
                Err(unknown("provider", p, providers.iter().map(String::as_str)))
            }
            Scope::Workload(w) if !workloads.contains(w) => {
                Err(unknown("workload", w, workloads.iter().map(String::as_str)))
            }
            Scope::Workload(_) if provider_only(&self.metric) => {
                Err(format!("`{}` is defined for providers and overall, not per workload", self.metric))
            }
            _ => Ok(()),
        }
    }

    /// The metric as written: `METRIC`, `provider:NAME:METRIC` or `workload:NAME:METRIC`.
    pub fn metric_label(&self) -> String {
        match &self.scope {
            Scope::Overall => self.metric.clone(),
            Scope::Provider(p) => format!("provider:{p}:{}", self.metric),
            Scope::Workload(w) => format!("workload:{w}:{}", self.metric),
        }
    }

    /// The objective as a canonical text (`ttft_s_p95<=3`).
    pub fn label(&self) -> String {
        format!("{}{}{}", self.metric_label(), self.cmp.symbol(), self.threshold)
    }

    /// The objective's statistics in one variant's summary (absent only if
    /// [`Objective::check`] was skipped).
    pub fn stats(&self, v: &VariantSummary) -> Option<MetricStats> {
        let named = |tables: &[(String, crate::metrics::MetricTable)], name: &str| {
            tables.iter().find(|(n, _)| n == name).and_then(|(_, t)| t.get(&self.metric).copied())
        };
        match &self.scope {
            Scope::Overall => v.metrics.get(&self.metric).copied(),
            Scope::Provider(p) => named(&v.by_provider.0, p),
            Scope::Workload(w) => named(&v.by_workload.0, w),
        }
    }

    /// The verdict from the metric's statistics (see [`Verdict`]).
    pub fn verdict(&self, s: &MetricStats) -> Verdict {
        if s.mean.is_none() {
            return Verdict::Undefined;
        }
        let (Some(low), Some(high)) = (s.ci95_low, s.ci95_high) else {
            return Verdict::Uncertain;
        };
        let t = self.threshold;
        if self.cmp.holds(low, t) && self.cmp.holds(high, t) {
            Verdict::Met
        } else if !self.cmp.holds(low, t) && !self.cmp.holds(high, t) {
            Verdict::Missed
        } else {
            Verdict::Uncertain
        }
    }
}

fn provider_only(metric: &str) -> bool {
    METRICS.iter().any(|d| d.name == metric && d.scopes == ScopeSet::ProvidersAndOverall)
}

/// "unknown ... `name`" with the nearest candidates; when none is near,
/// those sharing the name's first word (`queue_wat`: the `queue_` metrics).
fn unknown<'a>(what: &str, name: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> String {
    let mut near = close_matches(name, candidates.clone());
    if near.is_empty()
        && let Some((word, _)) = name.split_once('_')
    {
        near = candidates.into_iter().filter(|c| c.starts_with(&format!("{word}_"))).take(5).collect();
    }
    let mut m = format!("unknown {what} `{}`", crate::echo::clip(name));
    if near.is_empty() {
        if what == "metric" {
            m.push_str(" (docs/outputs.md lists the metrics)");
        }
    } else {
        let near: Vec<String> = near.iter().map(|s| format!("`{s}`")).collect();
        m.push_str(&format!(" (did you mean {}?)", near.join(", ")));
    }
    m
}

/// Parses and checks every `--slo`, reporting every bad one at once.
pub fn parse_objectives(
    texts: &[String],
    tiers: &[String],
    providers: &[String],
    workloads: &[String],
) -> Result<Vec<Objective>, PlanError> {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for text in texts {
        match Objective::parse(text).and_then(|o| o.check(tiers, providers, workloads).map(|()| o)) {
            Ok(o) => out.push(o),
            Err(message) => problems.push(PlanError::flag("--slo", text, message)),
        }
    }
    if texts.is_empty() {
        problems.push(PlanError::flag("--slo", "", "at least one objective is needed".to_string()));
    }
    PlanError::all(problems).map(|()| out)
}

#[cfg(test)]
#[path = "objective_tests.rs"]
mod tests;
