//! The validated scenario: every value here has been checked and converted to
//! its engine unit, so the engine never re-validates and cannot meet a bad value.
//!
//! Built only by `scenario::load` (from the raw serde mirror in `raw.rs`).

use super::admission_config::{Objectives, ProviderAdmission, RetryConfig, StepFailure};
use super::anatomy_config::Anatomy;
use super::serving_config::ReplicasServing;
use crate::dist::{Dist, TokenDist};
use crate::time::{SimDuration, SimTime};
use crate::trace::Trace;
use std::sync::Arc;

/// A whole simulation study: providers, the workloads that use them, run settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub simulation: SimulationSettings,
    pub providers: Vec<Provider>,
    pub workloads: Vec<Workload>,
    /// `[[variants]]` as written: names and overrides, not yet applied
    /// (`scenario::load_variants` applies them).
    pub variants: Vec<super::VariantSpec>,
    /// `[[sweep]]` as written: swept paths and their values, not yet applied
    /// (`scenario::load_sweep` builds the grid).
    pub sweep: Vec<super::SweepSpec>,
}

/// Monte Carlo and stopping settings; the CLI may override seed and replicates.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulationSettings {
    pub seed: u64,
    pub replicates: u32,
    /// Hard stop: nothing after this instant is simulated. `None` = run until
    /// every session that arrived has finished (drain).
    pub end: Option<SimTime>,
    /// UTC time of day at simulated time zero, seconds since midnight; used
    /// by time-of-day price windows.
    pub start_time_of_day_s: u32,
    /// What arrives before this is simulated but not counted.
    pub warmup: SimDuration,
    /// Sampling interval of `timeseries.csv`.
    pub timeseries_interval: SimDuration,
}

impl Default for SimulationSettings {
    fn default() -> Self {
        SimulationSettings {
            seed: 0,
            replicates: 10,
            end: None,
            start_time_of_day_s: 0,
            warmup: SimDuration::ZERO,
            timeseries_interval: SimDuration::from_secs(60),
        }
    }
}

/// One inference endpoint (a model at a provider): serving, cache and prices.
#[derive(Clone, Debug, PartialEq)]
pub struct Provider {
    pub name: String,
    pub model: String,
    /// The model family this endpoint serves (`family = "sonnet-class"`), the
    /// label a routed workload's `family` picks providers by; `None` unlabelled.
    pub family: Option<String>,
    pub serving: Serving,
    /// `Some`: served by self-hosted replicas (`serving.model = "replicas"`);
    /// `serving` is then unused.
    pub replicas: Option<ReplicasServing>,
    pub cache: CacheConfig,
    pub pricing: Pricing,
    pub failures: Failures,
    /// Rate limits, fault windows and the queueing effects of tiers.
    pub admission: ProviderAdmission,
    /// Where the numbers came from, when the provider was built from a preset
    /// or a LiteLLM catalog entry.
    pub provenance: Option<Provenance>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    /// Preset name (`anthropic/claude-sonnet-4-6`) or `litellm:<model key>`.
    pub origin: String,
    /// Date the numbers were last checked, `YYYY-MM-DD`.
    pub as_of: String,
    pub source: String,
}

/// Black-box serving (the `api` model, docs/serving.md): `slots` requests in
/// service at once, the rest wait FIFO. Service time = base latency + prefill
/// of the prompt (cached tokens at their own rate) + decode of the output.
#[derive(Clone, Debug, PartialEq)]
pub struct Serving {
    pub slots: u32,
    /// Seconds.
    pub base_latency: Dist,
    pub prefill_tokens_per_s: f64,
    /// Prefill speed of tokens found in the prompt cache; `None`: they cost
    /// no prefill time.
    pub cached_prefill_tokens_per_s: Option<f64>,
    /// Tokens/s, drawn once per request at its service start.
    pub decode_tokens_per_s: Dist,
    /// Decode speed multiplier by requests in service; `None`: always 1.
    pub load_curve: Option<LoadCurve>,
    /// Seconds between the client sending a request and its joining the queue.
    pub overhead_before_queue: Dist,
    /// Added to the decode time of each output token.
    pub overhead_per_output_token: SimDuration,
}

/// The defaults of an absent `[providers.serving]` key.
impl Default for Serving {
    fn default() -> Self {
        Serving {
            slots: 16,
            base_latency: Dist::Fixed(0.0),
            prefill_tokens_per_s: 10_000.0,
            cached_prefill_tokens_per_s: None,
            decode_tokens_per_s: Dist::Fixed(50.0),
            load_curve: None,
            overhead_before_queue: Dist::Fixed(0.0),
            overhead_per_output_token: SimDuration::ZERO,
        }
    }
}

impl Serving {
    /// Mean seconds from service start to the first token for a prompt of
    /// `uncached` and `cached` tokens: an upper bound (the base latency's).
    pub fn mean_prefill_s(&self, uncached: f64, cached: f64) -> f64 {
        let cached_s = self.cached_prefill_tokens_per_s.map_or(0.0, |r| cached / r);
        self.base_latency.mean_upper_bound() + uncached / self.prefill_tokens_per_s + cached_s
    }

    /// An upper bound of the mean seconds per decoded token, overhead aside:
    /// the mean time per token of the speed distribution (E[1 / speed], not
    /// 1 / E[speed]) at the load curve's slowest factor.
    pub fn mean_s_per_decoded_token(&self) -> f64 {
        let slowest = self.load_curve.as_ref().map_or(1.0, LoadCurve::min_factor);
        self.decode_tokens_per_s.mean_reciprocal_upper_bound() / slowest
    }

    /// An upper bound of the mean decode seconds of `output` tokens, the
    /// per-token overhead included.
    pub fn mean_decode_s(&self, output: f64) -> f64 {
        output * (self.mean_s_per_decoded_token() + self.overhead_per_output_token.as_secs_f64())
    }
}

/// A piecewise-linear decode speed multiplier as a function of the requests
/// in service: linear between points, flat beyond the first and last.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadCurve {
    /// (requests in service, factor in (0, 1]); at least one point, loads
    /// strictly increasing.
    pub points: Vec<(u32, f64)>,
}

impl LoadCurve {
    /// The multiplier with `in_service` requests in service.
    pub fn factor(&self, in_service: u32) -> f64 {
        let i = self.points.partition_point(|(load, _)| *load <= in_service);
        match (i.checked_sub(1).map(|j| self.points[j]), self.points.get(i)) {
            (Some((_, f)), None) | (None, Some(&(_, f))) => f,
            (Some((l0, f0)), Some(&(l1, f1))) => f0 + (f1 - f0) * f64::from(in_service - l0) / f64::from(l1 - l0),
            (None, None) => 1.0,
        }
    }

    /// The smallest multiplier (the curve's slowest speed).
    pub fn min_factor(&self) -> f64 {
        self.points.iter().map(|(_, f)| *f).fold(1.0, f64::min)
    }
}

/// How a provider's prompt cache behaves (see docs/caching.md).
#[derive(Clone, Debug, PartialEq)]
pub struct CacheConfig {
    pub enabled: bool,
    pub mode: CacheMode,
    /// Prompts (automatic) or breakpoint prefixes (explicit) shorter than this
    /// are not cached at all, silently.
    pub min_tokens: u64,
    /// Hits are rounded down to a multiple of this (>= 1).
    pub granularity_tokens: u64,
    /// TTL tiers, at least one; automatic writes use `tiers[0]`. Names are
    /// unique and make metric names (`tokens_cache_write_<name>`).
    pub tiers: Vec<CacheTier>,
    pub refresh_on_hit: bool,
    /// Absolute cap on an entry's life from its first write (OpenAI's "always
    /// within one hour"), whatever its refreshes.
    pub max_lifetime: Option<SimDuration>,
    /// Capacity of one cache (one scope) in tokens; `None` = unbounded.
    pub capacity_tokens: Option<u64>,
    pub eviction: Eviction,
    pub scope: CacheScope,
    /// Probability that a look-up that would hit misses anyway (best effort).
    pub miss_probability: f64,
    /// When an entry's TTL clock starts (or restarts on a hit).
    pub ttl_starts: TtlStart,
}

/// The instant a request writes or refreshes its entries' TTL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TtlStart {
    /// When the request's prefill ends (the cache is used then): the default.
    #[default]
    PrefillEnd,
    /// When the response ends (the issue-2 benchmark's definition).
    ResponseEnd,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheMode {
    /// Every prefix at or above `min_tokens` is cached.
    Automatic,
    /// Only prefixes ending at a client breakpoint are cached; a look-up at a
    /// breakpoint also finds entries up to `lookback_blocks` blocks earlier.
    Explicit { max_breakpoints: u32, lookback_blocks: u32 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheTier {
    pub name: String,
    pub ttl: SimDuration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eviction {
    Lru,
    Lfu,
    /// No eviction: when full, new entries are simply not stored.
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheScope {
    /// One cache shared by every request to the provider.
    Provider,
    /// One cache per API key / organisation (`Workload::api_key`).
    ApiKey,
}

/// One price sheet in USD per million tokens (per token-hour for storage).
#[derive(Clone, Debug, PartialEq)]
pub struct PriceSheet {
    pub input_usd_per_mtok: f64,
    pub cache_read_usd_per_mtok: f64,
    /// One per cache tier, aligned with `CacheConfig::tiers`.
    pub cache_write_usd_per_mtok: Vec<f64>,
    pub output_usd_per_mtok: f64,
    /// Storage of cache entries per million tokens per hour (explicit caches
    /// such as Gemini `cachedContents`); 0 for most providers.
    pub storage_usd_per_mtok_hour: f64,
}

/// Prices: a base sheet, optional long-context sheet, time-of-day windows,
/// service-tier multipliers and scheduled changes.
#[derive(Clone, Debug, PartialEq)]
pub struct Pricing {
    pub base: PriceSheet,
    /// Above `threshold_tokens` input tokens the whole request is billed at `sheet`.
    pub long_context: Option<LongContext>,
    /// Price multipliers per service tier (standard is always 1).
    pub tier_multipliers: TierMultipliers,
    /// Time-of-day windows (UTC) multiplying every price; the first matching applies.
    pub windows: Vec<PriceWindow>,
    /// Scheduled changes, sorted by `at`: from `at` on, `base` (and
    /// `long_context`) are replaced.
    pub changes: Vec<PriceChange>,
}

impl Pricing {
    /// Every token at no charge (self-hosted replicas, paid by the hour),
    /// for a cache of `tiers` tiers.
    pub fn free(tiers: &[CacheTier]) -> Self {
        Pricing {
            base: PriceSheet {
                input_usd_per_mtok: 0.0,
                cache_read_usd_per_mtok: 0.0,
                cache_write_usd_per_mtok: vec![0.0; tiers.len()],
                output_usd_per_mtok: 0.0,
                storage_usd_per_mtok_hour: 0.0,
            },
            long_context: None,
            tier_multipliers: TierMultipliers { batch: 1.0, flex: 1.0, priority: 1.0 },
            windows: vec![],
            changes: vec![],
        }
    }
}

impl Pricing {
    /// Whether cache storage is billed at any time of the run.
    pub fn bills_storage(&self) -> bool {
        self.base.storage_usd_per_mtok_hour > 0.0 || self.changes.iter().any(|c| c.base.storage_usd_per_mtok_hour > 0.0)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LongContext {
    pub threshold_tokens: u64,
    pub sheet: PriceSheet,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TierMultipliers {
    pub batch: f64,
    pub flex: f64,
    pub priority: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PriceWindow {
    /// Seconds since UTC midnight; the window may wrap past midnight
    /// (`start > end`). `start == end` is rejected by validation.
    pub start_s: u32,
    pub end_s: u32,
    pub multiplier: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PriceChange {
    pub at: SimTime,
    pub base: PriceSheet,
    pub long_context: Option<LongContext>,
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

impl Failures {
    /// The retry policy of a workload without a `retry` table: `max_retries`
    /// retries after exactly `retry_backoff x 2^(k-1)`, no timeout.
    pub fn retry_config(&self) -> RetryConfig {
        RetryConfig {
            max_attempts: self.max_retries.saturating_add(1),
            backoff_base: self.retry_backoff,
            backoff_cap: SimDuration::from_micros(u64::MAX),
            full_jitter: false,
            on_failure: StepFailure::Abort,
            timeout: None,
        }
    }
}

/// A population of agent sessions sent to one provider.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub name: String,
    /// Index into `Scenario::providers`: the provider serving every request
    /// when `route` is `None`, else the route's first candidate (what
    /// single-provider operations such as `plan --across-providers` read).
    pub provider: usize,
    /// `[workloads.routing]`: the request's provider is chosen per request
    /// among candidates (docs/routing.md); `None` is fixed routing.
    pub route: Option<Route>,
    pub arrivals: Arrivals,
    /// Named shared segments at the start of every prompt, in order (system
    /// prompt, tool definitions, a knowledge-base document...). Segments with
    /// the same name and size are the same content in every workload.
    pub shared_segments: Vec<SharedSegment>,
    /// The session's private task description, sampled once per session.
    pub task_tokens: TokenDist,
    /// Number of LLM requests (steps) in a session; sampled once per session, at least 1.
    pub steps: TokenDist,
    pub output_tokens: TokenDist,
    /// Reasoning tokens per step: generated and billed as output, appended to
    /// the history only when `reasoning_in_history`.
    pub reasoning_tokens: TokenDist,
    pub reasoning_in_history: bool,
    /// Tokens a tool call returns, appended to the history after each step.
    pub tool_result_tokens: TokenDist,
    /// Seconds the agent waits between a response and its next request.
    pub think_time: Dist,
    pub service_tier: ServiceTier,
    /// API key / organisation (cache scope `api_key`).
    pub api_key: String,
    /// Where the client puts cache breakpoints (explicit-mode providers).
    pub breakpoints: Vec<BreakpointRule>,
    pub keep_alive: Option<KeepAlive>,
    /// The request's `max_tokens` (output reserved by rate limits that reserve).
    pub max_tokens: u64,
    /// `None`: the provider's `failures` retry settings.
    pub retry: Option<RetryConfig>,
    /// Routing hint sent with every request (prefix-affinity balancers).
    pub prompt_cache_key: Option<String>,
    pub objectives: Objectives,
    /// Tool calls, human turns, knowledge base, cache busting.
    pub anatomy: Anatomy,
    /// `[workloads.subagents]`: steps that delegate to child sessions.
    pub subagents: Option<Box<Subagents>>,
    /// `[workloads.compaction]`: the history summarised past a prompt size.
    pub compaction: Option<Compaction>,
}

/// Client-side routing of a workload's requests across providers
/// (docs/routing.md).
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub policy: RoutePolicy,
    /// Candidate providers (indices into `Scenario::providers`), in the order
    /// written (the fallback order); at least two, no duplicates.
    pub providers: Vec<usize>,
    /// `Some`: the candidates were given as every provider of this family
    /// (in file order), not listed.
    pub family: Option<String>,
    /// Per candidate, >= 0 and not all zero (weighted and sticky; equal when
    /// not written). Kept as written so a resolved file writes them back.
    pub weights: Vec<f64>,
    /// Whether `weights` were written (a resolved file writes only those).
    pub weights_given: bool,
    /// The failures that move a request down a fallback chain.
    pub on: FailoverOn,
    /// How long a provider the chain failed over from is skipped (fallback).
    pub cooldown: SimDuration,
    /// Weight of the newest observation in the moving average of time to
    /// first token (lowest_latency), in (0, 1].
    pub latency_smoothing: f64,
}

/// How a routed workload picks each request's provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoutePolicy {
    /// Each request drawn by weight, independently (an A/B split).
    Weighted,
    /// Each session draws one provider by weight and keeps it.
    Sticky,
    /// The first candidate not cooling down; failed requests move down the chain.
    Fallback,
    /// The candidate with the lowest expected cost for this request.
    CostAware,
    /// The candidate with the fewest requests in flight from this client.
    LeastOutstanding,
    /// The candidate with the lowest moving average of time to first token.
    LowestLatency,
}

impl RoutePolicy {
    /// The name a scenario writes.
    pub fn name(self) -> &'static str {
        match self {
            RoutePolicy::Weighted => "weighted",
            RoutePolicy::Sticky => "sticky",
            RoutePolicy::Fallback => "fallback",
            RoutePolicy::CostAware => "cost_aware",
            RoutePolicy::LeastOutstanding => "least_outstanding",
            RoutePolicy::LowestLatency => "lowest_latency",
        }
    }
}

/// Failure kinds that trigger a failover (fallback routing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailoverOn {
    /// 429s: rate limits and refused flex requests.
    pub rate_limited: bool,
    /// Errors: failed attempts and requests too large for a rate limit.
    pub error: bool,
    /// The client's timeout (also what a hanging outage ends in).
    pub timeout: bool,
    /// A fail-fast outage's refusal.
    pub outage: bool,
}

impl FailoverOn {
    pub const ALL: FailoverOn = FailoverOn { rate_limited: true, error: true, timeout: true, outage: true };
    pub const NAMES: [&'static str; 4] = ["rate_limited", "error", "timeout", "outage"];

    /// The kinds set, by name, in `NAMES` order.
    pub fn names(self) -> Vec<&'static str> {
        let set = [self.rate_limited, self.error, self.timeout, self.outage];
        Self::NAMES.iter().zip(set).filter(|(_, on)| *on).map(|(n, _)| *n).collect()
    }
}

impl Workload {
    /// The providers this workload's requests may go to: its route's
    /// candidates, or its one provider.
    pub fn candidates(&self) -> &[usize] {
        match &self.route {
            Some(r) => &r.providers,
            None => std::slice::from_ref(&self.provider),
        }
    }
}

/// Subagents (docs/model.md, "Subagents"): after a step, with `probability`,
/// the agent starts `count` child sessions at once and waits for all of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Subagents {
    pub keys: SubagentKeys,
    /// What a child is: the parent workload with the overrides applied, the
    /// instructions segment appended, and no subagents of its own.
    pub child: Workload,
}

/// `[workloads.subagents]` as written.
#[derive(Clone, Debug, PartialEq)]
pub struct SubagentKeys {
    /// Chance that a step (not a session's last) spawns children, in [0, 1].
    pub probability: f64,
    /// Children per spawning step; draws are clamped to [1, `MAX_CHILDREN`].
    pub count: TokenDist,
    /// Overrides of the parent's keys (`None`: inherited).
    pub steps: Option<TokenDist>,
    pub task_tokens: Option<TokenDist>,
    pub output_tokens: Option<TokenDist>,
    /// A shared segment every child of this workload starts with after the
    /// parent's segments (the subagent's own instructions); 0: none.
    pub instructions_tokens: u64,
}

/// The most children one step may start.
pub const MAX_CHILDREN: u64 = 64;

impl Subagents {
    /// `parent`'s subagents with these keys, and the child workload they make.
    pub fn new(parent: &Workload, keys: SubagentKeys) -> Box<Self> {
        let mut child = parent.clone();
        child.subagents = None;
        // A subagent works without its user: human turns are the parent's.
        child.anatomy.human = None;
        for (to, from) in [
            (&mut child.steps, &keys.steps),
            (&mut child.task_tokens, &keys.task_tokens),
            (&mut child.output_tokens, &keys.output_tokens),
        ] {
            if let Some(d) = from {
                *to = d.clone();
            }
        }
        // One segment per workload, shared by all its children (so children
        // starting together race to write it).
        if keys.instructions_tokens > 0 {
            let name = format!("{}/subagent", parent.name);
            child.shared_segments.push(SharedSegment { name, tokens: keys.instructions_tokens });
        }
        Box::new(Subagents { keys, child })
    }
}

/// Context compaction (docs/model.md, "Compaction"): when the next prompt
/// would pass `threshold_tokens`, a summarisation request first replaces the
/// history with a summary.
#[derive(Clone, Debug, PartialEq)]
pub struct Compaction {
    pub threshold_tokens: u64,
    pub summary_tokens: TokenDist,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedSegment {
    pub name: String,
    pub tokens: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ServiceTier {
    #[default]
    Standard,
    Batch,
    Flex,
    Priority,
}

/// A client breakpoint: where, and the cache tier (index into the provider's
/// `CacheConfig::tiers`) of the entry it writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreakpointRule {
    pub at: BreakpointAt,
    pub tier: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BreakpointAt {
    /// After the named shared segment.
    AfterSegment(String),
    /// After the session's private task.
    AfterTask,
    /// At the end of every prompt (rolling).
    End,
}

/// Client keep-alive: during a pause longer than `interval`, send a minimal
/// request (the current prompt, `output_tokens` out) every `interval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeepAlive {
    pub interval: SimDuration,
    pub output_tokens: u64,
}

/// How sessions of a workload arrive.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrivals {
    /// Poisson process with `rate_per_s`, starting at time zero, until `stop`.
    Poisson { rate_per_s: f64, stop: ArrivalStop },
    /// One single-step session per trace request, at its timestamp, with its
    /// prompt blocks and output length.
    Trace {
        /// The trace file as the scenario names it (relative to the scenario
        /// file), so the resolved scenario can name it again.
        file: String,
        /// Its format, parse options and replay mode.
        read: crate::trace::TraceRead,
        trace: Arc<Trace>,
    },
    /// Another arrival process (time-varying, bursty, closed loop,
    /// scheduled), until `stop`.
    Process { process: super::arrivals_config::ArrivalProcess, stop: ArrivalStop },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ArrivalStop {
    /// No arrival at or after this instant.
    Horizon(SimTime),
    /// Exactly this many sessions.
    Sessions(u64),
}

impl Arrivals {
    /// Mean sessions per second of a rate-driven process (`None` for a
    /// trace); a closed loop's is its agents over `closed_session_s`, the
    /// caller's estimate of a session's length with its gap.
    pub fn mean_rate_per_s(&self, closed_session_s: f64) -> Option<f64> {
        match self {
            Arrivals::Poisson { rate_per_s, .. } => Some(*rate_per_s),
            Arrivals::Trace { .. } => None,
            Arrivals::Process { process, .. } => process.mean_rate_per_s().or(match process {
                super::arrivals_config::ArrivalProcess::Closed { agents, .. } => {
                    Some(*agents as f64 / closed_session_s.max(1e-9))
                }
                _ => None,
            }),
        }
    }
}

impl Scenario {
    pub fn provider_index(&self, name: &str) -> Option<usize> {
        self.providers.iter().position(|p| p.name == name)
    }

    /// Which prompt cache workload `w` uses: its provider, and its API key when
    /// the provider's cache is scoped by key (`""` otherwise).
    pub fn cache_key<'w>(&self, w: &'w Workload) -> (usize, &'w str) {
        self.cache_key_at(w, w.provider)
    }

    /// Which prompt cache `w`'s requests use at provider `p` (one of its candidates).
    pub fn cache_key_at<'w>(&self, w: &'w Workload, p: usize) -> (usize, &'w str) {
        match self.providers[p].cache.scope {
            CacheScope::Provider => (p, ""),
            CacheScope::ApiKey => (p, w.api_key.as_str()),
        }
    }

    /// Whether a workload whose prompts may branch inside their private
    /// blocks shares `w`'s prompt cache, so that cache cannot keep private
    /// chains as records: trace prompts branch anywhere, and a compaction
    /// after a cache bust cuts a chain that the bust started inside the
    /// leading blocks.
    pub fn cache_has_branching_prompts(&self, w: &Workload) -> bool {
        self.cache_has_branching_prompts_at(self.cache_key(w))
    }

    /// [`Self::cache_has_branching_prompts`] for the cache `key` (any
    /// candidate of a routed workload may write to it).
    pub fn cache_has_branching_prompts_at(&self, key: (usize, &str)) -> bool {
        let branches = |o: &Workload| {
            matches!(o.arrivals, Arrivals::Trace { .. })
                || (o.compaction.is_some() && !o.anatomy.cache_busting.is_empty())
        };
        self.workloads.iter().any(|o| branches(o) && o.candidates().iter().any(|&c| self.cache_key_at(o, c) == key))
    }

    /// The candidate of `w` a whole-run estimate assumes serves every request:
    /// the one with the most attempts per request (highest error rate), then
    /// one with a prompt cache (block work and entries), then the first. A
    /// fixed workload's provider.
    pub fn conservative_candidate(&self, w: &Workload) -> usize {
        let key = |&p: &usize| {
            let pr = &self.providers[p];
            (pr.failures.error_rate, pr.cache.enabled)
        };
        // max_by picks the last of equals: scan in reverse so the first wins.
        w.candidates()
            .iter()
            .rev()
            .copied()
            .max_by(|a, b| key(a).partial_cmp(&key(b)).expect("rates are finite"))
            .unwrap_or(w.provider)
    }

    /// The expected share of `w`'s requests each candidate serves, for load
    /// estimates: by weight (weighted, sticky), all to the first (fallback:
    /// others serve only while it fails), equal otherwise (cost- and
    /// load-driven picks depend on the run).
    pub fn route_shares(&self, w: &Workload) -> Vec<(usize, f64)> {
        let Some(r) = &w.route else { return vec![(w.provider, 1.0)] };
        match r.policy {
            RoutePolicy::Weighted | RoutePolicy::Sticky => {
                let total: f64 = r.weights.iter().sum();
                r.providers.iter().zip(&r.weights).map(|(&p, x)| (p, x / total)).collect()
            }
            RoutePolicy::Fallback => vec![(r.providers[0], 1.0)],
            _ => r.providers.iter().map(|&p| (p, 1.0 / r.providers.len() as f64)).collect(),
        }
    }

    /// The providers' names in scenario order (the order of their scopes).
    pub fn provider_names(&self) -> Vec<String> {
        self.providers.iter().map(|p| p.name.clone()).collect()
    }

    /// The workloads' names in scenario order (the order of their scopes).
    pub fn workload_names(&self) -> Vec<String> {
        self.workloads.iter().map(|w| w.name.clone()).collect()
    }

    /// Every cache tier name used by any provider, in order of first appearance
    /// (the `tokens_cache_write_<tier>` metrics and `requests.csv` columns).
    pub fn cache_tier_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for p in &self.providers {
            for t in &p.cache.tiers {
                if !names.contains(&t.name) {
                    names.push(t.name.clone());
                }
            }
        }
        names
    }
}
