//! The rate leaf: an arrival rate written as a plain number (per second) or a
//! string with its unit (`"0.7/s"`, `"42/min"`, `"300/h"`, `"5000/day"`).
//!
//! The value is `count / seconds_of_unit`, one f64 division, so `"300/h"` is
//! exactly `300.0 / 3600.0` (the correctly rounded 1/12, equal to `1.0 / 12.0`).

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::leaf::{Leaf, describe};

/// A rate: a number of events per second, or `"N/unit"`.
#[derive(Clone, Debug)]
pub(crate) struct RateText;

/// The accepted units and their length in seconds, in the order the error lists them.
pub(crate) const RATE_UNITS: &[(&str, f64)] =
    &[("s", 1.0), ("min", 60.0), ("m", 60.0), ("h", 3600.0), ("hour", 3600.0), ("d", 86_400.0), ("day", 86_400.0)];

fn unit_list() -> String {
    RATE_UNITS.iter().map(|(u, _)| format!("/{u}")).collect::<Vec<_>>().join(", ")
}

/// Parses `"N/unit"` into events per second.
pub(crate) fn parse_rate(text: &str) -> Result<f64, String> {
    let shown = crate::echo::clip(text);
    let Some((count, unit)) = text.split_once('/') else {
        return Err(format!(
            "`{shown}` has no unit; write a number (per second) or \"N/unit\" such as \"300/h\" (units: {})",
            unit_list()
        ));
    };
    let (count, unit) = (count.trim(), unit.trim());
    let Some(&(_, seconds)) = RATE_UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(format!("unknown rate unit `/{}` in `{shown}` (units: {})", crate::echo::clip(unit), unit_list()));
    };
    // Digits and one decimal point only: no signs, exponents, `inf` or `nan`.
    let plain = !count.is_empty()
        && count.chars().all(|c| c.is_ascii_digit() || c == '.')
        && count.chars().filter(|c| *c == '.').count() <= 1
        && count.chars().any(|c| c.is_ascii_digit());
    match count.parse::<f64>() {
        Ok(n) if plain && n.is_finite() => Ok(n / seconds),
        _ => Err(format!("`{shown}`: the count before `/` must be a plain non-negative number such as 300 or 0.5")),
    }
}

impl Leaf for RateText {
    type Out = f64;
    fn read(value: &toml::Value) -> Result<f64, String> {
        match value {
            toml::Value::String(s) => parse_rate(s),
            toml::Value::Integer(_) | toml::Value::Float(_) => f64::read(value),
            other => Err(format!(
                "expected a rate (a number per second, or a string such as \"300/h\"), got {}",
                describe(other)
            )),
        }
    }
}

impl JsonSchema for RateText {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Rate".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["number", "string"],
            "pattern": r"^\s*[0-9]*\.?[0-9]+\s*/\s*(s|min|m|h|hour|d|day)\s*$",
            "description": "A rate: a number per second, or a count per unit (/s, /min, /m, /h, /hour, /d, /day), e.g. \"300/h\".",
            "examples": ["300/h"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(toml_value: &str) -> Result<f64, String> {
        let v: toml::Value = toml::from_str::<toml::Table>(&format!("x = {toml_value}")).unwrap()["x"].clone();
        RateText::read(&v)
    }

    #[test]
    fn units_divide_once() {
        assert_eq!(read("\"300/h\""), Ok(1.0 / 12.0));
        assert_eq!(read("\"300/h\""), Ok(300.0 / 3600.0));
        assert_eq!(read("\"0.7/s\""), Ok(0.7));
        assert_eq!(read("\"42/min\""), Ok(0.7));
        assert_eq!(read("\"42/m\""), Ok(0.7));
        assert_eq!(read("\"5000/day\""), Ok(5000.0 / 86_400.0));
        assert_eq!(read("\"5000/d\""), read("\"5000/day\""));
        assert_eq!(read("\"3600 / hour\""), Ok(1.0));
        assert_eq!(read("2"), Ok(2.0));
        assert_eq!(read("0.25"), Ok(0.25));
    }

    #[test]
    fn bad_rates_name_the_accepted_units() {
        let units = "/s, /min, /m, /h, /hour, /d, /day";
        assert_eq!(read("\"3/week\""), Err(format!("unknown rate unit `/week` in `3/week` (units: {units})")));
        assert_eq!(
            read("\"300\""),
            Err(format!(
                "`300` has no unit; write a number (per second) or \"N/unit\" such as \"300/h\" (units: {units})"
            ))
        );
        for bad in ["\"-3/h\"", "\"1e3/h\"", "\"inf/h\"", "\"/h\"", "\"1.2.3/h\""] {
            assert!(read(bad).unwrap_err().contains("plain non-negative number"), "{bad}");
        }
        assert_eq!(
            read("true"),
            Err("expected a rate (a number per second, or a string such as \"300/h\"), got boolean true".into())
        );
    }
}
