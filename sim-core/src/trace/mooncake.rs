//! The Mooncake trace format (kvcache-ai/Mooncake, FAST'25 release): JSONL,
//! one request per line, `{"timestamp": ms, "input_length": tokens,
//! "output_length": tokens, "hash_ids": [block ids]}`, in arrival order.
//!
//! Validation is strict so a replay never silently means something else:
//! - every field present, a non-negative integer (ids too); other fields are
//!   ignored (forward compatible);
//! - timestamps never decrease (the format is in arrival order; sorting a
//!   file here would hide a broken export);
//! - `hash_ids` has exactly `ceil(input_length / block_tokens)` ids, the rule
//!   of every released Mooncake trace. No tolerance: one id too few or too many
//!   means the block size is wrong (or the line is corrupt), and a replay would
//!   then put every block boundary in the wrong place;
//! - an id always ends at the same token (block `i` ends at
//!   `min(block_tokens * (i + 1), input_length)`): prefix-chained ids name one
//!   prefix, hence one length. A replay credits a hit with the reading
//!   request's own block ends, which is then exactly what was stored. Every
//!   released Mooncake trace satisfies it (a partial last block has its own id).
//!
//! Blank lines are skipped; line numbers are 1-based physical lines. Every
//! bad line is reported, not just the first (see [`parse_mooncake_with`]).

use super::error::{MAX_TRACE_ERRORS, TraceError, TraceErrorKind, TraceErrors};
use super::{Trace, TraceRequest};
use serde_json::Value;
use std::collections::HashMap;

/// Parses a Mooncake trace with its standard 512-token blocks.
pub fn parse_mooncake(text: &str) -> Result<Trace, TraceErrors> {
    parse_mooncake_with(text, super::MOONCAKE_BLOCK_TOKENS)
}

/// Parses a Mooncake-format trace whose hash blocks hold `block_tokens`
/// tokens. Arrivals are made relative to the first request's timestamp.
///
/// Every line is checked and every bad line reported (up to
/// [`MAX_TRACE_ERRORS`], the rest counted). A bad line is left out of the
/// cross-line checks: a timestamp is compared with the previous valid
/// request's, and an id's end with the first valid line that gave it one.
///
/// # Panics
/// If `block_tokens` is 0 (callers validate their block size first).
pub fn parse_mooncake_with(text: &str, block_tokens: u64) -> Result<Trace, TraceErrors> {
    assert!(block_tokens > 0, "block_tokens must be positive");
    let mut requests = Vec::new();
    let mut errors = Vec::new();
    let mut more = 0;
    let mut first_ms = None;
    let mut previous_ms = 0;
    // Each id's end token and the valid line that first set it.
    let mut ends: HashMap<u64, (u64, usize)> = HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        // A UTF-8 byte-order mark is invisible in editors; not worth an error.
        let raw = if i == 0 { raw.trim_start_matches('\u{feff}') } else { raw };
        if raw.trim().is_empty() {
            continue;
        }
        match check_line(raw, line, block_tokens, first_ms, previous_ms, &ends) {
            Err(kind) => {
                if errors.len() < MAX_TRACE_ERRORS {
                    errors.push(TraceError { line, kind });
                } else {
                    more += 1;
                }
            }
            Ok((rec, arrival_us, new_ends)) => {
                first_ms.get_or_insert(rec.timestamp_ms);
                previous_ms = rec.timestamp_ms;
                ends.extend(new_ends);
                // Once the trace is known bad, only the checks matter.
                if errors.is_empty() {
                    requests.push(TraceRequest {
                        arrival_us,
                        input_tokens: rec.input,
                        output_tokens: rec.output,
                        blocks: rec.blocks,
                        ..Default::default()
                    });
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(TraceErrors { errors, more });
    }
    if requests.is_empty() {
        return Err(TraceError { line: 1, kind: TraceErrorKind::Empty }.into());
    }
    Ok(Trace::new(block_tokens, requests))
}

/// A valid line: its record, its arrival and the ids it gives an end first.
type CheckedLine = (Record, u64, HashMap<u64, (u64, usize)>);

/// Checks one non-blank line against the valid lines before it, changing
/// nothing: the caller records what a valid line sets.
fn check_line(
    raw: &str,
    line: usize,
    block_tokens: u64,
    first_ms: Option<u64>,
    previous_ms: u64,
    ends: &HashMap<u64, (u64, usize)>,
) -> Result<CheckedLine, TraceErrorKind> {
    let rec = parse_line(raw, block_tokens)?;
    if rec.timestamp_ms < previous_ms {
        return Err(TraceErrorKind::TimestampBackwards { timestamp: rec.timestamp_ms, previous: previous_ms });
    }
    // Ids new on this line; an id repeated within the line is checked too.
    let mut new_ends: HashMap<u64, (u64, usize)> = HashMap::new();
    for (i, &id) in rec.blocks.iter().enumerate() {
        let end = block_tokens.saturating_mul(i as u64 + 1).min(rec.input);
        match ends.get(&id).or_else(|| new_ends.get(&id)) {
            Some(&(first_end, first_line)) if first_end != end => {
                return Err(TraceErrorKind::BlockEndChanged { id, end, first_end, first_line });
            }
            Some(_) => {}
            None => {
                new_ends.insert(id, (end, line));
            }
        }
    }
    let first = first_ms.unwrap_or(rec.timestamp_ms);
    let arrival_us = (rec.timestamp_ms - first)
        .checked_mul(1_000)
        .filter(|us| *us <= crate::time::MAX_DURATION.as_micros())
        .ok_or(TraceErrorKind::TimestampTooLarge(rec.timestamp_ms))?;
    Ok((rec, arrival_us, new_ends))
}

struct Record {
    timestamp_ms: u64,
    input: u64,
    output: u64,
    blocks: Vec<u64>,
}

fn parse_line(raw: &str, block_tokens: u64) -> Result<Record, TraceErrorKind> {
    let value: Value = serde_json::from_str(raw).map_err(|e| TraceErrorKind::BadJson(e.to_string()))?;
    let Value::Object(obj) = value else {
        return Err(TraceErrorKind::NotAnObject(shown(&value)));
    };
    let field = |name: &'static str| obj.get(name).ok_or(TraceErrorKind::MissingField(name));
    let count = |name: &'static str| {
        let v = field(name)?;
        v.as_u64().ok_or_else(|| TraceErrorKind::NotCount { field: name, found: shown(v) })
    };
    let timestamp_ms = count("timestamp")?;
    // Lengths are bounded like every token count of a scenario, so a
    // replicate's sums stay far from `u64::MAX`.
    let tokens = |name: &'static str| {
        let n = count(name)?;
        if n > crate::dist::MAX_TOKENS {
            return Err(TraceErrorKind::TooManyTokens { field: name, found: n });
        }
        Ok(n)
    };
    let input = tokens("input_length")?;
    let output = tokens("output_length")?;
    let ids = field("hash_ids")?;
    let Value::Array(ids) = ids else {
        return Err(TraceErrorKind::HashIdsNotArray(shown(ids)));
    };
    let blocks = ids
        .iter()
        .enumerate()
        .map(|(index, v)| v.as_u64().ok_or_else(|| TraceErrorKind::BadHashId { index, found: shown(v) }))
        .collect::<Result<Vec<u64>, _>>()?;
    let expected = input.div_ceil(block_tokens);
    if blocks.len() as u64 != expected {
        return Err(TraceErrorKind::BlockCount { ids: blocks.len(), input, block: block_tokens, expected });
    }
    Ok(Record { timestamp_ms, input, output, blocks })
}

/// A JSON value as written, cut like every echoed value.
pub(super) fn shown(v: &Value) -> String {
    crate::echo::clip(&v.to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"timestamp": 0, "input_length": 1100, "output_length": 5, "hash_ids": [0, 1, 2]}
{"timestamp": 3, "input_length": 512, "output_length": 0, "hash_ids": [0]}"#;

    /// The one problem in `text`.
    fn err(text: &str) -> TraceError {
        let e = errs(text);
        assert_eq!((e.errors.len(), e.more), (1, 0), "{e}");
        e.errors.into_iter().next().unwrap()
    }

    fn errs(text: &str) -> TraceErrors {
        parse_mooncake(text).expect_err("should be rejected")
    }

    /// A valid line at `ts` ms with one 512-token block, id `id`.
    fn ok_line(ts: u64, id: u64) -> String {
        format!(r#"{{"timestamp": {ts}, "input_length": 512, "output_length": 1, "hash_ids": [{id}]}}"#)
    }

    /// `text` is GOOD's first line followed by `second` as line 2.
    fn err_on_line_2(second: &str) -> String {
        let first = GOOD.lines().next().unwrap();
        let e = err(&format!("{first}\n{second}\n"));
        assert_eq!(e.line, 2, "{e}");
        let msg = e.to_string();
        assert!(msg.starts_with("line 2: "), "{msg}");
        msg
    }

    #[test]
    fn parses_requests_in_order_with_relative_microsecond_arrivals() {
        let text = format!(
            "\n{}\n\n",
            GOOD.replace("\"timestamp\": 0", "\"timestamp\": 1000").replace("\"timestamp\": 3", "\"timestamp\": 1003")
        );
        let t = parse_mooncake(&text).unwrap();
        assert_eq!(t.block_tokens, 512);
        assert_eq!(
            t.requests,
            [
                TraceRequest {
                    arrival_us: 0,
                    input_tokens: 1100,
                    output_tokens: 5,
                    blocks: vec![0, 1, 2],
                    ..Default::default()
                },
                TraceRequest {
                    arrival_us: 3_000,
                    input_tokens: 512,
                    output_tokens: 0,
                    blocks: vec![0],
                    ..Default::default()
                },
            ]
        );
    }

    #[test]
    fn extra_fields_crlf_and_a_byte_order_mark_are_accepted() {
        let text = "\u{feff}{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [9], \"note\": \"x\"}\r\n";
        assert_eq!(parse_mooncake(text).unwrap().requests[0].blocks, [9]);
    }

    #[test]
    fn a_request_with_no_input_has_no_blocks() {
        let text = r#"{"timestamp": 0, "input_length": 0, "output_length": 1, "hash_ids": []}"#;
        assert!(parse_mooncake(text).unwrap().requests[0].blocks.is_empty());
    }

    #[test]
    fn bad_json_names_its_line() {
        let msg = err_on_line_2(r#"{"timestamp": 1, "input_length": "#);
        assert!(msg.contains("not valid JSON"), "{msg}");
        assert!(err_on_line_2("[1, 2]").contains("expected a JSON object"));
    }

    #[test]
    fn a_missing_field_is_named() {
        let msg = err_on_line_2(r#"{"timestamp": 1, "output_length": 5, "hash_ids": [0]}"#);
        assert_eq!(msg, "line 2: missing field `input_length`");
        let msg = err_on_line_2(r#"{"timestamp": 1, "input_length": 5, "output_length": 5}"#);
        assert_eq!(msg, "line 2: missing field `hash_ids`");
    }

    #[test]
    fn negative_fractional_and_string_numbers_are_rejected() {
        let msg = err_on_line_2(r#"{"timestamp": 1, "input_length": -5, "output_length": 5, "hash_ids": [0]}"#);
        assert_eq!(msg, "line 2: `input_length` must be a non-negative integer, found -5");
        let msg = err_on_line_2(r#"{"timestamp": 1.5, "input_length": 5, "output_length": 5, "hash_ids": [0]}"#);
        assert_eq!(msg, "line 2: `timestamp` must be a non-negative integer, found 1.5");
        let msg = err_on_line_2(r#"{"timestamp": 1, "input_length": 5, "output_length": "5", "hash_ids": [0]}"#);
        assert!(msg.contains("`output_length` must be a non-negative integer, found \"5\""), "{msg}");
        let msg = err_on_line_2(r#"{"timestamp": 1, "input_length": 600, "output_length": 5, "hash_ids": [0, -1]}"#);
        assert_eq!(msg, "line 2: `hash_ids[1]` must be a non-negative integer, found -1");
        let msg = err_on_line_2(r#"{"timestamp": 1, "input_length": 600, "output_length": 5, "hash_ids": 3}"#);
        assert!(msg.contains("`hash_ids` must be an array"), "{msg}");
    }

    #[test]
    fn decreasing_timestamps_are_rejected_equal_ones_are_not() {
        let text = GOOD.replace("\"timestamp\": 0", "\"timestamp\": 7");
        let e = err(&text);
        assert_eq!(e.line, 2);
        assert!(e.to_string().contains("timestamp 3 ms is earlier than the previous request's 7 ms"), "{e}");
        let same = GOOD.replace("\"timestamp\": 3", "\"timestamp\": 0");
        assert_eq!(parse_mooncake(&same).unwrap().requests[1].arrival_us, 0);
    }

    #[test]
    fn hash_id_count_must_match_the_input_length_exactly() {
        // 1100 tokens = 2 full blocks + 76: 3 ids, no more, no fewer.
        let msg = err_on_line_2(r#"{"timestamp": 5, "input_length": 1100, "output_length": 5, "hash_ids": [0, 1]}"#);
        assert!(msg.contains("`hash_ids` has 2 ids, but input_length 1100 needs ceil(1100 / 512) = 3"), "{msg}");
        let msg = err_on_line_2(r#"{"timestamp": 5, "input_length": 1024, "output_length": 5, "hash_ids": [0, 1, 2]}"#);
        assert!(msg.contains("has 3 ids"), "{msg}");
        // With 256-token blocks the same input needs 4 ids.
        let line = r#"{"timestamp": 5, "input_length": 1024, "output_length": 5, "hash_ids": [0, 1, 2, 3]}"#;
        assert_eq!(parse_mooncake_with(line, 256).unwrap().block_tokens, 256);
    }

    #[test]
    fn an_id_must_keep_its_length() {
        // Id 2 is a 76-token partial block on line 1, a full block on line 2.
        let msg =
            err_on_line_2(r#"{"timestamp": 5, "input_length": 1600, "output_length": 5, "hash_ids": [0, 1, 2, 3]}"#);
        assert_eq!(
            msg,
            "line 2: hash id 2 ends at token 1536 here but at token 1100 on line 1; \
             a prefix-chained id names one prefix, so one length"
        );
        // The same partial block again (a repeated request) is fine.
        let again = format!("{}\n{}", GOOD.lines().next().unwrap(), GOOD.lines().next().unwrap());
        assert_eq!(parse_mooncake(&again).unwrap().requests.len(), 2);
    }

    #[test]
    fn an_empty_text_is_an_error() {
        assert_eq!(errs("").to_string(), "line 1: no requests: the text is empty or holds only blank lines");
        assert_eq!(err("\n  \n").kind, TraceErrorKind::Empty);
    }

    #[test]
    fn every_bad_line_is_reported_in_line_order() {
        let text = [
            ok_line(0, 0),
            "not json".into(),
            ok_line(5, 1),
            r#"{"timestamp": 6, "output_length": 5, "hash_ids": [0]}"#.into(),
            String::new(),
            ok_line(2, 2),
            ok_line(7, 3),
        ]
        .join("\n");
        let e = errs(&text);
        assert_eq!(e.more, 0);
        assert_eq!(e.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 4, 6]);
        let msg = e.to_string();
        let lines: Vec<&str> = msg.lines().collect();
        assert_eq!(lines.len(), 3, "{msg}");
        assert!(lines[0].starts_with("line 2: not valid JSON: "), "{msg}");
        assert_eq!(lines[1], "line 4: missing field `input_length`");
        assert!(lines[2].starts_with("line 6: timestamp 2 ms is earlier than the previous request's 5 ms;"), "{msg}");
    }

    #[test]
    fn past_fifty_problems_the_rest_are_counted() {
        let mut text = ok_line(0, 0);
        for _ in 0..60 {
            text.push_str("\n[1]");
        }
        let e = errs(&text);
        assert_eq!((e.errors.len(), e.more), (MAX_TRACE_ERRORS, 10));
        assert_eq!(e.errors.first().unwrap().line, 2);
        assert_eq!(e.errors.last().unwrap().line, 51);
        let msg = e.to_string();
        assert_eq!(msg.lines().count(), 51, "{msg}");
        assert!(msg.starts_with("line 2: expected a JSON object"), "{msg}");
        assert!(msg.ends_with(
            "\nline 51: expected a JSON object (one request per line), found [1]\n... and 10 more bad lines"
        ));
        let one = errs(&format!("{}\n[1]", text));
        assert!(one.to_string().ends_with("\n... and 11 more bad lines"), "{one}");
    }

    #[test]
    fn a_bad_line_is_left_out_of_the_cross_line_checks() {
        // Line 2 is bad (one id too many), so line 3's 20 ms is compared with
        // line 1's 10 ms, not line 2's 50 ms; line 4's 15 ms is then behind line 3.
        let too_late = r#"{"timestamp": 50, "input_length": 512, "output_length": 1, "hash_ids": [7, 8]}"#;
        let text = [ok_line(10, 0), too_late.into(), ok_line(20, 1), ok_line(15, 2)].join("\n");
        let e = errs(&text);
        assert_eq!(e.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 4], "{e}");
        assert_eq!(
            e.errors[1].kind,
            TraceErrorKind::TimestampBackwards { timestamp: 15, previous: 20 },
            "compared with line 3, the last valid request"
        );
        // A bad line (1: two ids for 100 tokens) sets no id's end: id 5 is
        // first given one on line 2.
        let short = r#"{"timestamp": 1, "input_length": 100, "output_length": 1, "hash_ids": [5]}"#;
        let text = [
            short.replace("\"timestamp\": 1", "\"timestamp\": 0").replace("[5]", "[5, 6]"),
            short.to_string(),
            ok_line(2, 5),
        ]
        .join("\n");
        let e = errs(&text);
        assert_eq!(e.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [1, 3], "{e}");
        assert_eq!(
            e.errors[1].kind,
            TraceErrorKind::BlockEndChanged { id: 5, end: 512, first_end: 100, first_line: 2 }
        );
        // A line whose id changes its end within the line sets no ends either:
        // line 2's id 4 ending at 512 is then fine.
        let twice = r#"{"timestamp": 0, "input_length": 1024, "output_length": 1, "hash_ids": [4, 4]}"#;
        let e = errs(&format!("{twice}\n{}", ok_line(1, 4)));
        assert_eq!(e.errors.len(), 1, "{e}");
        assert_eq!(
            e.errors[0].kind,
            TraceErrorKind::BlockEndChanged { id: 4, end: 1024, first_end: 512, first_line: 1 }
        );
    }

    #[test]
    fn huge_values_are_shown_cut_short() {
        let long = format!("\"{}\"", "x".repeat(100));
        let msg = err_on_line_2(&format!(r#"{{"timestamp": {long}}}"#));
        // The value with its quotes is 102 characters: 60 shown, 42 bytes cut.
        assert!(msg.ends_with("xxx…(+42 bytes)") && msg.len() < 140, "{msg}");
    }
}
