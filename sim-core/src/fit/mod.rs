//! `agentsim fit`: a workload's parameters estimated from a parsed trace.
//! Pure functions over a [`Trace`]; the CLI reads the file and prints
//! [`FitReport::workload_toml`] (docs/traces.md, "Fitting a workload").
//!
//! - arrivals: session starts as a Poisson process, rate = (n - 1) / span
//!   (the maximum-likelihood rate of the n - 1 gaps), with a
//!   Kolmogorov-Smirnov statistic of the gaps against that exponential;
//!   a 24-hour profile (relative load per hour since the first request) only
//!   when the trace spans at least 24 hours with at least 240 session starts;
//! - token counts and think gaps: lognormal by maximum likelihood on ln x
//!   (mu = mean of ln x, sigma = its population standard deviation) over the
//!   positive values, each with its KS statistic;
//! - sessions (when the trace names them): steps per session, the first
//!   request's input (the task), the growth of the prompt between steps
//!   beyond the previous output (the tool results), the recorded think gaps.

mod render;

use crate::dist::normal_cdf;
use crate::maths;
use crate::trace::Trace;

/// A lognormal fitted by maximum likelihood on ln x.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LognormalFit {
    pub mu: f64,
    pub sigma: f64,
    /// Positive values the fit used.
    pub n: usize,
    /// Values left out because they were 0 (ln 0 is undefined).
    pub zeros: usize,
    /// Kolmogorov-Smirnov statistic: the largest distance between the
    /// values' empirical CDF and the fitted one.
    pub ks: f64,
}

impl LognormalFit {
    /// `None` below two positive values or when they are all equal (sigma 0).
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<LognormalFit> {
        let all: Vec<f64> = values.into_iter().collect();
        let mut xs: Vec<f64> = all.iter().copied().filter(|x| *x > 0.0 && x.is_finite()).collect();
        let n = xs.len();
        if n < 2 {
            return None;
        }
        let mu = xs.iter().map(|x| maths::ln(*x)).sum::<f64>() / n as f64;
        let sigma = (xs.iter().map(|x| maths::powi(maths::ln(*x) - mu, 2)).sum::<f64>() / n as f64).sqrt();
        if sigma <= 1e-12 {
            return None;
        }
        xs.sort_by(f64::total_cmp);
        let ks = ks_statistic(&xs, |x| normal_cdf((maths::ln(x) - mu) / sigma));
        Some(LognormalFit { mu, sigma, n, zeros: all.len() - n, ks })
    }

    pub fn median(&self) -> f64 {
        maths::exp(self.mu)
    }
}

/// sup |F_n - F| over sorted `xs` (ties take the empirical CDF's jump whole).
pub fn ks_statistic(xs: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let n = xs.len() as f64;
    let mut d: f64 = 0.0;
    let mut i = 0;
    while i < xs.len() {
        let mut j = i;
        while j + 1 < xs.len() && xs[j + 1] == xs[i] {
            j += 1;
        }
        let f = cdf(xs[i]);
        d = d.max(f - i as f64 / n).max((j + 1) as f64 / n - f);
        i = j + 1;
    }
    d
}

/// The fewest session starts a 24-hour profile is drawn from (10 per hour):
/// fewer would make each hour's share mostly noise.
pub const MIN_PROFILE_SESSIONS: usize = 240;

/// Session arrivals as a Poisson process.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrivalFit {
    /// Sessions (one per request in a trace without sessions).
    pub sessions: usize,
    /// From the first session start to the last, seconds.
    pub span_s: f64,
    pub rate_per_s: f64,
    /// KS statistic of the gaps between session starts against an
    /// exponential of `rate_per_s`.
    pub ks: f64,
    /// Relative load per hour since the first request (mean 1), when the
    /// trace spans at least 24 hours with [`MIN_PROFILE_SESSIONS`] starts.
    pub hourly: Option<Vec<f64>>,
}

/// What a trace says about its sessions, when it names them.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionFit {
    pub steps: Option<LognormalFit>,
    pub mean_steps: f64,
    pub task_tokens: Option<LognormalFit>,
    pub tool_result_tokens: Option<LognormalFit>,
    /// Recorded think gaps, seconds.
    pub think_s: Option<LognormalFit>,
}

/// Everything `agentsim fit` reports.
#[derive(Clone, Debug, PartialEq)]
pub struct FitReport {
    pub requests: usize,
    pub arrivals: Option<ArrivalFit>,
    pub input_tokens: Option<LognormalFit>,
    pub output_tokens: Option<LognormalFit>,
    pub sessions: Option<SessionFit>,
}

/// Fits `trace` (docs/traces.md, "Fitting a workload").
pub fn fit(trace: &Trace) -> FitReport {
    let rs = &trace.requests;
    let starts: Vec<f64> = trace.sessions.iter().map(|s| rs[s[0] as usize].arrival_us as f64 / 1e6).collect();
    FitReport {
        requests: rs.len(),
        arrivals: arrivals(starts),
        input_tokens: LognormalFit::of(rs.iter().map(|r| r.input_tokens as f64)),
        output_tokens: LognormalFit::of(rs.iter().map(|r| r.output_tokens as f64)),
        sessions: trace.has_sessions.then(|| sessions(trace)),
    }
}

fn arrivals(mut starts: Vec<f64>) -> Option<ArrivalFit> {
    starts.sort_by(f64::total_cmp);
    let span_s = starts.last()? - starts.first()?;
    if starts.len() < 2 || span_s <= 0.0 {
        return None;
    }
    let rate_per_s = (starts.len() - 1) as f64 / span_s;
    let mut gaps: Vec<f64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_by(f64::total_cmp);
    let ks = ks_statistic(&gaps, |x| 1.0 - maths::exp(-rate_per_s * x));
    let hourly = (span_s >= 86_400.0 && starts.len() >= MIN_PROFILE_SESSIONS).then(|| {
        let mut counts = [0.0; 24];
        for s in &starts {
            counts[((s - starts[0]) / 3_600.0) as usize % 24] += 1.0;
        }
        let mean = starts.len() as f64 / 24.0;
        counts.iter().map(|c| c / mean).collect()
    });
    Some(ArrivalFit { sessions: starts.len(), span_s, rate_per_s, ks, hourly })
}

fn sessions(trace: &Trace) -> SessionFit {
    let rs = &trace.requests;
    let steps = trace.sessions.iter().map(|s| s.len() as f64);
    let mut growth = Vec::new();
    let mut think = Vec::new();
    for s in &trace.sessions {
        for w in s.windows(2) {
            let (a, b) = (&rs[w[0] as usize], &rs[w[1] as usize]);
            growth.push(b.input_tokens as f64 - a.input_tokens as f64 - a.output_tokens as f64);
            think.push(b.think_us as f64 / 1e6);
        }
    }
    SessionFit {
        steps: LognormalFit::of(steps.clone()),
        mean_steps: rs.len() as f64 / trace.sessions.len().max(1) as f64,
        task_tokens: LognormalFit::of(trace.sessions.iter().map(|s| rs[s[0] as usize].input_tokens as f64)),
        tool_result_tokens: LognormalFit::of(growth),
        think_s: LognormalFit::of(think),
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
