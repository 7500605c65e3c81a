//! agentsim's engine: a deterministic discrete-event simulator of LLM agent
//! workloads running on inference providers, with Monte Carlo replicates.
//!
//! A tour of the main types:
//! - [`scenario::Scenario`]: a validated study (providers, workloads, run
//!   settings), built by [`scenario::load`] from TOML text.
//! - [`engine::simulate_replicate`]: runs one replicate, single-threaded, on an
//!   [`event_queue::EventQueue`] keyed `(time, seq)` with FIFO ties.
//! - [`model`]: the agent workload, provider serving, prompt cache and pricing.
//! - [`metrics`]: streaming per-scope accumulators and across-replicate statistics.
//! - [`montecarlo::run`]: replicates in parallel (rayon), merged in replicate
//!   order so results are byte-identical for any thread count.
//!
//! Invariants: no file or network I/O, no wall clock, no unseeded randomness;
//! every random draw comes from a named [`rng`] stream of (seed, replicate).

pub mod catalog;
pub mod dist;
pub mod echo;
pub mod engine;
pub mod estimate;
pub mod event_queue;
pub mod fit;
pub mod maths;
pub mod metrics;
pub mod model;
pub mod montecarlo;
pub mod plan;
pub mod prefetch;
pub mod records;
pub mod rng;
pub mod scenario;
pub mod sensitivity;
pub mod time;
pub mod trace;
