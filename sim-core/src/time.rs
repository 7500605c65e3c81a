//! Simulation time: integer microseconds, never floating point.
//!
//! `SimTime` is an instant since the start of a replicate; `SimDuration` a span.
//! Both are `u64` microseconds so that event ordering is exact and portable.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Microseconds per second.
pub const MICROS_PER_SEC: u64 = 1_000_000;

/// The longest duration a scenario may write (horizons, TTLs, backoffs...):
/// 100 years of 365 days. Any instant of a run stays far below
/// `SimTime::LIMIT`, so time sums never approach `u64::MAX`.
pub const MAX_DURATION: SimDuration = SimDuration::from_secs(100 * 365 * 86_400);

/// An instant of simulated time, in microseconds since the replicate started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A span of simulated time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);
    /// The latest instant a replicate may reach: 2^55 us, about 1,141 years.
    /// Far beyond any study, and far enough below `u64::MAX` that a time
    /// plus any validated duration cannot wrap: the engine stops with an
    /// error when an event would fall after it, instead of letting the clock
    /// saturate (additions below saturate at `u64::MAX`, which is > LIMIT,
    /// so a saturated sum is always caught).
    pub const LIMIT: SimTime = SimTime(1 << 55);

    pub const fn from_micros(us: u64) -> Self {
        SimTime(us)
    }
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SEC as f64
    }
    /// The span from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);

    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us)
    }
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * 1_000)
    }
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * MICROS_PER_SEC)
    }
    /// Rounds a non-negative number of seconds to the nearest microsecond;
    /// negative or NaN inputs become zero, huge ones saturate.
    pub fn from_secs_f64(secs: f64) -> Self {
        if secs.is_nan() || secs <= 0.0 {
            return SimDuration(0);
        }
        let us = secs * MICROS_PER_SEC as f64;
        // Positive here, so the rounded integer is too (same value as `round()`).
        if let Some(r) = crate::maths::round_i64(us) {
            return SimDuration(r as u64);
        }
        let us = us.round();
        if us >= u64::MAX as f64 { SimDuration(u64::MAX) } else { SimDuration(us as u64) }
    }
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SEC as f64
    }
    pub fn saturating_add(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(other.0))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.saturating_since(earlier)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, other: SimDuration) -> SimDuration {
        self.saturating_add(other)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6}s", self.as_secs_f64())
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6}s", self.as_secs_f64())
    }
}

/// Why a duration string was rejected. Each variant holds the text as typed,
/// already cut to [`crate::echo::MAX_ECHO_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationParseError {
    #[error("empty duration; write a number with a unit, e.g. \"250ms\", \"30s\", \"5m\", \"1h\"")]
    Empty,
    #[error("`{0}` has no unit; write e.g. \"{0}s\" (units: us, ms, s, m, h, d)")]
    MissingUnit(String),
    #[error("unknown unit `{unit}` in `{text}` (units: us, ms, s, m, h, d)")]
    UnknownUnit { text: String, unit: String },
    #[error(
        "`{0}` is not a duration: write an integer or decimal number followed by a unit \
         (us, ms, s, m, h, d), e.g. \"250ms\" or \"1.5h\""
    )]
    BadNumber(String),
    /// `1e15d`: without this, `e15d` would read as an unknown unit.
    #[error("`{text}`: exponent notation is not supported in durations; write the number out{example}")]
    Exponent { text: String, example: String },
    #[error("`{0}` is negative; durations must be >= 0")]
    Negative(String),
    #[error("`{0}` is too large: the longest duration is {MAX_DURATION_DAYS}d (2^64 microseconds)")]
    TooLarge(String),
}

/// Whole days in `u64::MAX` microseconds: the longest duration that parses.
pub const MAX_DURATION_DAYS: u64 = u64::MAX / (86_400 * MICROS_PER_SEC);

/// Parses `"250ms"`, `"1.5s"`, `"30s"`, `"5m"`, `"1h"`, `"2d"`, `"10us"` into a duration.
/// Fractions are allowed and rounded to the nearest microsecond; exponents are not.
pub fn parse_duration(text: &str) -> Result<SimDuration, DurationParseError> {
    let t = text.trim();
    let shown = || crate::echo::clip(t).into_owned();
    if t.is_empty() {
        return Err(DurationParseError::Empty);
    }
    if let Some(example) = exponent_example(t) {
        return Err(DurationParseError::Exponent { text: shown(), example });
    }
    let split =
        t.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == '_')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let unit = unit.trim();
    if unit.is_empty() {
        return Err(DurationParseError::MissingUnit(shown()));
    }
    if !num.bytes().any(|b| b.is_ascii_digit()) {
        // `abcs`, `inf s`, `NaNs`: no number at all, so the unit is not the problem.
        return Err(DurationParseError::BadNumber(shown()));
    }
    let scale_us: f64 = match unit {
        "us" | "µs" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" | "min" => 60e6,
        "h" => 3600e6,
        "d" => 86_400e6,
        _ => {
            return Err(DurationParseError::UnknownUnit { text: shown(), unit: crate::echo::clip(unit).into_owned() });
        }
    };
    let value: f64 = num.replace('_', "").parse().map_err(|_| DurationParseError::BadNumber(shown()))?;
    if !value.is_finite() {
        return Err(DurationParseError::BadNumber(shown()));
    }
    if value < 0.0 {
        return Err(DurationParseError::Negative(shown()));
    }
    let us = (value * scale_us).round();
    if us >= u64::MAX as f64 {
        return Err(DurationParseError::TooLarge(shown()));
    }
    Ok(SimDuration::from_micros(us as u64))
}

/// If `t` is a number in exponent notation followed by something (`1e15d`,
/// `2.5e-3s`), the spelled-out form to suggest (`, e.g. "1000000000000000d"`,
/// empty when the number is out of any sensible range).
fn exponent_example(t: &str) -> Option<String> {
    let digits_end = |s: &str| s.find(|c: char| !(c.is_ascii_digit() || c == '_' || c == '.')).unwrap_or(s.len());
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let sign_len = t.len() - unsigned.len();
    let mantissa_len = digits_end(unsigned);
    if !unsigned[..mantissa_len].bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let after = unsigned[mantissa_len..].strip_prefix(['e', 'E'])?;
    let exp_digits = after.strip_prefix(['+', '-']).unwrap_or(after);
    let exp_len =
        after.len() - exp_digits.len() + exp_digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(exp_digits.len());
    if exp_len == after.len() - exp_digits.len() {
        return None;
    }
    let number = &t[..sign_len + mantissa_len + 1 + exp_len];
    let unit = crate::echo::clip(after[exp_len..].trim());
    let example = number
        .replace('_', "")
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && (1e-6..=1e30).contains(&x.abs()))
        .map(|x| format!(", e.g. \"{x}{unit}\""))
        .unwrap_or_default();
    Some(example)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, us: u64) {
        assert_eq!(parse_duration(text), Ok(SimDuration::from_micros(us)), "{text}");
    }

    #[test]
    fn parses_every_unit() {
        check("250ms", 250_000);
        check("30s", 30_000_000);
        check("5m", 300_000_000);
        check("1h", 3_600_000_000);
        check("1d", 86_400_000_000);
        check("10us", 10);
        check("1.5s", 1_500_000);
        check("0s", 0);
        check(" 2 s ", 2_000_000);
    }

    #[test]
    fn rejects_bad_durations() {
        assert_eq!(parse_duration(""), Err(DurationParseError::Empty));
        assert!(matches!(parse_duration("30"), Err(DurationParseError::MissingUnit(_))));
        assert!(matches!(parse_duration("3 weeks"), Err(DurationParseError::UnknownUnit { .. })));
        assert!(matches!(parse_duration("-1s"), Err(DurationParseError::Negative(_))));
        assert!(matches!(parse_duration("abcs"), Err(DurationParseError::BadNumber(_))));
        assert!(matches!(parse_duration("1.2.3s"), Err(DurationParseError::BadNumber(_))));
        assert!(matches!(parse_duration("1.5e"), Err(DurationParseError::UnknownUnit { .. })));
    }

    fn message(text: &str) -> String {
        parse_duration(text).expect_err(text).to_string()
    }

    #[test]
    fn exponent_durations_say_so() {
        assert_eq!(
            message("1e15d"),
            "`1e15d`: exponent notation is not supported in durations; write the number out, e.g. \"1000000000000000d\""
        );
        assert_eq!(
            message("2.5E-3s"),
            "`2.5E-3s`: exponent notation is not supported in durations; write the number out, e.g. \"0.0025s\""
        );
        assert_eq!(
            message("1e999s"),
            "`1e999s`: exponent notation is not supported in durations; write the number out"
        );
    }

    #[test]
    fn non_numbers_and_huge_values_get_accurate_messages() {
        for text in ["inf s", "NaNs", "abcs", "--s", ".s"] {
            assert!(message(text).contains("is not a duration: write an integer or decimal number"), "{text}");
        }
        assert_eq!(
            message("213503983d"),
            "`213503983d` is too large: the longest duration is 213503982d (2^64 microseconds)"
        );
        assert!(parse_duration("213503982d").is_ok());
    }

    #[test]
    fn echoed_text_is_cut() {
        let long = format!("{}s", "1".repeat(100_000));
        let m = message(&long);
        assert!(m.len() < 200 && m.contains("…(+"), "{m}");
        let unit = format!("1{}", "x".repeat(100_000));
        let m = message(&unit);
        assert!(m.len() < 300 && m.starts_with("unknown unit `xxx"), "{m}");
    }

    #[test]
    fn float_seconds_round_to_micros_and_clamp() {
        assert_eq!(SimDuration::from_secs_f64(0.0000015).as_micros(), 2);
        assert_eq!(SimDuration::from_secs_f64(-3.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), SimDuration::ZERO);
    }
}
