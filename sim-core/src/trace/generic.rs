//! agentsim's generic trace format, for traces exported from anywhere: CSV
//! with a header, or JSONL with one object per line (told apart by the
//! first non-blank character, `{` for JSONL, unless the format says).
//!
//! Keys (CSV columns; an empty cell or JSON `null` is absent):
//! - `timestamp` (required): seconds as a number, or an RFC 3339 date-time;
//! - `input_tokens`, `output_tokens` (required): non-negative integers;
//! - `session_id` (optional): any string (or integer in JSON);
//! - `step` (optional): the request's position in its session, checked to
//!   increase with time;
//! - `prefix_blocks` (optional): block ids of `block_tokens` tokens each,
//!   `ceil(input_tokens / block_tokens)` of them (space-separated in CSV, an
//!   array in JSON); without them the prompt is derived (`assemble.rs`);
//! - `think_time_s` (optional): the recorded gap before the request, seconds.
//!
//! Other columns and keys are ignored.

use super::assemble::{MAX_BLOCK_ID, Row, assemble};
use super::csv_text::{self, Columns};
use super::error::{Collector, TraceErrorKind, TraceErrors};
use super::format::ParseOptions;
use super::mooncake::shown;
use super::{Trace, timestamp};
use serde_json::{Map, Value};

const KEYS: [&str; 7] =
    ["timestamp", "input_tokens", "output_tokens", "session_id", "step", "prefix_blocks", "think_time_s"];

/// A value as a row holds it: a CSV cell or a JSON value.
enum Cell<'a> {
    Text(&'a str),
    Json(&'a Value),
}

/// `jsonl`: `None` = detect from the first non-blank line.
pub(super) fn parse(text: &str, options: &ParseOptions, jsonl: Option<bool>) -> Result<Trace, TraceErrors> {
    let mut bad = Collector::default();
    let mut lines = csv_text::lines(text).peekable();
    let Some(&(first_line, first)) = lines.peek() else {
        bad.push(1, TraceErrorKind::Empty);
        return Err(bad.fail());
    };
    let jsonl = jsonl.unwrap_or_else(|| first.trim_start().starts_with('{'));
    let mut rows = Vec::new();
    let mut push = |line: usize, row: Result<Row, TraceErrorKind>, bad: &mut Collector| match row {
        Ok(r) => rows.push(r),
        Err(kind) => bad.push(line, kind),
    };
    if jsonl {
        for (line, raw) in lines {
            let row = match serde_json::from_str::<Value>(raw) {
                Err(e) => Err(TraceErrorKind::BadJson(e.to_string())),
                Ok(Value::Object(obj)) => row(line, options, |k| json_cell(&obj, k)),
                Ok(other) => Err(TraceErrorKind::NotAnObject(crate::echo::clip(&other.to_string()).into_owned())),
            };
            push(line, row, &mut bad);
        }
    } else {
        lines.next();
        let columns = csv_text::fields(first).and_then(|h| {
            let c = Columns::new(&h)?;
            for k in &KEYS[..3] {
                c.require(k)?;
            }
            Ok(c)
        });
        let columns = match columns {
            Ok(c) => c,
            Err(message) => {
                bad.push(first_line, TraceErrorKind::Header(message));
                return Err(bad.fail());
            }
        };
        for (line, raw) in lines {
            let row = csv_text::fields(raw).map_err(|m| TraceErrorKind::field("row", m)).and_then(|cells| {
                if cells.len() != columns.len() {
                    let message = format!("{} fields, the header has {}", cells.len(), columns.len());
                    return Err(TraceErrorKind::field("row", message));
                }
                row(line, options, |k| {
                    columns.find(k).map(|i| cells[i].as_str()).filter(|c| !c.trim().is_empty()).map(Cell::Text)
                })
            });
            push(line, row, &mut bad);
        }
    }
    bad.finish(())?;
    assemble(rows, options)
}

fn json_cell<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<Cell<'a>> {
    obj.get(key).filter(|v| !v.is_null()).map(Cell::Json)
}

/// Reads one row through `get`, which gives a key's cell if present.
fn row<'a>(line: usize, options: &ParseOptions, get: impl Fn(&str) -> Option<Cell<'a>>) -> Result<Row, TraceErrorKind> {
    let required = |k: &'static str| get(k).ok_or(TraceErrorKind::MissingField(k));
    let at = match required("timestamp")? {
        Cell::Json(Value::String(s)) => Cell::Text(s.as_str()),
        other => other,
    };
    let at_us = match at {
        Cell::Text(s) if looks_like_a_date(s) => timestamp::from_date_time(s),
        Cell::Text(s) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("`{}` is not seconds or a date-time", crate::echo::clip(s)))
            .and_then(timestamp::from_seconds),
        Cell::Json(v) => v
            .as_f64()
            .ok_or_else(|| format!("{} is not seconds or a date-time", shown(v)))
            .and_then(timestamp::from_seconds),
    }
    .map_err(|m| TraceErrorKind::field("timestamp", m))?;
    let input = count(required("input_tokens")?, "input_tokens")?;
    let input = csv_text::check_tokens("input_tokens", input)?;
    let output = csv_text::check_tokens("output_tokens", count(required("output_tokens")?, "output_tokens")?)?;
    let session = get("session_id")
        .map(|c| match c {
            Cell::Text(s) => Ok(s.trim().to_string()),
            Cell::Json(Value::String(s)) => Ok(s.clone()),
            Cell::Json(v) if v.is_u64() || v.is_i64() => Ok(v.to_string()),
            Cell::Json(v) => {
                Err(TraceErrorKind::field("session_id", format!("{} is not a string or integer", shown(v))))
            }
        })
        .transpose()?;
    let step = get("step").map(|c| count(c, "step")).transpose()?;
    let think_us = get("think_time_s")
        .map(|c| {
            let s = match c {
                Cell::Text(t) => t.trim().parse::<f64>().ok(),
                Cell::Json(v) => v.as_f64(),
            };
            s.filter(|s| s.is_finite() && *s >= 0.0 && *s <= crate::time::MAX_DURATION.as_secs_f64())
                .map(|s| (s * 1e6).round() as u64)
                .ok_or_else(|| {
                    TraceErrorKind::field("think_time_s", "must be a number of seconds >= 0, at most 100 years")
                })
        })
        .transpose()?;
    let blocks = get("prefix_blocks").map(|c| ids(c, input, options.block_tokens)).transpose()?;
    Ok(Row { line, at_us, input, output, session, step, blocks, think_us, ..Row::default() })
}

/// `YYYY-...`: a date-time rather than seconds (which may be negative).
fn looks_like_a_date(s: &str) -> bool {
    let s = s.trim().as_bytes();
    s.len() >= 10 && s[4] == b'-'
}

fn count(cell: Cell<'_>, field: &'static str) -> Result<u64, TraceErrorKind> {
    match cell {
        Cell::Text(t) => t.trim().parse().ok(),
        Cell::Json(v) => v.as_u64(),
    }
    .ok_or_else(|| {
        let found = match cell {
            Cell::Text(t) => format!("`{}`", crate::echo::clip(t)),
            Cell::Json(v) => shown(v),
        };
        TraceErrorKind::NotCount { field, found }
    })
}

/// `prefix_blocks`: ids below 2^63, exactly as many as the input needs.
fn ids(cell: Cell<'_>, input: u64, block_tokens: u64) -> Result<Vec<u64>, TraceErrorKind> {
    let bad = |found: String| {
        TraceErrorKind::field("prefix_blocks", format!("{found} is not a block id (an integer below 2^63)"))
    };
    let ids: Vec<u64> = match cell {
        Cell::Text(t) => t
            .split_whitespace()
            .map(|s| s.parse().map_err(|_| bad(format!("`{}`", crate::echo::clip(s)))))
            .collect::<Result<_, _>>()?,
        Cell::Json(Value::Array(a)) => {
            a.iter().map(|v| v.as_u64().ok_or_else(|| bad(shown(v)))).collect::<Result<_, _>>()?
        }
        Cell::Json(v) => {
            return Err(TraceErrorKind::field(
                "prefix_blocks",
                format!("must be an array of block ids, found {}", shown(v)),
            ));
        }
    };
    if let Some(&id) = ids.iter().find(|&&id| id > MAX_BLOCK_ID) {
        return Err(bad(id.to_string()));
    }
    let expected = input.div_ceil(block_tokens);
    if ids.len() as u64 != expected {
        let message = format!(
            "has {} ids, but input_tokens {input} needs ceil({input} / {block_tokens}) = {expected} blocks of {block_tokens} tokens (is block_tokens right?)",
            ids.len()
        );
        return Err(TraceErrorKind::field("prefix_blocks", message));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "timestamp,input_tokens,output_tokens,session_id,step,prefix_blocks,think_time_s\n\
        0.5,1024,10,s1,0,1 2,\n\
        2.0,1536,20,s1,1,1 2 3,0.25\n\
        1.0,100,5,,,,\n";

    #[test]
    fn csv_and_jsonl_read_the_same_requests() {
        let o = ParseOptions::default();
        let t = parse(CSV, &o, None).unwrap();
        let jsonl = r#"{"timestamp": 0.5, "input_tokens": 1024, "output_tokens": 10, "session_id": "s1", "step": 0, "prefix_blocks": [1, 2]}
{"timestamp": "1970-01-01T00:00:02Z", "input_tokens": 1536, "output_tokens": 20, "session_id": "s1", "step": 1, "prefix_blocks": [1, 2, 3], "think_time_s": 0.25}
{"timestamp": 1, "input_tokens": 100, "output_tokens": 5, "session_id": null}"#;
        assert_eq!(parse(jsonl, &o, None).unwrap(), t);
        let r = &t.requests;
        assert_eq!(
            r.iter().map(|r| (r.arrival_us, r.session, r.step)).collect::<Vec<_>>(),
            [(0, Some(0), 0), (500_000, None, 0), (1_500_000, Some(0), 1)]
        );
        assert_eq!((r[2].blocks.clone(), r[2].think_us, r[1].ends.clone()), (vec![1, 2, 3], 250_000, vec![100]));
        assert!(t.has_sessions);
    }

    #[test]
    fn bad_cells_name_line_and_field() {
        let o = ParseOptions::default();
        let text = format!("{CSV}x,1,1,,,,\n3,1,1,,,1 2,\n4,1,1,,,,-1\n5,1.5,1,,,,\n");
        let e = parse(&text, &o, None).unwrap_err().to_string();
        assert_eq!(
            e.lines().collect::<Vec<_>>(),
            [
                "line 5: `timestamp`: `x` is not seconds or a date-time",
                "line 6: `prefix_blocks`: has 2 ids, but input_tokens 1 needs ceil(1 / 512) = 1 blocks of 512 tokens (is block_tokens right?)",
                "line 7: `think_time_s`: must be a number of seconds >= 0, at most 100 years",
                "line 8: `input_tokens` must be a non-negative integer, found `1.5`",
            ]
        );
        let e = parse(r#"{"timestamp": 1, "output_tokens": 1}"#, &o, None).unwrap_err().to_string();
        assert_eq!(e, "line 1: missing field `input_tokens`");
        let e = parse("timestamp,output_tokens\n", &o, Some(false)).unwrap_err().to_string();
        assert_eq!(e, "line 1: header: no `input_tokens` column (columns: timestamp, output_tokens)");
        let e = parse(
            r#"{"timestamp": 1, "input_tokens": 1, "output_tokens": 1, "prefix_blocks": [9223372036854775808]}"#,
            &o,
            None,
        );
        assert!(e.unwrap_err().to_string().contains("9223372036854775808 is not a block id"));
    }
}
