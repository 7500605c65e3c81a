//! The x axis of the charts drawn against a searched or swept value: linear,
//! logarithmic (drawn as log10 positions, ticks written as the values), or
//! one position per category when the values are not numbers.

use crate::style::tick;
use std::ops::Range;

#[derive(Clone, Debug, PartialEq)]
pub enum Scale {
    Linear,
    Log,
    /// Names in first-seen order; position i is the i-th name.
    Categories(Vec<String>),
}

/// Log when every value is positive and the largest is over `span` times
/// the smallest, else linear.
pub fn numeric(values: &[f64], span: f64) -> Scale {
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(*v), h.max(*v)));
    if lo > 0.0 && hi / lo > span { Scale::Log } else { Scale::Linear }
}

impl Scale {
    /// Where value `v` sits on the axis.
    pub fn pos(&self, v: f64) -> f64 {
        match self {
            Scale::Log => v.log10(),
            _ => v,
        }
    }

    /// The tick label at axis position `p`.
    pub fn tick(&self, p: f64) -> String {
        match self {
            Scale::Linear => tick(p),
            Scale::Log => tick(10f64.powf(p)),
            Scale::Categories(names) => {
                let i = p.round();
                if (p - i).abs() > 0.01 || i < 0.0 {
                    return String::new();
                }
                names.get(i as usize).cloned().unwrap_or_default()
            }
        }
    }

    /// The axis range holding `positions`, with a margin so marks never
    /// sit on the frame.
    pub fn range(&self, positions: impl IntoIterator<Item = f64>) -> Range<f64> {
        if let Scale::Categories(names) = self {
            return -0.5..names.len().max(1) as f64 - 0.5;
        }
        let (lo, hi) = positions
            .into_iter()
            .filter(|p| p.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| (l.min(p), h.max(p)));
        if !lo.is_finite() {
            return 0.0..1.0;
        }
        let pad = if hi > lo { (hi - lo) * 0.05 } else { lo.abs().max(1.0) * 0.1 };
        lo - pad..hi + pad
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wide_positive_span_is_logarithmic() {
        assert_eq!(numeric(&[0.05, 2.0], 20.0), Scale::Log);
        assert_eq!(numeric(&[1.0, 20.0], 20.0), Scale::Linear);
        assert_eq!(numeric(&[0.0, 100.0], 20.0), Scale::Linear);
        assert_eq!(Scale::Log.tick(Scale::Log.pos(300.0)), "300");
        let c = Scale::Categories(vec!["a".into(), "b".into()]);
        assert_eq!((c.tick(1.0), c.tick(0.5), c.range([])), ("b".to_string(), String::new(), -0.5..1.5));
    }
}
