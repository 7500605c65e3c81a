//! An agent session: its plan (drawn from its own random stream) and the state
//! of its current step.
//!
//! Each session samples from a stream keyed by (workload, session index), so a
//! session's task, steps, outputs and think times do not depend on how the
//! provider treated it or on any other session: the basis for common random
//! numbers when variants are compared.

use super::prompt::Prompt;
use crate::rng::{ReplicateSeed, StreamId, StreamRng};
use crate::scenario::Workload;
use crate::time::{SimDuration, SimTime};

/// Content id of a session's private task segment.
fn task_content(workload: usize, session: u64) -> u64 {
    crate::rng::splitmix64(((workload as u64) << 40) ^ session ^ 0x7a5c_0000_0000_0000)
}

/// Content id of the history chunk appended after `step`.
fn history_content(workload: usize, session: u64, step: u32) -> u64 {
    crate::rng::splitmix64(
        task_content(workload, session) ^ (u64::from(step) + 1).wrapping_mul(0x9e37_79b9),
    )
}

/// A live session.
#[derive(Clone, Debug)]
pub struct Session {
    pub workload: usize,
    pub index: u64,
    pub arrival: SimTime,
    pub steps_total: u32,
    /// 0-based index of the step in progress.
    pub step: u32,
    pub prompt: Prompt,
    rng: StreamRng,
    /// The step's request: output tokens, when it was first issued, attempts made.
    pub output_tokens: u64,
    pub step_issued: SimTime,
    pub attempt: u32,
}

impl Session {
    /// Starts session `index` of workload `w` at `now`, with its first prompt.
    pub fn start(
        seed: &ReplicateSeed,
        w: &Workload,
        workload: usize,
        index: u64,
        now: SimTime,
    ) -> Self {
        let mut rng = seed.stream(StreamId::indexed("session", workload as u64, index));
        let task = w.task_tokens.sample(&mut rng);
        let steps_total = w.steps.sample(&mut rng).clamp(1, u64::from(u32::MAX)) as u32;
        let mut prompt = Prompt::new();
        prompt.push_shared(
            super::prompt::shared_segment_id(&w.name),
            w.shared_prefix_tokens,
        );
        prompt.push(task_content(workload, index), task);
        let mut s = Session {
            workload,
            index,
            arrival: now,
            steps_total,
            step: 0,
            prompt,
            rng,
            output_tokens: 0,
            step_issued: now,
            attempt: 0,
        };
        s.issue_step(w, now);
        s
    }

    fn issue_step(&mut self, w: &Workload, now: SimTime) {
        self.output_tokens = w.output_tokens.sample(&mut self.rng);
        self.step_issued = now;
        self.attempt = 0;
    }

    /// Records the finished step's output and tool result in the history and
    /// returns the think time before the next step, or `None` when the session
    /// has run all its steps.
    pub fn finish_step(&mut self, w: &Workload) -> Option<SimDuration> {
        if self.step + 1 >= self.steps_total {
            return None;
        }
        let tool = w.tool_result_tokens.sample(&mut self.rng);
        let chunk = history_content(self.workload, self.index, self.step);
        self.prompt.push(chunk, self.output_tokens + tool);
        let think = SimDuration::from_secs_f64(w.think_time.sample(&mut self.rng));
        self.step += 1;
        Some(think)
    }

    /// Draws the next step's request when it is issued at `now`.
    pub fn begin_next_step(&mut self, w: &Workload, now: SimTime) {
        self.issue_step(w, now);
    }
}
