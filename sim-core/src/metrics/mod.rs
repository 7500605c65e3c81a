//! Streaming, mergeable metrics: per-scope accumulators inside a replicate,
//! statistics across replicates, and the summary written to `summary.json`.

pub mod histogram;
pub mod scope;
pub mod stats;
pub mod summary;

pub use histogram::LatencyHistogram;
pub use scope::{CostBreakdown, METRIC_NAMES, RequestOutcome, ScopeMetrics, TokenCounts};
pub use stats::MetricStats;
pub use summary::{MetricTable, ReplicateMetrics, SCHEMA_VERSION, Summary, VariantSummary};
