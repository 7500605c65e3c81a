//! The engine's side of the arrival processes of `Arrivals::Process`: the
//! next arrival of an open process (sampled by `model::arrivals`), and the
//! closed loop, which starts `agents` sessions at time 0 and replaces each
//! one that leaves after a gap, until its stop rule.

use super::replicate::{Event, Replicate};
use crate::model::arrivals::ArrivalState;
use crate::rng::StreamRng;
use crate::scenario::{ArrivalProcess, ArrivalStop, Arrivals, Scenario};
use crate::time::{SimDuration, SimTime};

/// A workload's process state beyond its arrival stream.
pub(super) struct ProcessArrivals {
    state: Option<ArrivalState>,
    /// Arrivals scheduled so far (the closed loop's count against `sessions`).
    scheduled: u64,
}

impl ProcessArrivals {
    pub(super) fn new(sc: &Scenario, w: usize, rng: &mut StreamRng) -> Self {
        let state = match &sc.workloads[w].arrivals {
            Arrivals::Process { process, .. } => {
                Some(ArrivalState::new(process, sc.simulation.start_time_of_day_s, rng))
            }
            _ => None,
        };
        ProcessArrivals { state, scheduled: 0 }
    }
}

/// Whether another arrival at `t` is allowed after `scheduled` ones.
fn allowed(stop: &ArrivalStop, scheduled: u64, t: SimTime) -> bool {
    match stop {
        ArrivalStop::Sessions(n) => scheduled < *n,
        ArrivalStop::Horizon(h) => t < *h,
    }
}

impl Replicate<'_> {
    /// Schedules the next arrival of workload `w`'s process after `after`
    /// (a closed loop: its first `agents` sessions, once).
    pub(super) fn schedule_process_arrival(&mut self, w: usize, after: SimTime) {
        let Arrivals::Process { process, stop } = &self.sc.workloads[w].arrivals else { return };
        let ws = &mut self.workloads[w];
        if let ArrivalProcess::Closed { agents, .. } = process {
            if ws.process.scheduled == 0 {
                let first = (0..*agents).take_while(|k| allowed(stop, *k, after)).count() as u64;
                ws.process.scheduled = first;
                for _ in 0..first {
                    self.schedule(after, Event::Arrival(w as u32), w);
                }
            }
            return;
        }
        if !allowed(stop, ws.process.scheduled, after) {
            return;
        }
        let Some(state) = ws.process.state.as_mut() else { return };
        let Some(t) = state.next(process, after, &mut ws.arrival_rng) else { return };
        if allowed(stop, ws.process.scheduled, t) {
            ws.process.scheduled += 1;
            self.schedule(t, Event::Arrival(w as u32), w);
        }
    }

    /// A session of workload `w` left at `now`: a closed loop replaces it
    /// after a gap drawn from the workload's arrival stream.
    pub(super) fn replace_closed(&mut self, w: usize, now: SimTime) {
        let Arrivals::Process { process: ArrivalProcess::Closed { gap, .. }, stop } = &self.sc.workloads[w].arrivals
        else {
            return;
        };
        let ws = &mut self.workloads[w];
        let gap_s = gap.as_ref().map_or(0.0, |g| g.sample(&mut ws.arrival_rng));
        let t = now + SimDuration::from_secs_f64(gap_s);
        if allowed(stop, ws.process.scheduled, t) {
            ws.process.scheduled += 1;
            self.schedule(t, Event::Arrival(w as u32), w);
        }
    }
}
