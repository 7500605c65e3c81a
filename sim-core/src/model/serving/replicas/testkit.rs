//! Test driver: the caller's side of the fleet (one event queue of wakes,
//! arrivals in time order) and small builders for hand-computed cases.

use super::{Fleet, Note, SeqRequest};
use crate::model::prompt::{Block, Prompt};
use crate::scenario::{KvMemory, ReplicasServing, StepCoefficients, StepModel};
use crate::time::SimTime;
use std::collections::BTreeSet;

/// b0 + b1 x prefill + b2 x decoders + b3 x context, microseconds.
pub fn coef(b0: f64, b1: f64, b2: f64, b3: f64) -> StepCoefficients {
    StepCoefficients { b0_us: b0, b1_us_per_prefill_token: b1, b2_us_per_decode_seq: b2, b3_us_per_context_token: b3 }
}

/// One replica, 16-token blocks, budget 64, 4 seats.
pub fn config(c: StepCoefficients, kv_blocks: u64) -> ReplicasServing {
    let mut cfg = ReplicasServing::new(1, StepModel::Fitted(c), KvMemory::Blocks(kv_blocks));
    cfg.max_num_seqs = 4;
    cfg.max_num_batched_tokens = 64;
    cfg
}

/// A prompt of one segment with content `content`.
pub fn prompt(content: u64, tokens: u64) -> Vec<Block> {
    let mut p = Prompt::new();
    p.push(content, tokens);
    p.blocks().to_vec()
}

pub fn t(us: u64) -> SimTime {
    SimTime::from_micros(us)
}

/// The fleet and the caller's event queue.
#[derive(Debug)]
pub struct Driver {
    pub fleet: Fleet,
    wakes: BTreeSet<(SimTime, u64, u32)>,
    order: u64,
    pub now: SimTime,
    /// Every note, in emission order.
    pub notes: Vec<Note>,
    out: Vec<Note>,
    /// Latest iteration seen per replica, to check they never overlap.
    last: Vec<Option<(SimTime, SimTime)>>,
}

impl Driver {
    pub fn new(cfg: &ReplicasServing) -> Self {
        Driver {
            fleet: Fleet::new(cfg).expect("a valid config"),
            wakes: BTreeSet::new(),
            order: 0,
            now: SimTime::ZERO,
            notes: Vec::new(),
            out: Vec::new(),
            last: vec![None; cfg.replicas as usize],
        }
    }

    /// Blocks are conserved and iterations of a replica never overlap.
    fn check(&mut self) {
        for (r, last) in self.fleet.replicas().iter().zip(&mut self.last) {
            assert_eq!(r.kv_blocks_used() + r.kv_blocks_free(), r.kv_blocks_total(), "blocks not conserved");
            let now = r.last_iteration();
            if now != *last {
                if let (Some((_, prev_end)), Some((start, end))) = (*last, now) {
                    assert!(start >= prev_end && end > start, "iteration {start}..{end} after one ending {prev_end}");
                }
                *last = now;
            }
        }
    }

    fn take_notes(&mut self) {
        self.check();
        for n in self.out.drain(..) {
            if let Note::Wake { replica, at } = n {
                assert!(at >= self.now, "a wake in the past");
                self.wakes.insert((at, self.order, replica));
                self.order += 1;
            }
            self.notes.push(n);
        }
    }

    /// Processes the wakes due strictly before `at` (or at or before it if `inclusive`).
    pub fn run_until(&mut self, at: SimTime, inclusive: bool) {
        while let Some(&(w, o, r)) = self.wakes.first() {
            if w > at || (w == at && !inclusive) {
                break;
            }
            self.wakes.remove(&(w, o, r));
            self.now = w;
            self.fleet.wake(r, w, &mut self.out);
            self.take_notes();
        }
        if at != SimTime::MAX {
            self.now = self.now.max(at);
        }
    }

    /// A request arrives at `at` (after the wakes due before it).
    pub fn arrive(&mut self, at: SimTime, id: u32, blocks: &[Block], output_tokens: u64, cache_key: u64) {
        self.run_until(at, false);
        self.fleet.arrive(SeqRequest { id, blocks, output_tokens, cache_key }, at, &mut self.out);
        self.take_notes();
    }

    /// The client gives up on `id` at `at`.
    pub fn cancel(&mut self, at: SimTime, id: u32) {
        self.run_until(at, false);
        self.fleet.cancel(id);
        self.check();
    }

    pub fn drain(&mut self) {
        self.run_until(SimTime::MAX, true);
    }

    pub fn first_token(&self, id: u32) -> Option<(SimTime, u64)> {
        self.notes.iter().find_map(|n| match *n {
            Note::FirstToken { id: i, at, cached_tokens } if i == id => Some((at, cached_tokens)),
            _ => None,
        })
    }

    pub fn done(&self, id: u32) -> Option<SimTime> {
        self.notes.iter().find_map(|n| match *n {
            Note::Done { id: i, at } if i == id => Some(at),
            _ => None,
        })
    }

    pub fn preempted(&self) -> Vec<(u32, SimTime)> {
        self.notes
            .iter()
            .filter_map(|n| match *n {
                Note::Preempted { id, at } => Some((id, at)),
                _ => None,
            })
            .collect()
    }
}
