//! Validation of the arrival processes beyond Poisson and traces (`kind` =
//! piecewise, daily, gamma, mmpp, closed, scheduled) and of what the
//! rate-driven kinds share with Poisson: the rate (`rate` or `rate_per_s`),
//! the stop rule (`horizon` or `sessions`) and the keys each kind takes.

use super::arrivals_config::{ArrivalProcess, RateSegment};
use super::context::*;
use super::leaf::*;
use super::location::KeyPath;
use super::model::*;
use super::rate::RateText;
use super::raw::*;
use crate::time::{SimDuration, SimTime};

/// Largest `agents` of a closed loop (each is a live session).
const MAX_AGENTS: u64 = 1_000_000;
/// Largest gamma coefficient of variation (shape 1/cv^2 = 0.01).
const MAX_CV: f64 = 10.0;

/// The keys of `[workloads.arrivals]` besides `kind`, and whether each is set.
fn keys_set(raw: &RawArrivals) -> [(&'static str, bool); 20] {
    [
        ("rate_per_s", raw.rate_per_s.is_some()),
        ("rate", raw.rate.is_some()),
        ("horizon", raw.horizon.is_some()),
        ("sessions", raw.sessions.is_some()),
        ("file", raw.file.is_some()),
        ("format", raw.format.is_some()),
        ("replay", raw.replay.is_some()),
        ("block_tokens", raw.block_tokens.is_some()),
        ("shared_prefix_tokens", raw.shared_prefix_tokens.is_some()),
        ("segments", raw.segments.is_some()),
        ("profile", raw.profile.is_some()),
        ("cv", raw.cv.is_some()),
        ("rates", raw.rates.is_some()),
        ("sojourn", raw.sojourn.is_some()),
        ("agents", raw.agents.is_some()),
        ("gap", raw.gap.is_some()),
        ("at", raw.at.is_some()),
        ("every", raw.every.is_some()),
        ("start", raw.start.is_some()),
        ("jobs", raw.jobs.is_some()),
    ]
}

/// Reports every key set that `kind` does not take; true when there is none.
pub(super) fn only_keys(cx: &mut Ctx<'_>, raw: &RawArrivals, path: &KeyPath, kind: &str, takes: &[&str]) -> bool {
    let mut ok = true;
    for (key, set) in keys_set(raw) {
        if set && !takes.contains(&key) {
            let why = format!("not used by {kind} arrivals (kind = \"{kind}\"), which take: {}", takes.join(", "));
            cx.issues.key(&path.key(key), why);
            ok = false;
        }
    }
    ok
}

/// A rate that must be > 0 (and at most the largest session rate).
fn positive_rate(cx: &mut Ctx<'_>, raw: &Option<Raw<RateText>>, path: &KeyPath, what: &str) -> Option<f64> {
    let x = cx.req(raw, path, what);
    let x = cx.positive(x, raw, path);
    cx.at_most(x, MAX_SESSION_RATE, || shown(raw), path)
}

/// A rate that may be 0.
fn rate_at_least_zero(cx: &mut Ctx<'_>, raw: &Raw<RateText>, path: &KeyPath) -> Option<f64> {
    let raw = Some(raw.clone());
    let x = cx.req(&raw, path, "a rate");
    let x = cx.non_negative(x, &raw, path);
    cx.at_most(x, MAX_SESSION_RATE, || shown(&raw), path)
}

/// The mean rate, from exactly one of `rate` and `rate_per_s`, with the key it came from.
pub(super) fn mean_rate(cx: &mut Ctx<'_>, raw: &RawArrivals, path: &KeyPath) -> Option<(f64, &'static str)> {
    match (&raw.rate, &raw.rate_per_s) {
        (Some(_), Some(_)) => {
            cx.issues.value(&path.key("rate"), "set `rate` or `rate_per_s`, not both".to_string());
            None
        }
        (None, Some(_)) => {
            let p = path.key("rate_per_s");
            let x = cx.req(&raw.rate_per_s, &p, "mean session arrivals per second, > 0");
            let x = cx.positive(x, &raw.rate_per_s, &p);
            cx.at_most(x, MAX_SESSION_RATE, || shown(&raw.rate_per_s), &p).map(|x| (x, "rate_per_s"))
        }
        _ => {
            let what = "mean session arrivals: a number per second, or \"N/unit\" such as \"300/h\"";
            positive_rate(cx, &raw.rate, &path.key("rate"), what).map(|x| (x, "rate"))
        }
    }
}

/// Exactly one of `horizon` or `sessions`; `expected` is the mean rate (and
/// its key) that bounds the sessions a horizon brings, when known.
pub(super) fn stop(
    cx: &mut Ctx<'_>,
    raw: &RawArrivals,
    path: &KeyPath,
    expected: Option<(f64, &str)>,
) -> Option<ArrivalStop> {
    match (&raw.horizon, &raw.sessions) {
        (Some(h), None) => {
            let p = path.key("horizon");
            cx.read(h, &p)
                .filter(|d| cx.ensure(*d > SimDuration::ZERO, &p, || format!("must be > 0, got {}", h.value)))
                .filter(|d| {
                    let Some((rate, key)) = expected else { return true };
                    let sessions = rate * d.as_secs_f64();
                    cx.ensure(sessions <= MAX_SESSIONS as f64, &p, || {
                        let longest = format_duration_compact(SimDuration::from_secs_f64(MAX_SESSIONS as f64 / rate));
                        format!(
                            "{key} x horizon expects {sessions:.0} sessions, more than the {MAX_SESSIONS} one run can simulate in reasonable time and memory; shorten the horizon (at most \"{longest}\" at this rate) or lower {key}"
                        )
                    })
                })
                .map(|d| ArrivalStop::Horizon(SimTime::from_micros(d.as_micros())))
        }
        (None, Some(s)) => {
            let p = path.key("sessions");
            cx.read(s, &p)
                .filter(|n| cx.ensure(*n >= 1, &p, || format!("must be >= 1, got {n}")))
                .filter(|n| {
                    cx.ensure(*n <= MAX_SESSIONS, &p, || {
                        format!("must be <= {MAX_SESSIONS}, got {n}: a run that large cannot finish in reasonable time and memory; simulate fewer sessions (a sample of 10000 to 1000000 usually gives tight confidence intervals)")
                    })
                })
                .map(ArrivalStop::Sessions)
        }
        (Some(_), Some(_)) => {
            cx.issues.value(path, "set exactly one of `horizon` or `sessions`, not both".to_string());
            None
        }
        (None, None) => {
            cx.issues.missing(
                path,
                "missing `horizon` or `sessions`; set exactly one (e.g. horizon = \"1h\" or sessions = 1000)"
                    .to_string(),
            );
            None
        }
    }
}

/// A list key that must hold exactly `n` entries (`None`: at least one).
fn list_of<'r, T>(
    cx: &mut Ctx<'_>,
    list: &'r Option<Vec<T>>,
    path: &KeyPath,
    n: Option<usize>,
    what: &str,
) -> Option<&'r [T]> {
    let Some(list) = list else {
        cx.missing(path, what);
        return None;
    };
    let ok = match n {
        Some(n) => cx.ensure(list.len() == n, path, || format!("must hold exactly {n} entries, got {}", list.len())),
        None => cx.ensure(!list.is_empty(), path, || "must not be empty".to_string()),
    };
    ok.then_some(list.as_slice())
}

/// Every entry read, or `None` when any is invalid (each reported).
fn all<T>(items: impl Iterator<Item = Option<T>>) -> Option<Vec<T>> {
    let read: Vec<Option<T>> = items.collect();
    read.into_iter().collect()
}

/// The processes of docs/workloads.md other than Poisson and traces.
pub(super) fn process(cx: &mut Ctx<'_>, raw: &RawArrivals, path: &KeyPath, kind: ArrivalKind) -> Option<Arrivals> {
    const STOP: [&str; 2] = ["horizon", "sessions"];
    let takes = |own: &[&'static str]| -> Vec<&'static str> { own.iter().chain(&STOP).copied().collect() };
    let (name, keys): (&str, Vec<&str>) = match kind {
        ArrivalKind::Piecewise => ("piecewise", takes(&["segments"])),
        ArrivalKind::Daily => ("daily", takes(&["rate", "rate_per_s", "profile"])),
        ArrivalKind::Gamma => ("gamma", takes(&["rate", "rate_per_s", "cv"])),
        ArrivalKind::Mmpp => ("mmpp", takes(&["rates", "sojourn"])),
        ArrivalKind::Closed => ("closed", takes(&["agents", "gap"])),
        ArrivalKind::Scheduled => ("scheduled", takes(&["at", "every", "start", "jobs"])),
        ArrivalKind::Poisson | ArrivalKind::Trace => unreachable!("validated by validate_arrivals"),
    };
    let keys_ok = only_keys(cx, raw, path, name, &keys);
    let (process, stop) = match kind {
        ArrivalKind::Piecewise => piecewise(cx, raw, path),
        ArrivalKind::Daily => daily(cx, raw, path),
        ArrivalKind::Gamma => gamma(cx, raw, path),
        ArrivalKind::Mmpp => mmpp(cx, raw, path),
        ArrivalKind::Closed => closed(cx, raw, path),
        _ => scheduled(cx, raw, path),
    };
    keys_ok.then_some(())?;
    Some(Arrivals::Process { process: process?, stop: stop? })
}

type Parts = (Option<ArrivalProcess>, Option<ArrivalStop>);

/// The stop rule, bounded by the process's mean rate.
fn stop_of(cx: &mut Ctx<'_>, raw: &RawArrivals, path: &KeyPath, p: &Option<ArrivalProcess>) -> Option<ArrivalStop> {
    let rate = p.as_ref().and_then(ArrivalProcess::mean_rate_per_s).filter(|r| *r > 0.0);
    stop(cx, raw, path, rate.map(|r| (r, "the mean rate")))
}

fn piecewise(cx: &mut Ctx<'_>, raw: &RawArrivals, path: &KeyPath) -> Parts {
    let p = path.key("segments");
    let what = "a list of { until = \"1h\", rate = \"100/h\" }, in order";
    let segments = list_of(cx, &raw.segments, &p, None, what).and_then(|list| {
        all(list.iter().enumerate().map(|(i, s)| {
            let sp = p.index(i);
            let until = cx.req(&s.until, &sp.key("until"), "the end of this piece, a duration from the start");
            let rate = match &s.rate {
                Some(r) => rate_at_least_zero(cx, r, &sp.key("rate")),
                None => cx.req::<RateText>(&None, &sp.key("rate"), "the rate during this piece"),
            };
            Some(RateSegment { until: until?, rate_per_s: rate? })
        }))
    });
    let segments = segments.filter(|segs| {
        let mut ok = true;
        let mut prev = SimDuration::ZERO;
        for (i, s) in segs.iter().enumerate() {
            ok &= cx.ensure(s.until > prev, &p.index(i).key("until"), || {
                format!(
                    "must be after the previous piece's end ({}), got {}",
                    format_duration_compact(prev),
                    format_duration_compact(s.until)
                )
            });
            prev = s.until;
        }
        ok && cx.ensure(segs.iter().any(|s| s.rate_per_s > 0.0), &p, || {
            "at least one piece must have a rate > 0".to_string()
        })
    });
    let process = segments.map(|segments| ArrivalProcess::Piecewise { segments });
    let stop = stop_of(cx, raw, path, &process);
    (process, stop)
}

fn daily(cx: &mut Ctx<'_>, raw: &RawArrivals, path: &KeyPath) -> Parts {
    let rate = mean_rate(cx, raw, path);
    let p = path.key("profile");
    let profile = list_of(cx, &raw.profile, &p, Some(24), "24 weights, one per UTC hour 0..23").and_then(|list| {
        all(list.iter().enumerate().map(|(i, w)| {
            let raw = Some(w.clone());
            let x = cx.req(&raw, &p.index(i), "a weight");
            cx.non_negative(x, &raw, &p.index(i))
        }))
    });
    let profile =
        profile.filter(|w| cx.ensure(w.iter().any(|x| *x > 0.0), &p, || "at least one weight must be > 0".to_string()));
    let stop = stop(cx, raw, path, rate);
    (rate.zip(profile).map(|((rate_per_s, _), profile)| ArrivalProcess::Daily { rate_per_s, profile }), stop)
}

fn gamma(cx: &mut Ctx<'_>, raw: &RawArrivals, path: &KeyPath) -> Parts {
    let rate = mean_rate(cx, raw, path);
    let p = path.key("cv");
    let cv = cx.req(&raw.cv, &p, "coefficient of variation of the gaps, > 0 (1 = Poisson)");
    let cv = cx.positive(cv, &raw.cv, &p);
    let cv = cx.at_most(cv, Max { value: MAX_CV, unit: "" }, || shown(&raw.cv), &p);
    let stop = stop(cx, raw, path, rate);
    (rate.zip(cv).map(|((rate_per_s, _), cv)| ArrivalProcess::Gamma { rate_per_s, cv }), stop)
}

fn mmpp(cx: &mut Ctx<'_>, raw: &RawArrivals, path: &KeyPath) -> Parts {
    let p = path.key("rates");
    let rates = list_of(cx, &raw.rates, &p, Some(2), "the rates of the two states, e.g. [\"10/h\", \"600/h\"]")
        .and_then(|l| all(l.iter().enumerate().map(|(i, r)| rate_at_least_zero(cx, r, &p.index(i)))))
        .filter(|r| cx.ensure(r.iter().any(|x| *x > 0.0), &p, || "at least one rate must be > 0".to_string()));
    let q = path.key("sojourn");
    let sojourn = list_of(cx, &raw.sojourn, &q, Some(2), "the mean time in each state, e.g. [\"50m\", \"10m\"]")
        .and_then(|l| {
            all(l.iter().enumerate().map(|(i, d)| cx.positive_duration(&Some(d.clone()), &q.index(i)).flatten()))
        });
    let process =
        rates.zip(sojourn).map(|(r, s)| ArrivalProcess::Mmpp { rates_per_s: [r[0], r[1]], sojourn: [s[0], s[1]] });
    let stop = stop_of(cx, raw, path, &process);
    (process, stop)
}

fn closed(cx: &mut Ctx<'_>, raw: &RawArrivals, path: &KeyPath) -> Parts {
    let p = path.key("agents");
    let agents = cx.req(&raw.agents, &p, "sessions live at once, integer >= 1").filter(|n| {
        cx.ensure((1..=MAX_AGENTS).contains(n), &p, || format!("must be between 1 and {MAX_AGENTS}, got {n}"))
    });
    let gap = match &raw.gap {
        None => Some(None),
        Some(_) => cx.time_dist(&raw.gap, &path.key("gap")).map(Some),
    };
    let stop = stop(cx, raw, path, None);
    (agents.zip(gap).map(|(agents, gap)| ArrivalProcess::Closed { agents, gap }), stop)
}

fn scheduled(cx: &mut Ctx<'_>, raw: &RawArrivals, path: &KeyPath) -> Parts {
    let p = path.key("jobs");
    let jobs = cx.opt(&raw.jobs, &p, 1).filter(|n| {
        cx.ensure((1..=MAX_AGENTS).contains(n), &p, || format!("must be between 1 and {MAX_AGENTS}, got {n}"))
    });
    match (&raw.at, &raw.every) {
        (Some(_), None) => {
            let p = path.key("at");
            let at = list_of(cx, &raw.at, &p, None, "offsets from the start")
                .and_then(|l| all(l.iter().enumerate().map(|(i, d)| cx.read(d, &p.index(i)))));
            let unused = cx.unused(&raw.start, &path.key("start"), "only used with `every`")
                & cx.unused(&raw.horizon, &path.key("horizon"), "not used with `at`: the list gives every job")
                & cx.unused(&raw.sessions, &path.key("sessions"), "not used with `at`: the list gives every job");
            let process = at.zip(jobs).filter(|_| unused).map(|(mut at, jobs)| {
                at.sort();
                ArrivalProcess::Scheduled { at, every: None, jobs }
            });
            let stop = process.as_ref().map(|p| match p {
                ArrivalProcess::Scheduled { at, jobs, .. } => ArrivalStop::Sessions(at.len() as u64 * jobs),
                _ => unreachable!(),
            });
            (process, stop)
        }
        (None, Some(_)) => {
            let every = cx.positive_duration(&raw.every, &path.key("every")).flatten();
            let start = cx.opt(&raw.start, &path.key("start"), SimDuration::ZERO);
            let process = every.zip(start).zip(jobs).map(|((every, start), jobs)| ArrivalProcess::Scheduled {
                at: vec![start],
                every: Some(every),
                jobs,
            });
            let stop = stop_of(cx, raw, path, &process);
            (process, stop)
        }
        _ => {
            let message = "set exactly one of `at` (a list of offsets) or `every` (a period)".to_string();
            cx.issues.missing(path, message);
            (None, None)
        }
    }
}
