//! Context compaction: when the next prompt would pass its workload's
//! threshold, the agent first sends a summarisation request, then replaces
//! its history with the summary (docs/model.md, "Compaction").

use super::replicate::{Event, Replicate};
use crate::rng::{StreamId, splitmix64};
use crate::time::SimTime;

impl Replicate<'_> {
    /// Session `id` is about to send its next step at `at`: if its prompt
    /// has passed the threshold (with history to summarise), it sends a
    /// summarisation request instead, and returns true.
    pub(super) fn begin_compaction(&mut self, id: u32, at: SimTime) -> bool {
        let Some(c) = &self.plan_of(id).compaction else { return false };
        let s = &self.live.get(id).session;
        if s.prompt.tokens() <= c.threshold_tokens || !s.has_history() {
            return false;
        }
        // Its own stream, keyed like the session's: the step draws are unchanged.
        let key = splitmix64(s.workload_key ^ u64::from(s.step));
        let mut rng = self.seed.stream(StreamId::indexed("compaction", key, s.index));
        let summary = c.summary_tokens.sample(&mut rng);
        self.live.get_mut(id).session.begin_compaction(summary, at);
        true
    }

    /// If session `id`'s request was a summarisation (answered, or failed
    /// and skipped), the summary replaces the history and the step it
    /// preceded is sent at once; returns whether it was.
    pub(super) fn finish_compaction(&mut self, id: u32, w: usize, now: SimTime) -> bool {
        if !self.live.get(id).session.compacting {
            return false;
        }
        let plan = self.plan_of(id);
        let l = self.live.get_mut(id);
        l.session.compact();
        l.session.begin_next_step(plan, now);
        l.next_issue = now;
        self.cell(id).compactions += 1;
        self.schedule(now, Event::Issue(id), w);
        true
    }
}
