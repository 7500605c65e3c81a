//! The Azure LLM inference trace format (Azure/AzurePublicDataset,
//! AzureLLMInferenceDataset2023; Patel et al., "Splitwise", ISCA 2024): CSV
//! with the header `TIMESTAMP,ContextTokens,GeneratedTokens`, a timestamp
//! like `2023-11-16 18:17:03.9799600` (UTC), one request per row.
//!
//! The trace has no prefix information and no sessions, so every request is a
//! session of its own whose context is private (no reuse between requests)
//! except an optional common prefix of `shared_prefix_tokens`
//! (`assemble.rs`; docs/traces.md says why).

use super::assemble::{Row, assemble};
use super::csv_text::{self, Columns};
use super::error::{Collector, TraceErrorKind, TraceErrors};
use super::format::ParseOptions;
use super::{Trace, timestamp};

pub(super) fn parse(text: &str, options: &ParseOptions) -> Result<Trace, TraceErrors> {
    let mut bad = Collector::default();
    let mut lines = csv_text::lines(text);
    let Some((header_line, header)) = lines.next() else {
        bad.push(1, TraceErrorKind::Empty);
        return Err(bad.fail());
    };
    let columns = csv_text::fields(header).and_then(|h| {
        let c = Columns::new(&h)?;
        Ok([c.require("timestamp")?, c.require("contexttokens")?, c.require("generatedtokens")?, c.len()])
    });
    let [ts, input, output, width] = match columns {
        Ok(c) => c,
        Err(message) => {
            bad.push(header_line, TraceErrorKind::Header(message));
            return Err(bad.fail());
        }
    };
    let mut rows = Vec::new();
    for (line, raw) in lines {
        let row = csv_text::fields(raw).map_err(|m| TraceErrorKind::field("row", m)).and_then(|cells| {
            if cells.len() != width {
                return Err(TraceErrorKind::field("row", format!("{} fields, the header has {width}", cells.len())));
            }
            let at_us = timestamp::from_date_time(&cells[ts]).map_err(|m| TraceErrorKind::field("TIMESTAMP", m))?;
            let input = csv_text::tokens("ContextTokens", &cells[input])?;
            let output = csv_text::tokens("GeneratedTokens", &cells[output])?;
            Ok(Row { line, at_us, input, output, ..Row::default() })
        });
        match row {
            Ok(r) => rows.push(r),
            Err(kind) => bad.push(line, kind),
        }
    }
    bad.finish(())?;
    assemble(rows, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "TIMESTAMP,ContextTokens,GeneratedTokens\n\
        2023-11-16 18:17:03.9799600,4808,10\n\
        2023-11-16 18:17:04.0319600,3180,8\n";

    #[test]
    fn rows_become_private_requests_at_relative_times() {
        let t = parse(TEXT, &ParseOptions::default()).unwrap();
        let r = &t.requests;
        assert_eq!((r[1].arrival_us, r[0].input_tokens, r[1].output_tokens), (52_000, 4_808, 8));
        assert_eq!((r[0].ends.clone(), r[0].session), (vec![4_808], None));
        assert_ne!(r[0].blocks, r[1].blocks);
    }

    #[test]
    fn bad_rows_name_line_and_field() {
        let text = format!("{TEXT}2023-11-16 18:17:05,-3,1\nyesterday,1,1\n1,2\n");
        let e = parse(&text, &ParseOptions::default()).unwrap_err().to_string();
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(lines[0], "line 4: `ContextTokens`: `-3` is not a non-negative integer");
        assert!(lines[1].starts_with("line 5: `TIMESTAMP`: `yesterday` is not a date-time"), "{e}");
        assert_eq!(lines[2], "line 6: `row`: 2 fields, the header has 3");
        let e = parse("time,ContextTokens\n", &ParseOptions::default()).unwrap_err().to_string();
        assert_eq!(e, "line 1: header: no `timestamp` column (columns: time, contexttokens)");
    }
}
