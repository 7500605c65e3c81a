//! The validated agent anatomy of a workload: parallel tool calls, human
//! turns, a knowledge base with Zipf popularity and cache busting
//! (docs/workloads.md, "Agent anatomy").

use crate::dist::{Dist, TokenDist, cumulative};

/// The most tool calls one step may make; larger draws are cut to it.
pub const MAX_TOOL_CALLS: u64 = 1024;
/// The most documents a knowledge base may hold (its Zipf table is kept in memory).
pub const MAX_KB_DOCUMENTS: u64 = 1_000_000;
/// Default cap of a session's steps under `stop_probability`.
pub const DEFAULT_MAX_STEPS: u64 = 1000;

/// What a workload's sessions do besides the plain step loop. The default
/// is today's behaviour: one tool call of no latency per step, nothing else.
#[derive(Clone, Debug, PartialEq)]
pub struct Anatomy {
    /// Tool calls per step, run in parallel; each returns `tool_result_tokens`.
    pub tool_calls: TokenDist,
    /// Seconds one tool call takes; the pause before the next request is the
    /// slowest call plus the think time.
    pub tool_latency: Dist,
    pub human: Option<HumanTurns>,
    pub knowledge_base: Option<KnowledgeBase>,
    pub cache_busting: Vec<CacheBust>,
}

impl Default for Anatomy {
    fn default() -> Self {
        Anatomy {
            tool_calls: TokenDist::new(Dist::Fixed(1.0)),
            tool_latency: Dist::Fixed(0.0),
            human: None,
            knowledge_base: None,
            cache_busting: Vec::new(),
        }
    }
}

impl Anatomy {
    /// Mean tokens the retrieved documents add to the first prompt.
    pub fn mean_document_tokens(&self) -> f64 {
        self.knowledge_base
            .as_ref()
            .map_or(0.0, |k| k.per_session.mean_upper_bound().min(k.documents as f64) * k.tokens.mean_upper_bound())
    }

    /// Mean tokens a step boundary adds beyond the first tool call's result
    /// (`tool_result`: that result's mean): the other calls and the user's
    /// messages, spread over the steps between them.
    pub fn mean_extra_per_step(&self, tool_result: f64) -> f64 {
        let calls = self.tool_calls.mean_upper_bound().clamp(1.0, MAX_TOOL_CALLS as f64);
        let human = self.human.as_ref().map_or(0.0, |h| h.message_tokens.mean_upper_bound() / h.mean_every());
        let retrieved = self
            .knowledge_base
            .as_ref()
            .map_or(0.0, |k| k.per_step.mean_upper_bound().min(MAX_TOOL_CALLS as f64) * k.tokens.mean_upper_bound());
        (calls - 1.0) * tool_result + human + retrieved
    }

    /// An upper bound of the mean extra pause per step boundary: the slowest
    /// of n calls is at most their sum, and a user's pause is counted on top
    /// of (not instead of) the think time.
    pub fn mean_extra_pause_s(&self) -> f64 {
        let calls = self.tool_calls.mean_upper_bound().clamp(1.0, MAX_TOOL_CALLS as f64);
        let human = self.human.as_ref().map_or(0.0, |h| h.pause.mean_upper_bound() / h.mean_every());
        calls * self.tool_latency.mean_upper_bound() + human
    }
}

/// Every `every` agent steps (drawn per turn) the agent waits `pause` for its
/// user, whose message adds `message_tokens` to the history.
#[derive(Clone, Debug, PartialEq)]
pub struct HumanTurns {
    pub every: TokenDist,
    pub pause: Dist,
    pub message_tokens: TokenDist,
}

impl HumanTurns {
    /// Mean steps between two user turns (draws below 1 count as 1).
    pub fn mean_every(&self) -> f64 {
        self.every.mean_upper_bound().max(1.0)
    }
}

/// A pool of `documents` documents, ranked by popularity (Zipf with exponent
/// `zipf_s`); each session retrieves `per_session` distinct ones.
#[derive(Clone, Debug, PartialEq)]
pub struct KnowledgeBase {
    pub documents: u64,
    /// Size of a document, drawn once per document (keyed by its rank).
    pub tokens: TokenDist,
    pub per_session: TokenDist,
    /// Documents retrieved after each step, appended to the history (cut to 1024).
    pub per_step: TokenDist,
    pub zipf_s: f64,
    /// P(rank <= i + 1), for drawing ranks (derived, not written back).
    pub cumulative: Vec<f64>,
}

impl KnowledgeBase {
    pub fn new(documents: u64, tokens: TokenDist, per_session: TokenDist, per_step: TokenDist, zipf_s: f64) -> Self {
        let weights: Vec<f64> = (1..=documents).map(|k| crate::maths::powf(k as f64, -zipf_s)).collect();
        let cumulative = cumulative(&weights);
        KnowledgeBase { documents, tokens, per_session, per_step, zipf_s, cumulative }
    }
}

/// Per step, with `probability`, the session's copy of `target` changes
/// from the next request on.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheBust {
    pub target: BustTarget,
    pub probability: f64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BustTarget {
    /// A named shared segment.
    Segment(String),
    /// The session's private task.
    Task,
}
