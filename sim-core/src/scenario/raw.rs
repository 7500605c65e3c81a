//! Stage 1: the raw serde mirror of a scenario file, close to what the user typed.
//!
//! Every key is optional and every leaf is a [`Raw`] that accepts any TOML value, so
//! deserialization almost never fails and stage 2 (`validate.rs`) can report every
//! wrong type, missing key and out-of-range value at once. The same types generate
//! the JSON Schema, so the schema cannot drift from what the loader accepts. Doc
//! comments here become the schema's descriptions that editors show on hover.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use super::dists::{RateDistSpec, TimeDistSpec, TokenDistSpec};
use super::leaf::*;
use super::rate::RateText;
use super::raw_replicas::RawReplicas;

/// A scenario file: providers, the workloads that use them, and run settings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields, title = "agentsim scenario")]
pub(crate) struct RawScenario {
    /// Scenario name, used in output directory names: letters, digits, `.`, `_`, `-`.
    #[schemars(required)]
    pub(crate) name: Option<Raw<String>>,
    /// Free text shown in reports. Default "".
    pub(crate) description: Option<Raw<String>>,
    /// Monte Carlo and stopping settings.
    pub(crate) simulation: Option<RawSimulation>,
    /// Inference endpoints (`[[providers]]`); at least one.
    #[schemars(required)]
    pub(crate) providers: Option<Vec<RawProvider>>,
    /// Agent session populations (`[[workloads]]`); at least one.
    #[schemars(required)]
    pub(crate) workloads: Option<Vec<RawWorkload>>,
    /// Alternatives to compare with the baseline (`[[variants]]`), each the
    /// baseline with `--set` overrides applied.
    pub(crate) variants: Option<Vec<RawVariant>>,
    /// Parameters to sweep (`[[sweep]]`), one table per parameter: every
    /// combination of their values runs (a grid, the first parameter outermost).
    pub(crate) sweep: Option<Vec<RawSweep>>,
}

/// `[[sweep]]`: one swept parameter, its values given as a list or a range.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawSweep {
    /// The key to sweep, in `--set` syntax, e.g. `"providers[0].cache.ttl"`.
    #[schemars(required)]
    pub(crate) path: Option<Raw<String>>,
    /// The values, in order (not with `range`), e.g. `["5m", "30m", "1h"]`.
    pub(crate) values: Option<Vec<Raw<AnyValue>>>,
    /// `"lo..hi:steps"` (evenly spaced) or `"lo..hi:steps:log"` (geometric),
    /// steps >= 2, lo < hi (not with `values`). Integer keys round and drop duplicates.
    pub(crate) range: Option<Raw<String>>,
}

/// `[[variants]]`: a named set of overrides run on the same replicates as the baseline.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawVariant {
    /// Unique, not `baseline`: letters, digits, `.`, `_`, `-`.
    #[schemars(required)]
    pub(crate) name: Option<Raw<String>>,
    /// Overrides in `--set` syntax, e.g. `["providers[0].cache.ttl=1h"]`.
    #[schemars(required)]
    pub(crate) set: Option<Vec<Raw<String>>>,
}

/// `[simulation]`: Monte Carlo and stopping settings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawSimulation {
    /// Master random seed. Default 1.
    pub(crate) seed: Option<Raw<u64>>,
    /// Number of independent replicates, >= 1. Default 10.
    #[schemars(range(min = 1))]
    pub(crate) replicates: Option<Raw<u32>>,
    /// Hard stop (duration > 0). Absent: run until every session has finished.
    pub(crate) end: Option<Raw<DurationText>>,
    /// UTC time of day at simulated time zero ("HH:MM" or "HH:MM:SS"), for price windows. Default "00:00".
    pub(crate) start_time_utc: Option<Raw<TimeOfDay>>,
    /// Sessions arriving before this are simulated but not counted, so metrics describe the steady state. Default "0s".
    pub(crate) warmup: Option<Raw<DurationText>>,
    /// Sampling interval of timeseries.csv (duration >= 1s). Default "1m".
    pub(crate) timeseries_interval: Option<Raw<DurationText>>,
}

/// `[[providers]]`: one inference endpoint (a model at a provider).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawProvider {
    /// Unique among providers; workloads refer to it.
    #[schemars(required)]
    pub(crate) name: Option<Raw<String>>,
    /// Start from this built-in preset (see `agentsim providers list`); every key given here overrides it.
    pub(crate) preset: Option<Raw<String>>,
    /// Start from an entry of a LiteLLM price catalog file (not with `preset`); every key given here overrides it.
    pub(crate) litellm: Option<RawLiteLlm>,
    /// Model label for reports. Default: the preset's model, else the provider's name.
    pub(crate) model: Option<Raw<String>>,
    /// The model family this endpoint serves (e.g. "sonnet-class"): a routed workload's `family` picks every provider with it. Default: none.
    pub(crate) family: Option<Raw<String>>,
    /// Date the numbers were last checked, "YYYY-MM-DD" (provenance; presets set it).
    pub(crate) as_of: Option<Raw<DateText>>,
    /// Where the numbers come from, e.g. a pricing page URL (provenance; presets set it).
    pub(crate) source: Option<Raw<String>>,
    /// Concurrency and speed.
    pub(crate) serving: Option<RawServing>,
    /// Prompt cache.
    pub(crate) cache: Option<RawCache>,
    /// List prices, USD per million tokens. Required unless `preset` or `litellm` gives them.
    pub(crate) pricing: Option<RawPricing>,
    /// Transient failures and retries.
    pub(crate) failures: Option<RawFailures>,
    /// Self-hosted continuous-batching replicas (instead of `serving`): the operator's view.
    pub(crate) replicas: Option<RawReplicas>,
    /// Rate limits: requests, input and output tokens per minute.
    pub(crate) rate_limits: Option<RawRateLimits>,
    /// Windows in which the provider does not serve.
    pub(crate) outages: Option<Vec<RawOutage>>,
    /// Windows in which the provider serves slower.
    pub(crate) degraded: Option<Vec<RawDegraded>>,
    /// Queueing effects of the flex and batch tiers.
    pub(crate) tiers: Option<RawTiers>,
}

/// `litellm = { file, model }`: a LiteLLM `model_prices_and_context_window.json` entry.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawLiteLlm {
    /// Path of the catalog JSON file, relative to the scenario file.
    #[schemars(required)]
    pub(crate) file: Option<Raw<String>>,
    /// The model's key in the catalog, e.g. "claude-sonnet-4-6".
    #[schemars(required)]
    pub(crate) model: Option<Raw<String>>,
}

/// `[providers.serving]`: black-box serving model.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawServing {
    /// Requests in service at once (integer >= 1); the rest wait FIFO. Default 16.
    #[schemars(range(min = 1))]
    pub(crate) slots: Option<Raw<u32>>,
    /// Fixed per-request latency, a time distribution. Default "0s".
    pub(crate) base_latency: Option<Raw<TimeDistSpec>>,
    /// Prefill speed for non-cached input tokens, tokens/s > 0. Default 10000.
    pub(crate) prefill_tokens_per_s: Option<Raw<f64>>,
    /// Prefill speed for input tokens found in the prompt cache, tokens/s > 0. Default: none (cached tokens cost no prefill time).
    pub(crate) cached_prefill_tokens_per_s: Option<Raw<f64>>,
    /// Decode speed for output tokens, tokens/s > 0: a number, or a distribution drawn per request. Default 50.
    pub(crate) decode_tokens_per_s: Option<Raw<RateDistSpec>>,
    /// Decode speed multiplier by requests in service, [[load, factor], ...]: loads increasing integers, factors in (0, 1], linear between points. Default: none (1).
    pub(crate) load_curve: Option<Raw<LoadCurveSpec>>,
    /// Time from sending a request to its joining the queue (gateway, tokenisation), a time distribution. Default "0s".
    pub(crate) overhead_before_queue: Option<Raw<TimeDistSpec>>,
    /// Added to the decode time of each output token, a duration. Default "0s".
    pub(crate) overhead_per_output_token: Option<Raw<DurationText>>,
}

/// `[providers.cache]`: how the provider's prompt cache behaves.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawCache {
    /// Default true.
    pub(crate) enabled: Option<Raw<bool>>,
    /// "automatic" (every prefix is cached) or "explicit" (only at client breakpoints). Default "automatic".
    pub(crate) mode: Option<Raw<CacheModeText>>,
    /// Prompts (or breakpoint prefixes) shorter than this many tokens are not cached. Default 0.
    pub(crate) min_tokens: Option<Raw<u64>>,
    /// Hits are rounded down to a multiple of this many tokens, >= 1. Default 1.
    #[schemars(range(min = 1))]
    pub(crate) granularity_tokens: Option<Raw<u64>>,
    /// Shorthand for one TTL tier named after the duration (e.g. "5m"); not with `tiers`. Default "5m".
    pub(crate) ttl: Option<Raw<DurationText>>,
    /// TTL tiers (not with `ttl`): names unique, letters, digits and `_`; automatic writes use the first.
    pub(crate) tiers: Option<Vec<RawTier>>,
    /// Whether a hit restarts the TTL. Default true.
    pub(crate) refresh_on_hit: Option<Raw<bool>>,
    /// When the TTL clock starts: "prefill_end" or "response_end". Default "prefill_end".
    pub(crate) ttl_starts: Option<Raw<TtlStartText>>,
    /// Absolute cap on an entry's life from its first write, whatever its refreshes (duration > 0). Default: none.
    pub(crate) max_lifetime: Option<Raw<DurationText>>,
    /// Capacity of one cache in tokens, >= 1. Default: unbounded.
    #[schemars(range(min = 1))]
    pub(crate) capacity_tokens: Option<Raw<u64>>,
    /// "lru", "lfu" or "none" (when full, new entries are not stored). Default "lru".
    pub(crate) eviction: Option<Raw<EvictionText>>,
    /// "provider" (one cache) or "api_key" (one per workload api_key). Default "provider".
    pub(crate) scope: Option<Raw<CacheScopeText>>,
    /// Probability that a look-up that would hit misses anyway, in [0, 1). Default 0.
    pub(crate) miss_probability: Option<Raw<f64>>,
    /// Explicit mode: most breakpoints a request may carry, >= 1 (a workload listing more uses its first ones). Default 4.
    #[schemars(range(min = 1))]
    pub(crate) max_breakpoints: Option<Raw<u32>>,
    /// Explicit mode: how many blocks before a breakpoint a look-up also checks. Default 20.
    pub(crate) lookback_blocks: Option<Raw<u32>>,
}

/// One TTL tier of a cache.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawTier {
    /// Tier name: letters, digits and `_`; names metrics (`tokens_cache_write_<name>`) and price keys.
    #[schemars(required)]
    pub(crate) name: Option<Raw<String>>,
    /// Time an entry lives after its write (or last hit), duration > 0.
    #[schemars(required)]
    pub(crate) ttl: Option<Raw<DurationText>>,
}

/// `[providers.pricing]`: USD per million tokens, each >= 0.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawPricing {
    /// Uncached input tokens. Required unless a preset or LiteLLM entry gives it.
    pub(crate) input_usd_per_mtok: Option<Raw<f64>>,
    /// Output tokens (reasoning included). Required unless a preset or LiteLLM entry gives it.
    pub(crate) output_usd_per_mtok: Option<Raw<f64>>,
    /// Input tokens read from the cache. Default: the input price.
    pub(crate) cache_read_usd_per_mtok: Option<Raw<f64>>,
    /// Input tokens written to the cache: a number, or a table by tier name. Default: the input price.
    pub(crate) cache_write_usd_per_mtok: Option<Raw<CacheWritePrice>>,
    /// Cache storage, USD per million tokens per hour an entry lives. Default 0.
    pub(crate) storage_usd_per_mtok_hour: Option<Raw<f64>>,
    /// Price multiplier of batch requests, >= 0. Default 0.5.
    pub(crate) batch_multiplier: Option<Raw<f64>>,
    /// Price multiplier of flex requests, >= 0. Default 0.5.
    pub(crate) flex_multiplier: Option<Raw<f64>>,
    /// Price multiplier of priority requests, >= 0. Default 1.75.
    pub(crate) priority_multiplier: Option<Raw<f64>>,
    /// Above `threshold_tokens` input tokens the whole request is billed at these prices.
    pub(crate) long_context: Option<RawLongContext>,
    /// UTC time-of-day windows multiplying every price; the first matching window applies.
    pub(crate) windows: Option<Vec<RawWindow>>,
    /// Scheduled price changes at simulated times, in increasing order of `at`.
    pub(crate) changes: Option<Vec<RawChange>>,
}

/// `long_context`: prices for requests above a threshold; omitted prices are the base sheet's.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawLongContext {
    /// Requests with more input tokens than this are billed at these prices, integer >= 1.
    #[schemars(range(min = 1))]
    pub(crate) threshold_tokens: Option<Raw<u64>>,
    /// Uncached input tokens. Default: the base sheet's.
    pub(crate) input_usd_per_mtok: Option<Raw<f64>>,
    /// Output tokens. Default: the base sheet's.
    pub(crate) output_usd_per_mtok: Option<Raw<f64>>,
    /// Cache reads. Default: the base sheet's.
    pub(crate) cache_read_usd_per_mtok: Option<Raw<f64>>,
    /// Cache writes, a number or a table by tier name. Default: the base sheet's.
    pub(crate) cache_write_usd_per_mtok: Option<Raw<CacheWritePrice>>,
    /// Rejected with an explanation: storage is priced per cache entry at the
    /// base sheet (or a change), not per request. Read only to say so, and
    /// left out of the schema.
    #[schemars(skip)]
    pub(crate) storage_usd_per_mtok_hour: Option<Raw<f64>>,
}

/// A UTC time-of-day window; may wrap past midnight (`start` later than `end`).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawWindow {
    /// Start, "HH:MM" UTC (inclusive).
    #[schemars(required)]
    pub(crate) start: Option<Raw<TimeOfDay>>,
    /// End, "HH:MM" UTC (exclusive); must differ from `start`.
    #[schemars(required)]
    pub(crate) end: Option<Raw<TimeOfDay>>,
    /// Every price is multiplied by this inside the window, >= 0.
    #[schemars(required)]
    pub(crate) multiplier: Option<Raw<f64>>,
}

/// A scheduled price change: the given prices replace the ones in force from `at` on.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawChange {
    /// Simulated time of the change, duration > 0; changes in increasing order.
    #[schemars(required)]
    pub(crate) at: Option<Raw<DurationText>>,
    /// New input price. Default: unchanged.
    pub(crate) input_usd_per_mtok: Option<Raw<f64>>,
    /// New output price. Default: unchanged.
    pub(crate) output_usd_per_mtok: Option<Raw<f64>>,
    /// New cache read price. Default: unchanged.
    pub(crate) cache_read_usd_per_mtok: Option<Raw<f64>>,
    /// New cache write price(s), a number or a table by tier name. Default: unchanged.
    pub(crate) cache_write_usd_per_mtok: Option<Raw<CacheWritePrice>>,
    /// New storage price. Default: unchanged.
    pub(crate) storage_usd_per_mtok_hour: Option<Raw<f64>>,
    /// New long-context threshold and prices; omitted keys unchanged.
    pub(crate) long_context: Option<RawLongContext>,
}

/// `[providers.failures]`: transient errors and the client's retry policy.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawFailures {
    /// Probability an attempt fails, in [0, 1). Default 0.
    pub(crate) error_rate: Option<Raw<f64>>,
    /// Retries after the first attempt. Default 2.
    pub(crate) max_retries: Option<Raw<u32>>,
    /// Delay before retry k is retry_backoff * 2^(k-1). Default "1s".
    pub(crate) retry_backoff: Option<Raw<DurationText>>,
}

/// `[providers.rate_limits]`: requests and tokens per minute, as continuously refilling token buckets.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawRateLimits {
    /// Requests per minute (integer >= 1). Absent: no request limit.
    #[schemars(range(min = 1))]
    pub(crate) requests_per_min: Option<Raw<u64>>,
    /// Input tokens per minute (integer >= 1): uncached input and cache writes, and cache reads when `cache_reads_count`. Absent: no limit.
    #[schemars(range(min = 1))]
    pub(crate) input_tokens_per_min: Option<Raw<u64>>,
    /// Output tokens per minute (integer >= 1). Absent: no limit.
    #[schemars(range(min = 1))]
    pub(crate) output_tokens_per_min: Option<Raw<u64>>,
    /// "api_key": each API key has its own buckets (providers limit per organisation); "provider": one set for all. Default "api_key".
    pub(crate) scope: Option<Raw<RateLimitScopeText>>,
    /// Whether cache reads count toward input tokens per minute. Default false (current Anthropic models).
    pub(crate) cache_reads_count: Option<Raw<bool>>,
    /// Reserve output from the request's `max_tokens` at admission, corrected at completion. Default false: output is charged at completion.
    pub(crate) reserve_output: Option<Raw<bool>>,
}

/// `[[providers.outages]]`: a window in which the provider does not serve.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawOutage {
    /// Simulated instant the outage starts (a duration from time zero).
    pub(crate) start: Option<Raw<DurationText>>,
    /// Simulated instant it ends (exclusive), after `start`.
    pub(crate) end: Option<Raw<DurationText>>,
    /// "fail_fast": requests get an error at once; "hang": no answer until the client's timeout. Default "fail_fast".
    pub(crate) mode: Option<Raw<OutageModeText>>,
}

/// `[[providers.degraded]]`: a window in which the provider serves slower.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawDegraded {
    /// Simulated instant the window starts.
    pub(crate) start: Option<Raw<DurationText>>,
    /// Simulated instant it ends (exclusive), after `start`.
    pub(crate) end: Option<Raw<DurationText>>,
    /// Throughput multiplier in (0, 1].
    pub(crate) factor: Option<Raw<f64>>,
}

/// `[providers.tiers]`: the queueing effects of the flex and batch service tiers.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawTiers {
    /// Flex requests are admitted only while utilisation is below this, in (0, 1]; else 429 "resource unavailable". Default 0.8.
    pub(crate) flex_max_utilization: Option<Raw<f64>>,
    /// Time from submission to completion of a batch request, a time distribution. Default lognormal median 7m, p90 1h.
    pub(crate) batch_delay: Option<Raw<TimeDistSpec>>,
    /// Batch requests not done within this expire (an error). Default "24h".
    pub(crate) batch_window: Option<Raw<DurationText>>,
    /// Whether batch requests count toward the real-time rate limits. Default false.
    pub(crate) batch_in_rate_limits: Option<Raw<bool>>,
}

/// `[workloads.retry]`: the client's retry policy (replaces the provider's `failures.max_retries` and `retry_backoff`).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawRetry {
    /// Attempts in all, the first included (integer >= 1). Default 3.
    #[schemars(range(min = 1))]
    pub(crate) max_attempts: Option<Raw<u32>>,
    /// Backoff before retry k is drawn up to min(backoff_cap, backoff_base * 2^(k-1)). Default "1s".
    pub(crate) backoff_base: Option<Raw<DurationText>>,
    /// Largest backoff ceiling. Default "60s".
    pub(crate) backoff_cap: Option<Raw<DurationText>>,
    /// "full" (uniform between 0 and the ceiling) or "none". Default "full".
    pub(crate) jitter: Option<Raw<JitterText>>,
    /// When the last attempt fails: "abort" the session or "skip_step". Default "abort".
    pub(crate) on_failure: Option<Raw<OnFailureText>>,
    /// The client abandons an attempt not finished this long after sending it. Absent: no timeout.
    pub(crate) timeout: Option<Raw<DurationText>>,
}

/// `[workloads.objectives]`: latency objectives per request, for `slo_attainment`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawObjectives {
    /// Time to first token at most this.
    pub(crate) ttft: Option<Raw<DurationText>>,
    /// Time per output token (after the first) at most this.
    pub(crate) tpot: Option<Raw<DurationText>>,
    /// End-to-end latency at most this.
    pub(crate) e2e: Option<Raw<DurationText>>,
}

/// `[[workloads]]`: a population of agent sessions sent to one provider.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawWorkload {
    /// Unique among workloads.
    #[schemars(required)]
    pub(crate) name: Option<Raw<String>>,
    /// Name of the provider that serves every request of this workload (fixed routing). Required unless `routing` is given; not with it.
    pub(crate) provider: Option<Raw<String>>,
    /// Client-side routing across several providers (docs/routing.md); not with `provider`.
    pub(crate) routing: Option<RawRouting>,
    /// When and how many sessions start.
    #[schemars(required)]
    pub(crate) arrivals: Option<RawArrivals>,
    /// Shorthand for one shared segment named "<workload name>/shared" (not with `shared_segments`), integer >= 0. Default 0.
    pub(crate) shared_prefix_tokens: Option<Raw<u64>>,
    /// Named segments every prompt starts with, in order; the same name is the same content in every workload.
    pub(crate) shared_segments: Option<Vec<RawSegment>>,
    /// Private task tokens per session, a token distribution. Default 0.
    pub(crate) task_tokens: Option<Raw<TokenDistSpec>>,
    /// LLM requests per session, a token (count) distribution; samples below 1 count as 1. Required unless arrivals come from a trace.
    pub(crate) steps: Option<Raw<TokenDistSpec>>,
    /// Output tokens per request, a token distribution. Required unless arrivals come from a trace.
    pub(crate) output_tokens: Option<Raw<TokenDistSpec>>,
    /// Reasoning tokens per request, a token distribution, billed as output. Default 0.
    pub(crate) reasoning_tokens: Option<Raw<TokenDistSpec>>,
    /// Whether reasoning tokens are appended to the history. Default false.
    pub(crate) reasoning_in_history: Option<Raw<bool>>,
    /// Tokens a tool returns after each step, a token distribution. Default 0.
    pub(crate) tool_result_tokens: Option<Raw<TokenDistSpec>>,
    /// Pause between a response and the next request, a time distribution. Default "0s".
    pub(crate) think_time: Option<Raw<TimeDistSpec>>,
    /// "standard", "batch", "flex" or "priority" (price multiplier). Default "standard".
    pub(crate) service_tier: Option<Raw<ServiceTierText>>,
    /// API key / organisation, for cache scope "api_key". Default "default".
    pub(crate) api_key: Option<Raw<String>>,
    /// Where the client puts cache breakpoints, in prompt order. Default [{ after = "end" }].
    pub(crate) cache_breakpoints: Option<Vec<RawBreakpoint>>,
    /// Minimal requests that keep the prompt's cache entries warm during long pauses.
    pub(crate) keep_alive: Option<RawKeepAlive>,
    /// The request's `max_tokens`: output reserved at admission when the provider's rate limits reserve output. Default 4096.
    #[schemars(range(min = 1))]
    pub(crate) max_tokens: Option<Raw<u64>>,
    /// The client's retry policy and timeout.
    pub(crate) retry: Option<RawRetry>,
    /// A routing hint sent with every request (like OpenAI's prompt_cache_key): a replicas provider's prefix_affinity balancer combines it with the prompt's prefix. Default: none.
    pub(crate) prompt_cache_key: Option<Raw<String>>,
    /// Latency objectives, for `slo_attainment`.
    pub(crate) objectives: Option<RawObjectives>,
    /// Per step, after it, the session stops with this probability (0 < p <= 1; not with `steps`): a geometric number of steps, mean 1/p, capped at `max_steps`.
    pub(crate) stop_probability: Option<Raw<f64>>,
    /// The cap on steps under `stop_probability`, integer >= 1. Default 1000.
    #[schemars(range(min = 1))]
    pub(crate) max_steps: Option<Raw<u64>>,
    /// Tool calls per step, run in parallel, each returning `tool_result_tokens`; a count distribution, draws cut to 1..=1024. Default 1.
    pub(crate) tool_calls: Option<Raw<TokenDistSpec>>,
    /// How long one tool call takes, a time distribution; the next request waits for the slowest call, then the think time. Default "0s".
    pub(crate) tool_latency: Option<Raw<TimeDistSpec>>,
    /// Human turns: every few steps the agent waits for its user.
    pub(crate) human: Option<RawHuman>,
    /// A pool of documents with Zipf popularity that sessions retrieve into their prompt.
    pub(crate) knowledge_base: Option<RawKnowledgeBase>,
    /// Events that change one prompt segment for the rest of the session.
    pub(crate) cache_busting: Option<Vec<RawCacheBust>>,
    /// Steps that delegate work to concurrent child sessions (subagents).
    pub(crate) subagents: Option<RawSubagents>,
    /// Summarise the history when the prompt grows past a threshold.
    pub(crate) compaction: Option<RawCompaction>,
}

/// `[workloads.human]`: the agent's user, who answers every few steps.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawHuman {
    /// Agent steps between two user turns, a count distribution drawn per turn (draws below 1 count as 1).
    #[schemars(required)]
    pub(crate) every: Option<Raw<TokenDistSpec>>,
    /// How long the user takes, a time distribution; it replaces the think time at that step boundary.
    #[schemars(required)]
    pub(crate) pause: Option<Raw<TimeDistSpec>>,
    /// Tokens of the user's message, added to the history, a token distribution. Default 0.
    pub(crate) message_tokens: Option<Raw<TokenDistSpec>>,
}

/// `[workloads.knowledge_base]`: documents ranked by Zipf popularity.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawKnowledgeBase {
    /// Documents in the pool, integer 1..=1000000.
    #[schemars(range(min = 1))]
    #[schemars(required)]
    pub(crate) documents: Option<Raw<u64>>,
    /// Size of a document, a token distribution drawn once per document (the same document always has the same size).
    #[schemars(required)]
    pub(crate) tokens: Option<Raw<TokenDistSpec>>,
    /// Distinct documents a session retrieves, a count distribution (cut to `documents`). Default 1.
    pub(crate) per_session: Option<Raw<TokenDistSpec>>,
    /// Documents retrieved after each step (with repeats), appended to the history, a count distribution (draws cut to 1024). Default 0.
    pub(crate) per_step: Option<Raw<TokenDistSpec>>,
    /// Zipf exponent s >= 0: rank k is drawn with weight k^-s. Default 1.
    pub(crate) zipf_s: Option<Raw<f64>>,
}

/// `[[workloads.cache_busting]]`: a segment that may change during a session.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawCacheBust {
    /// A shared segment's name, or "task".
    #[schemars(required)]
    pub(crate) segment: Option<Raw<String>>,
    /// Per step, the probability that the segment changes from the next request on, in [0, 1].
    #[schemars(required)]
    pub(crate) probability: Option<Raw<f64>>,
}

/// `subagents`: after a step, the agent may start child sessions and wait for all of them.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawSubagents {
    /// Chance that a step (other than a session's last) spawns children, in [0, 1].
    #[schemars(required)]
    pub(crate) probability: Option<Raw<f64>>,
    /// Children per spawning step, a token (count) distribution; draws are clamped to [1, 64]. Default 1.
    pub(crate) count: Option<Raw<TokenDistSpec>>,
    /// Steps per child, a token distribution. Default: the workload's `steps`.
    pub(crate) steps: Option<Raw<TokenDistSpec>>,
    /// A child's private task tokens, a token distribution. Default: the workload's `task_tokens`.
    pub(crate) task_tokens: Option<Raw<TokenDistSpec>>,
    /// Output tokens per child request, a token distribution. Default: the workload's `output_tokens`.
    pub(crate) output_tokens: Option<Raw<TokenDistSpec>>,
    /// A shared segment every child starts with after the parent's segments (its instructions), integer >= 0. Default 0.
    pub(crate) instructions_tokens: Option<Raw<u64>>,
}

/// `compaction`: when the next prompt would pass `threshold_tokens`, summarise the history first.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawCompaction {
    /// Prompt size (tokens) above which the history is summarised, integer >= 1.
    #[schemars(range(min = 1))]
    #[schemars(required)]
    pub(crate) threshold_tokens: Option<Raw<u64>>,
    /// Output tokens of the summary, a token distribution.
    #[schemars(required)]
    pub(crate) summary_tokens: Option<Raw<TokenDistSpec>>,
}

/// A named shared segment of the prompt.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawSegment {
    /// Segment name (not "task" or "end"); equal names are equal content across workloads.
    #[schemars(required)]
    pub(crate) name: Option<Raw<String>>,
    /// Size in tokens, integer >= 1.
    #[schemars(range(min = 1))]
    #[schemars(required)]
    pub(crate) tokens: Option<Raw<u64>>,
}

/// A client cache breakpoint.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawBreakpoint {
    /// A shared segment name, "task" (after the session's task) or "end" (end of every prompt).
    #[schemars(required)]
    pub(crate) after: Option<Raw<String>>,
    /// A tier intent: a tier name of the provider, "short"/"long" (its least/most TTL), or a duration mapped to the tier nearest in log-time (ties to the longer). Default: the provider's first tier.
    pub(crate) tier: Option<Raw<String>>,
}

/// `[workloads.routing]`: how each request picks its provider (docs/routing.md).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawRouting {
    /// "weighted", "sticky", "fallback", "cost_aware", "least_outstanding" or "lowest_latency".
    #[schemars(required)]
    pub(crate) policy: Option<Raw<RoutePolicyText>>,
    /// Candidate provider names, at least two, no repeats; their order is the fallback order. Not with `family`.
    pub(crate) providers: Option<Vec<Raw<String>>>,
    /// Every provider whose `family` is this, in file order (at least two). Not with `providers`.
    pub(crate) family: Option<Raw<String>>,
    /// Weighted and sticky: one weight >= 0 per candidate, not all zero. Default: equal.
    pub(crate) weights: Option<Vec<Raw<f64>>>,
    /// Fallback: the failures that move a request to the next candidate, any of "rate_limited", "error", "timeout", "outage". Default: all four.
    pub(crate) on: Option<Vec<Raw<FailoverText>>>,
    /// Fallback: how long a provider the chain failed over from is skipped, a duration >= 0. Default "60s".
    pub(crate) cooldown: Option<Raw<DurationText>>,
    /// Lowest_latency: weight of the newest time to first token in the moving average, in (0, 1]. Default 0.2.
    pub(crate) latency_smoothing: Option<Raw<f64>>,
}

/// `keep_alive`: during pauses longer than `interval`, send a minimal request every `interval`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawKeepAlive {
    /// Duration > 0.
    #[schemars(required)]
    pub(crate) interval: Option<Raw<DurationText>>,
    /// Output tokens of each keep-alive request, integer >= 1. Default 1.
    #[schemars(range(min = 1))]
    pub(crate) output_tokens: Option<Raw<u64>>,
}

/// `[workloads.arrivals]`: Poisson (`rate` or `rate_per_s`, and exactly one of `horizon`/`sessions`), a trace (`file`), or another process (docs/workloads.md).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawArrivals {
    /// Arrival process: "poisson", "trace", "piecewise", "daily", "gamma", "mmpp", "closed" or "scheduled". Default "poisson".
    pub(crate) kind: Option<Raw<ArrivalKind>>,
    /// Poisson, daily, gamma: mean session arrivals per second, > 0; not with `rate`.
    pub(crate) rate_per_s: Option<Raw<f64>>,
    /// Arrivals stop at this time (duration > 0); every kind but trace and scheduled `at`.
    pub(crate) horizon: Option<Raw<DurationText>>,
    /// Exactly this many sessions arrive (integer >= 1); every kind but trace and scheduled `at`.
    #[schemars(range(min = 1))]
    pub(crate) sessions: Option<Raw<u64>>,
    /// Trace: path of the trace file, relative to the scenario file.
    pub(crate) file: Option<Raw<String>>,
    /// Trace: file format: "mooncake" (the default), "azure", "generic", "generic-csv", "generic-jsonl" or "agent".
    pub(crate) format: Option<Raw<crate::trace::Format>>,
    /// Trace: "open" (each request at its recorded time, the default) or "closed" (a session's next request after the previous completes plus the recorded think gap).
    pub(crate) replay: Option<Raw<TraceReplayText>>,
    /// Trace: tokens per block id (Mooncake `hash_ids`, generic `prefix_blocks`), 1 to 2^20. Default 512.
    #[schemars(range(min = 1))]
    pub(crate) block_tokens: Option<Raw<u64>>,
    /// Trace: tokens of a prefix every session starts with (a common system prompt), for formats without block ids. Default 0.
    pub(crate) shared_prefix_tokens: Option<Raw<u64>>,
    /// Poisson, daily, gamma: mean session arrivals, a number per second or "N/unit" ("300/h"); not with rate_per_s.
    pub(crate) rate: Option<Raw<RateText>>,
    /// Piecewise: the rate until each instant, in order; the pattern repeats after the last.
    pub(crate) segments: Option<Vec<RawRateSegment>>,
    /// Daily: 24 non-negative weights of the UTC hours 0..23, multiplying `rate` / their mean.
    pub(crate) profile: Option<Vec<Raw<f64>>>,
    /// Gamma: coefficient of variation of the inter-arrival times, > 0 (1 = Poisson).
    pub(crate) cv: Option<Raw<f64>>,
    /// MMPP: the arrival rate in each of the two states.
    pub(crate) rates: Option<Vec<Raw<RateText>>>,
    /// MMPP: the mean time spent in each of the two states (exponential sojourns).
    pub(crate) sojourn: Option<Vec<Raw<DurationText>>>,
    /// Closed: how many sessions are live at once (integer >= 1).
    pub(crate) agents: Option<Raw<u64>>,
    /// Closed: pause before an ended session is replaced, a time distribution. Default "0s".
    pub(crate) gap: Option<Raw<TimeDistSpec>>,
    /// Scheduled: offsets from the start at which jobs are submitted (not with `every`).
    pub(crate) at: Option<Vec<Raw<DurationText>>>,
    /// Scheduled: submit jobs every this long from `start` (not with `at`).
    pub(crate) every: Option<Raw<DurationText>>,
    /// Scheduled with `every`: the first submission. Default "0s".
    pub(crate) start: Option<Raw<DurationText>>,
    /// Scheduled: sessions submitted at each instant (integer >= 1). Default 1.
    pub(crate) jobs: Option<Raw<u64>>,
}

/// One piece of a piecewise-constant arrival rate.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawRateSegment {
    /// The end of the piece, from the start of the pattern (duration > 0, after the previous one).
    pub(crate) until: Option<Raw<DurationText>>,
    /// The rate during the piece, a number per second or "N/unit"; may be 0.
    pub(crate) rate: Option<Raw<RateText>>,
}

/// The field names serde's derive gave a struct: the keys valid in that table.
pub(crate) fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    /// A deserializer that only records the field list it is asked for.
    struct Probe<'a>(&'a mut &'static [&'static str]);

    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("probe"))
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(serde::de::Error::custom("probe"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    // The probe always errs once it has the field list; the error carries nothing.
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_lists_come_from_serde() {
        assert_eq!(
            fields_of::<RawArrivals>()[..9],
            [
                "kind",
                "rate_per_s",
                "horizon",
                "sessions",
                "file",
                "format",
                "replay",
                "block_tokens",
                "shared_prefix_tokens"
            ]
        );
        assert_eq!(fields_of::<RawArrivals>().len(), 21);
        assert_eq!(fields_of::<RawScenario>().len(), 7);
        assert_eq!(fields_of::<RawBreakpoint>(), &["after", "tier"]);
    }
}
