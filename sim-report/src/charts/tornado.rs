//! The sensitivity tornado (sensitivity.csv): per parameter, the change of
//! the metric when the parameter moves to its low and to its high value,
//! as horizontal bars with 95% whiskers, largest swing on top; parameters
//! with no detectable effect are drawn in grey. One chart per metric of the
//! file (each `--metric`, in order): `tornado` for the first,
//! `tornado_<metric>` for the others.

use super::axes::{Categories, cut_middle};
use crate::chart::{Chart, Heading, draw_error};
use crate::data::{RunData, Table};
use crate::error::Result;
use crate::style::{GUIDE, colour, desc_style, label_style, significant, tick, tick_count};
use plotters::coord::Shift;
use plotters::prelude::*;

pub const STEM: &str = "tornado";
/// Light grey for the rows whose effect the run could not tell from zero.
const UNDETECTED: RGBColor = RGBColor(0xB0, 0xB0, 0xB0);

/// One side of a parameter: the value it was set to and the metric's
/// paired change from the scenario as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Side {
    pub value: String,
    pub diff_mean: f64,
    pub ci95: Option<(f64, f64)>,
}

/// One row of the tornado, in sensitivity.csv's rank order.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub parameter: String,
    pub low: Option<Side>,
    pub high: Option<Side>,
    pub detectable: bool,
}

#[derive(Debug)]
pub struct Tornado {
    pub metric: String,
    pub bars: Vec<Bar>,
    heading: Heading,
}

impl Tornado {
    /// The tornado of the first metric; `None` without sensitivity.csv or
    /// when it has no row.
    pub fn from_run(run: &RunData) -> Result<Option<Self>> {
        Ok(Self::each_from_run(run)?.into_iter().next())
    }

    /// One tornado per metric of sensitivity.csv, in the file's order.
    pub fn each_from_run(run: &RunData) -> Result<Vec<Self>> {
        let Some(t) = &run.sensitivity else { return Ok(Vec::new()) };
        let metric_c = t.column("metric")?;
        let mut metrics: Vec<&str> = Vec::new();
        for row in &t.rows {
            let m = t.text(row, metric_c);
            if !metrics.contains(&m) {
                metrics.push(m);
            }
        }
        metrics.into_iter().map(|m| Self::from_table(t, m)).collect()
    }

    /// The tornado of `metric`'s rows of `t`.
    pub fn from_table(t: &Table, metric: &str) -> Result<Self> {
        let col = |name| t.column(name);
        let (metric_c, param_c, side_c, value_c) = (col("metric")?, col("parameter")?, col("side")?, col("value")?);
        let (mean_c, lo_c, hi_c, det_c) =
            (col("diff_mean")?, col("diff_ci95_low")?, col("diff_ci95_high")?, col("detectable")?);
        let metric = metric.to_string();
        let mut bars: Vec<Bar> = Vec::new();
        for row in t.rows.iter().filter(|r| t.text(r, metric_c) == metric) {
            let parameter = t.text(row, param_c);
            let side = t.number(row, mean_c)?.map(|diff_mean| Side {
                value: t.text(row, value_c).trim_matches('"').to_string(),
                diff_mean,
                ci95: t.number(row, lo_c).ok().flatten().zip(t.number(row, hi_c).ok().flatten()),
            });
            let at = match bars.iter().position(|b| b.parameter == parameter) {
                Some(i) => i,
                None => {
                    bars.push(Bar { parameter: parameter.to_string(), low: None, high: None, detectable: false });
                    bars.len() - 1
                }
            };
            let bar = &mut bars[at];
            bar.detectable |= t.text(row, det_c) == "true";
            match t.text(row, side_c) {
                "low" => bar.low = side,
                _ => bar.high = side,
            }
        }
        let title = finding(&metric, &bars);
        Ok(Self { metric, bars, heading: Heading { stem: STEM, title } })
    }
}

/// The largest detectable swing, and how many parameters showed none.
fn finding(metric: &str, bars: &[Bar]) -> String {
    let none = bars.iter().filter(|b| !b.detectable).count();
    let quiet = if none == 0 {
        String::new()
    } else {
        format!("; {none} of {} parameters have no detectable effect", bars.len())
    };
    let Some(top) = bars.iter().find(|b| b.detectable) else {
        return format!("no parameter has a detectable effect on {metric}");
    };
    let side = |s: &Option<Side>| {
        s.as_ref().map_or("-".to_string(), |s| {
            let ci =
                s.ci95.map_or(String::new(), |(lo, hi)| format!(" [{}, {}]", significant(lo, 3), significant(hi, 3)));
            format!("{} at {}{ci}", significant(s.diff_mean, 3), s.value)
        })
    };
    format!("{} moves {metric} most: {} / {}{quiet}", top.parameter, side(&top.low), side(&top.high))
}

impl Chart for Tornado {
    fn heading(&self) -> &Heading {
        &self.heading
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let e = |err| draw_error(STEM, err);
        let sides = || self.bars.iter().flat_map(|b| [&b.low, &b.high]).flatten();
        let reach = sides()
            .flat_map(|s| [s.diff_mean, s.ci95.map_or(0.0, |c| c.0), s.ci95.map_or(0.0, |c| c.1)])
            .filter(|v| v.is_finite())
            .fold(0.0_f64, |m, v| m.max(v.abs()));
        let reach = if reach > 0.0 { reach * 1.15 } else { 1.0 };
        let n = self.bars.len();
        // The first (largest) row on top.
        let y_of = |i: usize| (n - 1 - i) as f64;
        let mut chart = ChartBuilder::on(area)
            .x_label_area_size(56)
            .y_label_area_size(330)
            .build_cartesian_2d(-reach..reach, Categories(n))
            .map_err(e)?;
        let (w, _) = chart.plotting_area().dim_in_pixel();
        let label = |y: &f64| {
            let i = n as f64 - 1.0 - y.round();
            self.bars.get(i.max(0.0) as usize).map_or(String::new(), |b| cut_middle(&b.parameter, 34))
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .max_light_lines(0)
            .bold_line_style(GUIDE.mix(0.2))
            .y_labels(n)
            .x_labels(tick_count(w, true))
            .y_label_formatter(&label)
            .x_label_formatter(&|v| tick(*v))
            .x_desc(format!(
                "change in {} vs the scenario as written, 95% CI (blue: low, orange: high, grey: undetectable)",
                self.metric
            ))
            .label_style(label_style())
            .axis_desc_style(desc_style())
            .draw()
            .map_err(e)?;
        chart
            .draw_series([PathElement::new(vec![(0.0, -0.5), (0.0, n as f64 - 0.5)], BLACK.stroke_width(1))])
            .map_err(e)?;
        for (i, bar) in self.bars.iter().enumerate() {
            let y = y_of(i);
            for (side, offset, k) in [(&bar.low, 0.18, 0), (&bar.high, -0.18, 1)] {
                let Some(s) = side else { continue };
                let c = if bar.detectable { colour(k) } else { UNDETECTED };
                let (yc, half) = (y + offset, 0.16);
                chart
                    .draw_series([Rectangle::new([(0.0, yc - half), (s.diff_mean, yc + half)], c.mix(0.8).filled())])
                    .map_err(e)?;
                if let Some((lo, hi)) = s.ci95 {
                    let ink = if bar.detectable { BLACK } else { GUIDE };
                    let st = ink.stroke_width(2);
                    chart
                        .draw_series([
                            PathElement::new(vec![(lo, yc), (hi, yc)], st),
                            PathElement::new(vec![(lo, yc - 0.08), (lo, yc + 0.08)], st),
                            PathElement::new(vec![(hi, yc - 0.08), (hi, yc + 0.08)], st),
                        ])
                        .map_err(e)?;
                }
                let tag = EmptyElement::at((reach, yc)) + Text::new(s.value.clone(), (-110, -8), label_style());
                chart.draw_series([tag]).map_err(e)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const CSV: &str = "metric,rank,parameter,side,value,diff_mean,diff_ci95_low,diff_ci95_high,detectable
m,1,ttl,low,5m,0,0,0,true
m,1,ttl,high,1h,-0.02,-0.025,-0.015,true
m,2,slots,low,32,0,0,0,false
m,2,slots,high,128,0.001,-0.001,0.003,false
other,1,ttl,low,5m,9,9,9,true
";

    #[test]
    fn bar_ends_are_the_files_diff_means_in_rank_order() {
        let t = Table::parse(PathBuf::from("sensitivity.csv"), CSV.as_bytes()).unwrap();
        let chart = Tornado::from_table(&t, "m").unwrap();
        assert_eq!(chart.metric, "m");
        let names: Vec<&str> = chart.bars.iter().map(|b| b.parameter.as_str()).collect();
        assert_eq!(names, ["ttl", "slots"]);
        let high = chart.bars[0].high.as_ref().unwrap();
        assert_eq!((high.value.as_str(), high.diff_mean, high.ci95), ("1h", -0.02, Some((-0.025, -0.015))));
        assert_eq!(chart.bars[1].high.as_ref().unwrap().diff_mean, 0.001);
        assert!(chart.bars[0].detectable && !chart.bars[1].detectable);
        assert_eq!(
            chart.heading().title,
            "ttl moves m most: 0 at 5m [0, 0] / -0.02 at 1h [-0.025, -0.015]; 1 of 2 parameters have no detectable effect"
        );
    }
}
