//! A sweep's per-variant charts, drawn once per sweep point (at most
//! [`MAX_POINTS`] of them): the same chart kinds as a plain run, read from
//! the run as seen at that point, with the point's swept values before the
//! finding in the title and the point in the file name.

use crate::chart::{Chart, Heading, Rendered, render};
use crate::data::{SweepPoint, SweepSummary};
use crate::error::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The most sweep points whose per-variant charts are drawn: a bigger grid
/// gets this many, evenly spaced over the point numbers, first and last
/// included (the sweep chart shows every point).
pub const MAX_POINTS: usize = 12;

/// The points whose per-variant charts are drawn, in point order.
pub fn drawn(sweep: &SweepSummary) -> Vec<&SweepPoint> {
    let n = sweep.points.len();
    if n <= MAX_POINTS {
        return sweep.points.iter().collect();
    }
    // Spacing (n - 1) / (MAX_POINTS - 1) > 1, so the rounded indices are distinct.
    (0..MAX_POINTS).map(|k| &sweep.points[(k * (n - 1) + (MAX_POINTS - 1) / 2) / (MAX_POINTS - 1)]).collect()
}

/// "path=value, path=value": the point's swept values in parameter order.
pub fn label(sweep: &SweepSummary, point: &SweepPoint) -> String {
    let value = |path: &String| match point.values.get(path) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => "?".to_string(),
    };
    sweep.parameters.iter().map(|path| format!("{path}={}", value(path))).collect::<Vec<_>>().join(", ")
}

/// A chart under another title: the point's values before its finding.
struct AtPoint<'a, C> {
    chart: &'a C,
    heading: Heading,
}

impl<C: Chart> Chart for AtPoint<'_, C> {
    fn heading(&self) -> &Heading {
        &self.heading
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        self.chart.draw(area)
    }
}

/// Renders `chart` as the chart of the sweep point `at` (number, label),
/// or as a chart of the whole run when `at` is `None`.
pub fn render_at<C: Chart>(chart: &C, at: Option<&(usize, String)>) -> Result<Rendered> {
    let Some((point, label)) = at else { return render(chart) };
    let inner = chart.heading();
    let heading = Heading { stem: inner.stem, title: format!("At {label}: {}", inner.title) };
    let mut rendered = render(&AtPoint { chart, heading })?;
    rendered.point = Some((*point, label.clone()));
    Ok(rendered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweep(n: usize) -> SweepSummary {
        let point = |i: usize| SweepPoint {
            point: i,
            values: serde_json::json!({"a": i, "b": "1h"}).as_object().unwrap().clone(),
            variants: Vec::new(),
            ranking: None,
        };
        SweepSummary { parameters: vec!["a".into(), "b".into()], points: (0..n).map(point).collect() }
    }

    #[test]
    fn a_big_grid_draws_evenly_spaced_points_first_and_last_included() {
        let numbers = |n| drawn(&sweep(n)).iter().map(|p| p.point).collect::<Vec<_>>();
        assert_eq!(numbers(3), [0, 1, 2]);
        assert_eq!(numbers(12), (0..12).collect::<Vec<_>>());
        assert_eq!(numbers(13), [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12]);
        assert_eq!(numbers(100), [0, 9, 18, 27, 36, 45, 54, 63, 72, 81, 90, 99]);
    }

    #[test]
    fn the_label_names_every_swept_value_in_parameter_order() {
        let s = sweep(3);
        assert_eq!(label(&s, &s.points[2]), "a=2, b=1h");
    }
}
