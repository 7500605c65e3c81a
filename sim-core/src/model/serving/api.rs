//! The `api` serving model (the consumer's view): a fixed number of slots and a FIFO queue.
//!
//! Service time = base latency + (input - cached tokens) / prefill rate +
//! output tokens / decode rate. Time to first token = queue wait + base
//! latency + prefill time.

use super::{Begin, Host, ServerLevels};
use crate::metrics::{ServingGauges, TimeWeighted};
use crate::rng::StreamRng;
use crate::scenario::Serving;
use crate::time::{SimDuration, SimTime};
use std::collections::VecDeque;

/// Timing of one request's service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceTiming {
    /// From service start to the first output token.
    pub to_first_token: SimDuration,
    /// From service start to the last output token.
    pub total: SimDuration,
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

/// Slots in use and the FIFO of waiting request ids.
#[derive(Clone, Debug)]
pub struct SlotQueue {
    free: u32,
    waiting: VecDeque<u32>,
    peak_waiting: usize,
}

impl SlotQueue {
    pub fn new(slots: u32) -> Self {
        SlotQueue { free: slots, waiting: VecDeque::new(), peak_waiting: 0 }
    }

    /// Takes a slot for `id` if one is free (returns true), else queues it.
    pub fn arrive(&mut self, id: u32) -> bool {
        if self.free > 0 {
            self.free -= 1;
            true
        } else {
            self.waiting.push_back(id);
            self.peak_waiting = self.peak_waiting.max(self.waiting.len());
            false
        }
    }

    /// Releases a slot; returns the next waiting id, which now holds it.
    pub fn release(&mut self) -> Option<u32> {
        match self.waiting.pop_front() {
            Some(id) => Some(id),
            None => {
                self.free += 1;
                None
            }
        }
    }

    pub fn waiting(&self) -> usize {
        self.waiting.len()
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
        }
    }

    pub fn admit(&mut self, id: u32, now: SimTime, host: &mut impl Host) {
        if self.slots.arrive(id) {
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
            service_timing(&self.config, base_s, input_tokens - cached_tokens, output_tokens)
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
        let mut q = SlotQueue::new(2);
        assert!(q.arrive(1));
        assert!(q.arrive(2));
        assert!(!q.arrive(3));
        assert!(!q.arrive(4));
        assert_eq!(q.release(), Some(3));
        assert_eq!(q.release(), Some(4));
        assert_eq!(q.release(), None);
        assert_eq!(q.release(), None);
        assert!(q.arrive(5) && q.arrive(6) && !q.arrive(7));
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
