//! Request traces: parsed records that drive the cache model (`agentsim
//! replay`), a trace workload inside a scenario, or `agentsim fit`.
//!
//! - [`parse`]: the one entry point, text of a [`Format`] -> [`Trace`], or
//!   every bad line (up to [`MAX_TRACE_ERRORS`]) as [`TraceErrors`], each a
//!   [`TraceError`] naming its line and field. One parser per format:
//!   `mooncake.rs`, `azure.rs`, `generic.rs`, `agent.rs`; `assemble.rs` turns
//!   their rows into requests (order, sessions, think gaps, prompt blocks).
//! - [`replay`]: a trace through the prompt cache alone, per capacity
//!   (docs/traces.md).
//! - [`trace_stats`]: the few numbers a report header needs.

mod agent;
mod assemble;
mod azure;
mod csv_text;
mod error;
mod format;
mod generic;
mod mooncake;
pub mod replay;
mod timestamp;

pub use error::{MAX_TRACE_ERRORS, TraceError, TraceErrorKind, TraceErrors, more_bad_lines};
pub use format::{Format, ParseOptions, ReplayMode, TraceRead, parse};
pub use mooncake::{parse_mooncake, parse_mooncake_with};
pub use replay::{ReplayResult, replay, replay_capacities};

use crate::model::prompt::Block;
use crate::rng::splitmix64;
use crate::time::SimDuration;

/// Tokens per hash block in Mooncake traces.
pub const MOONCAKE_BLOCK_TOKENS: u64 = 512;

/// One traced request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceRequest {
    /// Arrival time in microseconds from the trace's first timestamp.
    pub arrival_us: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Prefix-chained block ids: equal ids at equal positions = same prefix.
    pub blocks: Vec<u64>,
    /// Where each block ends (tokens), when blocks are not all
    /// `block_tokens` long (the derived prompts of Azure, generic and agent
    /// traces); empty = the fixed-size rule of [`Trace::cache_blocks`].
    pub ends: Vec<u64>,
    /// The session this request belongs to (its position in the trace's
    /// order of first appearance), if the trace names sessions.
    pub session: Option<u32>,
    /// 0-based position of the request in its session.
    pub step: u32,
    /// The recorded think gap before this request: from the completion of the
    /// session's previous request (or, when the trace records no completion,
    /// its send) to this request's send. 0 for a session's first request.
    pub think_us: u64,
}

/// A whole trace, in arrival order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// Tokens per block; the last block of a request holds the remainder.
    pub block_tokens: u64,
    pub requests: Vec<TraceRequest>,
    /// Request indices of each session in step order, sessions by their
    /// first request's arrival; a request without a session is a session of
    /// its own. What closed-loop replay walks ([`ReplayMode::Closed`]).
    pub sessions: Vec<Box<[u32]>>,
    /// Whether the trace names sessions at all.
    pub has_sessions: bool,
}

/// The cache identity of trace block id `id`. Trace ids are small sequential
/// integers, and the cache's map uses a key as its own hash, so ids are mixed
/// first (a bijection: distinct ids stay distinct). The salt keeps them apart
/// from generated block identities; it is the one `model::session` uses for
/// trace workloads, so both paths see the same keys.
pub fn block_hash(id: u64) -> u64 {
    splitmix64(id ^ 0x4d00_0ca4_e000_0000)
}

impl Trace {
    /// A trace of `requests` (in arrival order), its sessions derived from
    /// the requests' session and step fields.
    pub fn new(block_tokens: u64, requests: Vec<TraceRequest>) -> Trace {
        let has_sessions = requests.iter().any(|r| r.session.is_some());
        let mut sessions: Vec<Vec<u32>> = Vec::new();
        // Each named session's position in `sessions` (its first arrival).
        let mut slot: Vec<usize> = Vec::new();
        for (i, r) in requests.iter().enumerate() {
            let Some(s) = r.session.map(|s| s as usize) else {
                sessions.push(vec![i as u32]);
                continue;
            };
            if s >= slot.len() {
                slot.resize(s + 1, usize::MAX);
            }
            if slot[s] == usize::MAX {
                slot[s] = sessions.len();
                sessions.push(Vec::new());
            }
            sessions[slot[s]].push(i as u32);
        }
        let mut sessions: Vec<Box<[u32]>> = sessions.into_iter().map(Vec::into_boxed_slice).collect();
        for s in &mut sessions {
            s.sort_by_key(|&i| (requests[i as usize].step, i));
        }
        Trace { block_tokens, requests, sessions, has_sessions }
    }

    /// Request `r`'s prompt as cache blocks: block `i` ends at
    /// `min(block_tokens * (i + 1), input_tokens)` and the last block ends at
    /// `input_tokens`, so a partial last block holds exactly its remainder.
    /// (The parser guarantees `blocks.len() == ceil(input_tokens / block_tokens)`,
    /// so the two rules agree for parsed traces.)
    pub fn cache_blocks(&self, r: &TraceRequest) -> Vec<Block> {
        if !r.ends.is_empty() {
            return r
                .blocks
                .iter()
                .zip(&r.ends)
                .map(|(&id, &end)| Block { hash: block_hash(id), end_tokens: end })
                .collect();
        }
        let n = r.blocks.len();
        r.blocks
            .iter()
            .enumerate()
            .map(|(i, &id)| {
                let end = if i + 1 == n {
                    r.input_tokens
                } else {
                    self.block_tokens.saturating_mul(i as u64 + 1).min(r.input_tokens)
                };
                Block { hash: block_hash(id), end_tokens: end }
            })
            .collect()
    }
}

/// What a report header says about a trace.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceStats {
    pub requests: usize,
    /// From the first arrival to the last.
    pub duration: SimDuration,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// `None` for an empty trace.
    pub mean_input_tokens: Option<f64>,
    pub mean_output_tokens: Option<f64>,
}

pub fn trace_stats(trace: &Trace) -> TraceStats {
    let rs = &trace.requests;
    let input_tokens: u64 = rs.iter().map(|r| r.input_tokens).sum();
    let output_tokens: u64 = rs.iter().map(|r| r.output_tokens).sum();
    let mean = |total: u64| (!rs.is_empty()).then(|| total as f64 / rs.len() as f64);
    let duration = match (rs.first(), rs.last()) {
        (Some(a), Some(b)) => SimDuration::from_micros(b.arrival_us.saturating_sub(a.arrival_us)),
        _ => SimDuration::ZERO,
    };
    TraceStats {
        requests: rs.len(),
        duration,
        input_tokens,
        output_tokens,
        mean_input_tokens: mean(input_tokens),
        mean_output_tokens: mean(output_tokens),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(arrival_us: u64, input: u64, output: u64, blocks: &[u64]) -> TraceRequest {
        TraceRequest {
            arrival_us,
            input_tokens: input,
            output_tokens: output,
            blocks: blocks.to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn cache_blocks_end_at_block_boundaries_and_the_input_length() {
        let t = Trace::new(512, vec![req(0, 1100, 1, &[7, 8, 9])]);
        let ends: Vec<u64> = t.cache_blocks(&t.requests[0]).iter().map(|b| b.end_tokens).collect();
        assert_eq!(ends, [512, 1024, 1100]);
        let exact = req(0, 1024, 1, &[7, 8]);
        let ends: Vec<u64> = t.cache_blocks(&exact).iter().map(|b| b.end_tokens).collect();
        assert_eq!(ends, [512, 1024]);
        assert_ne!(block_hash(0), block_hash(1));
    }

    #[test]
    fn stats_of_a_small_trace() {
        let t = Trace::new(512, vec![req(1_000, 100, 10, &[0]), req(5_000, 300, 30, &[0])]);
        let s = trace_stats(&t);
        assert_eq!(
            (s.requests, s.duration, s.input_tokens, s.output_tokens),
            (2, SimDuration::from_micros(4_000), 400, 40)
        );
        assert_eq!((s.mean_input_tokens, s.mean_output_tokens), (Some(200.0), Some(20.0)));
        let empty = trace_stats(&Trace::new(512, vec![]));
        assert_eq!((empty.requests, empty.mean_input_tokens), (0, None));
    }
}
