//! Prompts as chains of content-addressed blocks.
//!
//! A prompt is a sequence of segments (named shared segments, the session's
//! task, then one history chunk per finished step). Each block's identity
//! hashes its parent's identity with its own content id, so two prompts share
//! a block exactly when they share the whole prefix up to and including it —
//! the rule that makes prefix caching work at real providers.

use crate::rng::{fnv1a, splitmix64};
use smallvec::SmallVec;

/// The largest prompt one request may carry: 2^40 tokens (about 1.1
/// trillion, some 10^5 times the largest context windows). Per-request token
/// classes then stay far below `u64::MAX`, and a scope's sums could only
/// overflow after 2^24 such requests, which the checked sums in `metrics`
/// catch. Validation refuses scenarios whose expected prompts exceed it; a
/// session whose sampled tail reaches it stops the run with an error.
pub const MAX_PROMPT_TOKENS: u64 = 1 << 40;

/// One block of a prompt: its chained identity and the prompt length (tokens)
/// at its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub hash: u64,
    pub end_tokens: u64,
}

/// Identity of a block whose content is `content` and whose prefix is `parent`
/// (`None` for the first block of a prompt).
pub fn chain(parent: Option<u64>, content: u64) -> u64 {
    splitmix64(parent.unwrap_or(0x5eed_b10c_0000_0001) ^ splitmix64(content))
}

/// Content id of a named shared segment: the same name and size mean the
/// same text, in every workload.
pub fn shared_segment_id(name: &str, tokens: u64) -> u64 {
    splitmix64(fnv1a(name.as_bytes()) ^ tokens)
}

/// Blocks a prompt keeps inside its session's record before it spills to
/// the heap. A step reads and appends the prompt's last block, and a large
/// run's sessions are too many for the processor's caches: a separate block
/// array cost a cache miss on nearly every event (docs/performance.md,
/// "Round 5"). The bundled agent workloads run 5 to 30 steps, so most of
/// their prompts (shared segments, task, one block per step) fit in 24
/// blocks (384 bytes); a longer one spills and is read as before.
const INLINE_BLOCKS: usize = 24;

/// A growing prompt: the blocks of the last request's prompt, to which each
/// finished step appends its history chunk.
#[derive(Clone, Debug, Default)]
pub struct Prompt {
    blocks: SmallVec<[Block; INLINE_BLOCKS]>,
    /// Each block's content id, so a changed segment can re-chain the blocks
    /// after it (`rewrite_from`); kept only by a [`Prompt::rewritable`] one.
    contents: Vec<u64>,
    rewritable: bool,
    /// Leading blocks that other prompts may share (named shared segments).
    shared: usize,
}

impl Prompt {
    /// An empty prompt that is only appended to and truncated.
    pub fn new() -> Self {
        Prompt::default()
    }

    /// An empty prompt that keeps its blocks' content ids, so it can also
    /// be rewritten ([`Prompt::rewrite_from`], cache busting). Only then:
    /// the second array cost a cache miss on every step of a large run.
    pub fn rewritable() -> Self {
        Prompt { rewritable: true, ..Prompt::default() }
    }

    /// A prompt made of ready-chained blocks (from a trace, whose block ids
    /// are already prefix-chained). Nothing in it is marked shared.
    pub fn from_blocks(blocks: Vec<Block>) -> Self {
        Prompt { blocks: SmallVec::from_vec(blocks), ..Prompt::default() }
    }

    /// Appends a shared segment: one other sessions may also have at this
    /// position. Must come before any private segment.
    pub fn push_shared(&mut self, content: u64, tokens: u64) -> Option<usize> {
        debug_assert_eq!(self.shared, self.blocks.len(), "shared segments lead the prompt");
        let at = self.push(content, tokens);
        self.shared = self.blocks.len();
        at
    }

    /// How many leading blocks are shared segments.
    pub fn shared_blocks(&self) -> usize {
        self.shared
    }

    /// Appends a segment of `tokens` tokens with content id `content` and
    /// returns its block index. Empty segments add nothing, so they never
    /// create cache entries of their own.
    pub fn push(&mut self, content: u64, tokens: u64) -> Option<usize> {
        if tokens == 0 {
            return None;
        }
        let parent = self.blocks.last().map(|b| b.hash);
        let end_tokens = self.tokens().saturating_add(tokens);
        self.blocks.push(Block { hash: chain(parent, content), end_tokens });
        if self.rewritable {
            self.contents.push(content);
        }
        Some(self.blocks.len() - 1)
    }

    /// Block `block` gets new content (`salt` mixed into its content id):
    /// it and every block after it become new blocks with the same sizes,
    /// private to this prompt (a changed system prompt re-writes the rest).
    pub fn rewrite_from(&mut self, block: usize, salt: u64) {
        assert!(self.rewritable, "only a rewritable prompt is rewritten");
        debug_assert_eq!(self.contents.len(), self.blocks.len(), "every block has its content id");
        let Some(c) = self.contents.get_mut(block) else { return };
        *c = splitmix64(*c ^ salt);
        let mut parent = block.checked_sub(1).map(|i| self.blocks[i].hash);
        for (b, content) in self.blocks[block..].iter_mut().zip(&self.contents[block..]) {
            b.hash = chain(parent, *content);
            parent = Some(b.hash);
        }
        self.shared = self.shared.min(block);
    }

    /// Keeps the first `len` blocks (a compaction drops the history).
    pub fn truncate(&mut self, len: usize) {
        self.blocks.truncate(len);
        self.contents.truncate(len);
        self.shared = self.shared.min(len);
    }

    /// Whether it keeps content ids (it can be rewritten).
    pub fn is_rewritable(&self) -> bool {
        self.rewritable
    }

    /// Whether any of it lives on the heap (past the inline blocks, or
    /// content ids).
    #[cfg(test)]
    pub fn on_heap(&self) -> bool {
        self.blocks.spilled() || self.contents.capacity() > 0
    }

    pub fn tokens(&self) -> u64 {
        self.blocks.last().map_or(0, |b| b.end_tokens)
    }

    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_prefixes_share_blocks_and_diverge_after() {
        let mut a = Prompt::new();
        let mut b = Prompt::new();
        for p in [&mut a, &mut b] {
            p.push_shared(shared_segment_id("system", 1000), 1000);
        }
        a.push(1, 50);
        b.push(2, 50);
        a.push(3, 10);
        b.push(3, 10);
        assert_eq!(a.blocks()[0], b.blocks()[0]);
        assert_ne!(a.blocks()[1].hash, b.blocks()[1].hash);
        // Same content after a different prefix is a different block.
        assert_ne!(a.blocks()[2].hash, b.blocks()[2].hash);
        assert_eq!(a.tokens(), 1060);
        assert_eq!((a.shared_blocks(), b.shared_blocks()), (1, 1));
    }

    #[test]
    fn a_rewrite_changes_the_block_and_every_later_one_only() {
        let mut a = Prompt::rewritable();
        a.push_shared(shared_segment_id("system", 1000), 1000);
        a.push_shared(shared_segment_id("tools", 500), 500);
        a.push(7, 50);
        a.push(8, 10);
        let before = a.blocks().to_vec();
        a.rewrite_from(1, 42);
        assert_eq!(a.blocks()[0], before[0]);
        for (x, y) in a.blocks()[1..].iter().zip(&before[1..]) {
            assert_ne!(x.hash, y.hash);
            assert_eq!(x.end_tokens, y.end_tokens);
        }
        assert_eq!(a.shared_blocks(), 1);
        // Appending after a rewrite chains from the new blocks.
        let mut b = a.clone();
        b.push(9, 5);
        assert_eq!(b.blocks()[4].hash, chain(Some(a.blocks()[3].hash), 9));
    }

    #[test]
    #[should_panic(expected = "only a rewritable prompt is rewritten")]
    fn a_prompt_without_content_ids_is_never_rewritten_silently() {
        let mut a = Prompt::new();
        a.push(7, 50);
        a.rewrite_from(0, 42);
    }

    #[test]
    fn empty_segments_add_no_block() {
        let mut p = Prompt::new();
        assert_eq!(p.push(1, 0), None);
        assert!(p.blocks().is_empty());
        assert_eq!(p.push(1, 5), Some(0));
    }
}
