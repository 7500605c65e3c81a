//! The trace file a command reads (`replay`, `fit`): its flags, and reading
//! and parsing it through sim-core's one seam (`trace::parse`), with every
//! bad line reported as `FILE:line: message`.

use crate::input_file;
use clap::Args;
use sim_core::trace::{self, Format, ParseOptions, Trace, TraceError, TraceErrors};
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct TraceInput {
    /// Trace file (docs/traces.md).
    #[arg(long, value_name = "FILE")]
    pub trace: PathBuf,
    /// Format of the trace file: mooncake, azure, generic (CSV or JSONL,
    /// detected), generic-csv, generic-jsonl or agent (TraceLab round traces).
    #[arg(long, value_name = "FORMAT")]
    pub format: Format,
    /// Tokens per trace block id (Mooncake `hash_ids`, generic `prefix_blocks`;
    /// the last block of a request holds the remainder).
    #[arg(long, value_name = "N", default_value_t = trace::MOONCAKE_BLOCK_TOKENS,
          value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    pub block_tokens: u64,
    /// Tokens of a prefix every session starts with (a common system prompt),
    /// for formats without block ids (azure, generic without prefix_blocks, agent).
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(..=sim_core::dist::MAX_TOKENS))]
    pub shared_prefix_tokens: u64,
}

impl TraceInput {
    /// The file's bytes and its parsed trace.
    pub fn read(&self) -> anyhow::Result<(Vec<u8>, Trace)> {
        if self.shared_prefix_tokens > 0 && self.format.has_block_ids() {
            anyhow::bail!(crate::exit::InputRefused(format!(
                "--shared-prefix-tokens: not used with --format {}: its block ids give every prompt",
                self.format
            )));
        }
        let bytes = input_file::read(&self.trace, "trace")?;
        let file = || self.trace.display().to_string();
        let text = std::str::from_utf8(&bytes)
            .map_err(|e| TraceFileError { file: file(), errors: not_utf8(&bytes, e).into() })?;
        let options = ParseOptions { block_tokens: self.block_tokens, shared_prefix_tokens: self.shared_prefix_tokens };
        let trace =
            trace::parse(self.format, text, &options).map_err(|errors| TraceFileError { file: file(), errors })?;
        Ok((bytes, trace))
    }
}

/// A trace that does not parse: `FILE:line: message` per bad line, one per
/// line (then `FILE: ... and K more bad lines` past the parser's cap). Exits
/// 2 like an invalid scenario: the input is at fault, not the machine.
#[derive(Debug)]
pub struct TraceFileError {
    pub file: String,
    pub errors: TraceErrors,
}

impl fmt::Display for TraceFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{}: {}", self.file, e.line, e.kind)?;
        }
        if self.errors.more > 0 {
            write!(f, "\n{}: {}", self.file, trace::more_bad_lines(self.errors.more))?;
        }
        Ok(())
    }
}

impl std::error::Error for TraceFileError {}

/// Invalid UTF-8 is reported on its line like any other parse problem.
fn not_utf8(bytes: &[u8], e: std::str::Utf8Error) -> TraceError {
    let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
    TraceError { line, kind: trace::TraceErrorKind::BadJson("not UTF-8 text".into()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_read_file_colon_line() {
        let e = TraceFileError {
            file: "t.jsonl".into(),
            errors: TraceError { line: 7, kind: trace::TraceErrorKind::MissingField("hash_ids") }.into(),
        };
        assert_eq!(e.to_string(), "t.jsonl:7: missing field `hash_ids`");
        let e = TraceFileError {
            file: "t.jsonl".into(),
            errors: TraceErrors {
                errors: vec![
                    TraceError { line: 2, kind: trace::TraceErrorKind::MissingField("timestamp") },
                    TraceError { line: 7, kind: trace::TraceErrorKind::MissingField("hash_ids") },
                ],
                more: 3,
            },
        };
        assert_eq!(
            e.to_string(),
            "t.jsonl:2: missing field `timestamp`\nt.jsonl:7: missing field `hash_ids`\nt.jsonl: ... and 3 more bad lines"
        );
        // Built at run time: a literal invalid UTF-8 string trips a lint.
        let bytes: Vec<u8> = [&b"{}\n{}\n"[..], &[0xff]].concat();
        let err = std::str::from_utf8(&bytes).unwrap_err();
        assert_eq!(not_utf8(&bytes, err).line, 3);
    }
}
