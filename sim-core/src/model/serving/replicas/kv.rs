//! One replica's KV memory: a pool of fixed-size blocks (vLLM PagedAttention,
//! Kwon et al., SOSP'23) with automatic prefix caching (vLLM APC docs,
//! "Automatic Prefix Caching" design page).
//!
//! A block is in use (held by running sequences; a cached block may be held
//! by several, ref-counted), free and cached (its content kept, in an LRU
//! free list, reusable by a later hit), or free and empty. New blocks come
//! from the empty ones first, then by evicting the least recently freed
//! cached block, so content is only dropped when memory is short. (vLLM keeps
//! both kinds in one free queue; preferring empty blocks keeps strictly more
//! content and changes no hit that the LRU order would have allowed.)
//!
//! Only the counts of private (uncached) blocks matter, so they are not
//! materialised; cached blocks are entries keyed by their identity.

use crate::model::cache::PassThroughHasher;
use crate::model::prompt::Block;
use crate::rng::splitmix64;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::BuildHasherDefault;

/// Identity of the KV block ending at token `end` (exclusive) of `prompt`.
///
/// A prompt `Block` identifies its whole prefix up to `end_tokens`, so the
/// prompt block containing the KV block's last token (index `end - 1`),
/// mixed with `end`, names the KV block's content and everything before it.
/// That prompt block may extend past `end` (a KV block ending inside a
/// segment, or straddling a segment boundary): two prompts that share the
/// first `end` tokens but differ later in that segment then get different
/// identities. The identity is conservative: it can miss a real hit, never
/// claim a false one.
pub fn kv_block_identity(prompt: &[Block], end: u64) -> u64 {
    let i = prompt.partition_point(|b| b.end_tokens < end);
    let hash = prompt.get(i).or(prompt.last()).map_or(0, |b| b.hash);
    mix(hash, end)
}

fn mix(prompt_block: u64, end: u64) -> u64 {
    splitmix64(prompt_block ^ splitmix64(end ^ 0x6b76_626c_6f63_6b00))
}

/// Identities of the full KV blocks of `prompt` (`floor(tokens / block_tokens)` of them).
pub fn full_block_identities(prompt: &[Block], block_tokens: u64) -> Vec<u64> {
    let tokens = prompt.last().map_or(0, |b| b.end_tokens);
    let full = tokens / block_tokens;
    let mut out = Vec::with_capacity(usize::try_from(full).unwrap_or(0));
    let mut i = 0;
    for k in 1..=full {
        let end = k * block_tokens;
        // Walk the prompt blocks once: the ends only grow.
        while prompt[i].end_tokens < end {
            i += 1;
        }
        out.push(mix(prompt[i].hash, end));
    }
    out
}

/// A cached block. Free cached blocks form a doubly linked LRU list
/// through `prev` / `next` (indices into the node slab), so freeing, reviving
/// and evicting are O(1) without an ordered map.
#[derive(Clone, Copy, Debug)]
struct Node {
    id: u64,
    /// False once evicted (its map entry may linger until the next purge).
    live: bool,
    refs: u32,
    prev: u32,
    next: u32,
}

const NIL: u32 = u32::MAX;

/// The block pool of one replica.
#[derive(Clone, Debug)]
pub struct KvPool {
    total: u64,
    /// Free blocks holding no reusable content.
    empty: u64,
    /// Blocks held by sequences (private ones and cached ones with refs > 0).
    used: u64,
    /// Cached content -> its node. Evictions leave their entry behind (a
    /// look-up checks the node still holds that content) and a purge drops
    /// the stale ones once they outnumber the live: an eviction then costs
    /// no random map access, the purge a sequential sweep.
    cached: HashMap<u64, u32, BuildHasherDefault<PassThroughHasher>>,
    /// Live cached blocks.
    live: u64,
    nodes: Vec<Node>,
    spare_nodes: Vec<u32>,
    /// LRU free list: oldest at the head, evicted first.
    head: u32,
    tail: u32,
    free_cached: u64,
}

impl KvPool {
    pub fn new(total: u64) -> Self {
        KvPool {
            total,
            empty: total,
            used: 0,
            cached: HashMap::default(),
            live: 0,
            nodes: Vec::new(),
            spare_nodes: Vec::new(),
            head: NIL,
            tail: NIL,
            free_cached: 0,
        }
    }

    pub fn total(&self) -> u64 {
        self.total
    }
    pub fn used(&self) -> u64 {
        self.used
    }
    /// Free blocks, empty or cached.
    pub fn free(&self) -> u64 {
        self.empty + self.free_cached
    }
    /// Blocks whose content is cached (in use or free).
    pub fn cached(&self) -> u64 {
        self.live
    }

    fn find(&self, id: u64) -> Option<u32> {
        let i = *self.cached.get(&id)?;
        let n = &self.nodes[i as usize];
        (n.live && n.id == id).then_some(i)
    }
    /// Free cached blocks (evictable).
    pub fn free_cached(&self) -> u64 {
        self.free_cached
    }

    /// The leading run of `ids` present in the cache, at most `max` blocks,
    /// and how many of them are free (they leave the free list when taken).
    pub fn probe(&self, ids: &[u64], max: usize) -> (usize, u64) {
        let mut free = 0;
        let mut n = 0;
        for id in ids.iter().take(max) {
            match self.find(*id) {
                Some(i) => free += u64::from(self.nodes[i as usize].refs == 0),
                None => break,
            }
            n += 1;
        }
        (n, free)
    }

    /// Whether `new` private blocks can be allocated besides taking `hit_free`
    /// free cached blocks for a hit.
    pub fn can_allocate(&self, new: u64, hit_free: u64) -> bool {
        new <= self.free() - hit_free
    }

    /// Takes a reference on each of `ids` (all cached: a probe's hit).
    pub fn take_hit(&mut self, ids: &[u64]) {
        for id in ids {
            let i = self.find(*id).expect("a hit block is cached");
            self.take_ref(i);
        }
    }

    fn take_ref(&mut self, i: u32) {
        if self.nodes[i as usize].refs == 0 {
            self.unlink(i);
            self.used += 1;
        }
        self.nodes[i as usize].refs += 1;
    }

    fn unlink(&mut self, i: u32) {
        let Node { prev, next, .. } = self.nodes[i as usize];
        if prev == NIL {
            self.head = next
        } else {
            self.nodes[prev as usize].next = next
        }
        if next == NIL {
            self.tail = prev
        } else {
            self.nodes[next as usize].prev = prev
        }
        self.free_cached -= 1;
    }

    fn push_tail(&mut self, i: u32) {
        let n = &mut self.nodes[i as usize];
        n.prev = self.tail;
        n.next = NIL;
        if self.tail == NIL {
            self.head = i
        } else {
            self.nodes[self.tail as usize].next = i
        }
        self.tail = i;
        self.free_cached += 1;
    }

    /// Allocates `n` private blocks: empty ones first, then evicting the
    /// least recently freed cached blocks. The caller checked `can_allocate`.
    pub fn allocate(&mut self, n: u64) {
        let from_empty = n.min(self.empty);
        self.empty -= from_empty;
        for _ in from_empty..n {
            let i = self.head;
            assert!(i != NIL, "allocation checked against the free blocks");
            self.unlink(i);
            self.nodes[i as usize].live = false;
            self.live -= 1;
            self.spare_nodes.push(i);
        }
        self.used += n;
    }

    /// A private block just filled with the content `id` becomes cached. If
    /// another sequence already cached the same content, this one shares it
    /// and its private block returns to the empty pool (as vLLM's
    /// copy-free dedup of V0's block manager); a free copy is revived.
    pub fn register(&mut self, id: u64) {
        // One map probe: a stale entry (evicted content) is overwritten in place.
        let slot = self.cached.entry(id);
        if let Entry::Occupied(e) = &slot {
            let i = *e.get();
            let n = &mut self.nodes[i as usize];
            if n.live && n.id == id {
                // The private block goes back empty; a free copy turns used in its place.
                self.empty += 1;
                n.refs += 1;
                if n.refs == 1 {
                    self.unlink(i);
                } else {
                    self.used -= 1;
                }
                return;
            }
        }
        let node = Node { id, live: true, refs: 1, prev: NIL, next: NIL };
        let i = match self.spare_nodes.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        slot.insert_entry(i);
        self.live += 1;
        if self.cached.len() as u64 > 2 * self.live + 1024 {
            let nodes = &self.nodes;
            self.cached.retain(|id, i| nodes[*i as usize].live && nodes[*i as usize].id == *id);
        }
    }

    /// Releases a sequence's blocks: `private` uncached ones and a reference
    /// on each of `ids`. The deepest blocks are freed first so they are
    /// evicted first (vLLM frees a request's blocks in reverse order), which
    /// keeps shared prefixes longest.
    pub fn release(&mut self, ids: &[u64], private: u64) {
        self.empty += private;
        self.used -= private;
        for id in ids.iter().rev() {
            let i = self.find(*id).expect("a held block is cached");
            let n = &mut self.nodes[i as usize];
            n.refs -= 1;
            if n.refs == 0 {
                self.push_tail(i);
                self.used -= 1;
            }
        }
    }

    /// Blocks are conserved: used + free == total.
    pub fn conserved(&self) -> bool {
        self.used + self.free() == self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::prompt::Prompt;

    #[test]
    fn identities_follow_the_prompt_block_containing_the_last_token() {
        let mut a = Prompt::new();
        a.push(1, 20);
        a.push(2, 20);
        let mut b = Prompt::new();
        b.push(1, 20);
        b.push(3, 20);
        let (ia, ib) = (full_block_identities(a.blocks(), 16), full_block_identities(b.blocks(), 16));
        assert_eq!(ia.len(), 2);
        // Block 0 ends at 16, inside the shared first segment: same identity.
        assert_eq!(ia[0], ib[0]);
        // Block 1 (tokens 16..32) straddles into the differing segment.
        assert_ne!(ia[1], ib[1]);
        assert_eq!(ia[0], kv_block_identity(a.blocks(), 16));
        assert_eq!(ia[1], kv_block_identity(a.blocks(), 32));
    }

    #[test]
    fn hits_share_blocks_and_freed_blocks_stay_cached() {
        let mut p = KvPool::new(4);
        p.allocate(3);
        p.register(10);
        p.register(11);
        // Two cached, one private.
        assert_eq!((p.used(), p.free(), p.cached()), (3, 1, 2));
        p.release(&[10, 11], 1);
        assert_eq!((p.used(), p.free(), p.free_cached()), (0, 4, 2));
        assert_eq!(p.probe(&[10, 11, 12], 3), (2, 2));
        assert_eq!(p.probe(&[10, 11, 12], 1), (1, 1));
        assert_eq!(p.probe(&[11], 3), (1, 1));
        p.take_hit(&[10, 11]);
        assert_eq!((p.used(), p.free_cached()), (2, 0));
        // A second holder of the same blocks costs nothing.
        assert_eq!(p.probe(&[10, 11], 2), (2, 0));
        p.take_hit(&[10, 11]);
        assert_eq!(p.used(), 2);
        assert!(p.conserved());
    }

    #[test]
    fn eviction_takes_empty_blocks_first_then_the_deepest_least_recent() {
        let mut p = KvPool::new(5);
        p.allocate(2);
        p.register(1);
        p.register(2);
        p.release(&[1, 2], 0); // frees 2 then 1
        p.allocate(2);
        p.register(3);
        p.register(4);
        p.release(&[3, 4], 0); // frees 4 then 3
        // LRU order: 2, 1, 4, 3; one empty block left.
        assert!(p.can_allocate(5, 0));
        assert!(!p.can_allocate(5, 1));
        p.allocate(2);
        assert_eq!(p.probe(&[1], 1), (1, 1));
        assert_eq!(p.probe(&[2], 1), (0, 0));
        p.allocate(2);
        assert_eq!((p.probe(&[1], 1), p.probe(&[4], 1), p.probe(&[3], 1)), ((0, 0), (0, 0), (1, 1)));
        assert!(p.conserved());
    }

    #[test]
    fn registering_known_content_shares_it() {
        let mut p = KvPool::new(3);
        p.allocate(1);
        p.register(7);
        p.allocate(1);
        p.register(7);
        // One block holds the content twice-referenced; the duplicate went back.
        assert_eq!((p.used(), p.free(), p.cached()), (1, 2, 1));
        p.release(&[7], 0);
        assert_eq!(p.used(), 1);
        p.release(&[7], 0);
        assert_eq!((p.used(), p.free_cached()), (0, 1));
        assert!(p.conserved());
    }
}
