//! An agent session: its plan (drawn from its own random stream) and the state
//! of its current step.
//!
//! Each session samples from a stream keyed by (workload name, session index), so a
//! session's task, steps, outputs and think times do not depend on how the
//! provider treated it or on any other session: the basis for common random
//! numbers when variants are compared.

use super::anatomy::SessionAnatomy;
use super::cache::PromptBreakpoint;
use super::prompt::{MAX_PROMPT_TOKENS, Prompt, shared_segment_id};
use crate::rng::{KeyedStreams, ReplicateSeed, RequestKey, StreamRng, fnv1a, splitmix64};
use crate::scenario::{BreakpointAt, Workload};
use crate::time::{SimDuration, SimTime};
use crate::trace::{Trace, TraceRequest};

#[path = "trace_session.rs"]
mod trace_session;
pub use trace_session::TracePlan;

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;

/// The streams a session starts from, named once per replicate rather
/// than hashed again for every session.
#[derive(Clone, Copy, Debug)]
pub struct SessionSeeds {
    pub seed: ReplicateSeed,
    session: KeyedStreams,
    subagent: KeyedStreams,
    anatomy: KeyedStreams,
}

impl SessionSeeds {
    pub fn new(seed: &ReplicateSeed) -> Self {
        SessionSeeds {
            seed: *seed,
            session: seed.keyed("session"),
            subagent: seed.keyed("subagent"),
            anatomy: seed.keyed("anatomy"),
        }
    }
}

/// Content id of a session's private task segment (`workload`: its name, hashed).
fn task_content(workload: u64, session: u64) -> u64 {
    splitmix64(splitmix64(workload) ^ session ^ 0x7a5c_0000_0000_0000)
}

/// Content id of the history chunk appended after `step`.
fn history_content(workload: u64, session: u64, step: u32) -> u64 {
    splitmix64(task_content(workload, session) ^ (u64::from(step) + 1).wrapping_mul(0x9e37_79b9))
}

/// The next prompt of a session would exceed [`MAX_PROMPT_TOKENS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PromptTooLong;

/// A live session.
#[derive(Clone, Debug)]
pub struct Session {
    /// The workload's position in the scenario.
    pub workload: usize,
    /// The workload's name, hashed: what its random draws and content ids are
    /// keyed by, so reordering the scenario's workloads changes nothing.
    pub workload_key: u64,
    pub index: u64,
    pub arrival: SimTime,
    pub steps_total: u32,
    /// 0-based index of the step in progress.
    pub step: u32,
    pub prompt: Prompt,
    rng: Option<StreamRng>,
    /// The current step's request: visible output and reasoning tokens.
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
    /// When the current step was first sent, and attempts made so far.
    pub step_issued: SimTime,
    pub attempt: u32,
    /// Breakpoints fixed for the whole session (after segments or the task).
    fixed_breakpoints: Vec<PromptBreakpoint>,
    /// Tier of the rolling end-of-prompt breakpoint, if the client places one.
    end_tier: Option<usize>,
    /// Blocks of the prompt sent by the last finished request (what a
    /// keep-alive re-sends).
    pub last_sent_blocks: usize,
    /// A closed-loop trace session's plan (`trace_session.rs`).
    trace: Option<TracePlan>,
    /// Tool calls, human turns, cache busting (generated sessions only).
    pub anatomy: Option<SessionAnatomy>,
    /// Leading blocks a compaction keeps: shared segments and the task.
    base_blocks: usize,
    /// The request in flight is a summarisation (compaction), not a step.
    pub compacting: bool,
}

/// Added to a compaction request's attempt number in its key, so its draws
/// never coincide with those of the step that follows it.
const COMPACTION_ATTEMPT: u32 = 1 << 31;

impl Session {
    /// A slot's session before its first occupant: what
    /// [`Session::restart`] builds over.
    pub fn vacant() -> Self {
        Session {
            workload: 0,
            workload_key: 0,
            index: 0,
            arrival: SimTime::ZERO,
            steps_total: 0,
            step: 0,
            prompt: Prompt::new(),
            rng: None,
            output_tokens: 0,
            reasoning_tokens: 0,
            step_issued: SimTime::ZERO,
            attempt: 0,
            fixed_breakpoints: Vec::new(),
            end_tier: None,
            last_sent_blocks: 0,
            trace: None,
            anatomy: None,
            base_blocks: 0,
            compacting: false,
        }
    }

    /// Starts session `index` of a generated workload `w` at `now`, with its
    /// first prompt.
    pub fn start(seeds: &SessionSeeds, w: &Workload, workload: usize, index: u64, now: SimTime) -> Self {
        let mut s = Session::vacant();
        s.restart(seeds, w, workload, index, now);
        s
    }

    /// [`Session::start`] in place, over a finished session (or a vacant
    /// one): the same session, nothing of the former one left, and no large
    /// value moved.
    pub fn restart(&mut self, seeds: &SessionSeeds, w: &Workload, workload: usize, index: u64, now: SimTime) {
        let workload_key = fnv1a(w.name.as_bytes());
        let rng = seeds.session.get(workload_key, index);
        self.start_keyed(seeds, rng, w, workload, workload_key, index, now);
    }

    /// Frees what an ended session holds on the heap (its prompt,
    /// breakpoints, anatomy and trace plan); its record stays, to be
    /// restarted. Idle records that kept their prompts' capacity for the next
    /// session added 17 MiB (18%) to the peak memory of 200,000 sessions at
    /// 70/s, for no measurable speed.
    pub fn release_buffers(&mut self) {
        self.prompt = Prompt::new();
        self.fixed_breakpoints = Vec::new();
        self.anatomy = None;
        self.trace = None;
    }

    /// Child `child` of the subagents `parent` starts after its step `step`,
    /// planned from `w` (the child workload). Its draws and content ids are
    /// keyed by (workload, parent session, step, child), so they do not
    /// depend on timing; it reports under the parent's session index.
    pub fn start_child(
        seeds: &SessionSeeds,
        w: &Workload,
        parent: &Session,
        step: u32,
        child: u64,
        now: SimTime,
    ) -> Self {
        let key = splitmix64(parent.workload_key ^ splitmix64((u64::from(step) << 32 | child) ^ 0x5ab_a9e7));
        let rng = seeds.subagent.get(key, parent.index);
        let mut s = Session::vacant();
        s.start_keyed(seeds, rng, w, parent.workload, key, parent.index, now);
        s
    }

    #[allow(clippy::too_many_arguments)]
    fn start_keyed(
        &mut self,
        seeds: &SessionSeeds,
        mut rng: StreamRng,
        w: &Workload,
        workload: usize,
        workload_key: u64,
        index: u64,
        now: SimTime,
    ) {
        // Every field is named, without `..`: a field added later must be
        // set here, or a session would inherit it from the slot's former one.
        let Session {
            workload: s_workload,
            workload_key: s_workload_key,
            index: s_index,
            arrival,
            steps_total,
            step,
            prompt,
            rng: s_rng,
            output_tokens: _,
            reasoning_tokens: _,
            step_issued: _,
            attempt: _,
            fixed_breakpoints,
            end_tier,
            last_sent_blocks,
            trace,
            anatomy: s_anatomy,
            base_blocks,
            compacting,
        } = self;
        // (`issue_step`, below, sets the current request's draws, issue
        // instant and attempt.)
        let task = w.task_tokens.sample(&mut rng);
        *steps_total = w.steps.sample(&mut rng).clamp(1, u64::from(u32::MAX)) as u32;
        *prompt = if w.anatomy.cache_busting.is_empty() { Prompt::new() } else { Prompt::rewritable() };
        let mut segment_blocks = Vec::with_capacity(w.shared_segments.len());
        for seg in &w.shared_segments {
            segment_blocks.push(prompt.push_shared(shared_segment_id(&seg.name, seg.tokens), seg.tokens));
        }
        let anatomy_rng = seeds.anatomy.get(workload_key, index);
        let mut anatomy = SessionAnatomy::start(&seeds.seed, anatomy_rng, w, workload_key, prompt);
        // The cache keeps a session's private blocks as one chain that only
        // grows; a compaction branches the prompt after the task, so with
        // compaction the task counts among the leading (per-block) blocks
        // and each summary starts a new private chain.
        let task_block = if w.compaction.is_some() {
            prompt.push_shared(task_content(workload_key, index), task)
        } else {
            prompt.push(task_content(workload_key, index), task)
        };
        anatomy.locate_busts(w, &segment_blocks, task_block);
        // A bust rewrites the prompt, which needs the content ids.
        debug_assert_eq!(prompt.is_rewritable(), anatomy.may_bust());
        fixed_breakpoints.clear();
        *end_tier = None;
        for rule in &w.breakpoints {
            let block = match &rule.at {
                BreakpointAt::AfterSegment(name) => {
                    w.shared_segments.iter().position(|s| &s.name == name).and_then(|i| segment_blocks[i])
                }
                BreakpointAt::AfterTask => task_block,
                BreakpointAt::End => {
                    *end_tier = Some(rule.tier);
                    None
                }
            };
            if let Some(block) = block {
                fixed_breakpoints.push(PromptBreakpoint { block, tier: rule.tier });
            }
        }
        *s_workload = workload;
        *s_workload_key = workload_key;
        *s_index = index;
        *arrival = now;
        *step = 0;
        *s_rng = Some(rng);
        *last_sent_blocks = 0;
        *trace = None;
        *s_anatomy = Some(anatomy);
        *base_blocks = prompt.blocks().len();
        *compacting = false;
        self.issue_step(w, now);
    }

    /// A one-request session of trace workload `w` replaying trace request
    /// `r`. Its prompt is the trace's raw blocks, so only a rolling end
    /// breakpoint applies (validation rejects the others).
    pub fn from_trace(
        w: &Workload,
        trace: &Trace,
        r: &TraceRequest,
        workload: usize,
        index: u64,
        now: SimTime,
    ) -> Self {
        let blocks = trace.cache_blocks(r);
        let end_tier = w.breakpoints.iter().find(|b| b.at == BreakpointAt::End).map(|b| b.tier);
        // No random stream, breakpoints, anatomy or plan: the rest is vacant.
        Session {
            workload,
            workload_key: fnv1a(w.name.as_bytes()),
            index,
            arrival: now,
            steps_total: 1,
            prompt: Prompt::from_blocks(blocks),
            output_tokens: r.output_tokens,
            step_issued: now,
            end_tier,
            ..Session::vacant()
        }
    }

    fn issue_step(&mut self, w: &Workload, now: SimTime) {
        if let Some(rng) = self.rng.as_mut() {
            self.output_tokens = w.output_tokens.sample(rng);
            self.reasoning_tokens = w.reasoning_tokens.sample(rng);
        }
        self.step_issued = now;
        self.attempt = 0;
    }

    /// What the draws of the current attempt are keyed by.
    pub fn request_key(&self) -> RequestKey {
        let attempt = if self.compacting { self.attempt | COMPACTION_ATTEMPT } else { self.attempt };
        RequestKey { workload: self.workload_key, session: self.index, step: self.step, attempt }
    }

    /// The client's breakpoints in the current prompt, sorted by block.
    pub fn breakpoints(&self, out: &mut Vec<PromptBreakpoint>) {
        self.breakpoints_within(self.prompt.blocks().len(), out);
    }

    /// The client's breakpoints in the prompt made of the first `len` blocks
    /// (a keep-alive re-sends the prompt last sent), sorted by block.
    pub fn breakpoints_within(&self, len: usize, out: &mut Vec<PromptBreakpoint>) {
        out.clear();
        out.extend(self.fixed_breakpoints.iter().filter(|b| b.block < len));
        if let (Some(tier), Some(last)) = (self.end_tier, len.checked_sub(1)) {
            out.retain(|b| b.block != last);
            out.push(PromptBreakpoint { block: last, tier });
        }
        out.sort_by_key(|b| b.block);
    }

    /// Records the finished step's output, tool results and any user message
    /// in the history and returns the pause before the next step (the slowest
    /// tool call, then the think time or the user's pause), or `None` when
    /// the session has run all its steps. Cache-busting events change the
    /// prompt from the next request on. Fails, leaving the prompt as it was, when the
    /// next prompt would exceed [`MAX_PROMPT_TOKENS`].
    pub fn finish_step(&mut self, w: &Workload) -> Result<Option<SimDuration>, PromptTooLong> {
        self.last_sent_blocks = self.prompt.blocks().len();
        if self.step + 1 >= self.steps_total {
            return Ok(None);
        }
        if self.trace.is_some() {
            return Ok(self.next_trace_step());
        }
        let rng = self.rng.as_mut().expect("multi-step sessions are generated");
        let tool = w.tool_result_tokens.sample(rng);
        let think = SimDuration::from_secs_f64(w.think_time.sample(rng));
        let reasoning = if w.reasoning_in_history { self.reasoning_tokens } else { 0 };
        let chunk = history_content(self.workload_key, self.index, self.step);
        let anatomy = self.anatomy.as_mut().expect("multi-step sessions are generated");
        let b = anatomy.boundary(&w.anatomy, w, u64::from(self.step) + 1);
        // Each term is at most 2^32 (`TokenDist::sample`) and the extra at
        // most 2049 x 2^32, so this sum cannot wrap.
        let added = self.output_tokens + reasoning + tool + b.extra_tokens;
        if self.prompt.tokens() + added > MAX_PROMPT_TOKENS {
            return Err(PromptTooLong);
        }
        self.prompt.push(chunk, added);
        anatomy.bust(&w.anatomy, &mut self.prompt, task_content(self.workload_key, self.index));
        self.step += 1;
        let pause =
            SimDuration::from_secs_f64(b.tool_wait_s) + b.human_pause_s.map_or(think, SimDuration::from_secs_f64);
        Ok(Some(pause))
    }

    /// Draws the next step's request when it is issued at `now`.
    pub fn begin_next_step(&mut self, w: &Workload, now: SimTime) {
        self.load_trace_step();
        self.issue_step(w, now);
    }

    /// Whether the prompt holds history past the shared segments and task
    /// (what a compaction would replace).
    pub fn has_history(&self) -> bool {
        self.prompt.blocks().len() > self.base_blocks
    }

    /// The request issued at `now` summarises the current prompt into
    /// `summary_tokens` of output (no reasoning), instead of the next step.
    pub fn begin_compaction(&mut self, summary_tokens: u64, now: SimTime) {
        self.compacting = true;
        self.output_tokens = summary_tokens;
        self.reasoning_tokens = 0;
        self.step_issued = now;
        self.attempt = 0;
    }

    /// The summary replaces the history: the prompt is the shared segments,
    /// the task and the summary (new content, cached by no one yet).
    pub fn compact(&mut self) {
        self.prompt.truncate(self.base_blocks);
        // What was last sent is gone; a keep-alive never comes before the next step anyway.
        self.last_sent_blocks = self.base_blocks;
        let summary = splitmix64(history_content(self.workload_key, self.index, self.step) ^ 0x5u64.rotate_left(60));
        self.prompt.push(summary, self.output_tokens);
        self.compacting = false;
    }

    /// Appends the children's final outputs after a spawning step (the step
    /// just finished is `step - 1`).
    pub fn push_subagent_results(&mut self, tokens: u64) -> Result<(), PromptTooLong> {
        if self.prompt.tokens() + tokens > MAX_PROMPT_TOKENS {
            return Err(PromptTooLong);
        }
        let chunk = splitmix64(history_content(self.workload_key, self.index, self.step) ^ 0x5ab);
        self.prompt.push(chunk, tokens);
        Ok(())
    }
}
