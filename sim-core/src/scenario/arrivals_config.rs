//! The validated arrival processes beyond plain Poisson and traces
//! (`Arrivals::Process`): time-varying, bursty, closed-loop and scheduled
//! (docs/workloads.md, "Arrival processes"). Sampled by `model::arrivals`.

use crate::dist::Dist;
use crate::time::SimDuration;

/// One piece of a piecewise-constant rate: `rate_per_s` until `until`
/// (measured from the start of the pattern).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateSegment {
    pub until: SimDuration,
    pub rate_per_s: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ArrivalProcess {
    /// Non-homogeneous Poisson with a piecewise-constant rate; the pattern
    /// repeats after the last segment's `until`.
    Piecewise { segments: Vec<RateSegment> },
    /// Non-homogeneous Poisson whose rate in UTC hour `h` is
    /// `rate_per_s x profile[h] / mean(profile)`, aligned to
    /// `simulation.start_time_utc`.
    Daily { rate_per_s: f64, profile: Vec<f64> },
    /// Renewal process with gamma inter-arrival times of mean `1/rate_per_s`
    /// and coefficient of variation `cv`.
    Gamma { rate_per_s: f64, cv: f64 },
    /// Two-state Markov-modulated Poisson process: rate `rates_per_s[i]` while
    /// in state `i`, exponential sojourns of mean `sojourn[i]`.
    Mmpp { rates_per_s: [f64; 2], sojourn: [SimDuration; 2] },
    /// Closed loop: `agents` sessions live at once; each one that ends is
    /// replaced after a `gap` draw (seconds; none = at once).
    Closed { agents: u64, gap: Option<Dist> },
    /// Batch jobs: `jobs` sessions at each offset of `at` (sorted), or, when
    /// `every` is set, at `at[0]` (the `start`), `at[0] + every`, ...
    Scheduled { at: Vec<SimDuration>, every: Option<SimDuration>, jobs: u64 },
}

impl ArrivalProcess {
    /// The long-run mean arrival rate, for work estimates and limits (closed
    /// loop: `None`, its rate depends on how long sessions last).
    pub fn mean_rate_per_s(&self) -> Option<f64> {
        match self {
            ArrivalProcess::Piecewise { segments } => {
                let period = segments.last().map_or(0.0, |s| s.until.as_secs_f64());
                let mut start = 0.0;
                let mass: f64 = segments
                    .iter()
                    .map(|s| {
                        let end = s.until.as_secs_f64();
                        let m = s.rate_per_s * (end - start);
                        start = end;
                        m
                    })
                    .sum();
                Some(if period > 0.0 { mass / period } else { 0.0 })
            }
            ArrivalProcess::Daily { rate_per_s, .. } | ArrivalProcess::Gamma { rate_per_s, .. } => Some(*rate_per_s),
            ArrivalProcess::Mmpp { rates_per_s, sojourn } => {
                let (a, b) = (sojourn[0].as_secs_f64(), sojourn[1].as_secs_f64());
                Some((rates_per_s[0] * a + rates_per_s[1] * b) / (a + b))
            }
            ArrivalProcess::Closed { .. } => None,
            ArrivalProcess::Scheduled { at, every, jobs } => Some(match every {
                Some(e) => *jobs as f64 / e.as_secs_f64(),
                None => {
                    let span = at.iter().max().map_or(0.0, |t| t.as_secs_f64()).max(1.0);
                    (*jobs * at.len() as u64) as f64 / span
                }
            }),
        }
    }
}
