//! What every rejected input must print: exit 2 and, for a scenario, at most
//! `MAX_PROBLEMS` located problems (`file:line:col: key.path: message` or the
//! `--set` they came from) then a correct count of the rest; for a trace,
//! `FILE:LINE: message` lines likewise capped; for a flag, the flag named.
//! Every line bounded, however long the input. Shared by the malformed-input
//! generator and the regression tests.

use crate::support::Outcome;
use sim_core::scenario::MAX_PROBLEMS;
use sim_core::trace::MAX_TRACE_ERRORS;

/// No line of an error report is longer than this (bytes): echoed values are
/// cut to 60 characters, whole messages to 1,000.
pub const MAX_LINE_BYTES: usize = 1_500;

/// Asserts `out` is a rejection of the scenario `file` (with `--set`s): exit 2,
/// `error: N problems in scenario:`, each problem located, at most
/// `MAX_PROBLEMS` listed, and `N` = listed + the "... and K more" count.
/// Returns `N`.
#[track_caller]
pub fn scenario_rejection(out: &Outcome, file: &str) -> usize {
    assert_eq!(out.code, 2, "exit code; stderr:\n{}", out.stderr);
    bounded_lines(out);
    let mut lines = out.stderr.lines();
    let head = lines.next().unwrap_or_default();
    let total = problem_count(head).unwrap_or_else(|| panic!("not a scenario error: {head}\n{}", out.stderr));
    let (mut listed, mut more) = (0, 0);
    // The report ends with a blank line.
    for line in lines.filter(|l| !l.is_empty()) {
        let body = line.strip_prefix("  ").unwrap_or_else(|| panic!("not indented: {line:?}"));
        if let Some(rest) = body.strip_prefix("... and ") {
            assert_eq!(more, 0, "two count lines:\n{}", out.stderr);
            more = rest.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{line}"));
            assert!(more > 0 && rest.ends_with(if more == 1 { "more problem" } else { "more problems" }), "{line}");
            continue;
        }
        assert_eq!(more, 0, "a problem after the count line:\n{}", out.stderr);
        assert!(located(body, file), "problem without a location: {line:?}");
        listed += 1;
    }
    assert!(listed <= MAX_PROBLEMS, "{listed} problems listed");
    assert!(more == 0 || listed == MAX_PROBLEMS, "counted {more} while listing only {listed}");
    assert_eq!(total, listed + more, "header count vs listed + counted:\n{}", out.stderr);
    total
}

/// Asserts `out` is a rejection of the trace `file`: exit 2, one
/// `FILE:LINE: message` per bad line (at most `MAX_TRACE_ERRORS`), then
/// possibly `FILE: ... and K more bad lines`.
#[track_caller]
pub fn trace_rejection(out: &Outcome, file: &str) {
    assert_eq!(out.code, 2, "exit code; stderr:\n{}", out.stderr);
    bounded_lines(out);
    let body = out.stderr.strip_prefix("error: ").unwrap_or_else(|| panic!("{}", out.stderr));
    let mut listed = 0;
    for line in body.lines() {
        let rest = line.strip_prefix(file).and_then(|r| r.strip_prefix(':'));
        let rest = rest.unwrap_or_else(|| panic!("trace problem not at {file}: {line:?}"));
        if rest.starts_with(" ... and ") {
            assert_eq!(listed, MAX_TRACE_ERRORS, "{}", out.stderr);
            continue;
        }
        let (number, _) = rest.split_once(": ").unwrap_or_else(|| panic!("no message: {line:?}"));
        assert!(number.parse::<usize>().is_ok_and(|n| n >= 1), "no line number: {line:?}");
        listed += 1;
    }
    assert!((1..=MAX_TRACE_ERRORS).contains(&listed), "{listed} lines listed:\n{}", out.stderr);
}

/// Asserts `out` is a command-line usage error about `flag`: exit 2, the flag
/// named on the first line, every line bounded.
#[track_caller]
pub fn flag_rejection(out: &Outcome, flag: &str) {
    assert_eq!(out.code, 2, "exit code; stderr:\n{}", out.stderr);
    bounded_lines(out);
    let head = out.stderr.lines().next().unwrap_or_default();
    assert!(head.starts_with("error: ") && head.contains(flag), "{flag} not named: {}", out.stderr);
}

/// Asserts `out` is a valid scenario refused by its work estimate: exit 2,
/// the estimate printed and the flag that would let it run named.
#[track_caller]
pub fn estimate_rejection(out: &Outcome) {
    assert_eq!(out.code, 2, "exit code; stderr:\n{}", out.stderr);
    bounded_lines(out);
    assert!(out.stderr.starts_with("error: the run is estimated "), "{}", out.stderr);
    assert!(out.stderr.contains("pass --max-"), "no flag named: {}", out.stderr);
    assert!(out.stderr.contains("estimate per replicate: "), "no estimate: {}", out.stderr);
}

/// Asserts `out` is a rejection of the scenario `file`: located problems, or
/// (for a valid but too large scenario) a refusal by its estimate.
#[track_caller]
pub fn any_scenario_rejection(out: &Outcome, file: &str) {
    if out.stderr.starts_with("error: the run is estimated ") {
        estimate_rejection(out);
    } else {
        scenario_rejection(out, file);
    }
}

/// `N` from `error: N problem(s) in scenario:`.
fn problem_count(head: &str) -> Option<usize> {
    let rest = head.strip_prefix("error: ")?;
    let (n, tail) = rest.split_once(' ')?;
    matches!(tail, "problem in scenario:" | "problems in scenario:").then(|| n.parse().ok())?
}

/// `file:line:col: ...`, `--set #n `...`: ...`, `--sweep #n `...`: ...`, a
/// variant by name, or a provider base's entry.
fn located(body: &str, file: &str) -> bool {
    if let Some(rest) = body.strip_prefix(file).and_then(|r| r.strip_prefix(':')) {
        let mut parts = rest.splitn(3, ':');
        let number = |p: Option<&str>| p.is_some_and(|s| s.parse::<usize>().is_ok_and(|n| n >= 1));
        return number(parts.next()) && number(parts.next()) && parts.next().is_some_and(|m| m.starts_with(' '));
    }
    ["--set #", "--sweep #", "variant `", "preset ", "LiteLLM entry "].iter().any(|p| body.starts_with(p))
}

#[track_caller]
fn bounded_lines(out: &Outcome) {
    for line in out.stderr.lines() {
        let start: String = line.chars().take(300).collect();
        assert!(line.len() <= MAX_LINE_BYTES, "a {}-byte line: {start}…", line.len());
    }
}
