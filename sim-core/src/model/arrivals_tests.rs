//! The arrival samplers against theory: counts per period of time-varying
//! rates within 4-sigma Poisson bounds, the gamma renewal's CV, the MMPP's
//! stationary rate, scheduled instants exactly.

use super::*;
use crate::rng::{ReplicateSeed, StreamId};

fn rng(seed: u64) -> StreamRng {
    ReplicateSeed::new(seed, 0).stream(StreamId::indexed("arrivals", 1, 0))
}

/// Every arrival of `process` before `horizon`.
fn arrivals(process: &ArrivalProcess, start_time_of_day_s: u32, horizon: SimTime, seed: u64) -> Vec<SimTime> {
    let mut r = rng(seed);
    let mut state = ArrivalState::new(process, start_time_of_day_s, &mut r);
    let mut out = Vec::new();
    let mut t = SimTime::ZERO;
    while let Some(next) = state.next(process, t, &mut r) {
        if next >= horizon {
            break;
        }
        out.push(next);
        t = next;
    }
    out
}

fn hours(h: u64) -> SimDuration {
    SimDuration::from_secs(h * 3600)
}

/// |observed - expected| <= 4 sqrt(expected): a Poisson count's 4-sigma band.
fn within_4_sigma(observed: usize, expected: f64, what: &str) {
    let tolerance = 4.0 * expected.sqrt();
    assert!(
        (observed as f64 - expected).abs() <= tolerance,
        "{what}: {observed} vs expected {expected} +- {tolerance:.0}"
    );
}

#[test]
fn piecewise_counts_per_piece_match_rate_times_length() {
    // 100/h for an hour, nothing for an hour, 400/h for two hours; repeated 500 times.
    let segments = vec![
        RateSegment { until: hours(1), rate_per_s: 100.0 / 3600.0 },
        RateSegment { until: hours(2), rate_per_s: 0.0 },
        RateSegment { until: hours(4), rate_per_s: 400.0 / 3600.0 },
    ];
    let process = ArrivalProcess::Piecewise { segments };
    let horizon = SimTime::ZERO + hours(4 * 500);
    let times = arrivals(&process, 0, horizon, 7);
    let mut per_piece = [0usize; 3];
    for t in &times {
        let phase_h = t.as_micros() % hours(4).as_micros() / hours(1).as_micros();
        per_piece[match phase_h {
            0 => 0,
            1 => 1,
            _ => 2,
        }] += 1;
    }
    within_4_sigma(per_piece[0], 100.0 * 500.0, "first hour");
    assert_eq!(per_piece[1], 0, "a zero-rate piece has no arrival");
    within_4_sigma(per_piece[2], 800.0 * 500.0, "last two hours");
    assert_eq!(process.mean_rate_per_s(), Some(900.0 / 4.0 / 3600.0));
}

#[test]
fn daily_profile_follows_utc_hours_from_the_start_time() {
    // Weight 3 in UTC hour 12, 1 elsewhere (mean 26/24); the run starts at 06:00 UTC.
    let mut profile = vec![1.0; 24];
    profile[12] = 3.0;
    let rate = 0.1;
    let process = ArrivalProcess::Daily { rate_per_s: rate, profile: profile.clone() };
    let days = 200;
    let times = arrivals(&process, 6 * 3600, SimTime::ZERO + hours(24 * days), 11);
    let mut per_hour = [0usize; 24];
    for t in &times {
        per_hour[((t.as_micros() / hours(1).as_micros() + 6) % 24) as usize] += 1;
    }
    let mean = 26.0 / 24.0;
    for (h, n) in per_hour.iter().enumerate() {
        let expected = rate * profile[h] / mean * 3600.0 * days as f64;
        within_4_sigma(*n, expected, &format!("UTC hour {h}"));
    }
    within_4_sigma(times.len(), rate * 86_400.0 * days as f64, "whole run");
}

#[test]
fn gamma_renewal_has_the_requested_mean_and_cv() {
    for cv in [0.5, 1.0, 3.0] {
        let process = ArrivalProcess::Gamma { rate_per_s: 2.0, cv };
        let mut r = rng(3);
        let mut state = ArrivalState::new(&process, 0, &mut r);
        let mut t = SimTime::ZERO;
        let n = 200_000;
        let gaps: Vec<f64> = (0..n)
            .map(|_| {
                let next = state.next(&process, t, &mut r).unwrap();
                let gap = (next - t).as_secs_f64();
                t = next;
                gap
            })
            .collect();
        let mean = gaps.iter().sum::<f64>() / n as f64;
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let measured_cv = var.sqrt() / mean;
        assert!((mean - 0.5).abs() < 0.5 * 0.03, "cv {cv}: mean gap {mean}");
        assert!((measured_cv - cv).abs() < cv * 0.05, "cv {cv}: measured {measured_cv}");
    }
}

#[test]
fn mmpp_long_run_rate_is_the_stationary_mix() {
    // 1/s for a mean 30 s, 10/s for a mean 10 s: (1 x 30 + 10 x 10) / 40 = 3.25/s.
    let process = ArrivalProcess::Mmpp {
        rates_per_s: [1.0, 10.0],
        sojourn: [SimDuration::from_secs(30), SimDuration::from_secs(10)],
    };
    assert_eq!(process.mean_rate_per_s(), Some(3.25));
    let horizon_s = 1_000_000;
    let n = arrivals(&process, 0, SimTime::ZERO + SimDuration::from_secs(horizon_s), 5).len();
    let rate = n as f64 / horizon_s as f64;
    // The count's variance is inflated by the state switches (about 25000
    // cycles here, each moving the count by a few hundred): 2% is > 5 sigma.
    assert!((rate - 3.25).abs() < 3.25 * 0.02, "measured {rate}");
}

#[test]
fn mmpp_is_burstier_than_poisson() {
    // Counts per 10 s window: a Poisson's variance equals its mean; the MMPP's is larger.
    let process = ArrivalProcess::Mmpp {
        rates_per_s: [0.0, 10.0],
        sojourn: [SimDuration::from_secs(90), SimDuration::from_secs(10)],
    };
    let times = arrivals(&process, 0, SimTime::ZERO + SimDuration::from_secs(200_000), 9);
    let mut counts = vec![0f64; 20_000];
    for t in &times {
        counts[(t.as_micros() / 10_000_000) as usize] += 1.0;
    }
    let mean = counts.iter().sum::<f64>() / counts.len() as f64;
    let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / counts.len() as f64;
    assert!((mean - 10.0).abs() < 0.5, "mean {mean}");
    assert!(var > 5.0 * mean, "index of dispersion {}", var / mean);
}

#[test]
fn scheduled_jobs_arrive_at_exactly_the_given_instants() {
    let at = vec![SimDuration::from_secs(0), SimDuration::from_secs(90), SimDuration::from_secs(3600)];
    let process = ArrivalProcess::Scheduled { at, every: None, jobs: 2 };
    let times = arrivals(&process, 0, SimTime::MAX, 1);
    let s = |x: u64| SimTime::ZERO + SimDuration::from_secs(x);
    assert_eq!(times, vec![s(0), s(0), s(90), s(90), s(3600), s(3600)]);

    let every = ArrivalProcess::Scheduled { at: vec![SimDuration::from_secs(600)], every: Some(hours(24)), jobs: 1 };
    let times = arrivals(&every, 0, SimTime::ZERO + hours(72), 1);
    assert_eq!(times, vec![s(600), s(600 + 86_400), s(600 + 2 * 86_400)]);
}

#[test]
fn same_stream_same_arrivals() {
    let process = ArrivalProcess::Gamma { rate_per_s: 1.0, cv: 2.0 };
    let horizon = SimTime::ZERO + SimDuration::from_secs(1000);
    assert_eq!(arrivals(&process, 0, horizon, 4), arrivals(&process, 0, horizon, 4));
    assert_ne!(arrivals(&process, 0, horizon, 4), arrivals(&process, 0, horizon, 5));
}
