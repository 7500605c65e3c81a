//! Rows of the Azure, generic and agent formats -> a [`Trace`]: arrival
//! order, session ids interned to indices, steps, think gaps and each
//! request's prompt blocks (docs/traces.md, "Prompts").
//!
//! Prompt model, for rows without block ids:
//! - a session's first request is the shared prefix (`shared_prefix_tokens`,
//!   one block every session has) followed by one private block up to its
//!   input length; a request without a session is a session of its own, so
//!   Azure requests share nothing but that prefix;
//! - request k of a session keeps the blocks of request k-1 that end within
//!   the shared length, then one new block up to its own input. The shared
//!   length is the whole previous prompt when the prompt grew (an agent's
//!   history is append-only), else the recorded cache read (`prefix_tokens`,
//!   proof that much was the same content), capped by both prompts. Whether
//!   the simulated cache still holds those blocks (after a pause, say) is the
//!   simulation's to decide: a recorded miss is not copied.

use super::error::{Collector, TraceErrorKind, TraceErrors};
use super::format::ParseOptions;
use super::{Trace, TraceRequest};
use std::collections::HashMap;

/// One request as a row says it, before ordering.
#[derive(Clone, Debug, Default)]
pub(super) struct Row {
    pub line: usize,
    /// Send time, microseconds on the file's own axis.
    pub at_us: i64,
    pub input: u64,
    pub output: u64,
    pub session: Option<String>,
    /// The row's recorded step number, checked against its time order.
    pub step: Option<u64>,
    /// Block ids of `block_tokens` tokens each (generic `prefix_blocks`).
    pub blocks: Option<Vec<u64>>,
    /// Recorded think gap before this request.
    pub think_us: Option<u64>,
    /// Recorded completion time, on the same axis as `at_us`.
    pub done_us: Option<i64>,
    /// Recorded cache read (agent `prefix_tokens`).
    pub prefix: Option<u64>,
}

/// Ids of derived blocks: the top bit set, so they never meet the ids a
/// generic trace gives (which must be below 2^63).
const DERIVED: u64 = 1 << 63;
/// The shared prefix of length `n` is one content, whichever request has it.
const SHARED: u64 = 1 << 62;

/// The largest block id a trace may give.
pub(super) const MAX_BLOCK_ID: u64 = DERIVED - 1;

/// What the previous request of a session left.
struct Last {
    at_us: i64,
    done_us: Option<i64>,
    step: Option<u64>,
    input: u64,
    blocks: Vec<u64>,
    ends: Vec<u64>,
    count: u32,
}

/// Orders `rows` by send time (ties keep file order), numbers sessions by
/// first arrival and derives steps, gaps and prompts.
pub(super) fn assemble(mut rows: Vec<Row>, options: &ParseOptions) -> Result<Trace, TraceErrors> {
    let mut bad = Collector::default();
    if rows.is_empty() {
        bad.push(1, TraceErrorKind::Empty);
        return bad.finish(Trace::new(options.block_tokens, Vec::new()));
    }
    rows.sort_by_key(|r| r.at_us);
    let t0 = rows[0].at_us;
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut last: Vec<Option<Last>> = Vec::new();
    let mut requests = Vec::with_capacity(rows.len());
    for (index, row) in rows.into_iter().enumerate() {
        let arrival_us = (row.at_us - t0) as u64;
        if arrival_us > crate::time::MAX_DURATION.as_micros() {
            bad.push(
                row.line,
                TraceErrorKind::field("timestamp", "more than 100 years after the trace's first request"),
            );
            continue;
        }
        let session = row.session.as_ref().map(|name| {
            let next = ids.len() as u32;
            *ids.entry(name.clone()).or_insert(next)
        });
        let prev = match session {
            Some(s) => {
                if last.len() <= s as usize {
                    last.resize_with(s as usize + 1, || None);
                }
                last[s as usize].take()
            }
            None => None,
        };
        if let (Some(p), Some(step)) = (&prev, row.step)
            && p.step.is_some_and(|ps| ps >= step)
        {
            let message = format!(
                "step {step} is sent after step {} of its session (by time); steps must increase with time",
                p.step.unwrap_or_default()
            );
            bad.push(row.line, TraceErrorKind::field("step", message));
        }
        let think_us = match (&prev, row.think_us) {
            (None, _) => 0,
            (Some(_), Some(t)) => t,
            (Some(p), None) => (row.at_us - p.done_us.unwrap_or(p.at_us)).max(0) as u64,
        };
        let (blocks, ends) = match &row.blocks {
            Some(given) => (given.clone(), Vec::new()),
            None => derived_prompt(&row, prev.as_ref(), index as u64, options.shared_prefix_tokens),
        };
        let step = prev.as_ref().map_or(0, |p| p.count);
        if let Some(s) = session {
            last[s as usize] = Some(Last {
                at_us: row.at_us,
                done_us: row.done_us,
                step: row.step,
                input: row.input,
                blocks: blocks.clone(),
                ends: ends.clone(),
                count: step + 1,
            });
        }
        if bad.is_empty() {
            requests.push(TraceRequest {
                arrival_us,
                input_tokens: row.input,
                output_tokens: row.output,
                blocks,
                ends,
                session,
                step,
                think_us,
            });
        }
    }
    bad.finish(()).map(|()| Trace::new(options.block_tokens, requests))
}

/// The blocks (ids and ends) of a request without block ids.
fn derived_prompt(row: &Row, prev: Option<&Last>, index: u64, shared_prefix: u64) -> (Vec<u64>, Vec<u64>) {
    let (mut blocks, mut ends) = match prev {
        None if shared_prefix > 0 => {
            let n = shared_prefix.min(row.input);
            (vec![DERIVED | SHARED | n], vec![n])
        }
        None => (Vec::new(), Vec::new()),
        Some(p) => {
            let grown = if row.input >= p.input { p.input } else { 0 };
            let shared = grown.max(row.prefix.unwrap_or(0)).min(row.input).min(p.input);
            let keep = p.ends.iter().take_while(|&&e| e <= shared).count();
            (p.blocks[..keep].to_vec(), p.ends[..keep].to_vec())
        }
    };
    if ends.last().copied().unwrap_or(0) < row.input {
        blocks.push(DERIVED | index);
        ends.push(row.input);
    }
    (blocks, ends)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: usize, at_s: i64, input: u64, session: Option<&str>) -> Row {
        Row { line, at_us: at_s * 1_000_000, input, output: 10, session: session.map(str::to_string), ..Row::default() }
    }

    fn opts(shared: u64) -> ParseOptions {
        ParseOptions { shared_prefix_tokens: shared, ..ParseOptions::default() }
    }

    #[test]
    fn sessions_are_numbered_by_first_arrival_and_prompts_grow() {
        // Rows out of order in the file: sorted by time; "b" arrives first.
        let rows = vec![
            row(1, 10, 1_000, Some("a")),
            row(2, 5, 300, Some("b")),
            Row { done_us: Some(12_000_000), ..row(3, 12, 900, Some("b")) },
            row(4, 20, 1_500, Some("a")),
        ];
        let t = assemble(rows, &opts(0)).unwrap();
        let r = &t.requests;
        assert_eq!(
            r.iter().map(|r| (r.arrival_us / 1_000_000, r.session, r.step)).collect::<Vec<_>>(),
            [(0, Some(0), 0), (5, Some(1), 0), (7, Some(0), 1), (15, Some(1), 1)]
        );
        // "b" step 1 grew from 300 to 900: it keeps step 0's block and adds one.
        assert_eq!(r[2].ends, [300, 900]);
        assert_eq!(r[2].blocks[0], r[0].blocks[0]);
        // Gaps: from the previous send (no completion recorded), 7 s and 10 s.
        assert_eq!((r[2].think_us, r[3].think_us), (7_000_000, 10_000_000));
        assert_eq!(r[3].ends, [1_000, 1_500]);
        assert_eq!(&t.sessions[..], [vec![0, 2].into_boxed_slice(), vec![1, 3].into_boxed_slice()]);
    }

    #[test]
    fn a_shrinking_prompt_keeps_only_blocks_within_the_recorded_read() {
        let rows = vec![
            row(1, 0, 1_000, Some("s")),
            row(2, 1, 1_600, Some("s")),
            Row { prefix: Some(1_200), ..row(3, 2, 1_300, Some("s")) },
            Row { prefix: Some(900), ..row(4, 3, 1_250, Some("s")) },
        ];
        let t = assemble(rows, &opts(0)).unwrap();
        assert_eq!(t.requests[2].ends, [1_000, 1_300]);
        assert_eq!(t.requests[2].blocks[0], t.requests[0].blocks[0]);
        // A read of 900 ends inside the first block: nothing is kept.
        assert_eq!(t.requests[3].ends, [1_250]);
        assert_ne!(t.requests[3].blocks[0], t.requests[0].blocks[0]);
    }

    #[test]
    fn without_sessions_requests_share_only_the_shared_prefix() {
        let t =
            assemble(vec![row(1, 0, 5_000, None), row(2, 1, 1_000, None), row(3, 2, 800, None)], &opts(1_000)).unwrap();
        let r = &t.requests;
        assert_eq!(
            (r[0].ends.clone(), r[1].ends.clone(), r[2].ends.clone()),
            (vec![1_000, 5_000], vec![1_000], vec![800])
        );
        assert_eq!(r[0].blocks[0], r[1].blocks[0]);
        assert_ne!(r[0].blocks[1], r[1].blocks.last().copied().unwrap_or(0));
        assert_eq!(t.sessions.len(), 3);
        assert!(!t.has_sessions);
        let t = assemble(vec![row(1, 0, 5_000, None)], &opts(0)).unwrap();
        assert_eq!(t.requests[0].ends, [5_000]);
    }

    #[test]
    fn steps_must_increase_with_time() {
        let rows =
            vec![Row { step: Some(1), ..row(1, 0, 10, Some("s")) }, Row { step: Some(0), ..row(2, 1, 10, Some("s")) }];
        let e = assemble(rows, &opts(0)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2: `step`: step 0 is sent after step 1 of its session (by time); steps must increase with time"
        );
    }
}
