//! Streaming, mergeable metrics: per-scope accumulators inside a replicate,
//! statistics across replicates, and the summary written to `summary.json`.

pub mod distribution;
pub mod fold;
pub mod gauge;
pub mod histogram;
pub mod paired;
pub mod ranking;
pub mod record;
pub mod registry;
pub mod scope;
pub mod start_spread;
pub mod stats;
pub mod summary;
pub mod target;

pub use distribution::{DISTRIBUTIONS, DistributionAccumulator, Distributions, GRID_LEN, grid_values, quantile_grid};
pub use fold::{FoldNames, RunFold};
pub use gauge::{Area, TimeWeighted};
pub use histogram::{CostHistogram, LatencyHistogram};
pub use paired::{DiffAccumulator, DiffStats, DiffSummary, DiffTable, PairedAccumulator};
pub use ranking::{Better, DEFAULT_RANK_METRIC, RankBy, RankEntry, RankError, Ranking, RankingAccumulator};
pub use record::{RecordError, ScopeValues, TaskRecord, VariantRecord};
pub use registry::{METRICS, MetricDef, ScopeSet, TIER_PLACEHOLDER, TableGroup, Value, metric_names, table_metrics};
pub use scope::{
    CostBreakdown, CostTotals, MAX_CACHE_TIERS, RequestOutcome, ScopeMetrics, ServingGauges, TokenCounts, UsdSum,
};
pub use start_spread::{SpreadAccumulator, SpreadRecord, StartCost, StartTimeSpread, hhmm};
pub use stats::{MetricStats, StatsAccumulator};
pub use summary::{MetricTable, ReplicateMetrics, SCHEMA_VERSION, Summary, VariantAccumulator, VariantSummary};
pub use target::{DEFAULT_TARGET_METRIC, TargetCi};
