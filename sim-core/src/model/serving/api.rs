//! The `api` serving model (the consumer's view): a fixed number of slots and a FIFO queue.
//!
//! Service time = base latency + (input - cached tokens) / prefill rate +
//! output tokens / decode rate. Time to first token = queue wait + base
//! latency + prefill time.

use super::{Begin, Host, ServerLevels};
use crate::metrics::{ServingGauges, TimeWeighted};
use crate::model::admission::{QueueClass, TwoClassQueue};
use crate::rng::StreamRng;
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

/// The service timing of a request, given a sampled base latency in seconds.
pub fn service_timing(s: &Serving, base_latency_s: f64, prefill_tokens: u64, output_tokens: u64) -> ServiceTiming {
    let to_first = base_latency_s + prefill_tokens as f64 / s.prefill_tokens_per_s;
    let total = to_first + output_tokens as f64 / s.decode_tokens_per_s;
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

    /// Slots in use.
    pub fn busy(&self) -> u32 {
        self.slots - self.free
    }

    pub fn peak_waiting(&self) -> usize {
        self.peak_waiting
    }
}

/// An `api` provider: slots, their FIFO, and the stream its base latencies
/// are drawn from (in service order).
#[derive(Debug)]
pub struct ApiServer {
    config: Serving,
    slots: SlotQueue,
    latency_rng: StreamRng,
    queue: TimeWeighted,
    busy: TimeWeighted,
    /// Throughput multiplier (degraded windows), applied at service start.
    speed: f64,
}

impl ApiServer {
    /// A server whose gauges are observed from `observed_from` (the warm-up's end).
    pub fn new(config: &Serving, latency_rng: StreamRng, observed_from: SimTime) -> Self {
        ApiServer {
            config: config.clone(),
            slots: SlotQueue::new(config.slots),
            latency_rng,
            queue: TimeWeighted::observed_from(observed_from),
            busy: TimeWeighted::observed_from(observed_from),
            speed: 1.0,
        }
    }

    pub fn set_speed_factor(&mut self, factor: f64) {
        self.speed = factor;
    }

    /// Slots in use and slots.
    pub fn load(&self) -> (u64, u64) {
        (u64::from(self.slots.busy()), u64::from(self.config.slots))
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
        let base_s = self.config.base_latency.sample(&mut self.latency_rng);
        let Begin { input_tokens, cached_tokens, output_tokens, failed } = host.begin(id, now);
        let t = if failed {
            service_timing(&self.config, base_s, 0, 0)
        } else {
            service_timing(&self.config, base_s, input_tokens - cached_tokens, output_tokens).slowed(base_s, self.speed)
        };
        host.planned(id, now, now + t.to_first_token, now + t.total);
    }

    /// A keep-alive ping: no base latency, no queue.
    pub fn ping_timing(&self, now: SimTime, input: u64, cached: u64, output: u64) -> (SimTime, SimTime) {
        let t = service_timing(&self.config, 0.0, input - cached, output);
        (now + t.to_first_token, now + t.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Dist;

    #[test]
    fn slots_then_fifo() {
        let std = QueueClass::Standard;
        let mut q = SlotQueue::new(2);
        assert!(q.arrive(1, std));
        assert!(q.arrive(2, std));
        assert!(!q.arrive(3, std));
        assert!(!q.arrive(4, std));
        assert_eq!(q.release(), Some(3));
        assert_eq!(q.release(), Some(4));
        assert_eq!(q.release(), None);
        assert_eq!(q.release(), None);
        assert!(q.arrive(5, std) && q.arrive(6, std) && !q.arrive(7, std));
    }

    #[test]
    fn priority_requests_wait_ahead_and_abandoned_ones_leave() {
        let (std, pri) = (QueueClass::Standard, QueueClass::Priority);
        let mut q = SlotQueue::new(1);
        assert!(q.arrive(1, std));
        assert!(!q.arrive(2, std) && !q.arrive(3, std) && !q.arrive(4, pri));
        assert!(q.abandon(3));
        assert!(!q.abandon(3));
        assert_eq!(q.busy(), 1);
        assert_eq!(q.release(), Some(4));
        assert_eq!(q.release(), Some(2));
        assert_eq!(q.release(), None);
        assert_eq!(q.busy(), 0);
    }

    #[test]
    fn timing_is_base_plus_prefill_plus_decode() {
        let s = Serving {
            slots: 1,
            base_latency: Dist::Fixed(0.0),
            prefill_tokens_per_s: 10_000.0,
            decode_tokens_per_s: 50.0,
        };
        let t = service_timing(&s, 0.5, 5_000, 100);
        assert_eq!(t.to_first_token, SimDuration::from_millis(1_000));
        assert_eq!(t.total, SimDuration::from_millis(3_000));
    }
}
