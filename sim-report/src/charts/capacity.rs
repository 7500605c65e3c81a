//! Capacity (a plan directory: plan.csv, plan.json): each objective's metric
//! against the searched value, mean with its 95% interval at every value
//! the search evaluated, the objective's threshold as a line, the plan's
//! answer and final bracket marked, saturated values marked at the top.
//! One panel per objective, then one of cost per session (plan.csv's
//! `cost_usd_per_session_*` columns; a plan.csv from before them has none).

use super::axes::xy_chart_with;
use super::scale::Scale;
use crate::chart::{Chart, Heading, draw_error};
use crate::data::{RunData, Table};
use crate::error::{ReportError, Result};
use crate::style::{GUIDE, colour, desc_style, significant};
use plotters::coord::Shift;
use plotters::prelude::*;

pub const STEM: &str = "capacity";
/// The cost plan.csv carries per point: the last panel.
pub const COST: &str = "cost_usd_per_session";
const SATURATED: RGBColor = RGBColor(0xD5, 0x5E, 0x00);

/// One evaluated value of the search.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub value: f64,
    pub mean: Option<f64>,
    pub ci95: Option<(f64, f64)>,
    pub saturated: bool,
}

/// One objective ("ttft_s_p95<=3") and its metric at every evaluated value, by value.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    pub metric: String,
    pub objective: String,
    pub threshold: Option<f64>,
    pub points: Vec<Point>,
}

#[derive(Debug)]
pub struct Capacity {
    pub path: String,
    pub scale: Scale,
    pub panels: Vec<Panel>,
    pub answer: Option<f64>,
    pub bracket: Option<(f64, f64)>,
    heading: Heading,
}

/// The metric and threshold of an objective as plan.json writes it.
pub fn split_objective(objective: &str) -> (String, Option<f64>) {
    for op in ["<=", ">=", "<", ">"] {
        if let Some((metric, x)) = objective.split_once(op) {
            return (metric.trim().to_string(), x.trim().parse().ok());
        }
    }
    (objective.trim().to_string(), None)
}

impl Capacity {
    /// `None` unless the directory holds plan.csv and plan.json.
    pub fn from_run(run: &RunData) -> Result<Option<Self>> {
        let (Some(t), Some(plan)) = (&run.plan_csv, &run.plan_json) else { return Ok(None) };
        let objectives: Vec<&str> =
            plan["objectives"].as_array().map_or_else(Vec::new, |a| a.iter().filter_map(|o| o.as_str()).collect());
        let mut panels = Vec::new();
        for objective in objectives {
            let (metric, threshold) = split_objective(objective);
            let points = points(t, &metric)?;
            panels.push(Panel { metric, objective: objective.to_string(), threshold, points });
        }
        if panels.is_empty() {
            return Ok(None);
        }
        let has_cost = t.header.iter().any(|h| *h == format!("{COST}_mean"));
        if has_cost && panels.iter().all(|p| p.metric != COST) {
            let points = points(t, COST)?;
            panels.push(Panel { metric: COST.to_string(), objective: String::new(), threshold: None, points });
        }
        let search = &plan["search"];
        let path = search["path"].as_str().unwrap_or("searched value").to_string();
        let scale = if search["log"].as_bool() == Some(true) { Scale::Log } else { Scale::Linear };
        let answer = plan["answer"].as_f64();
        let bracket = plan["bracket"][0].as_f64().zip(plan["bracket"][1].as_f64());
        let status = plan["status"].as_str().unwrap_or("unknown");
        let objectives: Vec<&str> = panels.iter().map(|p| p.objective.as_str()).filter(|o| !o.is_empty()).collect();
        let objectives = objectives.join(", ");
        let mut title = match answer {
            Some(a) => format!("{objectives} holds up to {path} = {} (status {status})", significant(a, 3)),
            None => format!("{objectives}: no searched {path} meets it (status {status})"),
        };
        let cost = panels.iter().find(|p| p.metric == COST);
        let at_answer = cost.and_then(|c| c.points.iter().find(|p| Some(p.value) == answer));
        if let Some(Point { mean: Some(m), ci95: Some((lo, hi)), .. }) = at_answer {
            let (m, lo, hi) = (significant(*m, 3), significant(*lo, 3), significant(*hi, 3));
            title.push_str(&format!("; there a session costs {m} USD [{lo}, {hi}]"));
        }
        Ok(Some(Self { path, scale, panels, answer, bracket, heading: Heading { stem: STEM, title } }))
    }
}

/// `metric`'s mean and interval at every evaluated value of plan.csv, by value.
fn points(t: &Table, metric: &str) -> Result<Vec<Point>> {
    let bad = |message: String| ReportError::Csv { file: t.file.clone(), line: 1, message };
    let (value_c, saturated_c) = (t.column("value")?, t.column("saturated")?);
    let col = |suffix: &str| t.column(&format!("{metric}_{suffix}"));
    let (mean_c, lo_c, hi_c) = (col("mean")?, col("ci95_low")?, col("ci95_high")?);
    let mut points = Vec::new();
    for row in &t.rows {
        let value = t.number(row, value_c)?.ok_or_else(|| bad(format!("line {}: no value", row.line)))?;
        let ci95 = t.number(row, lo_c)?.zip(t.number(row, hi_c)?);
        let saturated = t.text(row, saturated_c) == "true";
        points.push(Point { value, mean: t.number(row, mean_c)?, ci95, saturated });
    }
    points.sort_by(|a, b| a.value.total_cmp(&b.value));
    Ok(points)
}

impl Chart for Capacity {
    fn heading(&self) -> &Heading {
        &self.heading
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let e = |err| draw_error(STEM, err);
        let s = &self.scale;
        let x_range = s.range(self.panels.iter().flat_map(|p| p.points.iter().map(|q| s.pos(q.value))));
        let x_desc = format!(
            "{}{} (mean, 95% CI; triangle: saturated; green: answer; grey: bracket)",
            self.path,
            if *s == Scale::Log { ", log scale" } else { "" }
        );
        let tick = |p: &f64| s.tick(*p);
        let areas = area.split_evenly((self.panels.len(), 1));
        for (i, (panel_area, panel)) in areas.iter().zip(&self.panels).enumerate() {
            // Saturated values run away; the axis stops above the rest and the threshold.
            let calm = panel.points.iter().filter(|p| !p.saturated).flat_map(|p| [p.mean, p.ci95.map(|c| c.1)]);
            let top = calm.flatten().chain(panel.threshold).filter(|v| v.is_finite()).fold(0.0, f64::max);
            let top = if top > 0.0 { top * 1.3 } else { 1.0 };
            let last = i + 1 == self.panels.len();
            let mut chart = xy_chart_with(
                panel_area,
                STEM,
                (x_range.clone(), &tick),
                0.0..top,
                last.then_some(x_desc.as_str()),
                if panel.metric == COST { "cost per session (USD)" } else { &panel.metric },
            )?;
            if let Some((a, b)) = self.bracket {
                let band = Rectangle::new([(s.pos(a), 0.0), (s.pos(b), top)], GUIDE.mix(0.15).filled());
                chart.draw_series([band]).map_err(e)?;
            }
            if let Some(a) = self.answer {
                let x = s.pos(a);
                chart
                    .draw_series([PathElement::new(vec![(x, 0.0), (x, top)], colour(2).stroke_width(3))])
                    .map_err(e)?;
            }
            if let Some(th) = panel.threshold {
                let line = PathElement::new(vec![(x_range.start, th), (x_range.end, th)], BLACK.stroke_width(2));
                let tag = EmptyElement::at((x_range.start, th))
                    + Text::new(format!("objective {}", panel.objective), (8, -22), desc_style());
                chart.draw_series([line]).map_err(e)?;
                chart.draw_series([tag]).map_err(e)?;
            }
            let c = colour(0);
            let shown = panel.points.iter().filter(|p| !p.saturated && p.mean.is_some());
            let line =
                LineSeries::new(shown.clone().map(|p| (s.pos(p.value), p.mean.unwrap_or(0.0))), c.stroke_width(2));
            chart.draw_series(line).map_err(e)?;
            for p in &panel.points {
                let x = s.pos(p.value);
                if p.saturated || p.mean.is_none_or(|m| m > top) {
                    let mark = TriangleMarker::new((x, top * 0.95), 9, SATURATED.filled());
                    chart.draw_series([mark]).map_err(e)?;
                    continue;
                }
                if let Some((lo, hi)) = p.ci95 {
                    chart.draw_series(super::axes::whisker(x, (lo, hi.min(top)), 0.0, c.stroke_width(2))).map_err(e)?;
                }
                if let Some(m) = p.mean {
                    chart.draw_series([Circle::new((x, m), 5, c.filled())]).map_err(e)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_split_into_metric_and_threshold() {
        assert_eq!(split_objective("ttft_s_p95<=3"), ("ttft_s_p95".to_string(), Some(3.0)));
        assert_eq!(split_objective("cache_hit_rate >= 0.5"), ("cache_hit_rate".to_string(), Some(0.5)));
        assert_eq!(split_objective("odd"), ("odd".to_string(), None));
    }
}
