//! Fault windows at their boundary instants, validation errors, and client timeouts.

use super::*;

fn s(secs: u64) -> SimTime {
    SimTime::from_micros(secs * 1_000_000)
}

fn us(v: u64) -> SimTime {
    SimTime::from_micros(v)
}

fn outage(start: u64, end: u64, mode: OutageMode) -> OutageWindow {
    OutageWindow { start: s(start), end: s(end), mode }
}

fn degraded(start: u64, end: u64, factor: f64) -> DegradedWindow {
    DegradedWindow { start: s(start), end: s(end), factor }
}

#[test]
fn an_outage_covers_its_start_instant_but_not_its_end_instant() {
    let t = FaultTimeline::new(vec![outage(10, 20, OutageMode::FailFast), outage(20, 30, OutageMode::Hang)], vec![])
        .unwrap();
    assert_eq!(t.outage_at(SimTime::ZERO), None);
    assert_eq!(t.outage_at(us(9_999_999)), None);
    assert_eq!(t.outage_at(s(10)), Some(OutageMode::FailFast));
    assert_eq!(t.outage_at(us(19_999_999)), Some(OutageMode::FailFast));
    // Touching windows: the instant belongs to the later one only.
    assert_eq!(t.outage_at(s(20)), Some(OutageMode::Hang));
    assert_eq!(t.outage_at(us(29_999_999)), Some(OutageMode::Hang));
    assert_eq!(t.outage_at(s(30)), None);
    assert_eq!(t.outage_at(SimTime::MAX), None);
}

#[test]
fn the_speed_factor_is_one_outside_degraded_windows() {
    let t = FaultTimeline::new(vec![], vec![degraded(5, 10, 0.5), degraded(100, 200, 0.25)]).unwrap();
    let at = |v| t.speed_factor_at(v);
    assert_eq!([at(us(4_999_999)), at(s(5)), at(us(9_999_999)), at(s(10))], [1.0, 0.5, 0.5, 1.0]);
    assert_eq!([at(s(50)), at(s(100)), at(s(150)), at(s(200))], [1.0, 0.25, 0.25, 1.0]);
}

#[test]
fn outages_and_degraded_windows_may_overlap_each_other() {
    let t = FaultTimeline::new(vec![outage(10, 20, OutageMode::Hang)], vec![degraded(0, 15, 0.8)]).unwrap();
    assert_eq!((t.outage_at(s(12)), t.speed_factor_at(s(12))), (Some(OutageMode::Hang), 0.8));
    assert_eq!((t.outage_at(s(17)), t.speed_factor_at(s(17))), (Some(OutageMode::Hang), 1.0));
}

#[test]
fn many_windows_are_found_by_binary_search() {
    // Windows [10k, 10k + 5) s for k = 0..1000, alternating modes.
    let mode = |k: u64| if k.is_multiple_of(2) { OutageMode::FailFast } else { OutageMode::Hang };
    let windows = (0..1_000).map(|k| outage(10 * k, 10 * k + 5, mode(k))).collect();
    let t = FaultTimeline::new(windows, vec![]).unwrap();
    assert_eq!(t.outage_at(s(4_324)), Some(OutageMode::FailFast));
    assert_eq!(t.outage_at(s(4_326)), None);
    assert_eq!(t.outage_at(s(4_334)), Some(OutageMode::Hang));
    assert_eq!(t.outage_at(s(9_990)), Some(OutageMode::Hang));
    assert_eq!(t.outage_at(s(9_995)), None);
}

#[test]
fn windows_must_be_non_empty_sorted_and_disjoint() {
    let err = |o: Vec<OutageWindow>| FaultTimeline::new(o, vec![]).unwrap_err();
    let ff = OutageMode::FailFast;
    assert_eq!(
        err(vec![outage(0, 5, ff), outage(7, 7, ff)]),
        FaultError::Empty { kind: WindowKind::Outage, index: 1, start: s(7), end: s(7) }
    );
    assert_eq!(
        err(vec![outage(10, 20, ff), outage(0, 5, ff)]),
        FaultError::OutOfOrder { kind: WindowKind::Outage, index: 1, start: s(0), previous_start: s(10) }
    );
    assert_eq!(
        err(vec![outage(0, 10, ff), outage(9, 12, ff)]),
        FaultError::Overlap { kind: WindowKind::Outage, index: 1, start: s(9), previous_end: s(10) }
    );
    let e = FaultTimeline::new(vec![], vec![degraded(0, 10, 0.5), degraded(5, 12, 0.5)]).unwrap_err();
    assert_eq!(e, FaultError::Overlap { kind: WindowKind::Degraded, index: 1, start: s(5), previous_end: s(10) });
    assert!(e.to_string().starts_with("degraded window 1 starts at 5.000000s, before window 0 ends"), "{e}");
}

#[test]
fn a_degraded_factor_must_be_in_zero_exclusive_one_inclusive() {
    assert!(FaultTimeline::new(vec![], vec![degraded(0, 1, 1.0)]).is_ok());
    for factor in [0.0, -0.5, 1.000_001, f64::NAN, f64::INFINITY] {
        let e = FaultTimeline::new(vec![], vec![degraded(0, 1, 0.5), degraded(2, 3, factor)]).unwrap_err();
        assert!(matches!(e, FaultError::BadFactor { index: 1, .. }), "{factor}: {e:?}");
    }
}

#[test]
fn a_non_streaming_attempt_times_out_when_its_end_is_after_the_deadline() {
    let t = ClientTimeout { limit: SimDuration::from_secs(600), watch: TimeoutWatch::Completion };
    let sent = s(100);
    assert_eq!(t.deadline(sent), s(700));
    // First token in time does not help a non-streaming client.
    assert_eq!(t.times_out_at(sent, Some(s(101)), Some(us(700_000_001))), Some(s(700)));
    assert_eq!(t.times_out_at(sent, Some(s(101)), Some(s(700))), None);
    // A hanging attempt never answers: it ends at the deadline.
    assert_eq!(t.times_out_at(sent, None, None), Some(s(700)));
}

#[test]
fn a_streaming_attempt_only_needs_its_first_token_before_the_deadline() {
    let t = ClientTimeout { limit: SimDuration::from_secs(30), watch: TimeoutWatch::FirstToken };
    let sent = s(0);
    assert_eq!(t.times_out_at(sent, Some(s(29)), Some(s(400))), None);
    assert_eq!(t.times_out_at(sent, Some(s(30)), Some(s(400))), None);
    assert_eq!(t.times_out_at(sent, Some(us(30_000_001)), Some(s(400))), Some(s(30)));
    assert_eq!(t.times_out_at(sent, None, None), Some(s(30)));
}
