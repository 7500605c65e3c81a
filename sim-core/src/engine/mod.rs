//! The discrete-event engine: one replicate of a scenario, single-threaded.

mod arrivals;
mod attempts;
mod caches;
mod cells;
mod compaction;
mod gate;
mod host;
mod limits;
mod replicate;
mod routing;
mod slab;
mod spread;
mod subagents;
mod timeseries;

pub use limits::{MAX_PROMPT_TOKENS, SimLimit};
pub use replicate::{Recording, ReplicateOutput, simulate_replicate, simulate_replicate_with};
pub use timeseries::{ProviderSample, TIMESERIES_COLUMNS, TimeseriesRecorder, TimeseriesRow};

#[cfg(test)]
mod admission_tests;
#[cfg(test)]
mod anatomy_tests;
#[cfg(test)]
mod arrivals_tests;
#[cfg(test)]
mod billing_tests;
#[cfg(test)]
mod crn_tests;
#[cfg(test)]
mod metrics_tests;
#[cfg(test)]
mod replicas_tests;
#[cfg(test)]
mod routing_tests;
#[cfg(test)]
mod spread_tests;
#[cfg(test)]
mod subagents_tests;
#[cfg(test)]
mod tests;
