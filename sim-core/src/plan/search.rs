//! The searched parameter of `agentsim plan` (`--search PATH=lo..hi[:log]`)
//! and the deterministic bisection over it: a scenario value that the
//! objectives depend on monotonically (load: they worsen as it grows; slots,
//! replicas, a rate-limit tier: they improve).

use super::PlanError;
use crate::scenario::location::KeyPath;
use serde::Serialize;

/// `--search PATH=lo..hi[:log]` as typed, checked for syntax.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchSpec {
    pub path: String,
    pub lo: f64,
    pub hi: f64,
    /// Geometric midpoints (for ranges spanning orders of magnitude).
    pub log: bool,
}

/// Whether the scenario value at the path is an integer (searched exactly)
/// or a float (searched to a tolerance).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    Integer,
    Float,
}

/// Which end of the range the answer is sought at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The largest value meeting every objective; they worsen as it grows.
    #[default]
    Maximize,
    /// The smallest value meeting every objective; they improve as it grows.
    Minimize,
}

/// How a search ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Met at one end and missed at the other: the answer lies between.
    Found,
    /// Met at both ends.
    MetEverywhere,
    /// Missed at both ends.
    MissedEverywhere,
    /// Met only at the end where the assumed direction says it should be
    /// missed: the objectives move the other way (try the other direction).
    WrongDirection,
}

/// The relative tolerance of a float search when `--tolerance` is absent:
/// the bracket is narrower than 1% of its upper end.
pub const DEFAULT_TOLERANCE: f64 = 0.01;

/// Bisection stops after this many midpoints whatever the tolerance (a
/// float bracket of 1e-300 relative width is reached well before).
const MAX_MIDPOINTS: usize = 200;

impl SearchSpec {
    /// Parses `PATH=lo..hi` or `PATH=lo..hi:log`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let usage = "expected PATH=LO..HI or PATH=LO..HI:log (e.g. workloads[0].arrivals.rate_per_s=0.5..8)";
        let (path, range) = text.split_once('=').ok_or_else(|| usage.to_string())?;
        let path = path.trim();
        KeyPath::parse(path)?;
        let (range, log) = match range.trim().strip_suffix(":log") {
            Some(r) => (r, true),
            None => (range.trim(), false),
        };
        if let Some((_, suffix)) = range.rsplit_once(':') {
            let suffix = crate::echo::clip(suffix.trim());
            return Err(format!("unknown suffix `:{suffix}`: only `:log` (geometric midpoints) is accepted; {usage}"));
        }
        let (lo, hi) = range.split_once("..").ok_or_else(|| usage.to_string())?;
        let bound = |s: &str| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("bound `{}` is not a finite number", crate::echo::clip(s.trim())))
        };
        let (lo, hi) = (bound(lo)?, bound(hi)?);
        if lo >= hi {
            return Err(format!("the range is empty: {lo} is not below {hi}"));
        }
        if log && lo <= 0.0 {
            return Err(format!(":log needs a positive lower bound, not {lo}"));
        }
        Ok(SearchSpec { path: path.to_string(), lo, hi, log })
    }

    /// The kind of the key, from the validated scenario written as TOML
    /// (`scenario::to_toml`, where every value is present). A key absent
    /// there (an optional setting left out) takes its kind from the bounds:
    /// integer if both are whole numbers written without a point.
    pub fn key_kind(&self, resolved_toml: &str, written: (&str, &str)) -> Result<KeyKind, String> {
        let doc: toml::Table = resolved_toml.parse().map_err(|e| format!("internal error: resolved scenario: {e}"))?;
        let path = KeyPath::parse(&self.path)?;
        let kind = match path.lookup(&toml::Value::Table(doc)) {
            Some(toml::Value::Integer(_)) => KeyKind::Integer,
            Some(toml::Value::Float(_)) => KeyKind::Float,
            Some(other) => {
                return Err(format!("`{}` holds {}, not a number", self.path, other.type_str()));
            }
            None if [written.0, written.1].iter().all(|s| s.trim().parse::<i64>().is_ok()) => KeyKind::Integer,
            None => KeyKind::Float,
        };
        if kind == KeyKind::Integer && (self.lo.fract() != 0.0 || self.hi.fract() != 0.0) {
            return Err(format!("`{}` holds an integer: the bounds must be whole numbers", self.path));
        }
        Ok(kind)
    }
}

/// Parses `--search` into a problem list entry on failure.
pub fn parse_search(text: &str) -> Result<SearchSpec, PlanError> {
    SearchSpec::parse(text).map_err(|m| PlanError { problems: vec![PlanError::flag("--search", text, m)] })
}

/// The value as the scenario should read it: an integer without a point.
pub fn value_text(kind: KeyKind, value: f64) -> String {
    match kind {
        KeyKind::Integer => format!("{}", value as i64),
        KeyKind::Float => format!("{value}"),
    }
}

/// One evaluated point: its value, whether every objective was met there,
/// and what the evaluator kept of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Point<T> {
    pub value: f64,
    pub met: bool,
    pub data: T,
}

/// The outcome of a search: every point in evaluation order.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchResult<T> {
    pub status: Status,
    /// `Found`: the best value met; `MetEverywhere`: the best end; else none.
    pub answer: Option<f64>,
    /// `Found` only: the closest met and missed values.
    pub bracket: Option<(f64, f64)>,
    pub points: Vec<Point<T>>,
}

/// The search range and how to split it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub lo: f64,
    pub hi: f64,
    pub kind: KeyKind,
    pub log: bool,
    /// Float keys: stop when the bracket is within this fraction of its
    /// upper end. Integer keys are searched to adjacent integers.
    pub tolerance: f64,
}

impl Range {
    /// The midpoint of a bracket, strictly inside it; `None` when the
    /// bracket is as narrow as the search goes.
    fn midpoint(&self, a: f64, b: f64) -> Option<f64> {
        let (lo, hi) = (a.min(b), a.max(b));
        match self.kind {
            KeyKind::Integer => {
                if hi - lo <= 1.0 {
                    return None;
                }
                let mid = if self.log { (lo * hi).sqrt().round() } else { (lo + (hi - lo) / 2.0).floor() };
                Some(mid.clamp(lo + 1.0, hi - 1.0))
            }
            KeyKind::Float => {
                if hi - lo <= self.tolerance * hi.abs().max(lo.abs()) {
                    return None;
                }
                let mid = if self.log { (lo * hi).sqrt() } else { lo + (hi - lo) / 2.0 };
                (mid > lo && mid < hi).then_some(mid)
            }
        }
    }
}

/// Searches `range` for the best value meeting every objective in
/// `direction`. `eval` runs one point and says whether every objective was
/// met there, with whatever it wants kept. Both ends are evaluated first
/// (low, then high), then midpoints of the bracket (met, missed) until it is
/// narrow enough. The same evaluator results give the same points: the
/// search is deterministic.
pub fn bisect<T, E>(
    range: &Range,
    direction: Direction,
    mut eval: impl FnMut(f64) -> Result<(bool, T), E>,
) -> Result<SearchResult<T>, E> {
    let mut points = Vec::new();
    let mut run = |value: f64, points: &mut Vec<Point<T>>| -> Result<bool, E> {
        let (met, data) = eval(value)?;
        points.push(Point { value, met, data });
        Ok(met)
    };
    let low_met = run(range.lo, &mut points)?;
    let high_met = run(range.hi, &mut points)?;
    // The end where the objectives are easiest to meet, and the other.
    let (easy, hard, easy_met, hard_met) = match direction {
        Direction::Maximize => (range.lo, range.hi, low_met, high_met),
        Direction::Minimize => (range.hi, range.lo, high_met, low_met),
    };
    let done = |status, answer, points| Ok(SearchResult { status, answer, bracket: None, points });
    match (easy_met, hard_met) {
        (true, true) => return done(Status::MetEverywhere, Some(hard), points),
        (false, false) => return done(Status::MissedEverywhere, None, points),
        (false, true) => return done(Status::WrongDirection, None, points),
        (true, false) => {}
    }
    let (mut met, mut missed) = (easy, hard);
    for _ in 0..MAX_MIDPOINTS {
        let Some(mid) = range.midpoint(met, missed) else { break };
        if run(mid, &mut points)? {
            met = mid;
        } else {
            missed = mid;
        }
    }
    Ok(SearchResult { status: Status::Found, answer: Some(met), bracket: Some((met, missed)), points })
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
