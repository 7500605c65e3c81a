//! Which variant (or provider) for this workload: cost per session against
//! p95 time to first token, each point with its 95% intervals on both axes,
//! and the Pareto frontier (nothing both cheaper and faster) drawn through
//! the points no other beats on both.

use super::axes::{cut_middle, place_labels, upper, whisker, xy_chart};
use crate::chart::{Chart, Heading, draw_error};
use crate::data::RunData;
use crate::error::Result;
use crate::font::FAMILY;
use crate::style::{GUIDE, LABEL_PX, colour};
use crate::subjects::{Kind, subjects, with_interval};
use plotters::coord::Shift;
use plotters::prelude::*;

pub const STEM: &str = "cost_vs_latency";
const COST: &str = "cost_usd_per_session";
const LATENCY: &str = "ttft_s_p95";

/// One subject's point: latency (x) and cost (y), means and intervals.
#[derive(Clone, Debug)]
pub struct Point {
    pub name: String,
    pub colour_index: usize,
    pub latency: f64,
    pub cost: f64,
    pub latency_ci95: Option<(f64, f64)>,
    pub cost_ci95: Option<(f64, f64)>,
}

#[derive(Debug)]
pub struct CostVsLatency {
    pub kind: Kind,
    pub points: Vec<Point>,
    /// Indices into `points` on the frontier, by increasing latency.
    pub frontier: Vec<usize>,
    heading: Heading,
}

impl CostVsLatency {
    /// `None` when no subject defines both metrics.
    pub fn from_run(run: &RunData) -> Option<Self> {
        let (kind, subjects) = subjects(run);
        let points: Vec<Point> = subjects
            .iter()
            .filter_map(|s| {
                let (c, l) = (s.stats(COST)?, s.stats(LATENCY)?);
                Some(Point {
                    name: s.name.to_string(),
                    colour_index: s.index,
                    latency: l.mean?,
                    cost: c.mean?,
                    latency_ci95: l.ci95_low.zip(l.ci95_high),
                    cost_ci95: c.ci95_low.zip(c.ci95_high),
                })
            })
            .collect();
        if points.is_empty() {
            return None;
        }
        let frontier = pareto_frontier(&points);
        let stated = |p: &Point, metric: &str, unit: &str| {
            with_interval(subjects.iter().find(|s| s.name == p.name).and_then(|s| s.stats(metric)), unit)
        };
        let (fastest, cheapest) = (&points[frontier[0]], &points[*frontier.last()?]);
        let title = if frontier.len() == 1 {
            format!(
                "{} is cheapest and fastest: {} per session, p95 TTFT {}",
                cheapest.name,
                stated(cheapest, COST, "USD"),
                stated(cheapest, LATENCY, "s")
            )
        } else {
            format!(
                "cheapest: {} at {} per session; fastest: {} at p95 TTFT {}",
                cheapest.name,
                stated(cheapest, COST, "USD"),
                fastest.name,
                stated(fastest, LATENCY, "s")
            )
        };
        Some(Self { kind, points, frontier, heading: Heading { stem: STEM, title } })
    }
}

/// The points no other point beats on both axes (lower is better on both),
/// by increasing latency: walk by latency, keep each point cheaper than
/// every faster one. Ties keep the first in subject order.
pub fn pareto_frontier(points: &[Point]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| {
        points[a].latency.total_cmp(&points[b].latency).then(points[a].cost.total_cmp(&points[b].cost)).then(a.cmp(&b))
    });
    let mut frontier = Vec::new();
    let mut best = f64::INFINITY;
    for i in order {
        if points[i].cost < best {
            best = points[i].cost;
            frontier.push(i);
        }
    }
    frontier
}

impl Chart for CostVsLatency {
    fn heading(&self) -> &Heading {
        &self.heading
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let e = |err| draw_error(STEM, err);
        let hi = |v: f64, ci: Option<(f64, f64)>| ci.map_or(v, |c| c.1.max(v));
        let right = upper(self.points.iter().map(|p| hi(p.latency, p.latency_ci95)));
        let top = upper(self.points.iter().map(|p| hi(p.cost, p.cost_ci95)));
        let x_desc = format!(
            "p95 time to first token (s); one point per {}, bars: 95% CI; line: Pareto frontier",
            self.kind.noun()
        );
        let mut chart = xy_chart(area, STEM, 0.0..right, 0.0..top, Some(&x_desc), "cost per session (USD)")?;
        let line: Vec<(f64, f64)> =
            self.frontier.iter().map(|&i| (self.points[i].latency, self.points[i].cost)).collect();
        chart.draw_series([PathElement::new(line, GUIDE.stroke_width(2))]).map_err(e)?;
        let (cap_x, cap_y) = (right * 0.006, top * 0.01);
        for p in &self.points {
            let c = colour(p.colour_index);
            if let Some(ci) = p.cost_ci95 {
                chart.draw_series(whisker(p.latency, ci, cap_x, c.stroke_width(2))).map_err(e)?;
            }
            if let Some((lo, hi)) = p.latency_ci95 {
                let style = c.stroke_width(2);
                chart
                    .draw_series([
                        PathElement::new(vec![(lo, p.cost), (hi, p.cost)], style),
                        PathElement::new(vec![(lo, p.cost - cap_y), (lo, p.cost + cap_y)], style),
                        PathElement::new(vec![(hi, p.cost - cap_y), (hi, p.cost + cap_y)], style),
                    ])
                    .map_err(e)?;
            }
            chart.draw_series([Circle::new((p.latency, p.cost), 7, c.filled())]).map_err(e)?;
        }
        // Names last, placed apart from each other (points may coincide).
        let style = TextStyle::from((FAMILY, LABEL_PX));
        let names: Vec<String> = self.points.iter().map(|p| cut_middle(&p.name, 32)).collect();
        let anchors: Vec<(i32, i32)> = self.points.iter().map(|p| chart.backend_coord(&(p.latency, p.cost))).collect();
        let area = chart.plotting_area();
        let sizes =
            names.iter().map(|n| area.estimate_text_size(n, &style)).collect::<Result<Vec<_>, _>>().map_err(e)?;
        let (xs, ys) = area.get_pixel_range();
        for ((p, name), spot) in
            self.points.iter().zip(names).zip(place_labels(&anchors, &sizes, (xs.start, ys.start, xs.end, ys.end)))
        {
            if let Some(offset) = spot {
                let label = EmptyElement::at((p.latency, p.cost)) + Text::new(name, offset, style.clone());
                chart.draw_series([label]).map_err(e)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(latency: f64, cost: f64) -> Point {
        Point { name: String::new(), colour_index: 0, latency, cost, latency_ci95: None, cost_ci95: None }
    }

    #[test]
    fn the_frontier_keeps_points_no_other_beats_on_both() {
        // 1 is dominated by 0 (slower and dearer); 3 by 2.
        let points = [p(1.0, 5.0), p(2.0, 6.0), p(3.0, 2.0), p(4.0, 3.0), p(5.0, 1.0)];
        assert_eq!(pareto_frontier(&points), vec![0, 2, 4]);
        assert_eq!(pareto_frontier(&[p(1.0, 1.0), p(1.0, 1.0)]), vec![0]);
    }
}
