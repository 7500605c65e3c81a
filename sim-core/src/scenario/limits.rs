//! Whole-run bounds: products of values that are each in range but together
//! would overflow what the engine represents exactly (a prompt's tokens, a
//! replicate's token counters, the clock). Checked on the validated scenario
//! with expected values, so the message can name the product; the engine
//! still checks every sum at run time for what only a random tail reaches
//! (`engine::SimLimit`). Documented in docs/model.md, "Limits".

use super::arrivals_config::ArrivalProcess;
use super::context::Issues;
use super::location::KeyPath;
use super::model::{ArrivalStop, Arrivals, Scenario, Workload};
use crate::model::prompt::MAX_PROMPT_TOKENS;
use crate::time::MAX_DURATION;

/// Expected input tokens of one replicate (all workloads) must stay below
/// this: 2^62, a quarter of what the `u64` counters hold, so the random
/// spread around the expectation has room before the run-time check fires.
pub(crate) const MAX_EXPECTED_RUN_TOKENS: f64 = (1u64 << 62) as f64;

/// The longest mean time a request may take in service: one year.
const MAX_MEAN_SERVICE_S: f64 = 365.0 * 86_400.0;

/// Expected figures of one workload, from the means of its distributions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct WorkloadMeans {
    /// Sessions per replicate.
    pub(crate) sessions: f64,
    /// Steps (requests) per session, at least 1.
    pub(crate) steps: f64,
    /// Tokens of the first prompt (shared segments and task; a trace's mean input).
    pub(crate) first_prompt: f64,
    /// Tokens each finished step appends to the history.
    pub(crate) per_step: f64,
    /// Output tokens (reasoning included) per request.
    pub(crate) output: f64,
    /// Seconds between a response and the next request.
    pub(crate) think_s: f64,
    /// Requests per step: 1, plus the children's requests of a step that
    /// spawns subagents and the summarisation requests of compaction, spread
    /// over the steps (their prompts are counted as the parent's mean
    /// prompt: an approximation, docs/model.md "Subagents").
    pub(crate) requests_per_step: f64,
    /// With compaction, the prompt size past which the history is summarised,
    /// and the summary's mean tokens.
    compaction: Option<(f64, f64)>,
}

/// The mean gap before a closed loop replaces a session (0 for other processes).
pub(crate) fn closed_gap_s(a: &Arrivals) -> f64 {
    match a {
        Arrivals::Process { process: ArrivalProcess::Closed { gap: Some(g), .. }, .. } => g.mean_upper_bound(),
        _ => 0.0,
    }
}

impl WorkloadMeans {
    pub(crate) fn of(w: &Workload) -> Self {
        match &w.arrivals {
            Arrivals::Trace { trace, read, .. } => {
                let n = trace.requests.len().max(1) as f64;
                let input: f64 = trace.requests.iter().map(|r| r.input_tokens as f64).sum();
                let output: f64 = trace.requests.iter().map(|r| r.output_tokens as f64).sum();
                // Closed loop: a session runs its traced requests one after another.
                let (sessions, think_s) = match read.replay {
                    crate::trace::ReplayMode::Open => (n, 0.0),
                    crate::trace::ReplayMode::Closed => {
                        let think: f64 = trace.requests.iter().map(|r| r.think_us as f64 / 1e6).sum();
                        let sessions = trace.sessions.len().max(1) as f64;
                        (sessions, think / (n - sessions).max(1.0))
                    }
                };
                WorkloadMeans {
                    sessions,
                    steps: n / sessions,
                    first_prompt: input / n,
                    per_step: 0.0,
                    output: output / n,
                    think_s,
                    requests_per_step: 1.0,
                    compaction: None,
                }
            }
            Arrivals::Poisson { stop, .. } | Arrivals::Process { stop, .. } => {
                let reasoning = w.reasoning_tokens.mean_upper_bound();
                let in_history = if w.reasoning_in_history { reasoning } else { 0.0 };
                let output = w.output_tokens.mean_upper_bound();
                let steps = w.steps.mean_upper_bound().max(1.0);
                // A spawning step (any but the last) adds count x child steps
                // requests, and the children's outputs to the history.
                let (children, child_requests, child_output) = w.subagents.as_ref().map_or((0.0, 0.0, 0.0), |sa| {
                    let spawns = sa.keys.probability * (steps - 1.0) / steps;
                    let count = sa.keys.count.mean_upper_bound().clamp(1.0, super::model::MAX_CHILDREN as f64);
                    let child_steps = sa.child.steps.mean_upper_bound().max(1.0);
                    (spawns * count, spawns * count * child_steps, sa.child.output_tokens.mean_upper_bound())
                });
                let compaction =
                    w.compaction.as_ref().map(|c| (c.threshold_tokens as f64, c.summary_tokens.mean_upper_bound()));
                let mut m = WorkloadMeans {
                    sessions: match stop {
                        ArrivalStop::Sessions(n) => *n as f64,
                        // A closed loop's sessions are taken to last at least a second (with their gap).
                        ArrivalStop::Horizon(h) => {
                            let session_s = (w.steps.mean_upper_bound().max(1.0) - 1.0)
                                * w.think_time.mean_upper_bound()
                                + closed_gap_s(&w.arrivals);
                            w.arrivals.mean_rate_per_s(session_s.max(1.0)).unwrap_or(0.0) * h.as_secs_f64()
                        }
                    },
                    steps,
                    first_prompt: w.shared_segments.iter().map(|s| s.tokens as f64).sum::<f64>()
                        + w.task_tokens.mean_upper_bound()
                        + w.anatomy.mean_document_tokens(),
                    per_step: output
                        + in_history
                        + w.tool_result_tokens.mean_upper_bound()
                        + w.anatomy.mean_extra_per_step(w.tool_result_tokens.mean_upper_bound())
                        + children * child_output,
                    output: output + reasoning,
                    think_s: w.think_time.mean_upper_bound() + w.anatomy.mean_extra_pause_s(),
                    requests_per_step: 1.0 + child_requests,
                    compaction,
                };
                m.requests_per_step += m.compactions() / m.steps;
                m
            }
        }
    }

    /// Tokens of the last prompt of a session of mean length: with
    /// compaction, at most one step past the threshold (or past the
    /// compacted prompt, if that is larger).
    pub(crate) fn last_prompt(&self) -> f64 {
        let grown = self.first_prompt + (self.steps - 1.0) * self.per_step;
        match self.compaction {
            Some((threshold, summary)) => grown.min(threshold.max(self.first_prompt + summary) + self.per_step),
            None => grown,
        }
    }

    /// Summarisation requests of a session of mean length: the history
    /// passes the threshold once, then again each time it regrows from the
    /// compacted prompt (at least a step's growth apart).
    fn compactions(&self) -> f64 {
        let Some((threshold, summary)) = self.compaction else { return 0.0 };
        let growth = (self.steps - 1.0) * self.per_step;
        let first_pass = threshold - self.first_prompt;
        if growth <= first_pass || self.per_step <= 0.0 {
            return 0.0;
        }
        let regrow = (threshold - self.first_prompt - summary).max(self.per_step);
        (1.0 + (growth - first_pass.max(0.0)) / regrow).floor().min(self.steps - 1.0)
    }

    /// Mean prompt tokens over a session's requests.
    pub(crate) fn mean_prompt(&self) -> f64 {
        (self.first_prompt + self.last_prompt()) / 2.0
    }

    /// Expected input tokens of the workload in one replicate.
    pub(crate) fn run_input_tokens(&self) -> f64 {
        self.sessions * self.steps * self.requests_per_step * self.mean_prompt()
    }
}

/// Records a problem for every product of `sc` that would overflow.
pub(crate) fn check(sc: &Scenario, issues: &mut Issues) {
    let workloads = KeyPath::root().key("workloads");
    let mut total_tokens = 0.0;
    for (i, w) in sc.workloads.iter().enumerate() {
        let path = workloads.index(i);
        let m = WorkloadMeans::of(w);
        if let Arrivals::Poisson { rate_per_s, stop: ArrivalStop::Sessions(n) } = &w.arrivals {
            // A horizon drops arrivals past it; a session count waits for them all.
            let span_s = *n as f64 / rate_per_s;
            if span_s > MAX_DURATION.as_secs_f64() {
                issues.value(
                    &path.key("arrivals").key("rate_per_s"),
                    format!(
                        "sessions ({n}) / rate_per_s ({rate_per_s:e}) = {span_s:.4e} s for the sessions to arrive, more than 100 years; raise rate_per_s"
                    ),
                );
                continue;
            }
        }
        if m.last_prompt() > MAX_PROMPT_TOKENS as f64 {
            issues.value(
                &path.key("steps"),
                format!(
                    "steps (mean {:.0}) x tokens added per step (output, reasoning kept in history and tool results: mean {:.4e}) gives a last prompt of {:.4e} tokens, more than the 2^40 ({MAX_PROMPT_TOKENS}) one request may carry; lower steps or the tokens per step",
                    m.steps,
                    m.per_step,
                    m.last_prompt()
                ),
            );
            continue;
        }
        let tokens = m.run_input_tokens();
        total_tokens += tokens;
        if tokens > MAX_EXPECTED_RUN_TOKENS {
            issues.value(
                &path.key("arrivals"),
                format!(
                    "sessions ({:.4e}) x steps (mean {:.0}) x mean prompt ({:.4e} tokens) = {tokens:.4e} input tokens per replicate, more than the 2^62 (4.6e18) the token counters hold with headroom; simulate fewer sessions, steps or tokens",
                    m.sessions,
                    m.steps,
                    m.mean_prompt()
                ),
            );
        }
        // A routed request may be served by any candidate: the slowest bounds it.
        let slowest = w.candidates().iter().copied().max_by(|a, b| {
            let service = |p: usize| {
                let sv = &sc.providers[p].serving;
                m.mean_prompt() / sv.prefill_tokens_per_s + m.output * sv.mean_s_per_decoded_token()
            };
            service(*a).total_cmp(&service(*b))
        });
        let slowest = slowest.unwrap_or(w.provider);
        let p = &sc.providers[slowest];
        let serving = path_of_provider(slowest).key("serving");
        let sv = &p.serving;
        // Every prompt token at the slower of the two prefill rates: an upper
        // bound whatever the cache finds.
        let mut prefill_s = m.mean_prompt() / sv.prefill_tokens_per_s;
        if let Some(rate) = sv.cached_prefill_tokens_per_s {
            prefill_s = prefill_s.max(m.mean_prompt() / rate);
        }
        let per_token_s = m.output * sv.overhead_per_output_token.as_secs_f64();
        let parts = [
            ("base_latency", sv.base_latency.mean_upper_bound(), "base_latency".to_string()),
            ("overhead_before_queue", sv.overhead_before_queue.mean_upper_bound(), "overhead_before_queue".to_string()),
            (
                "prefill_tokens_per_s",
                prefill_s,
                format!("prompt tokens (mean {:.4e}) / prefill_tokens_per_s", m.mean_prompt()),
            ),
            (
                "decode_tokens_per_s",
                m.output * sv.mean_s_per_decoded_token(),
                format!("output tokens (mean {:.4e}) / decode_tokens_per_s", m.output),
            ),
            (
                "overhead_per_output_token",
                per_token_s,
                format!("output tokens (mean {:.4e}) x overhead_per_output_token", m.output),
            ),
        ];
        let service_s: f64 = parts.iter().map(|(_, s, _)| s).sum();
        if service_s > MAX_MEAN_SERVICE_S {
            let (key, _, what) = parts.iter().max_by(|a, b| a.1.total_cmp(&b.1)).expect("five parts");
            let raise = if key.ends_with("per_s") { "raise the token rate" } else { "lower it" };
            issues.value(
                &serving.key(key),
                format!(
                    "a request of workload `{}` would take {service_s:.4e} s in service on average ({what} dominates), more than one year; {raise}",
                    w.name
                ),
            );
            continue;
        }
        let session_s = m.steps * (m.think_s + service_s);
        if session_s > MAX_DURATION.as_secs_f64() {
            issues.value(
                &path.key("steps"),
                format!(
                    "steps (mean {:.0}) x (think time + service time, mean {:.4e} s) = {session_s:.4e} s per session, more than 100 years; lower steps or the think time",
                    m.steps,
                    m.think_s + service_s
                ),
            );
        }
    }
    if total_tokens > MAX_EXPECTED_RUN_TOKENS && sc.workloads.len() > 1 {
        issues.value(
            &workloads,
            format!(
                "all workloads together expect {total_tokens:.4e} input tokens per replicate, more than the 2^62 (4.6e18) the token counters hold with headroom; simulate fewer sessions, steps or tokens"
            ),
        );
    }
    for (i, p) in sc.providers.iter().enumerate() {
        let f = &p.failures;
        if f.error_rate == 0.0 || f.max_retries == 0 || f.retry_backoff.as_micros() == 0 {
            continue;
        }
        // The last retry waits backoff x 2^(max_retries - 1).
        let longest = f.retry_backoff.as_secs_f64() * crate::maths::powi(2.0, f.max_retries.min(2_000) as i32 - 1);
        if longest > MAX_DURATION.as_secs_f64() {
            issues.value(
                &path_of_provider(i).key("failures").key("max_retries"),
                format!(
                    "retry_backoff x 2^(max_retries - 1) = {longest:.4e} s before the last retry, more than 100 years; lower max_retries or retry_backoff"
                ),
            );
        }
    }
}

fn path_of_provider(i: usize) -> KeyPath {
    KeyPath::root().key("providers").index(i)
}
