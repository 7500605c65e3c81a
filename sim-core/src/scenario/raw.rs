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
use crate::time::{SimDuration, parse_duration};

/// A leaf exactly as written. `T` says what it should be (for the schema and for
/// [`Leaf::read`]); checking is deferred to stage 2 so one bad value stops nothing.
#[derive(Clone, Debug)]
pub(crate) struct Raw<T> {
    pub(crate) value: toml::Value,
    marker: PhantomData<fn() -> T>,
}

impl<'de, T> Deserialize<'de> for Raw<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        toml::Value::deserialize(d).map(|value| Raw {
            value,
            marker: PhantomData,
        })
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
            toml::Value::Integer(i) => {
                u64::try_from(*i).map_err(|_| format!("must be >= 0, got {i}"))
            }
            other => Err(format!(
                "expected a non-negative integer, got {}",
                describe(other)
            )),
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
        if x.is_finite() {
            Ok(x)
        } else {
            Err(format!("must be a finite number, got {x}"))
        }
    }
}

impl Leaf for bool {
    type Out = bool;
    fn read(value: &toml::Value) -> Result<bool, String> {
        value
            .as_bool()
            .ok_or_else(|| format!("expected true or false, got {}", describe(value)))
    }
}

impl Leaf for String {
    type Out = String;
    fn read(value: &toml::Value) -> Result<String, String> {
        value
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("expected a string, got {}", describe(value)))
    }
}

/// A duration string: a number followed by a unit, e.g. `"250ms"`, `"30s"`, `"5m"`.
#[derive(Debug)]
pub(crate) struct DurationText;

impl Leaf for DurationText {
    type Out = SimDuration;
    fn read(value: &toml::Value) -> Result<SimDuration, String> {
        match value {
            toml::Value::String(s) => parse_duration(s).map_err(|e| e.to_string()),
            // A bare number is the commonest slip; the parser's message suggests the unit.
            toml::Value::Integer(_) | toml::Value::Float(_) => {
                Err(parse_duration(&value.to_string())
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default())
            }
            other => Err(format!(
                "expected a duration string such as \"30s\", got {}",
                describe(other)
            )),
        }
    }
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

/// How sessions arrive; only Poisson for now.
#[derive(Debug, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ArrivalKind {
    Poisson,
}

impl Leaf for ArrivalKind {
    type Out = ArrivalKind;
    fn read(value: &toml::Value) -> Result<ArrivalKind, String> {
        match value.as_str() {
            Some("poisson") => Ok(ArrivalKind::Poisson),
            Some(other) => Err(format!("unknown arrival kind `{other}`; expected: poisson")),
            None => Err(format!(
                "expected the string \"poisson\", got {}",
                describe(value)
            )),
        }
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
    pub(crate) replicates: Option<Raw<u32>>,
    /// Hard stop (duration > 0). Absent: run until every session has finished.
    pub(crate) end: Option<Raw<DurationText>>,
}

/// `[[providers]]`: one inference endpoint (a model at a provider).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawProvider {
    /// Unique among providers; workloads refer to it.
    #[schemars(required)]
    pub(crate) name: Option<Raw<String>>,
    /// Model label for reports. Default: the provider's name.
    pub(crate) model: Option<Raw<String>>,
    /// Concurrency and speed.
    pub(crate) serving: Option<RawServing>,
    /// Prompt cache.
    pub(crate) cache: Option<RawCache>,
    /// List prices, USD per million tokens.
    #[schemars(required)]
    pub(crate) pricing: Option<RawPricing>,
    /// Transient failures and retries.
    pub(crate) failures: Option<RawFailures>,
}

/// `[providers.serving]`: black-box serving model.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawServing {
    /// Requests in service at once (integer >= 1); the rest wait FIFO. Default 16.
    pub(crate) slots: Option<Raw<u32>>,
    /// Fixed per-request latency, a time distribution. Default "0s".
    pub(crate) base_latency: Option<Raw<TimeDistSpec>>,
    /// Prefill speed for non-cached input tokens, tokens/s > 0. Default 10000.
    pub(crate) prefill_tokens_per_s: Option<Raw<f64>>,
    /// Decode speed for output tokens, tokens/s > 0. Default 50.
    pub(crate) decode_tokens_per_s: Option<Raw<f64>>,
}

/// `[providers.cache]`: prefix cache entries with a TTL.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawCache {
    /// Default true.
    pub(crate) enabled: Option<Raw<bool>>,
    /// Time an entry lives after its last write (or hit), duration > 0. Default "5m".
    pub(crate) ttl: Option<Raw<DurationText>>,
    /// Whether a hit restarts the TTL. Default true.
    pub(crate) refresh_on_hit: Option<Raw<bool>>,
}

/// `[providers.pricing]`: USD per million tokens, each >= 0.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawPricing {
    /// Uncached input tokens.
    #[schemars(required)]
    pub(crate) input_usd_per_mtok: Option<Raw<f64>>,
    /// Input tokens read from the cache. Default: the input price.
    pub(crate) cache_read_usd_per_mtok: Option<Raw<f64>>,
    /// Input tokens written to the cache. Default: the input price.
    pub(crate) cache_write_usd_per_mtok: Option<Raw<f64>>,
    /// Output tokens (reasoning included).
    #[schemars(required)]
    pub(crate) output_usd_per_mtok: Option<Raw<f64>>,
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
    /// Tokens of the prefix every session shares (system prompt, tools), integer >= 0. Default 0.
    pub(crate) shared_prefix_tokens: Option<Raw<u64>>,
    /// Private task tokens per session, a token distribution. Default 0.
    pub(crate) task_tokens: Option<Raw<TokenDistSpec>>,
    /// LLM requests per session, a token (count) distribution; samples below 1 count as 1.
    #[schemars(required)]
    pub(crate) steps: Option<Raw<TokenDistSpec>>,
    /// Output tokens per request, a token distribution.
    #[schemars(required)]
    pub(crate) output_tokens: Option<Raw<TokenDistSpec>>,
    /// Tokens a tool returns after each step, a token distribution. Default 0.
    pub(crate) tool_result_tokens: Option<Raw<TokenDistSpec>>,
    /// Pause between a response and the next request, a time distribution. Default "0s".
    pub(crate) think_time: Option<Raw<TimeDistSpec>>,
}

/// `[workloads.arrivals]`: set exactly one of `horizon` or `sessions`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawArrivals {
    /// Arrival process. Default "poisson" (the only kind for now).
    pub(crate) kind: Option<Raw<ArrivalKind>>,
    /// Mean session arrivals per second, > 0.
    #[schemars(required)]
    pub(crate) rate_per_s: Option<Raw<f64>>,
    /// Arrivals stop at this time (duration > 0).
    pub(crate) horizon: Option<Raw<DurationText>>,
    /// Exactly this many sessions arrive (integer >= 1).
    pub(crate) sessions: Option<Raw<u64>>,
}

/// The field names serde's derive gave a struct: the keys valid in that table.
pub(crate) fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    /// A deserializer that only records the field list it is asked for.
    struct Probe<'a>(&'a mut &'static [&'static str]);

    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: serde::de::Visitor<'de>>(
            self,
            _: V,
        ) -> Result<V::Value, Self::Error> {
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
        let value: toml::Value =
            toml::from_str::<toml::Table>(&format!("v = {toml_value}")).unwrap()["v"].clone();
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
        check::<u64>(
            "1.5",
            Err("expected a non-negative integer, got number 1.5"),
        );
        check::<u32>(
            "4294967296",
            Err("must be at most 4294967295, got 4294967296"),
        );
        check::<f64>("2", Ok("2.0"));
        check::<f64>("inf", Err("must be a finite number, got inf"));
        check::<f64>("nan", Err("must be a finite number, got NaN"));
        check::<f64>("\"3\"", Err("expected a number, got string \"3\""));
        check::<bool>("1", Err("expected true or false, got integer 1"));
        check::<String>("[1]", Err("expected a string, got an array"));
        check::<DurationText>("\"5m\"", Ok("SimDuration(300000000)"));
        check::<DurationText>(
            "30",
            Err("`30` has no unit; write e.g. \"30s\" (units: us, ms, s, m, h, d)"),
        );
        check::<DurationText>(
            "{}",
            Err("expected a duration string such as \"30s\", got a table"),
        );
        check::<ArrivalKind>(
            "\"closed\"",
            Err("unknown arrival kind `closed`; expected: poisson"),
        );
    }

    #[test]
    fn field_lists_come_from_serde() {
        assert_eq!(
            fields_of::<RawArrivals>(),
            &["kind", "rate_per_s", "horizon", "sessions"]
        );
        assert_eq!(fields_of::<RawScenario>().len(), 5);
    }
}
