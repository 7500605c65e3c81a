//! Cost per session per variant (or provider): a box over the replicates'
//! values from replicates.csv, and the mean with its 95% interval from
//! summary.json beside it; per variant, a thin strip of the per-session
//! cost distribution from distributions.csv.

use super::axes::{category_chart, upper, whisker};
use crate::chart::{Chart, Heading, draw_error};
use crate::data::RunData;
use crate::error::Result;
use crate::style::colour;
use crate::subjects::{Kind, lowest_finding, subjects};
use plotters::coord::Shift;
use plotters::prelude::*;

pub const STEM: &str = "cost_per_session";
const METRIC: &str = "cost_usd_per_session";

/// Quartiles (linear interpolation between order statistics) and range of
/// one subject's replicate values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoxStats {
    pub min: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub max: f64,
}

impl BoxStats {
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        let q = |p: f64| {
            let at = p * (v.len() - 1) as f64;
            let (i, frac) = (at.floor() as usize, at.fract());
            v[i] + (v[(i + 1).min(v.len() - 1)] - v[i]) * frac
        };
        (!v.is_empty()).then(|| Self { min: v[0], q1: q(0.25), median: q(0.5), q3: q(0.75), max: v[v.len() - 1] })
    }
}

/// One box: the subject's name and colour, its replicates' box, and its
/// mean and interval as summary.json states them.
#[derive(Clone, Debug)]
pub struct Entry {
    pub name: String,
    pub colour_index: usize,
    pub boxed: Option<BoxStats>,
    pub mean: Option<f64>,
    pub ci95: Option<(f64, f64)>,
    /// Completed sessions' own cost (distributions.csv, variants only).
    pub sessions: Option<SessionStrip>,
}

/// The per-session cost distribution at the quantiles the strip draws:
/// p5 to p95 as a thin line, p25 to p75 thicker, a tick at p50.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SessionStrip {
    pub p05: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

impl SessionStrip {
    /// From a distribution's (value, quantile) points; `None` unless it has
    /// all five quantiles.
    pub fn of(points: &[(f64, f64)]) -> Option<Self> {
        let at = |q: f64| points.iter().find(|p| p.1 == q).map(|p| p.0);
        Some(Self { p05: at(0.05)?, p25: at(0.25)?, p50: at(0.5)?, p75: at(0.75)?, p95: at(0.95)? })
    }
}

#[derive(Debug)]
pub struct CostPerSession {
    pub kind: Kind,
    pub entries: Vec<Entry>,
    heading: Heading,
}

impl CostPerSession {
    /// `None` when no subject defines the metric (no session was counted).
    pub fn from_run(run: &RunData) -> Result<Option<Self>> {
        let (kind, subjects) = subjects(run);
        let mut entries = Vec::new();
        for s in &subjects {
            let stats = s.stats(METRIC);
            let sessions = match kind {
                Kind::Variants => SessionStrip::of(&run.distribution(s.variant, "session_cost_usd")?),
                Kind::Providers => None,
            };
            entries.push(Entry {
                name: s.name.to_string(),
                colour_index: s.index,
                boxed: BoxStats::of(&s.replicate_values(run, METRIC)?),
                mean: stats.and_then(|m| m.mean),
                ci95: stats.and_then(|m| m.ci95_low.zip(m.ci95_high)),
                sessions,
            });
        }
        if entries.iter().all(|e| e.mean.is_none()) {
            return Ok(None);
        }
        let title = lowest_finding(kind, &subjects, METRIC, "cost per session", "USD");
        Ok(Some(Self { kind, entries, heading: Heading { stem: STEM, title } }))
    }
}

impl Chart for CostPerSession {
    fn heading(&self) -> &Heading {
        &self.heading
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let e = |err| draw_error(STEM, err);
        let top = upper(self.entries.iter().flat_map(|x| {
            [x.boxed.map(|b| b.max), x.mean, x.ci95.map(|c| c.1), x.sessions.map(|s| s.p95)].into_iter().flatten()
        }));
        let names: Vec<&str> = self.entries.iter().map(|x| x.name.as_str()).collect();
        let legend = if self.entries.iter().any(|x| x.boxed.is_some()) {
            "box: replicates' quartiles and range; black: mean and 95% CI"
        } else {
            "mean and 95% CI; the run kept no per-replicate values"
        };
        let strip = if self.entries.iter().any(|x| x.sessions.is_some()) {
            "; thin: sessions' p5-p95, p25-p75, p50"
        } else {
            ""
        };
        let x_desc = format!("{} ({legend}{strip})", self.kind.noun());
        let mut chart = category_chart(area, STEM, &names, top, &x_desc, "cost per session (USD)")?;
        for (i, entry) in self.entries.iter().enumerate() {
            let x = i as f64;
            let c = colour(entry.colour_index);
            if let Some(b) = entry.boxed {
                chart
                    .draw_series([Rectangle::new([(x - 0.25, b.q1), (x + 0.15, b.q3)], c.mix(0.35).filled())])
                    .map_err(e)?;
                chart
                    .draw_series([Rectangle::new([(x - 0.25, b.q1), (x + 0.15, b.q3)], c.stroke_width(2))])
                    .map_err(e)?;
                let line = |pts: Vec<(f64, f64)>, width| PathElement::new(pts, c.stroke_width(width));
                chart
                    .draw_series([
                        line(vec![(x - 0.25, b.median), (x + 0.15, b.median)], 4),
                        line(vec![(x - 0.05, b.min), (x - 0.05, b.q1)], 2),
                        line(vec![(x - 0.05, b.q3), (x - 0.05, b.max)], 2),
                        line(vec![(x - 0.12, b.min), (x + 0.02, b.min)], 2),
                        line(vec![(x - 0.12, b.max), (x + 0.02, b.max)], 2),
                    ])
                    .map_err(e)?;
            }
            if let Some(s) = entry.sessions {
                // Left of the box: the spread of single sessions, not of replicates.
                let xs = x - 0.36;
                let line = |lo, hi, width| PathElement::new(vec![(xs, lo), (xs, hi)], c.stroke_width(width));
                chart.draw_series([line(s.p05, s.p95, 2), line(s.p25, s.p75, 8)]).map_err(e)?;
                let tick = PathElement::new(vec![(xs - 0.04, s.p50), (xs + 0.04, s.p50)], BLACK.stroke_width(3));
                chart.draw_series([tick]).map_err(e)?;
            }
            // Beside the box, or in its place (in the subject's colour) when
            // there are no replicate values (a sensitivity run keeps none).
            let (xm, ink) = if entry.boxed.is_some() { (x + 0.28, BLACK) } else { (x, c) };
            if let Some(ci) = entry.ci95 {
                chart.draw_series(whisker(xm, ci, 0.04, ink.stroke_width(2))).map_err(e)?;
            }
            if let Some(m) = entry.mean {
                chart.draw_series([Circle::new((xm, m), 6, ink.filled())]).map_err(e)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_interpolate_between_order_statistics() {
        let b = BoxStats::of(&[4.0, 1.0, 3.0, 2.0, 5.0]).unwrap();
        assert_eq!(b, BoxStats { min: 1.0, q1: 2.0, median: 3.0, q3: 4.0, max: 5.0 });
        let b = BoxStats::of(&[1.0, 2.0]).unwrap();
        assert_eq!((b.q1, b.median, b.q3), (1.25, 1.5, 1.75));
        assert_eq!(BoxStats::of(&[]), None);
    }

    #[test]
    fn the_session_strip_reads_its_five_quantiles() {
        let points: Vec<(f64, f64)> = (1..=99).map(|i| (f64::from(i) * 2.0, f64::from(i) / 100.0)).collect();
        let s = SessionStrip::of(&points).unwrap();
        assert_eq!(s, SessionStrip { p05: 10.0, p25: 50.0, p50: 100.0, p75: 150.0, p95: 190.0 });
        assert_eq!(SessionStrip::of(&points[..90]), None);
    }
}
