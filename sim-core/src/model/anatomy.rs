//! A session's agent anatomy: the documents it retrieves from its workload's
//! knowledge base, its parallel tool calls, its user's turns and the events
//! that bust its cache. Every draw comes from the session's own "anatomy"
//! stream, keyed like its plan, so a workload without these keys draws
//! exactly what it drew before they existed.

use super::prompt::Prompt;
use crate::dist::MAX_TOKENS;
use crate::rng::{ReplicateSeed, StreamId, StreamRng, fnv1a, splitmix64};
use crate::scenario::{Anatomy, BustTarget, KnowledgeBase, MAX_TOOL_CALLS, Workload};
use rand::Rng;

/// Content id of knowledge-base document `rank` of workload `workload`'s pool.
pub fn document_content(workload: u64, rank: u64) -> u64 {
    splitmix64(workload ^ fnv1a(b"knowledge_base") ^ rank.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// Size of document `rank`: drawn from a stream keyed by the document, not
/// the session, so the same document always has the same size.
pub fn document_tokens(seed: &ReplicateSeed, kb: &KnowledgeBase, workload: u64, rank: u64) -> u64 {
    kb.tokens.sample(&mut seed.stream(StreamId::indexed("kb_document", workload, rank)))
}

/// One Zipf rank (1-based) of `kb`.
pub fn zipf_rank(kb: &KnowledgeBase, rng: &mut StreamRng) -> u64 {
    let u: f64 = rng.random();
    kb.cumulative.partition_point(|c| *c <= u).min(kb.cumulative.len() - 1) as u64 + 1
}

/// The distinct ranks a session retrieves, most popular first (so sessions
/// that retrieve the same popular documents share that prefix).
pub fn session_documents(kb: &KnowledgeBase, rng: &mut StreamRng) -> Vec<u64> {
    let want = kb.per_session.sample(rng).min(kb.documents) as usize;
    let mut ranks: Vec<u64> = Vec::with_capacity(want);
    // Rejection of repeats, bounded: a session wanting most of a steep pool
    // then takes the most popular documents it has not drawn.
    let mut budget = 64 * want + 1000;
    while ranks.len() < want && budget > 0 {
        budget -= 1;
        let r = zipf_rank(kb, rng);
        if !ranks.contains(&r) {
            ranks.push(r);
        }
    }
    let mut next = 1;
    while ranks.len() < want {
        if !ranks.contains(&next) {
            ranks.push(next);
        }
        next += 1;
    }
    ranks.sort_unstable();
    ranks
}

/// What happens at one step boundary besides the plan's own draws.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Boundary {
    /// Tokens added to the history beyond the first tool call's result:
    /// the other calls' results and the user's message.
    pub extra_tokens: u64,
    /// Seconds until the slowest tool call returns.
    pub tool_wait_s: f64,
    /// The user's pause, which replaces the think time.
    pub human_pause_s: Option<f64>,
}

/// The anatomy state of a live session.
#[derive(Clone, Debug)]
pub struct SessionAnatomy {
    rng: StreamRng,
    /// What document sizes are drawn from, and the workload's pool key.
    seed: ReplicateSeed,
    workload: u64,
    /// Steps done at which the user's next turn comes.
    next_human: u64,
    /// Per cache-busting rule, the block its target starts at (none: an empty task).
    bust_blocks: Vec<Option<usize>>,
    /// Cache busts not yet counted by the engine.
    pub busts: u64,
    version: u64,
}

impl SessionAnatomy {
    /// The session's anatomy, drawn from `rng` (its "anatomy" stream), and
    /// the documents it retrieves pushed into `prompt` (after the shared
    /// segments, before the task).
    pub fn start(seed: &ReplicateSeed, mut rng: StreamRng, w: &Workload, workload: u64, prompt: &mut Prompt) -> Self {
        let a = &w.anatomy;
        if let Some(kb) = &a.knowledge_base {
            for rank in session_documents(kb, &mut rng) {
                prompt.push_shared(document_content(workload, rank), document_tokens(seed, kb, workload, rank));
            }
        }
        let next_human = a.human.as_ref().map_or(u64::MAX, |h| h.every.sample(&mut rng).max(1));
        SessionAnatomy { rng, seed: *seed, workload, next_human, bust_blocks: Vec::new(), busts: 0, version: 0 }
    }

    /// Records where each cache-busting target starts: `segment_blocks` per
    /// shared segment, `task_block` for the task.
    pub fn locate_busts(&mut self, w: &Workload, segment_blocks: &[Option<usize>], task_block: Option<usize>) {
        self.bust_blocks = w
            .anatomy
            .cache_busting
            .iter()
            .map(|b| match &b.target {
                BustTarget::Task => task_block,
                BustTarget::Segment(name) => {
                    w.shared_segments.iter().position(|s| &s.name == name).and_then(|i| segment_blocks[i])
                }
            })
            .collect();
    }

    /// Whether any cache-busting rule may rewrite the session's prompt.
    pub fn may_bust(&self) -> bool {
        !self.bust_blocks.is_empty()
    }

    /// The draws of the boundary after `steps_done` steps (the first tool
    /// call's result is the plan's own draw).
    pub fn boundary(&mut self, a: &Anatomy, w: &Workload, steps_done: u64) -> Boundary {
        let rng = &mut self.rng;
        let calls = a.tool_calls.sample(rng).clamp(1, MAX_TOOL_CALLS);
        let mut out = Boundary::default();
        for _ in 1..calls {
            out.extra_tokens += w.tool_result_tokens.sample(rng);
        }
        for _ in 0..calls {
            out.tool_wait_s = out.tool_wait_s.max(a.tool_latency.sample(rng));
        }
        if let Some(kb) = &a.knowledge_base {
            // Retrieved mid-session, after private history: never shared.
            for _ in 0..kb.per_step.sample(rng).min(MAX_TOOL_CALLS) {
                let rank = zipf_rank(kb, rng);
                out.extra_tokens += document_tokens(&self.seed, kb, self.workload, rank);
            }
        }
        if let Some(h) = a.human.as_ref().filter(|_| steps_done >= self.next_human) {
            out.human_pause_s = Some(h.pause.sample(rng));
            out.extra_tokens += h.message_tokens.sample(rng);
            self.next_human = steps_done.saturating_add(h.every.sample(rng).max(1));
        }
        // At most 2049 x 2^32 tokens: no overflow, and the caller checks
        // the prompt bound.
        debug_assert!(out.extra_tokens <= (2 * MAX_TOOL_CALLS + 1) * MAX_TOKENS);
        out
    }

    /// Draws this boundary's cache-busting events and rewrites `prompt`
    /// from each changed segment on (`salt`: the session's own content key).
    pub fn bust(&mut self, a: &Anatomy, prompt: &mut Prompt, salt: u64) {
        for (rule, at) in a.cache_busting.iter().zip(&self.bust_blocks) {
            let hit = self.rng.random::<f64>() < rule.probability;
            if let (true, Some(block)) = (hit, at) {
                self.version += 1;
                prompt.rewrite_from(*block, splitmix64(salt ^ self.version));
                self.busts += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::{Dist, TokenDist};

    fn kb(documents: u64, per_session: f64) -> KnowledgeBase {
        KnowledgeBase::new(
            documents,
            TokenDist::new(Dist::Uniform { low: 100.0, high: 900.0 }),
            TokenDist::new(Dist::Fixed(per_session)),
            TokenDist::new(Dist::Fixed(0.0)),
            1.0,
        )
    }

    #[test]
    fn zipf_ranks_follow_the_law() {
        // s = 1 over 100 documents: P(k) = 1 / (k H_100), H_100 = 5.187378.
        let kb = kb(100, 1.0);
        let mut rng = ReplicateSeed::new(3, 0).stream(StreamId::indexed("t", 0, 0));
        let n = 200_000;
        let mut counts = [0u64; 101];
        for _ in 0..n {
            counts[zipf_rank(&kb, &mut rng) as usize] += 1;
        }
        let h = 5.187_377_517_639_621;
        for k in [1usize, 2, 10, 100] {
            let p = 1.0 / (k as f64 * h);
            let share = counts[k] as f64 / n as f64;
            // 4 standard deviations of the share.
            let bound = 4.0 * (p * (1.0 - p) / n as f64).sqrt();
            assert!((share - p).abs() < bound, "rank {k}: {share} vs {p}");
        }
    }

    #[test]
    fn sessions_draw_distinct_documents_in_rank_order() {
        let kb = kb(5, 5.0);
        let mut rng = ReplicateSeed::new(3, 0).stream(StreamId::indexed("t", 0, 1));
        assert_eq!(session_documents(&kb, &mut rng), [1, 2, 3, 4, 5]);
        let kb3 = self::tests::kb(1000, 3.0);
        for _ in 0..100 {
            let d = session_documents(&kb3, &mut rng);
            assert_eq!(d.len(), 3);
            assert!(d.windows(2).all(|w| w[0] < w[1]), "{d:?}");
        }
    }
}
