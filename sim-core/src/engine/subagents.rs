//! Subagents: a step that delegates to child sessions started at once; the
//! parent waits for every child, then appends their final outputs to its
//! history and carries on (docs/model.md, "Subagents").

use super::limits::SimLimit;
use super::replicate::{Live, Replicate};
use crate::metrics::UsdSum;
use crate::model::prompt::MAX_PROMPT_TOKENS;
use crate::model::session::Session;
use crate::rng::{StreamId, splitmix64};
use crate::scenario::{MAX_CHILDREN, Workload};
use crate::time::{SimDuration, SimTime};
use rand::Rng;

/// A session's place among subagents: a child's parent, or what a waiting
/// parent has heard from its children.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Family {
    /// Set for a child: its parent's slab id (live while it waits).
    parent: Option<u32>,
    /// A parent's children still running.
    waiting: u64,
    /// A parent: the finished children's final outputs, summed. A child:
    /// its final output, once it has finished all its steps.
    output: u64,
    /// A parent's think time, taken once the last child ends.
    think: SimDuration,
}

impl Family {
    pub(super) fn is_child(&self) -> bool {
        self.parent.is_some()
    }
}

impl<'a> Replicate<'a> {
    /// The plan session `id` draws from: its workload, or for a child the
    /// child workload derived from it.
    pub(super) fn plan_of(&self, id: u32) -> &'a Workload {
        let sc: &'a crate::scenario::Scenario = self.sc;
        let l = self.live.get(id);
        let w = &sc.workloads[l.session.workload];
        match (&w.subagents, l.family.parent) {
            (Some(sa), Some(_)) => &sa.child,
            _ => w,
        }
    }

    /// After parent `id` finished a step that is not its last: draws whether
    /// the step spawns children, and if so starts them all at `now` and
    /// returns true (the parent waits; `think` is taken after the last child).
    pub(super) fn spawn_subagents(&mut self, id: u32, w: usize, think: SimDuration, now: SimTime) -> bool {
        let sc = self.sc;
        let Some(sa) = &sc.workloads[w].subagents else { return false };
        let l = self.live.get(id);
        if l.family.parent.is_some() {
            return false;
        }
        // `finish_step` has moved on: the step that just ended is `step - 1`.
        let step = l.session.step - 1;
        let key = splitmix64(l.session.workload_key ^ u64::from(step));
        let mut rng = self.seed.stream(StreamId::indexed("subagents", key, l.session.index));
        if rng.random::<f64>() >= sa.keys.probability {
            return false;
        }
        let count = sa.keys.count.sample(&mut rng).clamp(1, MAX_CHILDREN);
        let counted = l.counted;
        let children: Vec<Session> = (0..count)
            .map(|c| Session::start_child(&self.session_seeds, &sa.child, &l.session, step, c, now))
            .collect();
        let family = &mut self.live.get_mut(id).family;
        // Set before any child is issued: a child refused at once ends before its siblings start.
        family.waiting = count;
        family.output = 0;
        family.think = think;
        self.cell(id).subagents_spawned += count;
        let ids: Vec<u32> = children
            .into_iter()
            .map(|session| {
                self.live.insert(Live::new(session, now, counted, Family { parent: Some(id), ..Family::default() }))
            })
            .collect();
        for child in ids {
            self.on_issue(child, now);
        }
        true
    }

    /// Session `id` has run all its steps: a parent's session ends and is
    /// recorded; a child's final output is kept for its parent.
    pub(super) fn end_session(&mut self, id: u32, w: usize, now: SimTime) {
        let l = self.live.get_mut(id);
        if l.family.parent.is_some() {
            l.family.output = l.session.output_tokens;
        } else {
            let (d, cost) = (now - l.session.arrival, l.cost.usd());
            self.cell(id).record_session_end(d, cost);
        }
        self.leave(id, w, now);
    }

    /// A child (freed; `family` and `cost` were its own) has ended,
    /// answered or aborted: its cost joins its parent's, and the last child
    /// to end resumes the parent.
    pub(super) fn child_left(&mut self, family: Family, cost: UsdSum, now: SimTime) {
        let Some(parent) = family.parent else { return };
        let p = self.live.get_mut(parent);
        p.cost.merge(cost);
        p.family.output += family.output;
        p.family.waiting -= 1;
        if p.family.waiting > 0 {
            return;
        }
        let (w, think, output) = (p.session.workload, p.family.think, p.family.output);
        if p.session.push_subagent_results(output).is_err() {
            self.fault = Some(SimLimit::PromptTokens {
                replicate: self.replicate,
                workload: self.sc.workloads[w].name.clone(),
                session: p.session.index,
                step: p.session.step,
                max: MAX_PROMPT_TOKENS,
            });
            return;
        }
        self.schedule_step(parent, w, think, now);
    }
}
