//! Differential test: the replica (aggregate decoders, heaps of finish and
//! block-boundary iterations) against a naive reference that visits every
//! running sequence every iteration and tracks each one's KV tokens. Same
//! policy, so every first token, completion and preemption must agree.

use super::Note;
use super::kv::{KvPool, full_block_identities};
use super::step::step_time;
use super::testkit::{Driver, coef};
use crate::model::prompt::{Block, Prompt};
use crate::scenario::{KvMemory, ReplicasServing, StepCoefficients, StepModel};
use crate::time::{SimDuration, SimTime};
use proptest::prelude::*;
use std::collections::{BTreeMap, VecDeque};

#[derive(Clone, Debug, Default)]
struct RefSeq {
    id: u32,
    ids: Vec<u64>,
    prompt: u64,
    output: u64,
    generated: u64,
    target: u64,
    kv: u64,
    private: u64,
    n_cached: usize,
    decoding: bool,
    first_sent: bool,
    cached_tokens: u64,
}

/// What happened to each request: first token (instant, cached tokens), done, preemptions.
type Outcome = BTreeMap<u32, (Option<(SimTime, u64)>, Option<SimTime>, u32)>;

struct Reference {
    b: u64,
    max_seqs: usize,
    max_tokens: u64,
    coef: StepCoefficients,
    pool: KvPool,
    seqs: Vec<RefSeq>,
    waiting: VecDeque<usize>,
    /// Running sequences in admission order.
    running: Vec<usize>,
    batch: Vec<(usize, u64)>,
    end: Option<SimTime>,
    outcome: Outcome,
}

impl Reference {
    fn held(s: &RefSeq) -> u64 {
        s.private + s.n_cached as u64
    }

    fn preempt_last(&mut self, now: SimTime) -> usize {
        let v = self.running.pop().expect("a victim");
        let s = &mut self.seqs[v];
        self.pool.release(&s.ids[..s.n_cached], s.private);
        (s.private, s.n_cached, s.kv, s.decoding) = (0, 0, 0, false);
        s.target = s.prompt + s.generated;
        self.waiting.push_front(v);
        self.outcome.entry(s.id).or_default().2 += 1;
        let _ = now;
        v
    }

    fn reserve(&mut self, n: u64, me: usize, preempted: &mut bool, now: SimTime) -> bool {
        while !self.pool.can_allocate(n, 0) {
            *preempted = true;
            if self.preempt_last(now) == me {
                return false;
            }
        }
        self.pool.allocate(n);
        true
    }

    fn start(&mut self, now: SimTime) {
        let mut preempted = false;
        // Decoders needing a block for the token they feed, in admission order.
        let order: Vec<usize> = self.running.clone();
        for &i in &order {
            if !self.running.contains(&i) || !self.seqs[i].decoding {
                continue;
            }
            let need = (self.seqs[i].kv + 1).div_ceil(self.b) - Self::held(&self.seqs[i]);
            if need > 0 && self.reserve(need, i, &mut preempted, now) {
                self.seqs[i].private += need;
            }
        }
        let decoders = |r: &Reference| r.running.iter().filter(|&&i| r.seqs[i].decoding).count() as u64;
        let mut scheduled = 0;
        for &i in &order {
            if !self.running.contains(&i) || self.seqs[i].decoding {
                continue;
            }
            let budget = self.max_tokens - decoders(self) - scheduled;
            if budget == 0 {
                break;
            }
            let s = &self.seqs[i];
            let chunk = (s.target - s.kv).min(budget);
            let new = (s.kv + chunk).div_ceil(self.b) - Self::held(s);
            if !self.reserve(new, i, &mut preempted, now) {
                break;
            }
            self.seqs[i].private += new;
            self.batch.push((i, chunk));
            scheduled += chunk;
        }
        if !preempted || self.running.is_empty() {
            while self.running.len() < self.max_seqs {
                let budget = self.max_tokens - decoders(self) - scheduled;
                let Some(&i) = self.waiting.front() else { break };
                if budget == 0 {
                    break;
                }
                let s = &self.seqs[i];
                let (hit, hit_free) = self.pool.probe(&s.ids, ((s.target - 1) / self.b) as usize);
                let hit_tokens = hit as u64 * self.b;
                let chunk = (s.target - hit_tokens).min(budget);
                let new = (hit_tokens + chunk).div_ceil(self.b) - hit as u64;
                if !self.pool.can_allocate(new, hit_free) {
                    break;
                }
                self.pool.take_hit(&s.ids[..hit]);
                self.pool.allocate(new);
                self.waiting.pop_front();
                let s = &mut self.seqs[i];
                (s.n_cached, s.private, s.kv) = (hit, new, hit_tokens);
                if !s.first_sent {
                    s.cached_tokens = hit_tokens;
                }
                self.running.push(i);
                self.batch.push((i, chunk));
                scheduled += chunk;
            }
        }
        let d = decoders(self);
        if scheduled == 0 && d == 0 {
            self.end = None;
            return;
        }
        let mut context = 0;
        for &i in &self.running {
            let s = &self.seqs[i];
            context += if s.decoding { s.kv + 1 } else { s.kv };
        }
        context += scheduled;
        self.end = Some(now + step_time(&self.coef, 1.0, scheduled, d, context));
    }

    fn finish(&mut self, i: usize, now: SimTime) {
        let s = &self.seqs[i];
        self.pool.release(&s.ids[..s.n_cached], s.private);
        self.running.retain(|&j| j != i);
        self.outcome.entry(s.id).or_default().1 = Some(now);
    }

    fn end_iteration(&mut self, now: SimTime) {
        let decoders: Vec<usize> = self.running.iter().copied().filter(|&i| self.seqs[i].decoding).collect();
        for (i, chunk) in std::mem::take(&mut self.batch) {
            let s = &mut self.seqs[i];
            s.kv += chunk;
            let full = ((s.kv / self.b) as usize).min(s.ids.len());
            for &id in &s.ids[s.n_cached..full] {
                self.pool.register(id);
                s.private -= 1;
            }
            s.n_cached = full;
            if s.kv < s.target {
                continue;
            }
            s.generated += 1;
            if !s.first_sent {
                s.first_sent = true;
                self.outcome.entry(s.id).or_default().0 = Some((now, s.cached_tokens));
            }
            if s.generated == s.output {
                self.finish(i, now);
            } else {
                s.decoding = true;
            }
        }
        for i in decoders {
            let s = &mut self.seqs[i];
            s.kv += 1;
            s.generated += 1;
            if s.generated == s.output {
                self.finish(i, now);
            }
        }
    }

    fn arrive(&mut self, s: RefSeq, now: SimTime) {
        self.seqs.push(s);
        self.waiting.push_back(self.seqs.len() - 1);
        self.outcome.entry(self.seqs[self.seqs.len() - 1].id).or_default();
        if self.end.is_none() {
            self.start(now);
        }
    }

    /// Ends the iterations due strictly before `at` (or all of them).
    fn run_until(&mut self, at: Option<SimTime>) {
        while let Some(end) = self.end {
            if at.is_some_and(|a| end >= a) {
                break;
            }
            self.end_iteration(end);
            self.start(end);
        }
    }
}

fn outcome_of(d: &Driver) -> Outcome {
    let mut o = Outcome::new();
    for n in &d.notes {
        match *n {
            Note::FirstToken { id, at, cached_tokens } => o.entry(id).or_default().0 = Some((at, cached_tokens)),
            Note::Done { id, at } => o.entry(id).or_default().1 = Some(at),
            Note::Preempted { id, .. } => o.entry(id).or_default().2 += 1,
            Note::Wake { .. } | Note::Rejected { .. } => {}
        }
    }
    o
}

fn prompt_of(id: u32, shared: Option<u8>, tail: u64) -> Vec<Block> {
    let mut p = Prompt::new();
    if let Some(s) = shared {
        p.push_shared(u64::from(s), 20 + 12 * u64::from(s));
    }
    p.push(0x1000 + u64::from(id), tail);
    p.blocks().to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn aggregates_match_the_naive_scheduler(
        (block_tokens, max_seqs, extra_budget, b) in (1..9u64, 1..7u32, 0..50u64, (100.0..2000.0f64, 0.0..20.0f64, 0.0..50.0f64, 0.0..2.0f64)),
        reqs in prop::collection::vec((0..2_500u64, prop::option::of(0..3u8), 1..50u64, 1..40u64), 1..40),
        spare_blocks in 0..40u64,
    ) {
        let longest = reqs.iter().map(|&(_, s, tail, out)| {
            let tokens = tail + s.map_or(0, |s| 20 + 12 * u64::from(s));
            (tokens + out - 1).div_ceil(block_tokens)
        }).max().unwrap();
        let kv_blocks = longest + spare_blocks;
        let c = coef(b.0, b.1, b.2, b.3);
        let mut cfg = ReplicasServing::new(1, StepModel::Fitted(c), KvMemory::Blocks(kv_blocks));
        cfg.block_tokens = block_tokens;
        cfg.max_num_seqs = max_seqs;
        cfg.max_num_batched_tokens = u64::from(max_seqs) + extra_budget;
        let mut d = Driver::new(&cfg);
        let mut r = Reference {
            b: block_tokens,
            max_seqs: max_seqs as usize,
            max_tokens: cfg.max_num_batched_tokens,
            coef: c,
            pool: KvPool::new(kv_blocks),
            seqs: Vec::new(),
            waiting: VecDeque::new(),
            running: Vec::new(),
            batch: Vec::new(),
            end: None,
            outcome: Outcome::new(),
        };
        let mut now = SimTime::ZERO;
        for (i, &(gap, shared, tail, output)) in reqs.iter().enumerate() {
            now += SimDuration::from_micros(gap);
            let id = i as u32;
            let blocks = prompt_of(id, shared, tail);
            d.arrive(now, id, &blocks, output, 0);
            r.run_until(Some(now));
            let prompt = blocks.last().unwrap().end_tokens;
            let ids = full_block_identities(&blocks, block_tokens);
            r.arrive(RefSeq { id, ids, prompt, output, target: prompt, ..RefSeq::default() }, now);
        }
        d.drain();
        r.run_until(None);
        prop_assert_eq!(outcome_of(&d), r.outcome);
    }
}
