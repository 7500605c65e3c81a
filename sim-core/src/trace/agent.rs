//! Per-step agent traces (TraceLab round traces, uw-syfi/TraceLab): JSONL,
//! one LLM call ("round") per line. Read: `session_id` (string),
//! `round_index` (the step, checked to increase with time),
//! `input_tokens_total`, `output_tokens` (which includes any reasoning
//! tokens), `prefix_tokens` (the recorded cache read; optional) and
//! `timing_events` (`event_type`, ISO `timestamp`). Other keys are ignored.
//!
//! Timing: the request is sent at the last input event (`user_message` or
//! `tool_result`) before its first output event, or at its first event if it
//! has no input event; it completes at its last event. The think gap before
//! the next round is from that completion to the next send.
//! Prompts grow as `assemble.rs` describes: the recorded cache read is a
//! lower bound of the content shared with the previous round, never a
//! recorded miss to copy.

use super::assemble::{Row, assemble};
use super::csv_text::{self, check_tokens};
use super::error::{Collector, TraceErrorKind, TraceErrors};
use super::format::ParseOptions;
use super::mooncake::shown;
use super::{Trace, timestamp};
use serde_json::{Map, Value};

/// Events that bring input to the model: the send follows the last of them.
const INPUT_EVENTS: [&str; 2] = ["user_message", "tool_result"];

pub(super) fn parse(text: &str, options: &ParseOptions) -> Result<Trace, TraceErrors> {
    let mut bad = Collector::default();
    let mut rows = Vec::new();
    for (line, raw) in csv_text::lines(text) {
        let row = match serde_json::from_str::<Value>(raw) {
            Err(e) => Err(TraceErrorKind::BadJson(e.to_string())),
            Ok(Value::Object(obj)) => row(line, &obj),
            Ok(other) => Err(TraceErrorKind::NotAnObject(shown(&other))),
        };
        match row {
            Ok(r) => rows.push(r),
            Err(kind) => bad.push(line, kind),
        }
    }
    bad.finish(())?;
    assemble(rows, options)
}

fn row(line: usize, obj: &Map<String, Value>) -> Result<Row, TraceErrorKind> {
    let field = |name: &'static str| obj.get(name).filter(|v| !v.is_null()).ok_or(TraceErrorKind::MissingField(name));
    let count = |name: &'static str| {
        let v = field(name)?;
        let n = v.as_u64().ok_or_else(|| TraceErrorKind::NotCount { field: name, found: shown(v) })?;
        check_tokens(name, n)
    };
    let session = match field("session_id")? {
        Value::String(s) => s.clone(),
        v => return Err(TraceErrorKind::field("session_id", format!("must be a string, found {}", shown(v)))),
    };
    let step = count("round_index")?;
    let input = count("input_tokens_total")?;
    let output = count("output_tokens")?;
    let prefix =
        if obj.get("prefix_tokens").is_some_and(|v| !v.is_null()) { Some(count("prefix_tokens")?) } else { None };
    let (at_us, done_us) = timing(field("timing_events")?)?;
    Ok(Row {
        line,
        at_us,
        input,
        output,
        session: Some(session),
        step: Some(step),
        done_us: Some(done_us),
        prefix,
        ..Row::default()
    })
}

/// (send, completion) from a round's `timing_events`.
fn timing(events: &Value) -> Result<(i64, i64), TraceErrorKind> {
    const F: &str = "timing_events";
    let Value::Array(events) = events else {
        return Err(TraceErrorKind::field(F, format!("must be an array of events, found {}", shown(events))));
    };
    let mut send = None;
    let mut first = None;
    let mut last = i64::MIN;
    let mut output_seen = false;
    for (i, e) in events.iter().enumerate() {
        let kind = e.get("event_type").and_then(Value::as_str);
        let at = e
            .get("timestamp")
            .and_then(Value::as_str)
            .ok_or_else(|| "has no string `timestamp`".to_string())
            .and_then(timestamp::from_date_time)
            .map_err(|m| TraceErrorKind::field(format!("{F}[{i}].timestamp"), m))?;
        first.get_or_insert(at);
        last = last.max(at);
        match kind {
            Some(k) if INPUT_EVENTS.contains(&k) => {
                if !output_seen {
                    send = Some(at);
                }
            }
            Some(_) => output_seen = true,
            None => return Err(TraceErrorKind::field(format!("{F}[{i}].event_type"), "missing or not a string")),
        }
    }
    let Some(first) = first else {
        return Err(TraceErrorKind::field(F, "is empty: a round needs at least one timed event"));
    };
    Ok((send.unwrap_or(first), last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(session: &str, round: u64, input: u64, prefix: u64, events: &[(&str, &str)]) -> String {
        let events: Vec<String> = events
            .iter()
            .map(|(k, t)| format!(r#"{{"event_type": "{k}", "timestamp": "2026-06-01T05:40:{t}Z"}}"#))
            .collect();
        format!(
            r#"{{"session_id": "{session}", "round_index": {round}, "input_tokens_total": {input}, "prefix_tokens": {prefix}, "output_tokens": 50, "reasoning_output_tokens": null, "timing_events": [{}]}}"#,
            events.join(", ")
        )
    }

    #[test]
    fn rounds_become_session_steps_with_gaps_from_completion() {
        let text = [
            line("a", 0, 1_000, 0, &[("user_message", "00.000"), ("text", "02.000"), ("tool_call", "03.000")]),
            line("a", 1, 1_400, 1_000, &[("tool_result", "05.000"), ("tool_result", "06.500"), ("text", "08.000")]),
        ]
        .join("\n");
        let t = parse(&text, &ParseOptions::default()).unwrap();
        let r = &t.requests;
        // Round 1 is sent at its last tool result (6.5 s), 3.5 s after round 0 completed (3 s).
        assert_eq!((r[1].arrival_us, r[1].think_us, r[1].step, r[1].session), (6_500_000, 3_500_000, 1, Some(0)));
        assert_eq!((r[1].ends.clone(), r[1].blocks[0] == r[0].blocks[0]), (vec![1_000, 1_400], true));
    }

    #[test]
    fn malformed_rounds_name_their_field() {
        let ok = line("a", 0, 1_000, 0, &[("user_message", "00.000")]);
        let bad_time = line("a", 1, 1_000, 0, &[("user_message", "xx")]);
        let text = [
            ok.clone(),
            bad_time,
            ok.replace("\"round_index\": 0", "\"round_index\": -1"),
            ok.replace("1000", "\"many\""),
        ]
        .join("\n");
        let e = parse(&text, &ParseOptions::default()).unwrap_err().to_string();
        let lines: Vec<&str> = e.lines().collect();
        assert!(
            lines[0].starts_with("line 2: `timing_events[0].timestamp`: `2026-06-01T05:40:xxZ` is not a date-time"),
            "{e}"
        );
        assert_eq!(lines[1], "line 3: `round_index` must be a non-negative integer, found -1");
        assert_eq!(lines[2], "line 4: `input_tokens_total` must be a non-negative integer, found \"many\"");
    }
}
