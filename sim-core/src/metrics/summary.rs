//! The run summary: every metric of every scope summarised across replicates,
//! in the exact shape of `summary.json` (see docs/outputs.md).

use super::scope::{ScopeMetrics, metric_names};
use super::stats::MetricStats;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// Bumped whenever a metric or field is renamed or changes meaning.
pub const SCHEMA_VERSION: u32 = 1;

/// Per-replicate metrics of one variant, ready to summarise.
#[derive(Clone, Debug)]
pub struct ReplicateMetrics {
    pub replicate: u32,
    pub overall: ScopeMetrics,
    /// In scenario order of providers.
    pub by_provider: Vec<ScopeMetrics>,
    /// In scenario order of workloads.
    pub by_workload: Vec<ScopeMetrics>,
    /// Events the engine processed in this replicate.
    pub events: u64,
    /// Simulated time at which the replicate ended, seconds.
    pub sim_end_s: f64,
}

/// Metric name -> statistics, serialised as a JSON object in `metric_names` order.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricTable(pub Vec<(String, MetricStats)>);

impl MetricTable {
    pub fn get(&self, name: &str) -> Option<&MetricStats> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    fn from_scopes<'a>(names: &[String], scopes: impl Iterator<Item = &'a ScopeMetrics>) -> Self {
        let n_tiers = names.len() - metric_names(&[]).len();
        let per_rep: Vec<_> = scopes.map(|s| s.values(n_tiers)).collect();
        MetricTable(
            names
                .iter()
                .enumerate()
                .map(|(i, name)| (name.clone(), MetricStats::from_values(per_rep.iter().map(|v| v[i]))))
                .collect(),
        )
    }
}

impl Serialize for MetricTable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Named metric tables (per provider or per workload) in scenario order.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedTables(pub Vec<(String, MetricTable)>);

impl Serialize for NamedTables {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct VariantSummary {
    pub name: String,
    pub metrics: MetricTable,
    pub by_provider: NamedTables,
    pub by_workload: NamedTables,
}

/// The content of `summary.json`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Summary {
    pub schema_version: u32,
    pub scenario: String,
    pub seed: u64,
    pub replicates: u32,
    pub variants: Vec<VariantSummary>,
}

impl VariantSummary {
    /// Summarises replicates (already in replicate order) of one variant.
    pub fn from_replicates(
        name: &str,
        provider_names: &[String],
        workload_names: &[String],
        tier_names: &[String],
        reps: &[ReplicateMetrics],
    ) -> Self {
        let metrics = metric_names(tier_names);
        let tables = |names: &[String], pick: fn(&ReplicateMetrics, usize) -> &ScopeMetrics| {
            NamedTables(
                names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.clone(), MetricTable::from_scopes(&metrics, reps.iter().map(move |r| pick(r, i)))))
                    .collect(),
            )
        };
        VariantSummary {
            name: name.to_string(),
            metrics: MetricTable::from_scopes(&metrics, reps.iter().map(|r| &r.overall)),
            by_provider: tables(provider_names, |r, i| &r.by_provider[i]),
            by_workload: tables(workload_names, |r, i| &r.by_workload[i]),
        }
    }
}
