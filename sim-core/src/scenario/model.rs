//! The validated scenario: every value here has been checked and converted to
//! its engine unit, so the engine never re-validates and cannot meet a bad value.
//!
//! Built only by `scenario::load` (from the raw serde mirror in `raw.rs`).

use crate::dist::{Dist, TokenDist};
use crate::time::{SimDuration, SimTime};

/// A whole simulation study: providers, the workloads that use them, run settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub simulation: SimulationSettings,
    pub providers: Vec<Provider>,
    pub workloads: Vec<Workload>,
}

/// Monte Carlo and stopping settings; the CLI may override seed and replicates.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulationSettings {
    pub seed: u64,
    pub replicates: u32,
    /// Hard stop: nothing after this instant is simulated. `None` = run until
    /// every session that arrived has finished (drain).
    pub end: Option<SimTime>,
}

/// One inference endpoint (a model at a provider): serving, cache and prices.
#[derive(Clone, Debug, PartialEq)]
pub struct Provider {
    pub name: String,
    pub model: String,
    pub serving: Serving,
    pub cache: CacheConfig,
    pub pricing: Pricing,
    pub failures: Failures,
}

/// Black-box serving: `slots` requests in service at once, the rest wait FIFO.
/// Service time = base latency + prefill of non-cached input + decode of output.
#[derive(Clone, Debug, PartialEq)]
pub struct Serving {
    pub slots: u32,
    /// Seconds.
    pub base_latency: Dist,
    pub prefill_tokens_per_s: f64,
    pub decode_tokens_per_s: f64,
}

/// Prompt cache, first version: prefix entries with a TTL, refreshed on hit.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheConfig {
    pub enabled: bool,
    pub ttl: SimDuration,
    pub refresh_on_hit: bool,
}

/// List prices in USD per million tokens, one per token class.
#[derive(Clone, Debug, PartialEq)]
pub struct Pricing {
    pub input_usd_per_mtok: f64,
    pub cache_read_usd_per_mtok: f64,
    pub cache_write_usd_per_mtok: f64,
    pub output_usd_per_mtok: f64,
}

/// Transient request failures and the client's retry policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Failures {
    /// Probability that an attempt fails (decided when it starts service).
    pub error_rate: f64,
    /// Retries after the first attempt before the step (and its session) fails.
    pub max_retries: u32,
    /// Delay before retry k (k = 1, 2, ...) is `retry_backoff * 2^(k-1)`.
    pub retry_backoff: SimDuration,
}

/// A population of agent sessions sent to one provider.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub name: String,
    /// Index into `Scenario::providers`.
    pub provider: usize,
    pub arrivals: Arrivals,
    /// Tokens of the shared prefix (system prompt, tool definitions), identical
    /// across every session of this workload.
    pub shared_prefix_tokens: u64,
    /// The session's private task description, sampled once per session.
    pub task_tokens: TokenDist,
    /// Number of LLM requests (steps) in a session; sampled once per session, at least 1.
    pub steps: TokenDist,
    pub output_tokens: TokenDist,
    /// Tokens a tool call returns, appended to the history after each step.
    pub tool_result_tokens: TokenDist,
    /// Seconds the agent waits between a response and its next request.
    pub think_time: Dist,
}

/// How sessions of a workload arrive.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrivals {
    /// Poisson process with `rate_per_s`, starting at time zero, until `stop`.
    Poisson { rate_per_s: f64, stop: ArrivalStop },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ArrivalStop {
    /// No arrival at or after this instant.
    Horizon(SimTime),
    /// Exactly this many sessions.
    Sessions(u64),
}

impl Scenario {
    pub fn provider_index(&self, name: &str) -> Option<usize> {
        self.providers.iter().position(|p| p.name == name)
    }
}
