//! One replica's continuous-batching scheduler, simulated iteration by
//! iteration (Orca, Yu et al., OSDI'22: iteration-level scheduling; vLLM V1
//! scheduler: chunked prefill, a token budget per step, recompute preemption).
//!
//! An iteration is scheduled when it starts and its tokens take effect when
//! it ends. Decoding sequences are never visited one by one: their count and
//! context sum are aggregates over the iteration index (a decoder's context
//! grows by one token per iteration), and two heaps say at which iteration a
//! decoder finishes and at which it crosses into a new KV block. Sequences in
//! prefill are visited (at most the token budget of them get tokens).

use super::Note;
use super::kv::KvPool;
use crate::scenario::{Overheads, StepCoefficients};
use crate::time::{SimDuration, SimTime};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

/// What every replica of a fleet shares.
#[derive(Clone, Copy, Debug)]
pub(super) struct Params {
    pub block_tokens: u64,
    pub max_seqs: usize,
    pub max_tokens: u64,
    pub coef: StepCoefficients,
    pub speed_factor: f64,
    pub overheads: Overheads,
    pub prefix_caching: bool,
    pub batch_window: SimDuration,
}

/// One request in a replica, waiting or running.
#[derive(Clone, Debug)]
pub(super) struct Seq {
    pub id: u32,
    /// Unique per arrival, so a stale waiting-queue entry never matches a reused slot.
    pub uid: u64,
    /// KV identities of the prompt's full blocks (empty without prefix caching).
    pub ids: Vec<u64>,
    pub prompt: u64,
    pub output: u64,
    /// Output tokens produced so far.
    pub generated: u64,
    /// Tokens this admission must have in KV before it samples: the prompt
    /// plus the tokens generated before a preemption (recomputed).
    pub target: u64,
    /// Tokens in KV (prefill phase; decoders derive theirs from the iteration).
    pub computed: u64,
    /// Blocks held that are not cached.
    pub private: u64,
    /// Leading `ids` held as cached blocks.
    pub n_cached: usize,
    /// Admission number while running.
    pub admit: Option<u64>,
    pub decoding: bool,
    /// First decode iteration, and the one producing the last token.
    pub first_decode: u64,
    pub finish_iter: u64,
    /// Prefix-cache hit of the admission that produced the first token.
    pub cached_tokens: u64,
    pub first_sent: bool,
}

impl Seq {
    /// The constant c with context(k) = c + k for a decoder at iteration k:
    /// target + (k - first_decode + 1) tokens, the one fed this iteration included.
    fn context_offset(&self) -> i128 {
        i128::from(self.target) + 1 - i128::from(self.first_decode)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    Idle,
    /// Admission held until this instant (batching window).
    Window(SimTime),
    /// The running iteration ends at this instant.
    Iteration(SimTime),
}

/// One continuous-batching engine with its KV memory.
#[derive(Clone, Debug)]
pub struct Replica {
    index: u32,
    slab: Vec<Option<Seq>>,
    free_slots: Vec<u32>,
    next_uid: u64,
    waiting: VecDeque<(u32, u64)>,
    waiting_live: usize,
    waiting_tokens: u64,
    /// Running sequences by admission number (the last one is preempted first).
    running: BTreeMap<u64, u32>,
    prefilling: BTreeMap<u64, u32>,
    /// Sum of `computed` over `prefilling`.
    prefill_context: u64,
    decoders: u64,
    /// Sum of the decoders' context offsets.
    decoder_offsets: i128,
    finish_at: BinaryHeap<Reverse<(u64, u64)>>,
    block_at: BinaryHeap<Reverse<(u64, u64)>>,
    next_admit: u64,
    /// Index of the iteration running or next to run.
    iter: u64,
    /// Prefill chunks of the running iteration: (admission, tokens).
    batch: Vec<(u64, u64)>,
    scratch: Vec<u64>,
    pending: Pending,
    pool: KvPool,
    outstanding: usize,
    iterations: u64,
    preemptions: u64,
    completed_tokens: u64,
    last_iteration: Option<(SimTime, SimTime)>,
}

impl Replica {
    pub(super) fn new(index: u32, kv_blocks: u64) -> Self {
        Replica {
            index,
            slab: Vec::new(),
            free_slots: Vec::new(),
            next_uid: 0,
            waiting: VecDeque::new(),
            waiting_live: 0,
            waiting_tokens: 0,
            running: BTreeMap::new(),
            prefilling: BTreeMap::new(),
            prefill_context: 0,
            decoders: 0,
            decoder_offsets: 0,
            finish_at: BinaryHeap::new(),
            block_at: BinaryHeap::new(),
            next_admit: 0,
            iter: 0,
            batch: Vec::new(),
            scratch: Vec::new(),
            pending: Pending::Idle,
            pool: KvPool::new(kv_blocks),
            outstanding: 0,
            iterations: 0,
            preemptions: 0,
            completed_tokens: 0,
            last_iteration: None,
        }
    }

    /// Requests waiting (not running).
    pub fn queue_len(&self) -> usize {
        self.waiting_live
    }
    pub fn running(&self) -> usize {
        self.running.len()
    }
    /// Requests assigned and not done (waiting or running).
    pub fn outstanding(&self) -> usize {
        self.outstanding
    }
    pub fn kv_blocks_used(&self) -> u64 {
        self.pool.used()
    }
    pub fn kv_blocks_total(&self) -> u64 {
        self.pool.total()
    }
    pub fn kv_blocks_free(&self) -> u64 {
        self.pool.free()
    }
    pub fn cached_blocks(&self) -> u64 {
        self.pool.cached()
    }
    pub fn iterations(&self) -> u64 {
        self.iterations
    }
    pub fn preemptions(&self) -> u64 {
        self.preemptions
    }
    /// Output tokens of the requests completed here.
    pub fn completed_tokens(&self) -> u64 {
        self.completed_tokens
    }
    /// Start and end of the latest iteration.
    pub fn last_iteration(&self) -> Option<(SimTime, SimTime)> {
        self.last_iteration
    }

    /// Puts a request in the waiting queue; returns its slot. Starts an
    /// iteration (or the batching window) if the replica was idle.
    pub(super) fn enqueue(&mut self, p: &Params, mut seq: Seq, now: SimTime, out: &mut Vec<Note>) -> u32 {
        seq.uid = self.next_uid;
        self.next_uid += 1;
        self.waiting_tokens += seq.target;
        let uid = seq.uid;
        let slot = match self.free_slots.pop() {
            Some(s) => {
                self.slab[s as usize] = Some(seq);
                s
            }
            None => {
                self.slab.push(Some(seq));
                (self.slab.len() - 1) as u32
            }
        };
        self.waiting.push_back((slot, uid));
        self.waiting_live += 1;
        self.outstanding += 1;
        let fills = self.waiting_live >= p.max_seqs || self.waiting_tokens >= p.max_tokens;
        match self.pending {
            Pending::Idle if p.batch_window > SimDuration::ZERO && !fills => {
                let at = now + p.batch_window;
                self.pending = Pending::Window(at);
                out.push(Note::Wake { replica: self.index, at });
            }
            Pending::Idle => self.start_iteration(p, now, out),
            // A window cut short leaves its wake behind; `wake` ignores it.
            Pending::Window(_) if fills => self.start_iteration(p, now, out),
            Pending::Window(_) | Pending::Iteration(_) => {}
        }
        slot
    }

    /// The instant a Wake note named has come. Wakes the replica no longer
    /// expects (a batching window cut short) are ignored.
    pub(super) fn wake(&mut self, p: &Params, now: SimTime, out: &mut Vec<Note>) {
        match self.pending {
            Pending::Window(at) if at == now => self.start_iteration(p, now, out),
            Pending::Iteration(at) if at == now => {
                self.end_iteration(p, now, out);
                self.start_iteration(p, now, out);
            }
            _ => {}
        }
    }

    /// The client gave up: the request leaves the queue or the batch and its
    /// blocks are freed (its cached blocks stay cached). Returns its id.
    pub(super) fn cancel(&mut self, slot: u32) -> u32 {
        let seq = self.slab[slot as usize].as_ref().expect("cancel of a live request");
        let id = seq.id;
        match seq.admit {
            None => {
                self.waiting_live -= 1;
                self.waiting_tokens -= seq.target;
            }
            Some(admit) => {
                self.stop_running(admit);
            }
        }
        self.outstanding -= 1;
        self.free_slot(slot);
        id
    }

    fn free_slot(&mut self, slot: u32) {
        self.slab[slot as usize] = None;
        self.free_slots.push(slot);
    }

    fn seq(&mut self, slot: u32) -> &mut Seq {
        self.slab[slot as usize].as_mut().expect("a live slot")
    }

    /// Takes a running sequence out of the batch and frees its blocks.
    fn stop_running(&mut self, admit: u64) -> u32 {
        let slot = self.running.remove(&admit).expect("a running admission");
        let seq = self.slab[slot as usize].as_mut().expect("a live slot");
        if seq.decoding {
            self.decoders -= 1;
            self.decoder_offsets -= seq.context_offset();
            seq.decoding = false;
        } else {
            self.prefilling.remove(&admit);
            self.prefill_context -= seq.computed;
        }
        self.pool.release(&seq.ids[..seq.n_cached], seq.private);
        seq.admit = None;
        seq.n_cached = 0;
        seq.private = 0;
        seq.computed = 0;
        slot
    }

    /// Preempts the most recently admitted running sequence (recompute
    /// preemption): it returns to the front of the queue and will prefill its
    /// prompt and the tokens it generated so far again. Returns its admission.
    fn preempt_last(&mut self, now: SimTime, out: &mut Vec<Note>) -> u64 {
        let (&admit, &slot) = self.running.last_key_value().expect("a sequence to preempt");
        let k = self.iter;
        let seq = self.seq(slot);
        if seq.decoding {
            // Tokens of decode iterations first_decode..k-1 (the first came
            // with the prefill); the one of iteration k is not produced.
            seq.generated += k - seq.first_decode;
        }
        self.stop_running(admit);
        let seq = self.seq(slot);
        seq.target = seq.prompt + seq.generated;
        let (id, uid, target) = (seq.id, seq.uid, seq.target);
        self.waiting.push_front((slot, uid));
        self.waiting_live += 1;
        self.waiting_tokens += target;
        self.preemptions += 1;
        out.push(Note::Preempted { id, at: now });
        admit
    }

    /// Allocates `n` blocks for the running sequence `admit`, preempting the
    /// most recently admitted ones until they fit. False if `admit` itself was preempted.
    fn reserve(&mut self, n: u64, admit: u64, preempted: &mut bool, now: SimTime, out: &mut Vec<Note>) -> bool {
        while !self.pool.can_allocate(n, 0) {
            *preempted = true;
            if self.preempt_last(now, out) == admit {
                return false;
            }
        }
        self.pool.allocate(n);
        true
    }

    fn budget(&self, p: &Params, scheduled: u64) -> u64 {
        p.max_tokens - self.decoders - scheduled
    }

    /// Schedules iteration `self.iter` at `now` and emits its end, or goes idle.
    fn start_iteration(&mut self, p: &Params, now: SimTime, out: &mut Vec<Note>) {
        let k = self.iter;
        let mut preempted = false;
        // Decoders crossing into a new block, in admission order.
        while let Some(&Reverse((at, admit))) = self.block_at.peek() {
            if at > k {
                break;
            }
            self.block_at.pop();
            let Some(&slot) = self.running.get(&admit) else { continue };
            debug_assert_eq!(at, k, "a live decoder's block need was missed");
            if !self.reserve(1, admit, &mut preempted, now, out) {
                continue;
            }
            let seq = self.seq(slot);
            seq.private += 1;
            let (next, last) = (at + p.block_tokens, seq.finish_iter);
            if next <= last {
                self.block_at.push(Reverse((next, admit)));
            }
        }
        // Running sequences in prefill, in admission order: chunked prefill.
        let mut scheduled = 0;
        self.scratch.clear();
        self.scratch.extend(self.prefilling.keys());
        for i in 0..self.scratch.len() {
            let admit = self.scratch[i];
            let budget = self.budget(p, scheduled);
            if budget == 0 {
                break;
            }
            let Some(&slot) = self.prefilling.get(&admit) else { continue };
            let seq = self.seq(slot);
            let chunk = (seq.target - seq.computed).min(budget);
            let held = seq.private + seq.n_cached as u64;
            let new = (seq.computed + chunk).div_ceil(p.block_tokens) - held;
            // vLLM stops scheduling running requests once one is preempted itself.
            if !self.reserve(new, admit, &mut preempted, now, out) {
                break;
            }
            self.seq(slot).private += new;
            self.batch.push((admit, chunk));
            scheduled += chunk;
        }
        // Waiting requests, FCFS; vLLM admits none in a step that preempted,
        // unless nothing else would run.
        if !preempted || self.running.is_empty() {
            scheduled = self.admit_waiting(p, scheduled);
        }
        if scheduled == 0 && self.decoders == 0 {
            debug_assert!(self.running.is_empty());
            self.pending = Pending::Idle;
            return;
        }
        let context = self.decoder_offsets + i128::from(self.decoders) * i128::from(k);
        let context = u64::try_from(context).expect("context is positive") + self.prefill_context + scheduled;
        let end = now + super::step::step_time(&p.coef, p.speed_factor, scheduled, self.decoders, context);
        self.pending = Pending::Iteration(end);
        self.iterations += 1;
        debug_assert!(self.last_iteration.is_none_or(|(_, e)| e <= now), "iterations overlap");
        self.last_iteration = Some((now, end));
        out.push(Note::Wake { replica: self.index, at: end });
    }

    /// Admits waiting requests while seats, budget and blocks last; returns
    /// the prefill tokens scheduled in the iteration.
    fn admit_waiting(&mut self, p: &Params, mut scheduled: u64) -> u64 {
        let b = p.block_tokens;
        while self.running.len() < p.max_seqs {
            let budget = self.budget(p, scheduled);
            if budget == 0 {
                break;
            }
            let Some(&(slot, uid)) = self.waiting.front() else { break };
            let live = self.slab[slot as usize].as_ref().is_some_and(|s| s.uid == uid && s.admit.is_none());
            if !live {
                self.waiting.pop_front();
                continue;
            }
            let seq = self.slab[slot as usize].as_ref().expect("live");
            // At least one token is computed: a whole-prompt hit recomputes the last block.
            let max_hit = if p.prefix_caching { ((seq.target - 1) / b) as usize } else { 0 };
            let (hit, hit_free) = self.pool.probe(&seq.ids, max_hit);
            let hit_tokens = hit as u64 * b;
            let chunk = (seq.target - hit_tokens).min(budget);
            let new = (hit_tokens + chunk).div_ceil(b) - hit as u64;
            if !self.pool.can_allocate(new, hit_free) {
                break; // head-of-line: nobody overtakes the head
            }
            self.pool.take_hit(&seq.ids[..hit]);
            self.pool.allocate(new);
            self.waiting.pop_front();
            let admit = self.next_admit;
            self.next_admit += 1;
            let seq = self.seq(slot);
            seq.n_cached = hit;
            seq.private = new;
            seq.computed = hit_tokens;
            seq.admit = Some(admit);
            if !seq.first_sent {
                seq.cached_tokens = hit_tokens;
            }
            let target = seq.target;
            self.waiting_live -= 1;
            self.waiting_tokens -= target;
            self.running.insert(admit, slot);
            self.prefilling.insert(admit, slot);
            self.prefill_context += hit_tokens;
            self.batch.push((admit, chunk));
            scheduled += chunk;
        }
        scheduled
    }

    /// The running iteration ended at `now`: its prefill chunks are in KV,
    /// completed prefills sample a token, decoders at their last token finish.
    fn end_iteration(&mut self, p: &Params, now: SimTime, out: &mut Vec<Note>) {
        let k = self.iter;
        let b = p.block_tokens;
        let mut batch = std::mem::take(&mut self.batch);
        for &(admit, chunk) in &batch {
            let Some(&slot) = self.running.get(&admit) else { continue };
            self.prefill_context += chunk;
            let seq = self.slab[slot as usize].as_mut().expect("live");
            seq.computed += chunk;
            // Full prompt blocks become cached as their prefill is computed.
            let full = ((seq.computed / b) as usize).min(seq.ids.len());
            for &id in &seq.ids[seq.n_cached..full] {
                self.pool.register(id);
                seq.private -= 1;
            }
            seq.n_cached = full;
            if seq.computed < seq.target {
                continue;
            }
            seq.generated += 1;
            if !seq.first_sent {
                seq.first_sent = true;
                out.push(Note::FirstToken { id: seq.id, at: now, cached_tokens: seq.cached_tokens });
            }
            let left = seq.output - seq.generated;
            if left == 0 {
                self.complete(p, admit, now, out);
                continue;
            }
            self.prefill_context -= seq.computed;
            self.prefilling.remove(&admit);
            seq.decoding = true;
            seq.first_decode = k + 1;
            seq.finish_iter = k + left;
            // The first decode context past a block boundary: target + j with
            // target + j - 1 a multiple of the block size.
            let j = seq.target.div_ceil(b) * b + 1 - seq.target;
            let need = seq.first_decode + j - 1;
            self.decoders += 1;
            self.decoder_offsets += seq.context_offset();
            self.finish_at.push(Reverse((k + left, admit)));
            if need <= k + left {
                self.block_at.push(Reverse((need, admit)));
            }
        }
        batch.clear();
        self.batch = batch;
        while let Some(&Reverse((at, admit))) = self.finish_at.peek() {
            if at > k {
                break;
            }
            self.finish_at.pop();
            if self.running.contains_key(&admit) {
                debug_assert_eq!(at, k, "a live decoder's finish was missed");
                let slot = self.running[&admit];
                self.seq(slot).generated = self.seq(slot).output;
                self.complete(p, admit, now, out);
            }
        }
        self.iter += 1;
    }

    fn complete(&mut self, p: &Params, admit: u64, now: SimTime, out: &mut Vec<Note>) {
        let slot = self.stop_running(admit);
        let seq = self.slab[slot as usize].as_ref().expect("live");
        let o = &p.overheads;
        let tail = SimDuration::from_micros(o.per_output_token.as_micros().saturating_mul(seq.output));
        out.push(Note::Done { id: seq.id, at: now + o.at_completion + tail });
        self.completed_tokens += seq.output;
        self.outstanding -= 1;
        self.free_slot(slot);
    }
}
