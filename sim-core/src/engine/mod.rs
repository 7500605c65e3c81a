//! The discrete-event engine: one replicate of a scenario, single-threaded.

mod attempts;
mod caches;
mod gate;
mod host;
mod limits;
mod replicate;
mod slab;

pub use limits::{MAX_PROMPT_TOKENS, SimLimit};
pub use replicate::{ReplicateOutput, simulate_replicate};

#[cfg(test)]
mod billing_tests;
#[cfg(test)]
mod tests;
