//! The fleet as a provider's server: requests handed over by the engine,
//! the fleet's notes turned into the engine's events, and the gauges the
//! metrics need (queue, busy replicas, KV memory in use).

use super::{Fleet, Note, ReplicasConfigError, SeqRequest};
use crate::metrics::{ServingGauges, TimeWeighted};
use crate::model::serving::{Host, ServerLevels};
use crate::scenario::ReplicasServing;
use crate::time::{SimDuration, SimTime};

/// A `replicas` provider.
#[derive(Debug)]
pub struct ReplicasServer {
    fleet: Fleet,
    replicas: u64,
    seats: u64,
    before_queue: SimDuration,
    notes: Vec<Note>,
    queue: TimeWeighted,
    /// Replicas with work (a request queued or running).
    busy: TimeWeighted,
    busy_replicas: Vec<bool>,
    /// Preemptions from the warm-up's end on (the fleet counts them all).
    preemptions: u64,
    kv_peak: u64,
    kv_total: u64,
}

impl ReplicasServer {
    /// Its gauges are observed from `observed_from` (the warm-up's end).
    pub fn new(cfg: &ReplicasServing, observed_from: SimTime) -> Result<Self, ReplicasConfigError> {
        let fleet = Fleet::new(cfg)?;
        let kv_total = fleet.kv_blocks_total();
        Ok(ReplicasServer {
            fleet,
            replicas: u64::from(cfg.replicas),
            seats: u64::from(cfg.replicas) * u64::from(cfg.max_num_seqs),
            before_queue: cfg.overheads.before_queue,
            notes: Vec::new(),
            queue: TimeWeighted::observed_from(observed_from),
            busy: TimeWeighted::observed_from(observed_from),
            busy_replicas: vec![false; cfg.replicas as usize],
            preemptions: 0,
            kv_peak: 0,
            kv_total,
        })
    }

    pub fn before_queue(&self) -> SimDuration {
        self.before_queue
    }

    /// Request `id` joins the fleet: the engine draws whether it fails (an
    /// error at once) and hands over its prompt.
    pub fn admit(&mut self, id: u32, now: SimTime, host: &mut impl Host) {
        let begin = host.begin(id, now);
        if begin.failed {
            host.planned(id, now, now, now);
            return;
        }
        let req = SeqRequest {
            id,
            blocks: host.prompt(id),
            output_tokens: begin.output_tokens,
            cache_key: host.cache_key(id),
        };
        self.fleet.arrive(req, now, &mut self.notes);
        self.after(None, now, host);
    }

    /// A replica's iteration (or batching window) ended.
    pub fn wake(&mut self, replica: u32, now: SimTime, host: &mut impl Host) {
        self.fleet.wake(replica, now, &mut self.notes);
        self.after(Some(replica as usize), now, host);
    }

    /// The client gave up: the request leaves its queue or batch.
    pub fn abandon(&mut self, id: u32, now: SimTime) {
        self.fleet.cancel(id);
        self.update_levels(None, now);
    }

    pub fn set_speed_factor(&mut self, factor: f64) {
        self.fleet.set_speed_factor(factor);
    }

    /// Running sequences and the fleet's seats (`max_num_seqs` per replica).
    pub fn load(&self) -> (u64, u64) {
        (self.fleet.running() as u64, self.seats)
    }

    pub fn levels(&self) -> ServerLevels {
        ServerLevels {
            waiting: self.fleet.queue_len() as u64,
            running: self.fleet.running() as u64,
            busy: self.fleet.kv_blocks_used(),
            capacity: self.kv_total,
        }
    }

    pub fn close(&mut self, end: SimTime) -> ServingGauges {
        let busy = self.busy.close(end);
        ServingGauges {
            queue: self.queue.close(end),
            busy,
            capacity_s: self.replicas as f64 * (end - end.min(self.busy.start())).as_secs_f64(),
            preemptions: self.preemptions,
            kv_util_peak: Some(self.kv_peak as f64 / self.kv_total.max(1) as f64),
            iterations: self.fleet.iterations(),
        }
    }

    /// Passes the fleet's notes to the engine, then updates the gauges.
    fn after(&mut self, replica: Option<usize>, now: SimTime, host: &mut impl Host) {
        for note in self.notes.drain(..) {
            match note {
                Note::Wake { replica, at } => host.wake(at, replica),
                Note::FirstToken { id, at, cached_tokens } => host.first_token(id, at, cached_tokens),
                Note::Done { id, at } => host.done(id, at),
                // The request waits to recompute; only the observed span counts.
                Note::Preempted { at, .. } => self.preemptions += u64::from(at >= self.queue.start()),
                // Larger than one replica's KV memory: an error, never served.
                Note::Rejected { id, at } => host.fail(id, at),
            }
        }
        self.update_levels(replica, now);
    }

    /// `replica`: the one replica that changed, when known.
    fn update_levels(&mut self, replica: Option<usize>, now: SimTime) {
        let replicas = self.fleet.replicas();
        match replica {
            Some(r) => self.busy_replicas[r] = replicas[r].outstanding() > 0,
            None => {
                for (b, r) in self.busy_replicas.iter_mut().zip(replicas) {
                    *b = r.outstanding() > 0;
                }
            }
        }
        let busy = self.busy_replicas.iter().filter(|b| **b).count() as u64;
        if busy != self.busy.level() {
            self.busy.set(now, busy);
        }
        let waiting = self.fleet.queue_len() as u64;
        if waiting != self.queue.level() {
            self.queue.set(now, waiting);
        }
        if now >= self.queue.start() {
            self.kv_peak = self.kv_peak.max(self.fleet.kv_blocks_used());
        }
    }
}
