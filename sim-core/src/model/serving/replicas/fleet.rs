//! The fleet: N replicas and the balancer in front of them, and the map from
//! a caller's request id to where the request lives.

use super::balancer::Router;
use super::kv::full_block_identities;
use super::replica::{Params, Replica, Seq};
use super::step::{ReplicasConfigError, blocks_needed, coefficients, kv_blocks, validate};
use super::{Note, SeqRequest};
use crate::rng::splitmix64;
use crate::scenario::ReplicasServing;
use crate::time::SimTime;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Request ids are small sequential integers: mix them so the map spreads them.
#[derive(Default, Clone, Copy, Debug)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        splitmix64(self.0)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b);
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.0 = u64::from(v);
    }
}

/// N replicas behind a load balancer.
#[derive(Clone, Debug)]
pub struct Fleet {
    params: Params,
    replicas: Vec<Replica>,
    router: Router,
    /// Live request id -> (replica, slot).
    live: HashMap<u32, (u32, u32), BuildHasherDefault<IdHasher>>,
}

impl Fleet {
    pub fn new(cfg: &ReplicasServing) -> Result<Self, ReplicasConfigError> {
        validate(cfg)?;
        let blocks = kv_blocks(&cfg.kv_memory, cfg.block_tokens);
        let params = Params {
            block_tokens: cfg.block_tokens,
            max_seqs: cfg.max_num_seqs as usize,
            max_tokens: cfg.max_num_batched_tokens,
            coef: coefficients(&cfg.step),
            speed_factor: 1.0,
            overheads: cfg.overheads,
            prefix_caching: cfg.prefix_caching,
            batch_window: cfg.batch_window,
        };
        Ok(Fleet {
            params,
            replicas: (0..cfg.replicas).map(|i| Replica::new(i, blocks)).collect(),
            router: Router::new(cfg.balancer, cfg.block_tokens),
            live: HashMap::default(),
        })
    }

    /// A request joins the fleet at `now` (its `before_queue` overhead
    /// already elapsed): routed, queued, and started if its replica was idle.
    pub fn arrive(&mut self, req: SeqRequest<'_>, now: SimTime, out: &mut Vec<Note>) {
        debug_assert!(!self.live.contains_key(&req.id), "request id {} is already in the fleet", req.id);
        // A request has at least one prompt token and one output token.
        let prompt = req.blocks.last().map_or(0, |b| b.end_tokens).max(1);
        let output = req.output_tokens.max(1);
        if blocks_needed(prompt, output, self.params.block_tokens) > self.kv_blocks_per_replica() {
            out.push(Note::Rejected { id: req.id, at: now });
            return;
        }
        let r = self.router.pick(&self.replicas, req.blocks, req.cache_key, now);
        let ids = if self.params.prefix_caching {
            full_block_identities(req.blocks, self.params.block_tokens)
        } else {
            vec![]
        };
        let seq = Seq {
            id: req.id,
            uid: 0,
            ids,
            prompt,
            output,
            generated: 0,
            target: prompt,
            computed: 0,
            private: 0,
            n_cached: 0,
            admit: None,
            decoding: false,
            first_decode: 0,
            finish_iter: 0,
            cached_tokens: 0,
            first_sent: false,
        };
        let from = out.len();
        let slot = self.replicas[r].enqueue(&self.params, seq, now, out);
        self.live.insert(req.id, (r as u32, slot));
        self.forget_done(from, out);
    }

    /// A Wake note's instant has come for `replica`.
    pub fn wake(&mut self, replica: u32, now: SimTime, out: &mut Vec<Note>) {
        let from = out.len();
        self.replicas[replica as usize].wake(&self.params, now, out);
        self.forget_done(from, out);
    }

    /// The client gave up on `id`: it leaves its queue or batch and its KV
    /// blocks are freed (cached ones stay cached). Unknown or finished ids are ignored.
    pub fn cancel(&mut self, id: u32) {
        if let Some((r, slot)) = self.live.remove(&id) {
            self.replicas[r as usize].cancel(slot);
        }
    }

    /// Step times of iterations starting from now on are divided by `f`
    /// (below 1 slows the fleet: a degraded window).
    pub fn set_speed_factor(&mut self, f: f64) {
        assert!(f.is_finite() && f > 0.0, "speed factor must be positive, got {f}");
        self.params.speed_factor = f;
    }

    fn forget_done(&mut self, from: usize, out: &[Note]) {
        for n in &out[from..] {
            if let Note::Done { id, .. } = n {
                self.live.remove(id);
            }
        }
    }

    fn kv_blocks_per_replica(&self) -> u64 {
        self.replicas[0].kv_blocks_total()
    }

    pub fn replicas(&self) -> &[Replica] {
        &self.replicas
    }
    pub fn queue_len(&self) -> usize {
        self.replicas.iter().map(Replica::queue_len).sum()
    }
    pub fn running(&self) -> usize {
        self.replicas.iter().map(Replica::running).sum()
    }
    pub fn kv_blocks_used(&self) -> u64 {
        self.replicas.iter().map(Replica::kv_blocks_used).sum()
    }
    pub fn kv_blocks_total(&self) -> u64 {
        self.replicas.iter().map(Replica::kv_blocks_total).sum()
    }
    pub fn cached_blocks(&self) -> u64 {
        self.replicas.iter().map(Replica::cached_blocks).sum()
    }
    pub fn iterations(&self) -> u64 {
        self.replicas.iter().map(Replica::iterations).sum()
    }
    pub fn preemptions(&self) -> u64 {
        self.replicas.iter().map(Replica::preemptions).sum()
    }
}
