//! Time to first token and end-to-end latency as cumulative distributions
//! per variant, from distributions.csv (each quantile the mean over
//! replicates), side by side: p50, p95 and p99 marked on every curve, and
//! the scenario's latency objectives drawn where its workloads set them.

use super::axes::{draw_legend, upper};
use crate::chart::{Chart, Heading, draw_error};
use crate::data::RunData;
use crate::error::{ReportError, Result};
use crate::style::{GUIDE, desc_style, label_style, tick, tick_count};
use crate::style::{colour, significant};
use crate::subjects::{Kind, lowest_finding, variant_subjects};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub const STEM: &str = "latency_cdf";

/// The marked percentiles: their quantile and label.
pub const MARKS: [(f64, &str); 3] = [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")];

/// A log x axis when the largest value is more than this many times the
/// smallest: a linear one would crowd the body of the distribution into
/// the first tick.
const LOG_SPREAD: f64 = 50.0;

/// One variant's curve: (value, quantile) points in quantile order.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub colour_index: usize,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// The curve's value at quantile `q` (one of the grid's), if defined.
    pub fn at(&self, q: f64) -> Option<f64> {
        self.points.iter().find(|p| p.1 == q).map(|p| p.0)
    }
}

/// One distribution's panel.
#[derive(Clone, Debug)]
pub struct Panel {
    /// The `distribution` of distributions.csv (`ttft_s`, `e2e_s`).
    pub distribution: &'static str,
    pub what: &'static str,
    pub series: Vec<Series>,
    /// The workloads' objectives for this latency, seconds, ascending.
    pub objectives: Vec<f64>,
}

#[derive(Debug)]
pub struct LatencyCdf {
    pub panels: Vec<Panel>,
    heading: Heading,
}

/// (distribution, axis wording, objective key in `[workloads.objectives]`).
const PANELS: [(&str, &str, &str); 2] =
    [("ttft_s", "time to first token (s)", "ttft"), ("e2e_s", "end-to-end latency (s)", "e2e")];

impl LatencyCdf {
    /// `None` without distributions.csv (runs before it existed, plans and
    /// sensitivity runs) or when no request was answered.
    pub fn from_run(run: &RunData) -> Result<Option<Self>> {
        if run.distributions.is_none() {
            return Ok(None);
        }
        let mut panels = Vec::new();
        for (distribution, what, key) in PANELS {
            let series = run
                .summary
                .variants
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    Ok(Series {
                        name: v.name.clone(),
                        colour_index: i,
                        points: run.distribution(&v.name, distribution)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let objectives = objectives(run, key)?;
            panels.push(Panel { distribution, what, series, objectives });
        }
        if panels.iter().all(|p| p.series.iter().all(|s| s.points.is_empty())) {
            return Ok(None);
        }
        let subjects = variant_subjects(run);
        let title = lowest_finding(Kind::Variants, &subjects, "ttft_s_p95", "p95 time to first token", "s");
        Ok(Some(Self { panels, heading: Heading { stem: STEM, title } }))
    }
}

/// The distinct objectives `key` (`ttft`, `e2e`) of the workloads in
/// scenario.resolved.toml, in seconds, ascending; none without the file.
fn objectives(run: &RunData, key: &str) -> Result<Vec<f64>> {
    let Some(text) = &run.resolved_scenario else { return Ok(Vec::new()) };
    let file = run.dir.join("scenario.resolved.toml");
    let bad = |line: usize, message: String| ReportError::Csv { file: file.clone(), line: line as u64, message };
    let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e.span().map_or(1, |s| text[..s.start].matches('\n').count() + 1);
        bad(line, e.message().to_string())
    })?;
    let workloads = doc.get("workloads").and_then(toml::Value::as_array).map_or(&[][..], Vec::as_slice);
    let mut found = Vec::new();
    for w in workloads {
        let Some(v) = w.get("objectives").and_then(|o| o.get(key)) else { continue };
        let d = v.as_str().and_then(|s| sim_core::time::parse_duration(s).ok());
        let d = d.ok_or_else(|| bad(1, format!("workloads.objectives.{key}: not a duration: {v}")))?;
        found.push(d.as_secs_f64());
    }
    found.sort_by(f64::total_cmp);
    found.dedup();
    Ok(found)
}

impl Chart for LatencyCdf {
    fn heading(&self) -> &Heading {
        &self.heading
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let halves = area.split_evenly((1, self.panels.len().max(1)));
        for (panel, half) in self.panels.iter().zip(&halves) {
            draw_panel(panel, &half.margin(0, 0, 0, 12))?;
        }
        Ok(())
    }
}

/// The x axis of a panel: linear from 0, or log10 when the values spread
/// over more than [`LOG_SPREAD`]; `to_x` maps a value onto it.
struct XAxis {
    log: bool,
    range: std::ops::Range<f64>,
}

impl XAxis {
    fn of(values: &[f64], objectives: &[f64]) -> Self {
        let all = || values.iter().chain(objectives).copied().filter(|v| *v > 0.0 && v.is_finite());
        let (lo, hi) = (all().fold(f64::INFINITY, f64::min), all().fold(0.0, f64::max));
        if lo.is_finite() && hi / lo > LOG_SPREAD {
            XAxis { log: true, range: lo.log10().floor()..hi.log10().ceil() }
        } else {
            XAxis { log: false, range: 0.0..upper(all()) }
        }
    }

    fn to_x(&self, v: f64) -> f64 {
        if self.log { v.max(f64::MIN_POSITIVE).log10() } else { v }
    }

    fn label(&self, x: f64) -> String {
        if self.log { tick(10f64.powf(x)) } else { tick(x) }
    }
}

fn draw_panel<DB: DrawingBackend>(panel: &Panel, area: &DrawingArea<DB, Shift>) -> Result<()> {
    let e = |err| draw_error(STEM, err);
    let values: Vec<f64> = panel.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).collect();
    let axis = XAxis::of(&values, &panel.objectives);
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(56)
        .y_label_area_size(70)
        .build_cartesian_2d(axis.range.clone(), 0.0..1.0)
        .map_err(e)?;
    let (w, h) = chart.plotting_area().dim_in_pixel();
    let x_desc = if axis.log { format!("{}, log scale", panel.what) } else { panel.what.to_string() };
    let x_ticks = if axis.log { (axis.range.end - axis.range.start) as usize + 1 } else { tick_count(w, true) };
    chart
        .configure_mesh()
        .max_light_lines(0)
        .bold_line_style(GUIDE.mix(0.2))
        .x_labels(x_ticks.clamp(2, 10))
        .y_labels(tick_count(h, false))
        .x_label_formatter(&|x| axis.label(*x))
        .y_label_formatter(&|v| tick(*v))
        .x_desc(x_desc)
        .y_desc("share of requests at or below")
        .label_style(label_style())
        .axis_desc_style(desc_style())
        .draw()
        .map_err(e)?;
    let (x0, x1) = (axis.range.start, axis.range.end);
    // The marked percentiles' levels, labelled at the right edge.
    for (q, label) in MARKS {
        chart.draw_series([PathElement::new(vec![(x0, q), (x1, q)], GUIDE.mix(0.35))]).map_err(e)?;
        let at = (x1, q);
        let text = Text::new(label.to_string(), at, label_style().pos(Pos::new(HPos::Right, VPos::Bottom)));
        chart.draw_series([text]).map_err(e)?;
    }
    for x in &panel.objectives {
        let xo = axis.to_x(*x);
        chart.draw_series([PathElement::new(vec![(xo, 0.0), (xo, 1.0)], BLACK.stroke_width(2))]).map_err(e)?;
        let label = format!("objective {} s", significant(*x, 3));
        let style = label_style().pos(Pos::new(HPos::Left, VPos::Top));
        // A few pixels right of its line, so the text stays legible.
        chart.draw_series([EmptyElement::at((xo, 0.3)) + Text::new(label, (6, 0), style)]).map_err(e)?;
    }
    for s in &panel.series {
        let c = colour(s.colour_index);
        let pts: Vec<(f64, f64)> = s.points.iter().map(|&(v, q)| (axis.to_x(v), q)).collect();
        chart
            .draw_series(LineSeries::new(pts, c.stroke_width(3)))
            .map_err(e)?
            .label(s.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3)));
        let marks = MARKS.iter().filter_map(|(q, _)| s.at(*q).map(|v| (axis.to_x(v), *q)));
        chart.draw_series(marks.map(|p| Circle::new(p, 6, c.filled()))).map_err(e)?;
    }
    draw_legend(&mut chart, STEM, SeriesLabelPosition::LowerRight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wide_spread_gets_a_log_axis_in_whole_decades() {
        let narrow = XAxis::of(&[0.2, 0.5, 2.0], &[]);
        assert!(!narrow.log);
        assert_eq!(narrow.range, 0.0..2.2);
        let wide = XAxis::of(&[0.02, 0.5, 30.0], &[]);
        assert!(wide.log);
        assert_eq!(wide.range, -2.0..2.0);
        assert_eq!(wide.label(-1.0), "0.1");
        // An objective far out widens the axis too.
        assert!(XAxis::of(&[0.2, 0.5], &[60.0]).log);
    }
}
