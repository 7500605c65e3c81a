//! A closed-loop trace session (docs/traces.md, "Replay modes"): the
//! requests of one traced session, sent one after another, each when the
//! previous one has completed plus its recorded think gap. Its plan is the
//! trace itself; no random draw. A child of `session.rs` (it builds a
//! `Session`), kept apart so the generated sessions' code stays small.

use super::Session;
use crate::model::prompt::Prompt;
use crate::scenario::Workload;
use crate::time::{SimDuration, SimTime};
use crate::trace::Trace;
use std::sync::Arc;

/// Where a closed-loop session is in its traced session.
#[derive(Clone, Debug)]
pub struct TracePlan {
    trace: Arc<Trace>,
    /// The session's position in `trace.sessions`.
    session: usize,
}

impl TracePlan {
    /// The trace request of step `step`.
    fn request(&self, step: u32) -> &crate::trace::TraceRequest {
        &self.trace.requests[self.trace.sessions[self.session][step as usize] as usize]
    }
}

impl Session {
    /// Session `index` of trace workload `w`: traced session `index` (by
    /// first arrival), starting with its first request at `now`.
    pub fn from_trace_session(w: &Workload, trace: &Arc<Trace>, workload: usize, index: u64, now: SimTime) -> Self {
        let steps = trace.sessions[index as usize].len() as u32;
        let first = &trace.requests[trace.sessions[index as usize][0] as usize];
        let mut s = Session::from_trace(w, trace, first, workload, index, now);
        s.steps_total = steps;
        s.trace = Some(TracePlan { trace: Arc::clone(trace), session: index as usize });
        s
    }

    /// The think gap before the next step (recorded in the trace), moving
    /// to it; `finish_step` has checked there is one.
    pub(super) fn next_trace_step(&mut self) -> Option<SimDuration> {
        let plan = self.trace.as_ref()?;
        let gap = SimDuration::from_micros(plan.request(self.step + 1).think_us);
        self.step += 1;
        Some(gap)
    }

    /// Loads the current step's prompt and output from the trace.
    pub(super) fn load_trace_step(&mut self) {
        let Some(plan) = self.trace.as_ref() else { return };
        let r = plan.request(self.step);
        self.prompt = Prompt::from_blocks(plan.trace.cache_blocks(r));
        self.output_tokens = r.output_tokens;
    }
}
