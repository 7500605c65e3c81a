//! Every chart of a run, in the fixed order they are rendered, and the axis
//! helpers the category charts share.

pub mod cost_per_session;

use crate::chart::{Rendered, render};
use crate::data::RunData;
use crate::error::Result;
use crate::style::LABEL_PX;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use std::ops::Range;

/// Every chart stem agentsim writes, in render order: `render_run` replaces
/// these files only, never another file of `charts/`.
pub const STEMS: &[&str] = &[cost_per_session::STEM];

/// Renders every chart whose data the run has, in [`STEMS`] order.
pub fn render_all(run: &RunData) -> Result<Vec<Rendered>> {
    let mut out = Vec::new();
    if let Some(c) = cost_per_session::CostPerSession::from_run(run)? {
        out.push(render(&c)?);
    }
    Ok(out)
}

/// An x axis of `n` categories centred on 0, 1, ..., n - 1, with a tick
/// (and so a label) on each and nowhere else; marks sit at fractional
/// offsets around their category.
#[derive(Clone, Debug)]
pub struct Categories(pub usize);

impl Ranged for Categories {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let Range { start, end } = self.range();
        let frac = (value - start) / (end - start);
        limit.0 + (frac * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        (0..self.0).map(|i| i as f64).collect()
    }

    fn range(&self) -> Range<f64> {
        -0.5..self.0.max(1) as f64 - 0.5
    }
}

/// The name of category `x` cut to the room a category has on an axis of
/// `axis_px` pixels (about 0.6 em a character), so neighbours never touch.
pub fn category_label(names: &[&str], x: f64, axis_px: u32) -> String {
    let Some(name) = names.get(x.round().max(0.0) as usize) else { return String::new() };
    let room = f64::from(axis_px) / names.len().max(1) as f64;
    let chars = ((room / (0.6 * f64::from(LABEL_PX))) as usize).saturating_sub(1).max(3);
    if name.chars().count() <= chars {
        name.to_string()
    } else {
        let cut: String = name.chars().take(chars - 1).collect();
        format!("{cut}…")
    }
}

/// An upper bound for a value axis starting at 0: the largest value plus a
/// margin, so marks never touch the frame (1 when nothing is positive).
pub fn upper(values: impl IntoIterator<Item = f64>) -> f64 {
    let max = values.into_iter().filter(|v| v.is_finite()).fold(0.0, f64::max);
    if max > 0.0 { max * 1.1 } else { 1.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_labels_fit_their_room() {
        let names = ["baseline", "a-very-long-variant-name-indeed"];
        assert_eq!(category_label(&names, 0.0, 400), "baseline");
        // 200 px per category / 9.6 px a character = 20, less one of gap: 19 with the ellipsis.
        assert_eq!(category_label(&names, 1.0, 400), "a-very-long-varian…");
        assert_eq!(category_label(&names, 2.0, 400), "");
    }
}
