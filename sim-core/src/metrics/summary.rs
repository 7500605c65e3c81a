//! The run summary: every metric of every scope summarised across replicates,
//! in the exact shape of `summary.json` (see docs/outputs.md).

use super::distribution::{DistributionAccumulator, Distributions};
use super::paired::DiffSummary;
use super::ranking::Ranking;
use super::record::{ScopeValues, VariantRecord};
use super::registry::metric_names;
use super::scope::ScopeMetrics;
use super::start_spread::{SpreadAccumulator, SpreadRecord, StartTimeSpread};
use super::stats::{MetricStats, StatsAccumulator};
use super::target::TargetCi;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::marker::PhantomData;

/// Bumped whenever a metric or field is renamed or changes meaning.
/// 2: variants other than the baseline carry `diff_vs_baseline`.
pub const SCHEMA_VERSION: u32 = 2;

/// Per-replicate metrics of one variant, ready to summarise.
#[derive(Clone, Debug, Default)]
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
    /// The overall cost at other start times (`model::start_spread`), when
    /// a provider bills by time of day.
    pub start_spread: Option<SpreadRecord>,
}

/// Metric name -> statistics, serialised as a JSON object in `metric_names` order.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricTable(pub Vec<(String, MetricStats)>);

impl MetricTable {
    pub fn get(&self, name: &str) -> Option<&MetricStats> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }
}

/// Serialises name-value pairs as a JSON object, keeping their order.
pub(crate) fn ordered_map<S: Serializer, V: Serialize>(s: S, pairs: &[(String, V)]) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

/// Reads a JSON object into name-value pairs in the order written, so a
/// table read back from `summary.json` serialises to the same bytes.
pub(crate) fn ordered_pairs<'de, D: Deserializer<'de>, V: Deserialize<'de>>(
    d: D,
) -> Result<Vec<(String, V)>, D::Error> {
    struct Pairs<V>(PhantomData<V>);
    impl<'de, V: Deserialize<'de>> Visitor<'de> for Pairs<V> {
        type Value = Vec<(String, V)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0));
            while let Some(pair) = map.next_entry()? {
                pairs.push(pair);
            }
            Ok(pairs)
        }
    }
    d.deserialize_map(Pairs(PhantomData))
}

impl Serialize for MetricTable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ordered_map(s, &self.0)
    }
}

impl<'de> Deserialize<'de> for MetricTable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ordered_pairs(d).map(Self)
    }
}

/// Named metric tables (per provider or per workload) in scenario order.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedTables(pub Vec<(String, MetricTable)>);

impl Serialize for NamedTables {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ordered_map(s, &self.0)
    }
}

impl<'de> Deserialize<'de> for NamedTables {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ordered_pairs(d).map(Self)
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VariantSummary {
    pub name: String,
    pub metrics: MetricTable,
    pub by_provider: NamedTables,
    pub by_workload: NamedTables,
    /// Paired differences from the baseline; absent for the baseline itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff_vs_baseline: Option<DiffSummary>,
    /// The overall scope's folded quantile grids, for `distributions.csv`;
    /// not part of summary.json (empty when read back from it).
    #[serde(skip)]
    pub distributions: Distributions,
    /// The cost had the run started at other times of day, when a provider
    /// bills by time of day. An added optional field: schema 2 readers may ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time_spread: Option<StartTimeSpread>,
}

/// The content of `summary.json`. Reading it back ignores fields it does not
/// hold (a sweep's `sweep`), so any run's summary.json reads as its point 0.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    pub schema_version: u32,
    pub scenario: String,
    pub seed: u64,
    pub replicates: u32,
    pub variants: Vec<VariantSummary>,
    /// Each variant's probability of being best by one metric; only with
    /// variants. An added optional field: schema 2 readers may ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranking: Option<Ranking>,
    /// With `--target-ci` only: the precision asked for and whether it was
    /// reached. An added optional field: schema 2 readers may ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_ci: Option<TargetCi>,
}

/// One scope's statistics being accumulated over replicates.
#[derive(Clone, Debug)]
struct ScopeAccumulator(Vec<StatsAccumulator>);

impl ScopeAccumulator {
    fn new(n_metrics: usize) -> Self {
        ScopeAccumulator(vec![StatsAccumulator::default(); n_metrics])
    }

    fn push(&mut self, scope: &ScopeValues) {
        for (acc, v) in self.0.iter_mut().zip(&scope.0) {
            acc.push(*v);
        }
    }

    fn finish(&self, names: &[String]) -> MetricTable {
        MetricTable(names.iter().zip(&self.0).map(|(n, a)| (n.clone(), a.finish())).collect())
    }
}

/// A variant's summary accumulated replicate by replicate, in replicate
/// order: memory depends on the scenario's scopes and metrics, never on the
/// number of replicates.
#[derive(Clone, Debug)]
pub struct VariantAccumulator {
    name: String,
    metric_names: Vec<String>,
    n_tiers: usize,
    overall: ScopeAccumulator,
    by_provider: Vec<(String, ScopeAccumulator)>,
    by_workload: Vec<(String, ScopeAccumulator)>,
    grids: DistributionAccumulator,
    spread: Option<SpreadAccumulator>,
}

impl VariantAccumulator {
    pub fn new(name: &str, provider_names: &[String], workload_names: &[String], tier_names: &[String]) -> Self {
        let metric_names = metric_names(tier_names);
        let scopes =
            |names: &[String]| names.iter().map(|n| (n.clone(), ScopeAccumulator::new(metric_names.len()))).collect();
        VariantAccumulator {
            name: name.to_string(),
            n_tiers: tier_names.len(),
            overall: ScopeAccumulator::new(metric_names.len()),
            by_provider: scopes(provider_names),
            by_workload: scopes(workload_names),
            metric_names,
            grids: DistributionAccumulator::default(),
            spread: None,
        }
    }

    /// Adds the next replicate (callers push in replicate order).
    pub fn push(&mut self, r: &VariantRecord) {
        self.overall.push(&r.overall);
        for ((_, acc), s) in self.by_provider.iter_mut().zip(&r.by_provider) {
            acc.push(s);
        }
        for ((_, acc), s) in self.by_workload.iter_mut().zip(&r.by_workload) {
            acc.push(s);
        }
        self.grids.push(&r.grids);
        if let Some(s) = &r.start_spread {
            self.spread.get_or_insert_with(|| SpreadAccumulator::new(s)).push(s);
        }
    }

    /// The cache tier count of this variant (which its records' values follow).
    pub fn n_tiers(&self) -> usize {
        self.n_tiers
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The overall statistics of one metric so far, if the variant has it.
    pub fn overall_stats(&self, metric: &str) -> Option<MetricStats> {
        let i = self.metric_names.iter().position(|m| m == metric)?;
        Some(self.overall.0[i].finish())
    }

    pub fn finish(&self) -> VariantSummary {
        let tables = |scopes: &[(String, ScopeAccumulator)]| {
            NamedTables(scopes.iter().map(|(n, acc)| (n.clone(), acc.finish(&self.metric_names))).collect())
        };
        VariantSummary {
            name: self.name.clone(),
            metrics: self.overall.finish(&self.metric_names),
            by_provider: tables(&self.by_provider),
            by_workload: tables(&self.by_workload),
            diff_vs_baseline: None,
            distributions: self.grids.finish(),
            start_time_spread: self.spread.as_ref().map(SpreadAccumulator::finish),
        }
    }
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
        let mut acc = VariantAccumulator::new(name, provider_names, workload_names, tier_names);
        for r in reps {
            acc.push(&VariantRecord::of(r, tier_names.len()));
        }
        acc.finish()
    }
}
