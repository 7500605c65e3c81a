//! The search flag's syntax, the key's kind, and the bisection driver on
//! evaluators with a known threshold.

use super::*;
use std::convert::Infallible;

fn range(lo: f64, hi: f64, kind: KeyKind) -> Range {
    Range { lo, hi, kind, log: false, tolerance: DEFAULT_TOLERANCE }
}

/// Bisects with "met" meaning `value <= threshold` (maximize) or
/// `value >= threshold` (minimize).
fn search(r: &Range, dir: Direction, threshold: f64) -> SearchResult<()> {
    let met = |v: f64| match dir {
        Direction::Maximize => v <= threshold,
        Direction::Minimize => v >= threshold,
    };
    bisect(r, dir, |v| Ok::<_, Infallible>((met(v), ()))).unwrap()
}

fn values(r: &SearchResult<()>) -> Vec<f64> {
    r.points.iter().map(|p| p.value).collect()
}

#[test]
fn search_flags_parse_and_refuse_bad_ranges() {
    let s = SearchSpec::parse("workloads[0].arrivals.rate_per_s=0.5..8").unwrap();
    assert_eq!((s.path.as_str(), s.lo, s.hi, s.log), ("workloads[0].arrivals.rate_per_s", 0.5, 8.0, false));
    assert!(SearchSpec::parse("a.b=1..1000:log").unwrap().log);
    assert!(SearchSpec::parse("a.b=1-3").unwrap_err().contains("PATH=LO..HI"));
    assert!(SearchSpec::parse("a.b=3..1").unwrap_err().contains("empty: 3 is not below 1"));
    assert!(SearchSpec::parse("a.b=x..1").unwrap_err().contains("bound `x`"));
    assert!(SearchSpec::parse("a.b=0..1:log").unwrap_err().contains("positive lower bound"));
    assert!(SearchSpec::parse("a.b=1..3:lin").unwrap_err().contains("unknown suffix `:lin`: only `:log`"));
    assert!(SearchSpec::parse("a..b=0..1").is_err(), "the path's syntax is checked");
    assert!(parse_search("nope").unwrap_err().to_string().starts_with("--search `nope`: expected"));
}

#[test]
fn the_key_kind_comes_from_the_resolved_scenario() {
    let toml = "[[providers]]\nname = \"p\"\n[providers.serving]\nslots = 4\nrate = 2.0\n";
    let kind = |text: &str| {
        let s = SearchSpec::parse(text).unwrap();
        let (lo, hi) = text.split_once('=').unwrap().1.split_once("..").unwrap();
        s.key_kind(toml, (lo, hi))
    };
    assert_eq!(kind("providers[0].serving.slots=1..8"), Ok(KeyKind::Integer));
    assert_eq!(kind("providers[0].serving.rate=1..8"), Ok(KeyKind::Float));
    assert!(kind("providers[0].serving.slots=1..8.5").unwrap_err().contains("whole numbers"));
    assert!(kind("providers[0].name=1..8").unwrap_err().contains("holds string, not a number"));
    // Absent keys: the bounds as written decide.
    assert_eq!(kind("providers[0].serving.replicas=1..8"), Ok(KeyKind::Integer));
    assert_eq!(kind("providers[0].serving.speed=1.0..8"), Ok(KeyKind::Float));
}

#[test]
fn integer_bisection_finds_the_exact_boundary() {
    let r = search(&range(1.0, 100.0, KeyKind::Integer), Direction::Maximize, 37.0);
    assert_eq!((r.status, r.answer, r.bracket), (Status::Found, Some(37.0), Some((37.0, 38.0))));
    assert_eq!(values(&r)[..3], [1.0, 100.0, 50.0], "both ends first, then the midpoint");
    let m = search(&range(1.0, 100.0, KeyKind::Integer), Direction::Minimize, 37.0);
    assert_eq!((m.status, m.answer, m.bracket), (Status::Found, Some(37.0), Some((37.0, 36.0))));
    let log = Range { log: true, ..range(1.0, 1000.0, KeyKind::Integer) };
    let l = bisect(&log, Direction::Maximize, |v| Ok::<_, Infallible>((v <= 5.0, ()))).unwrap();
    assert_eq!((l.answer, l.points[2].value), (Some(5.0), 32.0), "geometric midpoint of 1 and 1000");
}

#[test]
fn float_bisection_stops_within_the_tolerance() {
    let r = search(&range(0.5, 8.0, KeyKind::Float), Direction::Maximize, 3.3);
    let (met, missed) = r.bracket.unwrap();
    assert!(met <= 3.3 && missed > 3.3, "{met} {missed}");
    assert!(missed - met <= DEFAULT_TOLERANCE * missed, "{met} {missed}");
    assert_eq!(r.answer, Some(met));
    // The bracket before the last midpoint was still too wide: no point was wasted.
    assert!(2.0 * (missed - met) > DEFAULT_TOLERANCE * missed);
}

#[test]
fn whole_range_outcomes_are_distinct() {
    let r = range(1.0, 10.0, KeyKind::Float);
    let everywhere = search(&r, Direction::Maximize, 20.0);
    assert_eq!((everywhere.status, everywhere.answer, everywhere.points.len()), (Status::MetEverywhere, Some(10.0), 2));
    let nowhere = search(&r, Direction::Maximize, 0.5);
    assert_eq!((nowhere.status, nowhere.answer), (Status::MissedEverywhere, None));
    let min_everywhere = search(&r, Direction::Minimize, 0.5);
    assert_eq!((min_everywhere.status, min_everywhere.answer), (Status::MetEverywhere, Some(1.0)));
    // Met at the high end only, while maximizing: the objectives improve with the value.
    let wrong = bisect(&r, Direction::Maximize, |v| Ok::<_, Infallible>((v > 5.0, ()))).unwrap();
    assert_eq!((wrong.status, wrong.answer), (Status::WrongDirection, None));
}

#[test]
fn evaluator_errors_stop_the_search() {
    let mut calls = 0;
    let r = bisect(&range(1.0, 10.0, KeyKind::Float), Direction::Maximize, |v| {
        calls += 1;
        if v > 5.0 { Err("too big") } else { Ok((true, ())) }
    });
    assert_eq!((r, calls), (Err("too big"), 2));
}
