//! Stage 1: the raw serde mirror of a scenario file, close to what the user typed.
//!
//! Every key is optional and every leaf is a [`Raw`] that accepts any TOML value, so
//! deserialization almost never fails and stage 2 (`validate.rs`) can report every
//! wrong type, missing key and out-of-range value at once. The same types generate
//! the JSON Schema, so the schema cannot drift from what the loader accepts. Doc
//! comments here become the schema's descriptions that editors show on hover.

use std::borrow::Cow;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};

use super::dists::{TimeDistSpec, TokenDistSpec};
use crate::time::{MAX_DURATION, SimDuration, parse_duration};

/// A leaf exactly as written. `T` says what it should be (for the schema and for
/// [`Leaf::read`]); checking is deferred to stage 2 so one bad value stops nothing.
#[derive(Clone, Debug)]
pub(crate) struct Raw<T> {
    pub(crate) value: toml::Value,
    marker: PhantomData<fn() -> T>,
}

impl<'de, T> Deserialize<'de> for Raw<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        toml::Value::deserialize(d).map(|value| Raw { value, marker: PhantomData })
    }
}

impl<T: JsonSchema> JsonSchema for Raw<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// A scalar type a [`Raw`] leaf can be read as; the error says what was expected and what was found.
pub(crate) trait Leaf {
    type Out;
    fn read(value: &toml::Value) -> Result<Self::Out, String>;
}

impl<T: Leaf> Raw<T> {
    pub(crate) fn read(&self) -> Result<T::Out, String> {
        T::read(&self.value)
    }
}

/// A value as written, for messages; very large or small numbers in exponent
/// notation (`1e300`, not three hundred digits).
pub(crate) fn shown_value(value: &toml::Value) -> String {
    match value {
        toml::Value::Float(x) if x.abs() >= 1e16 || (*x != 0.0 && x.abs() < 1e-6) => format!("{x:?}"),
        other => other.to_string(),
    }
}

/// Describes a value for messages: `string "abc"`, `integer -3`, `a table`.
pub(crate) fn describe(value: &toml::Value) -> String {
    match value {
        toml::Value::String(_) => format!("string {value}"),
        toml::Value::Integer(_) => format!("integer {value}"),
        toml::Value::Float(_) => format!("number {value}"),
        toml::Value::Boolean(_) => format!("boolean {value}"),
        toml::Value::Datetime(_) => format!("datetime {value}"),
        toml::Value::Array(_) => "an array".to_string(),
        toml::Value::Table(_) => "a table".to_string(),
    }
}

impl Leaf for u64 {
    type Out = u64;
    fn read(value: &toml::Value) -> Result<u64, String> {
        match value {
            toml::Value::Integer(i) => u64::try_from(*i).map_err(|_| format!("must be >= 0, got {i}")),
            other => Err(format!("expected a non-negative integer, got {}", describe(other))),
        }
    }
}

impl Leaf for u32 {
    type Out = u32;
    fn read(value: &toml::Value) -> Result<u32, String> {
        let n = u64::read(value)?;
        u32::try_from(n).map_err(|_| format!("must be at most {}, got {n}", u32::MAX))
    }
}

impl Leaf for f64 {
    type Out = f64;
    fn read(value: &toml::Value) -> Result<f64, String> {
        let x = match value {
            toml::Value::Integer(i) => *i as f64,
            toml::Value::Float(x) => *x,
            other => return Err(format!("expected a number, got {}", describe(other))),
        };
        if x.is_finite() { Ok(x) } else { Err(format!("must be a finite number, got {x}")) }
    }
}

impl Leaf for bool {
    type Out = bool;
    fn read(value: &toml::Value) -> Result<bool, String> {
        value.as_bool().ok_or_else(|| format!("expected true or false, got {}", describe(value)))
    }
}

impl Leaf for String {
    type Out = String;
    fn read(value: &toml::Value) -> Result<String, String> {
        value.as_str().map(str::to_string).ok_or_else(|| format!("expected a string, got {}", describe(value)))
    }
}

/// A duration string: a number followed by a unit, e.g. `"250ms"`, `"30s"`, `"5m"`.
#[derive(Debug)]
pub(crate) struct DurationText;

impl Leaf for DurationText {
    type Out = SimDuration;
    fn read(value: &toml::Value) -> Result<SimDuration, String> {
        match value {
            toml::Value::String(s) => parse_duration(s).map_err(|e| e.to_string()).and_then(|d| {
                if d > MAX_DURATION {
                    Err(format!("must be at most 100 years (\"36500d\"), got \"{}\"", crate::echo::clip(s)))
                } else {
                    Ok(d)
                }
            }),
            // A bare number is the commonest slip; the parser's message suggests the unit.
            toml::Value::Integer(_) | toml::Value::Float(_) => {
                Err(parse_duration(&value.to_string()).err().map(|e| e.to_string()).unwrap_or_default())
            }
            other => Err(format!("expected a duration string such as \"30s\", got {}", describe(other))),
        }
    }
}

/// The shortest exact text of a duration in h, m, s, ms and us, e.g. `5m`, `1h`,
/// `1h30m`, `24h`, `1s500ms`; `0s` for zero. Names the tier of a `ttl` shorthand.
pub fn format_duration_compact(d: SimDuration) -> String {
    const UNITS: [(&str, u64); 5] =
        [("h", 3_600_000_000), ("m", 60_000_000), ("s", 1_000_000), ("ms", 1_000), ("us", 1)];
    let mut rest = d.as_micros();
    if rest == 0 {
        return "0s".to_string();
    }
    let mut text = String::new();
    for (unit, us) in UNITS {
        if rest >= us {
            text.push_str(&format!("{}{unit}", rest / us));
            rest %= us;
        }
    }
    text
}

/// The regex documented for duration strings (also used by the schema).
pub(crate) const DURATION_PATTERN: &str = r"^\s*[0-9_]*\.?[0-9_]+\s*(us|µs|ms|s|m|min|h|d)\s*$";

impl JsonSchema for DurationText {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": DURATION_PATTERN,
            "description": "A duration: a number and a unit (us, ms, s, m, h, d), e.g. \"250ms\", \"30s\", \"5m\", \"1.5h\".",
            "examples": ["30s"]
        })
    }
}

/// Checks a string leaf against a fixed list of names; the error lists them.
fn choice<'a>(value: &'a toml::Value, what: &str, names: &[&str]) -> Result<&'a str, String> {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    match value.as_str() {
        Some(s) if names.contains(&s) => Ok(s),
        Some(other) => Err(format!(
            "unknown {what} `{other}`; expected {}{}",
            if names.len() == 1 { "" } else { "one of: " },
            names.join(", ")
        )),
        None => Err(format!(
            "expected {}, got {}",
            match quoted.as_slice() {
                [one] => format!("the string {one}"),
                [init @ .., last] => format!("{} or {last}", init.join(", ")),
                [] => "a string".to_string(),
            },
            describe(value)
        )),
    }
}

/// A string leaf that must be one of a fixed set of names: the enum, its `Leaf`
/// reading (with a message listing the names) and its schema (via serde's names).
macro_rules! name_leaf {
    ($(#[$doc:meta])* $ty:ident, $what:literal, { $($variant:ident = $name:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
        pub(crate) enum $ty {
            $(#[serde(rename = $name)] $variant,)+
        }

        impl $ty {
            pub(crate) const NAMES: &'static [&'static str] = &[$($name),+];
        }

        impl Leaf for $ty {
            type Out = $ty;
            fn read(value: &toml::Value) -> Result<$ty, String> {
                match choice(value, $what, Self::NAMES)? {
                    $($name => Ok($ty::$variant),)+
                    _ => Err(format!("unknown {}", $what)),
                }
            }
        }
    };
}

name_leaf!(
    /// How sessions arrive: a Poisson process, or replayed from a trace file.
    ArrivalKind, "arrival kind", { Poisson = "poisson", Trace = "trace" }
);
name_leaf!(
    /// Trace file format; only Mooncake JSONL for now.
    TraceFormat, "trace format", { Mooncake = "mooncake" }
);
name_leaf!(
    /// `automatic`: every prefix at or above `min_tokens` is cached; `explicit`: only prefixes ending at a client breakpoint.
    CacheModeText, "cache mode", { Automatic = "automatic", Explicit = "explicit" }
);
name_leaf!(
    /// What a full cache evicts: least recently used, least frequently used, or nothing (new entries are not stored).
    EvictionText, "eviction policy", { Lru = "lru", Lfu = "lfu", None = "none" }
);
name_leaf!(
    /// When an entry's TTL clock starts (and restarts on a hit): at the end of the request's prefill, or of its response.
    TtlStartText, "TTL start", { PrefillEnd = "prefill_end", ResponseEnd = "response_end" }
);
name_leaf!(
    /// Price tier of a workload's requests.
    ServiceTierText, "service tier", { Standard = "standard", Batch = "batch", Flex = "flex", Priority = "priority" }
);

/// One cache per provider, or one per API key (`workloads.api_key`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub(crate) enum CacheScopeText {
    #[serde(rename = "provider")]
    Provider,
    #[serde(rename = "api_key")]
    ApiKey,
}

impl Leaf for CacheScopeText {
    type Out = CacheScopeText;
    fn read(value: &toml::Value) -> Result<CacheScopeText, String> {
        if value.as_str() == Some("replica") {
            return Err("scope \"replica\" is not available yet: per-replica caches arrive with the replicas serving model; use \"provider\" or \"api_key\"".to_string());
        }
        match choice(value, "cache scope", &["provider", "api_key"])? {
            "provider" => Ok(CacheScopeText::Provider),
            _ => Ok(CacheScopeText::ApiKey),
        }
    }
}

/// A UTC time of day, `"HH:MM"` or `"HH:MM:SS"`; read as seconds since midnight.
#[derive(Debug)]
pub(crate) struct TimeOfDay;

/// The regex documented for times of day (also used by the schema).
pub(crate) const TIME_OF_DAY_PATTERN: &str = r"^([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$";

impl Leaf for TimeOfDay {
    type Out = u32;
    fn read(value: &toml::Value) -> Result<u32, String> {
        let bad = || {
            format!("expected a UTC time of day \"HH:MM\" or \"HH:MM:SS\" (00:00 to 23:59:59), got {}", describe(value))
        };
        let text = value.as_str().ok_or_else(bad)?;
        let parts: Vec<&str> = text.split(':').collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(bad());
        }
        let mut fields = [0u32; 3];
        for (i, part) in parts.iter().enumerate() {
            let width_ok = if i == 0 { (1..=2).contains(&part.len()) } else { part.len() == 2 };
            if !width_ok || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            fields[i] = part.parse().map_err(|_| bad())?;
        }
        let [h, m, s] = fields;
        if h > 23 || m > 59 || s > 59 {
            return Err(bad());
        }
        Ok(h * 3600 + m * 60 + s)
    }
}

impl JsonSchema for TimeOfDay {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "TimeOfDay".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": TIME_OF_DAY_PATTERN,
            "description": "A UTC time of day, \"HH:MM\" or \"HH:MM:SS\".",
            "examples": ["09:00"]
        })
    }
}

/// A calendar date `YYYY-MM-DD`, as a string or a TOML local date.
#[derive(Debug)]
pub(crate) struct DateText;

impl Leaf for DateText {
    type Out = String;
    fn read(value: &toml::Value) -> Result<String, String> {
        let text = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.to_string(),
            other => {
                return Err(format!("expected a date \"YYYY-MM-DD\", got {}", describe(other)));
            }
        };
        let b = text.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        let shape = b.len() == 10 && b[4] == b'-' && b[7] == b'-';
        let ok = shape
            && digits(0..4)
            && digits(5..7)
            && digits(8..10)
            && (1..=12).contains(&text[5..7].parse::<u32>().unwrap_or(0))
            && (1..=31).contains(&text[8..10].parse::<u32>().unwrap_or(0));
        if ok { Ok(text) } else { Err(format!("expected a date \"YYYY-MM-DD\", got {}", describe(value))) }
    }
}

impl JsonSchema for DateText {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Date".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            "description": "A date, \"YYYY-MM-DD\".",
            "examples": ["2026-11-20"]
        })
    }
}

/// A cache write price: one number for every tier, or a table by tier name.
#[derive(Debug)]
pub(crate) struct CacheWritePrice;

impl JsonSchema for CacheWritePrice {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "CacheWritePrice".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "USD per million tokens written to the cache, >= 0: one number for every TTL tier, or a table by tier name, e.g. { \"5m\" = 3.75, \"1h\" = 6.0 } (missing tiers cost the input price).",
            "oneOf": [
                { "type": "number", "minimum": 0 },
                { "type": "object", "additionalProperties": { "type": "number", "minimum": 0 } }
            ]
        })
    }
}

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
    /// Decode speed for output tokens, tokens/s > 0. Default 50.
    pub(crate) decode_tokens_per_s: Option<Raw<f64>>,
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
    /// Explicit mode: most breakpoints a request may carry, >= 1. Default 4.
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

/// `[[workloads]]`: a population of agent sessions sent to one provider.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawWorkload {
    /// Unique among workloads.
    #[schemars(required)]
    pub(crate) name: Option<Raw<String>>,
    /// Name of the provider that serves this workload.
    #[schemars(required)]
    pub(crate) provider: Option<Raw<String>>,
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
    /// A cache tier name of the workload's provider. Default: the provider's first tier.
    pub(crate) tier: Option<Raw<String>>,
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

/// `[workloads.arrivals]`: Poisson (`rate_per_s` and exactly one of `horizon`/`sessions`) or a trace (`file`).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawArrivals {
    /// Arrival process: "poisson" or "trace". Default "poisson".
    pub(crate) kind: Option<Raw<ArrivalKind>>,
    /// Poisson: mean session arrivals per second, > 0.
    pub(crate) rate_per_s: Option<Raw<f64>>,
    /// Poisson: arrivals stop at this time (duration > 0).
    pub(crate) horizon: Option<Raw<DurationText>>,
    /// Poisson: exactly this many sessions arrive (integer >= 1).
    #[schemars(range(min = 1))]
    pub(crate) sessions: Option<Raw<u64>>,
    /// Trace: path of the trace file, relative to the scenario file.
    pub(crate) file: Option<Raw<String>>,
    /// Trace: file format; "mooncake" (the default and only one for now).
    pub(crate) format: Option<Raw<TraceFormat>>,
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

    fn check<T: Leaf>(toml_value: &str, expect: Result<&str, &str>)
    where
        T::Out: std::fmt::Debug,
    {
        let value: toml::Value = toml::from_str::<toml::Table>(&format!("v = {toml_value}")).unwrap()["v"].clone();
        let got = T::read(&value).map(|v| format!("{v:?}"));
        match expect {
            Ok(debug) => assert_eq!(got, Ok(debug.to_string()), "{toml_value}"),
            Err(message) => assert_eq!(got, Err(message.to_string()), "{toml_value}"),
        }
    }

    #[test]
    fn leaves_read_or_explain() {
        check::<u64>("3", Ok("3"));
        check::<u64>("-3", Err("must be >= 0, got -3"));
        check::<u64>("1.5", Err("expected a non-negative integer, got number 1.5"));
        check::<u32>("4294967296", Err("must be at most 4294967295, got 4294967296"));
        check::<f64>("2", Ok("2.0"));
        check::<f64>("inf", Err("must be a finite number, got inf"));
        check::<f64>("nan", Err("must be a finite number, got NaN"));
        check::<f64>("\"3\"", Err("expected a number, got string \"3\""));
        check::<bool>("1", Err("expected true or false, got integer 1"));
        check::<String>("[1]", Err("expected a string, got an array"));
        check::<DurationText>("\"5m\"", Ok("SimDuration(300000000)"));
        check::<DurationText>("30", Err("`30` has no unit; write e.g. \"30s\" (units: us, ms, s, m, h, d)"));
        check::<DurationText>("{}", Err("expected a duration string such as \"30s\", got a table"));
        check::<DurationText>(
            "\"1e15d\"",
            Err(
                "`1e15d`: exponent notation is not supported in durations; write the number out, e.g. \"1000000000000000d\"",
            ),
        );
        check::<DurationText>(
            "\"1e999s\"",
            Err("`1e999s`: exponent notation is not supported in durations; write the number out"),
        );
        check::<DurationText>("\"1.5e\"", Err("unknown unit `e` in `1.5e` (units: us, ms, s, m, h, d)"));
        check::<ArrivalKind>("\"closed\"", Err("unknown arrival kind `closed`; expected one of: poisson, trace"));
        check::<ArrivalKind>("1", Err("expected \"poisson\" or \"trace\", got integer 1"));
        check::<TraceFormat>("true", Err("expected the string \"mooncake\", got boolean true"));
        check::<EvictionText>("\"fifo\"", Err("unknown eviction policy `fifo`; expected one of: lru, lfu, none"));
        check::<CacheScopeText>(
            "\"replica\"",
            Err(
                "scope \"replica\" is not available yet: per-replica caches arrive with the replicas serving model; use \"provider\" or \"api_key\"",
            ),
        );
        check::<CacheScopeText>("\"api_key\"", Ok("ApiKey"));
        check::<TimeOfDay>("\"09:30\"", Ok("34200"));
        check::<TimeOfDay>("\"9:30:15\"", Ok("34215"));
        check::<TimeOfDay>("\"23:59:59\"", Ok("86399"));
        for bad in ["\"24:00\"", "\"12:60\"", "\"12\"", "\"12:5\"", "\"a:00\"", "\"1:2:3:4\"", "\"\""] {
            check::<TimeOfDay>(
                bad,
                Err(&format!(
                    "expected a UTC time of day \"HH:MM\" or \"HH:MM:SS\" (00:00 to 23:59:59), got string {bad}"
                )),
            );
        }
        check::<TimeOfDay>(
            "900",
            Err("expected a UTC time of day \"HH:MM\" or \"HH:MM:SS\" (00:00 to 23:59:59), got integer 900"),
        );
        check::<DateText>("\"2026-11-20\"", Ok("\"2026-11-20\""));
        check::<DateText>("2026-11-20", Ok("\"2026-11-20\""));
        check::<DateText>("\"2026-13-01\"", Err("expected a date \"YYYY-MM-DD\", got string \"2026-13-01\""));
        check::<DateText>(
            "2026-11-20T10:00:00",
            Err("expected a date \"YYYY-MM-DD\", got datetime 2026-11-20T10:00:00"),
        );
    }

    #[test]
    fn durations_format_compactly() {
        let f = |us: u64| format_duration_compact(SimDuration::from_micros(us));
        assert_eq!(f(300_000_000), "5m");
        assert_eq!(f(3_600_000_000), "1h");
        assert_eq!(f(30_000_000), "30s");
        assert_eq!(f(5_400_000_000), "1h30m");
        assert_eq!(f(86_400_000_000), "24h");
        assert_eq!(f(1_500_000), "1s500ms");
        assert_eq!(f(250), "250us");
        assert_eq!(f(0), "0s");
    }

    #[test]
    fn field_lists_come_from_serde() {
        assert_eq!(fields_of::<RawArrivals>(), &["kind", "rate_per_s", "horizon", "sessions", "file", "format"]);
        assert_eq!(fields_of::<RawScenario>().len(), 5);
        assert_eq!(fields_of::<RawBreakpoint>(), &["after", "tier"]);
    }
}
