//! The `api` serving model (the consumer's view): a fixed number of slots and a queue
//! (priority requests first, FIFO within a class).
//!
//! Service time = base latency + (input - cached tokens) / prefill rate +
//! cached tokens / cached prefill rate + output tokens x (1 / (decode rate x
//! load factor) + per-token overhead). Time to first token = overhead before
//! the queue + queue wait + base latency + prefill time. The equations and
//! their sources are in docs/serving.md.

use super::{Begin, Host, ServerLevels};
use crate::dist::Dist;
use crate::metrics::{ServingGauges, TimeWeighted};
use crate::model::admission::{QueueClass, TwoClassQueue};
use crate::rng::{KeyedStreams, RequestKey};
use crate::scenario::Serving;
use crate::time::{SimDuration, SimTime};

/// Timing of one request's service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceTiming {
    /// From service start to the first output token.
    pub to_first_token: SimDuration,
    /// From service start to the last output token.
    pub total: SimDuration,
}

impl ServiceTiming {
    /// The timing at `factor` of full speed (degraded windows): the work
    /// after the base latency takes 1/factor as long.
    fn slowed(self, base_latency_s: f64, factor: f64) -> ServiceTiming {
        if factor == 1.0 {
            return self;
        }
        let base = SimDuration::from_secs_f64(base_latency_s).min(self.to_first_token);
        let stretch = |d: SimDuration| {
            base + SimDuration::from_secs_f64(
                SimDuration::from_micros(d.as_micros() - base.as_micros()).as_secs_f64() / factor,
            )
        };
        ServiceTiming { to_first_token: stretch(self.to_first_token), total: stretch(self.total) }
    }
}

/// The service timing of a request, given its sampled base latency (seconds)
/// and decode speed (tokens/s, the load factor applied), its prompt's
/// `uncached` and `cached` tokens and its `output` tokens.
pub fn service_timing(
    s: &Serving,
    base_latency_s: f64,
    decode_tokens_per_s: f64,
    uncached: u64,
    cached: u64,
    output: u64,
) -> ServiceTiming {
    let mut to_first = base_latency_s + uncached as f64 / s.prefill_tokens_per_s;
    // Absent, cached tokens add nothing (not even +0.0): results stay
    // bit-identical to the model without the key.
    if let Some(rate) = s.cached_prefill_tokens_per_s {
        to_first += cached as f64 / rate;
    }
    let total =
        to_first + output as f64 / decode_tokens_per_s + output as f64 * s.overhead_per_output_token.as_secs_f64();
    let to_first_token = SimDuration::from_secs_f64(to_first);
    // Round the two instants independently but keep first token <= end.
    let total = SimDuration::from_secs_f64(total).max(to_first_token);
    ServiceTiming { to_first_token, total }
}

/// Slots in use and the waiting request ids: priority requests first, FIFO
/// within a class.
#[derive(Clone, Debug)]
pub struct SlotQueue {
    slots: u32,
    free: u32,
    waiting: TwoClassQueue<u32>,
    peak_waiting: usize,
}

impl SlotQueue {
    pub fn new(slots: u32) -> Self {
        SlotQueue { slots, free: slots, waiting: TwoClassQueue::new(), peak_waiting: 0 }
    }

    /// Takes a slot for `id` if one is free (returns true), else queues it.
    pub fn arrive(&mut self, id: u32, class: QueueClass) -> bool {
        if self.free > 0 {
            self.free -= 1;
            true
        } else {
            self.waiting.push(class, id);
            self.peak_waiting = self.peak_waiting.max(self.waiting.len());
            false
        }
    }

    /// Releases a slot; returns the next waiting id, which now holds it.
    pub fn release(&mut self) -> Option<u32> {
        match self.waiting.pop() {
            Some((_, id)) => Some(id),
            None => {
                self.free += 1;
                None
            }
        }
    }

    /// Takes waiting `id` out of the queue (its client gave up); false if it
    /// was not waiting. Linear in the queue: abandonment is rare.
    pub fn abandon(&mut self, id: u32) -> bool {
        self.waiting.remove(|&x| x == id)
    }

    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Requests holding a slot.
    pub fn in_service(&self) -> u32 {
        self.slots - self.free
    }

    pub fn peak_waiting(&self) -> usize {
        self.peak_waiting
    }
}

/// The random streams of an `api` provider: one kind per drawn quantity, so
/// a new draw never shifts another's, and one stream per request, so a
/// request draws the same whatever order the server reaches it in.
#[derive(Clone, Copy, Debug)]
pub struct ApiStreams {
    /// Base latencies.
    pub latency: KeyedStreams,
    /// Decode speeds.
    pub decode: KeyedStreams,
    /// Overheads before the queue.
    pub overhead: KeyedStreams,
}

/// An `api` provider: slots, their FIFO, and its streams.
#[derive(Debug)]
pub struct ApiServer {
    config: Serving,
    slots: SlotQueue,
    rng: ApiStreams,
    /// The speed keep-alive pings decode at (they draw nothing).
    ping_decode_tokens_per_s: f64,
    queue: TimeWeighted,
    busy: TimeWeighted,
    /// Throughput multiplier (degraded windows), applied at service start.
    speed: f64,
}

impl ApiServer {
    /// A server whose gauges are observed from `observed_from` (the warm-up's end).
    pub fn new(config: &Serving, rng: ApiStreams, observed_from: SimTime) -> Self {
        let ping_decode_tokens_per_s = match config.decode_tokens_per_s {
            Dist::Fixed(v) => v,
            // The harmonic mean: a ping's mean decode time is E[time per token].
            ref d => 1.0 / d.mean_reciprocal_upper_bound(),
        };
        ApiServer {
            config: config.clone(),
            slots: SlotQueue::new(config.slots),
            rng,
            ping_decode_tokens_per_s,
            queue: TimeWeighted::observed_from(observed_from),
            busy: TimeWeighted::observed_from(observed_from),
            speed: 1.0,
        }
    }

    /// The overhead of request `key` between its sending and its queue.
    pub fn before_queue(&self, key: RequestKey) -> SimDuration {
        SimDuration::from_secs_f64(draw(&self.config.overhead_before_queue, &self.rng.overhead, key))
    }

    pub fn set_speed_factor(&mut self, factor: f64) {
        self.speed = factor;
    }

    /// Slots in use and slots.
    pub fn load(&self) -> (u64, u64) {
        (u64::from(self.slots.in_service()), u64::from(self.config.slots))
    }

    /// The client of `id` gave up at `now`: out of the queue, or out of its
    /// slot (the provider stops generating), which goes to the next request.
    pub fn abandon(&mut self, id: u32, in_service: bool, now: SimTime, host: &mut impl Host) {
        if in_service {
            self.release(id, now, host);
        } else if self.slots.abandon(id) {
            self.queue.set(now, self.slots.waiting() as u64);
        }
    }

    pub fn admit(&mut self, id: u32, class: QueueClass, now: SimTime, host: &mut impl Host) {
        if self.slots.arrive(id, class) {
            self.busy.add(now, 1);
            self.start(id, now, host);
        } else {
            self.queue.set(now, self.slots.waiting() as u64);
        }
    }

    pub fn release(&mut self, _id: u32, now: SimTime, host: &mut impl Host) {
        match self.slots.release() {
            Some(next) => {
                self.queue.set(now, self.slots.waiting() as u64);
                self.start(next, now, host);
            }
            None => self.busy.add(now, -1),
        }
    }

    /// Queue and slot levels from the warm-up's end to `end`.
    pub fn close(&mut self, end: SimTime) -> ServingGauges {
        let busy = self.busy.close(end);
        ServingGauges {
            queue: self.queue.close(end),
            busy,
            capacity_s: f64::from(self.config.slots) * (end - end.min(self.busy.start())).as_secs_f64(),
            preemptions: 0,
            kv_util_peak: None,
            iterations: 0,
        }
    }

    /// A slot serves one request, so running and busy are the slots in use.
    pub fn levels(&self) -> ServerLevels {
        let in_use = self.busy.level();
        ServerLevels {
            waiting: self.slots.waiting() as u64,
            running: in_use,
            busy: in_use,
            capacity: u64::from(self.config.slots),
        }
    }

    fn start(&mut self, id: u32, now: SimTime, host: &mut impl Host) {
        let key = host.request_key(id);
        let base_s = draw(&self.config.base_latency, &self.rng.latency, key);
        let speed = draw(&self.config.decode_tokens_per_s, &self.rng.decode, key);
        // An approximation: the speed is fixed for the request at its start,
        // from the requests in service then (this one included).
        let speed = match &self.config.load_curve {
            Some(curve) => speed * curve.factor(self.slots.in_service()),
            None => speed,
        };
        let Begin { input_tokens, cached_tokens, output_tokens, failed } = host.begin(id, now);
        let t = if failed {
            service_timing(&self.config, base_s, speed, 0, 0, 0)
        } else {
            service_timing(&self.config, base_s, speed, input_tokens - cached_tokens, cached_tokens, output_tokens)
                .slowed(base_s, self.speed)
        };
        host.planned(id, now, now + t.to_first_token, now + t.total);
    }

    /// A keep-alive ping: no base latency, no queue, no overhead before the
    /// queue, no load factor (it takes no slot).
    pub fn ping_timing(&self, now: SimTime, input: u64, cached: u64, output: u64) -> (SimTime, SimTime) {
        let t = service_timing(&self.config, 0.0, self.ping_decode_tokens_per_s, input - cached, cached, output);
        (now + t.to_first_token, now + t.total)
    }
}

/// Request `key`'s draw of `dist` from its stream in `streams`. A fixed value
/// draws nothing, so its stream is not built: seeding a request's stream
/// (three hashes and a PCG) was most of the cost of these draws, and every
/// stream is keyed, so skipping one moves no other draw.
fn draw(dist: &Dist, streams: &KeyedStreams, key: RequestKey) -> f64 {
    match dist {
        Dist::Fixed(v) => *v,
        d => d.sample(&mut streams.request(key)),
    }
}

#[cfg(test)]
#[path = "api_tests.rs"]
mod tests;
