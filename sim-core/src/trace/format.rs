//! The one seam between trace files and their users: [`Format`] names a file
//! format, [`parse`] turns text of that format into a [`Trace`]. `agentsim
//! replay`, `agentsim fit` and the scenario loader all come through here.

use super::error::TraceErrors;
use super::{MOONCAKE_BLOCK_TOKENS, Trace};
use std::fmt;
use std::str::FromStr;

/// A trace file format (docs/traces.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// kvcache-ai/Mooncake FAST'25 traces: JSONL, `timestamp` ms,
    /// `input_length`, `output_length`, `hash_ids`.
    #[default]
    Mooncake,
    /// Azure LLM inference traces 2023 (AzurePublicDataset): CSV
    /// `TIMESTAMP,ContextTokens,GeneratedTokens`, no prefix information.
    Azure,
    /// agentsim's own format, CSV or JSONL told apart by the first line.
    Generic,
    /// The generic format, CSV only.
    GenericCsv,
    /// The generic format, JSONL only.
    GenericJsonl,
    /// Per-step agent traces (TraceLab round traces): JSONL, one LLM call
    /// per line with `session_id`, `round_index`, token counts and timings.
    Agent,
}

impl Format {
    /// Every format's name, as scenarios and flags write it.
    pub const NAMES: &'static [&'static str] =
        &["mooncake", "azure", "generic", "generic-csv", "generic-jsonl", "agent"];

    pub fn name(self) -> &'static str {
        match self {
            Format::Mooncake => "mooncake",
            Format::Azure => "azure",
            Format::Generic => "generic",
            Format::GenericCsv => "generic-csv",
            Format::GenericJsonl => "generic-jsonl",
            Format::Agent => "agent",
        }
    }

    /// Whether requests of this format get their prompt from the trace's
    /// own block ids (Mooncake) rather than a derived one, so
    /// `shared_prefix_tokens` has no meaning there.
    pub fn has_block_ids(self) -> bool {
        self == Format::Mooncake
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        let all =
            [Format::Mooncake, Format::Azure, Format::Generic, Format::GenericCsv, Format::GenericJsonl, Format::Agent];
        match s {
            // TraceLab's round traces are the agent format's reference.
            "tracelab" => Ok(Format::Agent),
            _ => all.into_iter().find(|f| f.name() == s).ok_or_else(|| {
                format!(
                    "unknown trace format `{}`; expected one of: {}",
                    crate::echo::clip(s),
                    Format::NAMES.join(", ")
                )
            }),
        }
    }
}

/// How a trace's text becomes prompts, beyond its format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseOptions {
    /// Tokens per block id (Mooncake `hash_ids`, generic `prefix_blocks`).
    pub block_tokens: u64,
    /// A prefix of this many tokens every session starts with (a common
    /// system prompt), for formats without block ids; 0 = none.
    pub shared_prefix_tokens: u64,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions { block_tokens: MOONCAKE_BLOCK_TOKENS, shared_prefix_tokens: 0 }
    }
}

/// How a trace with sessions is sent (docs/traces.md, "Replay modes").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReplayMode {
    /// Every request at its recorded time, whatever the simulated provider did.
    #[default]
    Open,
    /// A session starts at its first request's time; each next request is
    /// sent when the previous one completes plus the recorded think gap.
    Closed,
}

impl ReplayMode {
    pub const NAMES: &'static [&'static str] = &["open", "closed"];

    pub fn name(self) -> &'static str {
        match self {
            ReplayMode::Open => "open",
            ReplayMode::Closed => "closed",
        }
    }
}

/// Everything a scenario says about reading and sending its trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceRead {
    pub format: Format,
    pub options: ParseOptions,
    pub replay: ReplayMode,
}

/// Parses `text` as a trace of `format`. Every bad line is reported (up to
/// [`super::MAX_TRACE_ERRORS`]), with its line and, where one is at fault, its field.
///
/// # Panics
/// If `options.block_tokens` is 0 (callers validate it first).
pub fn parse(format: Format, text: &str, options: &ParseOptions) -> Result<Trace, TraceErrors> {
    match format {
        Format::Mooncake => super::mooncake::parse_mooncake_with(text, options.block_tokens),
        Format::Azure => super::azure::parse(text, options),
        Format::Generic => super::generic::parse(text, options, None),
        Format::GenericCsv => super::generic::parse(text, options, Some(false)),
        Format::GenericJsonl => super::generic::parse(text, options, Some(true)),
        Format::Agent => super::agent::parse(text, options),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in Format::NAMES {
            assert_eq!(name.parse::<Format>().unwrap().name(), *name);
        }
        assert_eq!("tracelab".parse::<Format>(), Ok(Format::Agent));
        assert_eq!(
            "csv".parse::<Format>().unwrap_err(),
            "unknown trace format `csv`; expected one of: mooncake, azure, generic, generic-csv, generic-jsonl, agent"
        );
    }
}
