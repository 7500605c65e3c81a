//! Leaves of the raw scenario mirror: `Raw<T>` (a value as written, read
//! later) and the scalar types it can be read as (numbers, durations, names
//! from a fixed list, times of day, dates), with their messages and schemas.
//!
//! The lowest scenario module after `location.rs`: it imports no other scenario
//! module, so `context`, `dists` and `raw` can all build on it.

use std::borrow::Cow;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};

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
#[derive(Clone, Debug)]
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

/// Any TOML value, read as written: a swept parameter's value, whose meaning
/// depends on the key it is applied to (checked by applying it).
#[derive(Debug)]
pub(crate) struct AnyValue;

impl Leaf for AnyValue {
    type Out = toml::Value;
    fn read(value: &toml::Value) -> Result<toml::Value, String> {
        Ok(value.clone())
    }
}

impl JsonSchema for AnyValue {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "AnyValue".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A value of the swept key, written as in the file (a number, a string such as \"5m\", a table...)."
        })
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
    /// How sessions arrive: a Poisson process, replayed from a trace file, or another process (docs/workloads.md).
    ArrivalKind, "arrival kind", {
        Poisson = "poisson", Trace = "trace", Piecewise = "piecewise", Daily = "daily", Gamma = "gamma",
        Mmpp = "mmpp", Closed = "closed", Scheduled = "scheduled"
    }
);
/// A trace file's format is read by the trace module's own names, so a new
/// format needs no change here.
impl Leaf for crate::trace::Format {
    type Out = crate::trace::Format;
    fn read(value: &toml::Value) -> Result<Self::Out, String> {
        choice(value, "trace format", crate::trace::Format::NAMES)?.parse()
    }
}

impl JsonSchema for crate::trace::Format {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "TraceFormat".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "enum": crate::trace::Format::NAMES,
            "description": "Trace file format (docs/traces.md)."
        })
    }
}

name_leaf!(
    /// How a trace's sessions are sent: each request at its recorded time, or each after the previous completes plus the recorded gap.
    TraceReplayText, "replay mode", { Open = "open", Closed = "closed" }
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
    /// How a fleet of replicas picks a replica for a request.
    BalancerText, "load balancer", { RoundRobin = "round_robin", LeastOutstanding = "least_outstanding", LeastKv = "least_kv", PrefixAffinity = "prefix_affinity" }
);
name_leaf!(
    /// Whose requests share one set of rate-limit buckets.
    RateLimitScopeText, "rate limit scope", { ApiKey = "api_key", Provider = "provider" }
);
name_leaf!(
    /// What requests meet during an outage: an error at once, or no answer until the client's timeout.
    OutageModeText, "outage mode", { FailFast = "fail_fast", Hang = "hang" }
);
name_leaf!(
    /// Random backoff between 0 and the exponential ceiling ("full"), or exactly the ceiling ("none").
    JitterText, "jitter", { Full = "full", None = "none" }
);
name_leaf!(
    /// What a session does when a step's last attempt fails: end, or go on without the answer.
    OnFailureText, "failure policy", { Abort = "abort", SkipStep = "skip_step" }
);
name_leaf!(
    /// How a routed workload picks each request's provider (docs/routing.md).
    RoutePolicyText, "routing policy", {
        Weighted = "weighted", Sticky = "sticky", Fallback = "fallback", CostAware = "cost_aware",
        LeastOutstanding = "least_outstanding", LowestLatency = "lowest_latency"
    }
);
name_leaf!(
    /// A failure kind that moves a request down a fallback chain.
    FailoverText, "failover trigger", { RateLimited = "rate_limited", Error = "error", Timeout = "timeout", Outage = "outage" }
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
            return Err("scope \"replica\" belongs to self-hosted replicas: a provider with a [providers.replicas] table caches prefixes in each replica's KV memory (set `prefix_caching` there); an API provider's cache is scoped \"provider\" or \"api_key\"".to_string());
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
        // A bare `09:30` is a TOML local time (in a file or a `--set`): a time
        // of day too, so take it when it has no date, offset or fraction.
        if let toml::Value::Datetime(d) = value {
            return match (d.date, d.time, d.offset) {
                (None, Some(t), None) if t.nanosecond.unwrap_or(0) == 0 => {
                    Ok(u32::from(t.hour) * 3600 + u32::from(t.minute) * 60 + u32::from(t.second.unwrap_or(0)))
                }
                _ => Err(bad()),
            };
        }
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

/// A price per hour: a number, or `[low, high]` for a range drawn uniformly.
#[derive(Debug)]
pub(crate) struct PriceRange;

impl Leaf for PriceRange {
    /// (low, high), equal for a fixed price.
    type Out = (f64, f64);
    fn read(value: &toml::Value) -> Result<(f64, f64), String> {
        let (low, high) = match value {
            toml::Value::Array(a) if a.len() == 2 => (f64::read(&a[0])?, f64::read(&a[1])?),
            toml::Value::Array(a) => return Err(format!("expected [low, high], got {} values", a.len())),
            other => {
                let x = f64::read(other)?;
                (x, x)
            }
        };
        if low < 0.0 || high < low {
            return Err(format!(
                "must be a price >= 0 or [low, high] with 0 <= low <= high, got {}",
                shown_value(value)
            ));
        }
        Ok((low, high))
    }
}

impl JsonSchema for PriceRange {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "PriceRange".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                { "type": "number", "minimum": 0 },
                { "type": "array", "items": { "type": "number", "minimum": 0 }, "minItems": 2, "maxItems": 2 }
            ],
            "description": "USD per hour: a number, or [low, high] drawn uniformly once per replicate."
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

/// A load curve: `[[load, factor], ...]`, read by `validate_serving`.
#[derive(Debug)]
pub(crate) struct LoadCurveSpec;

impl JsonSchema for LoadCurveSpec {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "LoadCurve".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Decode speed multiplier by requests in service: [load, factor] points, loads strictly increasing integers >= 0, factors in (0, 1]; linear between points, flat beyond the ends.",
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "array",
                "prefixItems": [
                    { "type": "integer", "minimum": 0 },
                    { "type": "number", "exclusiveMinimum": 0, "maximum": 1 }
                ],
                "minItems": 2,
                "maxItems": 2
            },
            "examples": [[[0, 1.0], [32, 0.8], [64, 0.5]]]
        })
    }
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
        check::<ArrivalKind>(
            "\"open\"",
            Err(
                "unknown arrival kind `open`; expected one of: poisson, trace, piecewise, daily, gamma, mmpp, closed, scheduled",
            ),
        );
        check::<ArrivalKind>(
            "1",
            Err(
                "expected \"poisson\", \"trace\", \"piecewise\", \"daily\", \"gamma\", \"mmpp\", \"closed\" or \"scheduled\", got integer 1",
            ),
        );
        check::<crate::trace::Format>(
            "true",
            Err(
                "expected \"mooncake\", \"azure\", \"generic\", \"generic-csv\", \"generic-jsonl\" or \"agent\", got boolean true",
            ),
        );
        check::<EvictionText>("\"fifo\"", Err("unknown eviction policy `fifo`; expected one of: lru, lfu, none"));
        check::<CacheScopeText>(
            "\"replica\"",
            Err(
                "scope \"replica\" belongs to self-hosted replicas: a provider with a [providers.replicas] table caches prefixes in each replica's KV memory (set `prefix_caching` there); an API provider's cache is scoped \"provider\" or \"api_key\"",
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
}
