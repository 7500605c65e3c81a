//! Loading the arrival processes and rates with units: every form read to
//! its exact model, bad values located with their key, `--set` with unit
//! strings, and every form written back by `to_toml` loading to an equal scenario.

use super::tests::{BASE, run};
use super::*;
use crate::dist::Dist;
use crate::time::{SimDuration, SimTime};

/// BASE with its `[workloads.arrivals]` body replaced by `arrivals`.
fn with(arrivals: &str) -> String {
    BASE.replace("rate_per_s = 1\nsessions = 5\n", &format!("{arrivals}\n"))
}

fn arrivals_of(body: &str, sets: &[&str]) -> Arrivals {
    let s = run(&with(body), sets).unwrap_or_else(|p| panic!("{p:#?}\n{body}"));
    let back = load(&SourceText { name: "r.toml", text: &to_toml(&s) }, &[]).expect("resolved loads");
    assert_eq!(back.workloads[0].arrivals, s.workloads[0].arrivals, "round trip of\n{body}");
    s.workloads[0].arrivals.clone()
}

fn problems(body: &str) -> Vec<String> {
    run(&with(body), &[]).expect_err("should be refused")
}

fn secs(s: u64) -> SimDuration {
    SimDuration::from_secs(s)
}

#[test]
fn rate_with_units_is_the_poisson_rate() {
    let sessions = ArrivalStop::Sessions(5);
    assert_eq!(
        arrivals_of("rate = \"300/h\"\nsessions = 5", &[]),
        Arrivals::Poisson { rate_per_s: 1.0 / 12.0, stop: sessions }
    );
    assert_eq!(arrivals_of("rate = 2\nsessions = 5", &[]), Arrivals::Poisson { rate_per_s: 2.0, stop: sessions });
    // --set and sweeps write the unit string unquoted.
    let set = arrivals_of("rate = 1\nsessions = 5", &["workloads[0].arrivals.rate=42/min"]);
    assert_eq!(set, Arrivals::Poisson { rate_per_s: 0.7, stop: sessions });
}

#[test]
fn every_process_loads_to_its_model_and_round_trips() {
    let hours = |h: u64| secs(h * 3600);
    let horizon = ArrivalStop::Horizon(SimTime::ZERO + hours(48));
    assert_eq!(
        arrivals_of(
            "kind = \"piecewise\"\nhorizon = \"48h\"\nsegments = [{ until = \"8h\", rate = \"10/h\" }, { until = \"24h\", rate = 0.05 }]",
            &[]
        ),
        Arrivals::Process {
            process: ArrivalProcess::Piecewise {
                segments: vec![
                    RateSegment { until: hours(8), rate_per_s: 10.0 / 3600.0 },
                    RateSegment { until: hours(24), rate_per_s: 0.05 },
                ]
            },
            stop: horizon
        }
    );
    let profile: Vec<String> = (0..24).map(|h| format!("{}", 1 + h % 3)).collect();
    let daily = arrivals_of(
        &format!("kind = \"daily\"\nrate = \"5000/day\"\nprofile = [{}]\nhorizon = \"48h\"", profile.join(", ")),
        &[],
    );
    assert_eq!(
        daily,
        Arrivals::Process {
            process: ArrivalProcess::Daily {
                rate_per_s: 5000.0 / 86_400.0,
                profile: (0..24).map(|h| f64::from(1 + h % 3)).collect()
            },
            stop: horizon
        }
    );
    assert_eq!(
        arrivals_of("kind = \"gamma\"\nrate_per_s = 0.5\ncv = 3\nsessions = 10", &[]),
        Arrivals::Process {
            process: ArrivalProcess::Gamma { rate_per_s: 0.5, cv: 3.0 },
            stop: ArrivalStop::Sessions(10)
        }
    );
    assert_eq!(
        arrivals_of("kind = \"mmpp\"\nrates = [\"60/h\", 0.5]\nsojourn = [\"50m\", \"10m\"]\nsessions = 10", &[]),
        Arrivals::Process {
            process: ArrivalProcess::Mmpp { rates_per_s: [60.0 / 3600.0, 0.5], sojourn: [secs(3000), secs(600)] },
            stop: ArrivalStop::Sessions(10)
        }
    );
    assert_eq!(
        arrivals_of(
            "kind = \"closed\"\nagents = 8\ngap = { kind = \"exponential\", mean = \"30s\" }\nhorizon = \"48h\"",
            &[]
        ),
        Arrivals::Process {
            process: ArrivalProcess::Closed { agents: 8, gap: Some(Dist::Exponential { mean: 30.0 }) },
            stop: horizon
        }
    );
    assert_eq!(
        arrivals_of("kind = \"closed\"\nagents = 3\nsessions = 100", &[]),
        Arrivals::Process {
            process: ArrivalProcess::Closed { agents: 3, gap: None },
            stop: ArrivalStop::Sessions(100)
        }
    );
    // A list of instants, in any order, gives the session count.
    assert_eq!(
        arrivals_of("kind = \"scheduled\"\nat = [\"2h\", \"0s\"]\njobs = 4", &[]),
        Arrivals::Process {
            process: ArrivalProcess::Scheduled { at: vec![secs(0), hours(2)], every: None, jobs: 4 },
            stop: ArrivalStop::Sessions(8)
        }
    );
    assert_eq!(
        arrivals_of("kind = \"scheduled\"\nevery = \"24h\"\nstart = \"2h\"\nhorizon = \"48h\"", &[]),
        Arrivals::Process {
            process: ArrivalProcess::Scheduled { at: vec![hours(2)], every: Some(hours(24)), jobs: 1 },
            stop: horizon
        }
    );
}

#[test]
fn bad_arrivals_are_located_with_their_key() {
    let units = "/s, /min, /m, /h, /hour, /d, /day";
    assert_eq!(
        problems("rate = \"3/week\"\nsessions = 5"),
        [format!("s.toml:15:8: workloads[0].arrivals.rate: unknown rate unit `/week` in `3/week` (units: {units})")]
    );
    assert_eq!(
        problems("rate = 1\nrate_per_s = 1\nsessions = 5"),
        ["s.toml:15:8: workloads[0].arrivals.rate: set `rate` or `rate_per_s`, not both"]
    );
    assert_eq!(
        problems("kind = \"gamma\"\nrate = 1\ncv = 0\nagents = 3\nsessions = 5"),
        [
            "s.toml:17:6: workloads[0].arrivals.cv: must be > 0, got 0",
            "s.toml:18:1: workloads[0].arrivals.agents: not used by gamma arrivals (kind = \"gamma\"), which take: rate, rate_per_s, cv, horizon, sessions",
        ]
    );
    // Pieces out of order are reported once every piece reads.
    assert_eq!(
        problems(
            "kind = \"piecewise\"\nsessions = 5\nsegments = [{ until = \"2h\", rate = 1 }, { until = \"1h\", rate = \"1/x\" }]"
        ),
        [format!(
            "s.toml:17:64: workloads[0].arrivals.segments[1].rate: unknown rate unit `/x` in `1/x` (units: {units})"
        )]
    );
    assert_eq!(
        problems(
            "kind = \"piecewise\"\nsessions = 5\nsegments = [{ until = \"2h\", rate = 1 }, { until = \"1h\", rate = 0 }]"
        ),
        ["s.toml:17:51: workloads[0].arrivals.segments[1].until: must be after the previous piece's end (2h), got 1h"]
    );
    assert_eq!(
        problems("kind = \"daily\"\nrate = 1\nprofile = [1, 2]\nsessions = 5"),
        ["s.toml:17:11: workloads[0].arrivals.profile: must hold exactly 24 entries, got 2"]
    );
    assert_eq!(
        problems("kind = \"mmpp\"\nrates = [0, 0]\nsojourn = [\"1m\", \"0s\"]\nsessions = 5"),
        [
            "s.toml:16:9: workloads[0].arrivals.rates: at least one rate must be > 0",
            "s.toml:17:18: workloads[0].arrivals.sojourn[1]: must be > 0, got \"0s\"",
        ]
    );
    assert_eq!(
        problems("kind = \"scheduled\"\nat = [\"1h\"]\nsessions = 5"),
        ["s.toml:17:1: workloads[0].arrivals.sessions: not used with `at`: the list gives every job"]
    );
    assert_eq!(
        problems("kind = \"closed\"\nagents = 0\nhorizon = \"1h\""),
        ["s.toml:16:10: workloads[0].arrivals.agents: must be between 1 and 1000000, got 0"]
    );
}

#[test]
fn a_horizon_is_bounded_by_the_process_mean_rate() {
    // MMPP mean (0 x 1 + 2e4 x 1) / 2 = 1e4/s; a day of it is 8.64e8 sessions.
    assert_eq!(
        problems("kind = \"mmpp\"\nrates = [0, 20000]\nsojourn = [\"1s\", \"1s\"]\nhorizon = \"1d\""),
        [
            "s.toml:18:11: workloads[0].arrivals.horizon: the mean rate x horizon expects 864000000 sessions, more than the 100000000 one run can simulate in reasonable time and memory; shorten the horizon (at most \"2h46m40s\" at this rate) or lower the mean rate"
        ]
    );
}
