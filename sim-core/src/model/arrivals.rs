//! Pure samplers of the arrival processes of `ArrivalProcess` (docs/workloads.md,
//! "Arrival processes"): the next arrival instant from the previous one and
//! the workload's arrival stream. No engine types: the engine keeps one
//! [`ArrivalState`] per workload and asks [`ArrivalState::next`].
//!
//! Time-varying rates are sampled exactly by inverting the integrated rate
//! (draw E ~ Exp(1), walk the pieces until their rate x length adds up to E),
//! so the result depends on one uniform per arrival and on nothing else.

use rand::Rng;

use crate::maths::{self, samplers};
use crate::rng::StreamRng;
use crate::scenario::{ArrivalProcess, RateSegment};
use crate::time::{SimDuration, SimTime};

const DAY_US: u64 = 86_400_000_000;
const HOUR_US: u64 = 3_600_000_000;

/// Where a workload's process is: its current pieces (time-varying), its
/// state (MMPP), its next instant and the jobs left at it (scheduled).
#[derive(Clone, Debug)]
pub struct ArrivalState {
    /// Piecewise and daily: the pieces of one period and the pattern's phase at time 0.
    pieces: Vec<RateSegment>,
    phase_us: u64,
    /// MMPP: the state (0 or 1).
    mmpp: usize,
    /// Scheduled: index of the current instant, jobs already issued at it.
    instant: u64,
    issued: u64,
}

/// One draw of Exp(1) from the stream.
fn exp1(rng: &mut StreamRng) -> f64 {
    let u: f64 = rng.random();
    -maths::ln(1.0 - u)
}

fn secs(x: f64) -> SimDuration {
    SimDuration::from_secs_f64(x)
}

impl ArrivalState {
    /// The state at time 0. `start_time_of_day_s` aligns a daily profile to
    /// UTC; an MMPP starts in a state drawn from its stationary mix.
    pub fn new(process: &ArrivalProcess, start_time_of_day_s: u32, rng: &mut StreamRng) -> Self {
        let mut s = ArrivalState { pieces: Vec::new(), phase_us: 0, mmpp: 0, instant: 0, issued: 0 };
        match process {
            ArrivalProcess::Piecewise { segments } => s.pieces = segments.clone(),
            ArrivalProcess::Daily { rate_per_s, profile } => {
                s.pieces = daily_pieces(*rate_per_s, profile);
                s.phase_us = u64::from(start_time_of_day_s) * 1_000_000;
            }
            ArrivalProcess::Mmpp { sojourn, .. } => {
                let (a, b) = (sojourn[0].as_secs_f64(), sojourn[1].as_secs_f64());
                let u: f64 = rng.random();
                s.mmpp = usize::from(u >= a / (a + b));
            }
            _ => {}
        }
        s
    }

    /// The next arrival at or after `after` (the previous arrival, or 0), or
    /// `None` when the process has no more (a list of scheduled instants).
    /// A closed loop is not driven by this (see `engine/arrivals.rs`).
    pub fn next(&mut self, process: &ArrivalProcess, after: SimTime, rng: &mut StreamRng) -> Option<SimTime> {
        match process {
            ArrivalProcess::Piecewise { .. } | ArrivalProcess::Daily { .. } => {
                Some(invert_pieces(&self.pieces, self.phase_us, after, exp1(rng)))
            }
            ArrivalProcess::Gamma { rate_per_s, cv } => {
                let shape = 1.0 / (cv * cv);
                let scale = 1.0 / (rate_per_s * shape);
                // Validation keeps rate and cv positive and finite; should shape or
                // scale still not be, the mean gap stands in rather than a panic.
                let gap =
                    if shape > 0.0 && scale > 0.0 { samplers::gamma(shape, scale, rng) } else { 1.0 / rate_per_s };
                Some(after + secs(gap))
            }
            ArrivalProcess::Mmpp { rates_per_s, sojourn } => {
                let mut t = after;
                loop {
                    let s = self.mmpp;
                    let switch = exp1(rng) * sojourn[s].as_secs_f64();
                    let arrival = if rates_per_s[s] > 0.0 { exp1(rng) / rates_per_s[s] } else { f64::INFINITY };
                    if arrival < switch {
                        return Some(t + secs(arrival));
                    }
                    t += secs(switch);
                    self.mmpp = 1 - s;
                }
            }
            ArrivalProcess::Scheduled { at, every, jobs } => {
                if self.issued == *jobs {
                    self.instant += 1;
                    self.issued = 0;
                }
                let t = match every {
                    Some(every) => at[0].as_micros().checked_add(self.instant.checked_mul(every.as_micros())?)?,
                    None => at.get(self.instant as usize)?.as_micros(),
                };
                self.issued += 1;
                Some(SimTime::from_micros(t).max(after))
            }
            ArrivalProcess::Closed { .. } => None,
        }
    }
}

/// The 24 hourly pieces of a daily profile: hour `h` at `rate x w[h] / mean(w)`.
fn daily_pieces(rate_per_s: f64, profile: &[f64]) -> Vec<RateSegment> {
    let mean = profile.iter().sum::<f64>() / profile.len() as f64;
    (0..profile.len() as u64)
        .map(|h| RateSegment {
            until: SimDuration::from_micros((h + 1) * HOUR_US),
            rate_per_s: rate_per_s * profile[h as usize] / mean,
        })
        .collect()
}

/// The instant at which the integrated rate from `after` reaches `mass`; the
/// pieces repeat with the last one's end as period, shifted by `phase_us`.
fn invert_pieces(pieces: &[RateSegment], phase_us: u64, after: SimTime, mut mass: f64) -> SimTime {
    let period = pieces.last().map_or(DAY_US, |p| p.until.as_micros());
    let mut t = after.as_micros();
    loop {
        let phase = (t + phase_us) % period;
        let i = pieces.partition_point(|p| p.until.as_micros() <= phase);
        let piece = &pieces[i.min(pieces.len() - 1)];
        let left_us = piece.until.as_micros() - phase;
        let piece_mass = piece.rate_per_s * left_us as f64 / 1e6;
        if piece.rate_per_s > 0.0 && piece_mass >= mass {
            let d = secs(mass / piece.rate_per_s).as_micros().min(left_us);
            return SimTime::from_micros(t + d);
        }
        mass -= piece_mass;
        t += left_us;
    }
}

#[cfg(test)]
#[path = "arrivals_tests.rs"]
mod tests;
