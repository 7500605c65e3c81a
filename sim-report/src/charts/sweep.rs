//! Against a swept parameter (sweep.csv): cost per session and cache hit
//! rate per variant, a line through the points' means with the 95% interval
//! as a band. The x axis is the first swept parameter: numbers (log scale
//! when they span more than 20x), durations as seconds, anything else as
//! categories. With several swept parameters, each variant gets one line
//! per combination of the others' values (named in the legend).

use super::axes::xy_chart_with;
use super::scale::{Scale, numeric};
use crate::chart::{Chart, Heading, draw_error};
use crate::data::{RunData, Table};
use crate::error::Result;
use crate::style::{colour, label_style, significant};
use plotters::coord::Shift;
use plotters::prelude::*;

pub const STEM: &str = "sweep";
/// The panels, top to bottom: metric, axis description, scale factor.
const PANELS: [(&str, &str, f64); 2] =
    [("cost_usd_per_session", "cost per session (USD)", 1.0), ("cache_hit_rate", "cache hit rate (%)", 100.0)];

/// A point of a line: x position, mean, 95% interval.
pub type Mark = (f64, f64, Option<(f64, f64)>);

/// One line: a variant at one combination of the other swept values.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub name: String,
    /// The variant's index in the run: its colour.
    pub colour_index: usize,
    /// Per panel: (x position, mean, 95% interval) in point order.
    pub panels: [Vec<Mark>; 2],
}

#[derive(Debug)]
pub struct Sweep {
    pub parameter: String,
    pub scale: Scale,
    /// " s" when the swept values are durations (drawn in seconds).
    pub unit: &'static str,
    pub lines: Vec<Line>,
    heading: Heading,
}

/// A swept value as a number: itself, or a duration in seconds; `None`
/// when it is neither (quotes of TOML strings are ignored).
pub fn as_number(text: &str) -> Option<f64> {
    let t = text.trim().trim_matches('"');
    t.parse::<f64>()
        .ok()
        .or_else(|| sim_core::time::parse_duration(t).ok().map(|d| d.as_secs_f64()))
        .filter(|v| v.is_finite())
}

impl Sweep {
    /// `None` without sweep.csv or when it has no row of the charted metrics.
    pub fn from_run(run: &RunData) -> Result<Option<Self>> {
        let Some(t) = &run.sweep_csv else { return Ok(None) };
        Self::from_table(t)
    }

    pub fn from_table(t: &Table) -> Result<Option<Self>> {
        let variant_c = t.column("variant")?;
        let (metric_c, mean_c, lo_c, hi_c) =
            (t.column("metric")?, t.column("mean")?, t.column("ci95_low")?, t.column("ci95_high")?);
        // The swept parameters sit between `point` and `variant`.
        if variant_c < 2 {
            return Ok(None);
        }
        let parameter = t.header[1].clone();
        let mut xs: Vec<String> = Vec::new();
        for row in &t.rows {
            let x = t.text(row, 1);
            if !xs.iter().any(|v| v == x) {
                xs.push(x.to_string());
            }
        }
        let numbers: Option<Vec<f64>> = xs.iter().map(|x| as_number(x)).collect();
        let plain = xs.iter().all(|x| x.trim().trim_matches('"').parse::<f64>().is_ok());
        let unit = if numbers.is_some() && !plain { " s" } else { "" };
        let scale = match &numbers {
            Some(n) => numeric(n, 20.0),
            None => Scale::Categories(xs.clone()),
        };
        let pos = |x: &str| match (&scale, as_number(x)) {
            (Scale::Categories(names), _) => names.iter().position(|n| n == x).unwrap_or(0) as f64,
            (s, Some(v)) => s.pos(v),
            (_, None) => 0.0,
        };
        let mut variants: Vec<String> = Vec::new();
        let mut lines: Vec<Line> = Vec::new();
        for row in &t.rows {
            let metric = t.text(row, metric_c);
            let Some(k) = PANELS.iter().position(|p| p.0 == metric) else { continue };
            let Some(mean) = t.number(row, mean_c)? else { continue };
            let variant = t.text(row, variant_c);
            let others: Vec<String> =
                (2..variant_c).map(|c| format!("{}={}", short(&t.header[c]), t.text(row, c))).collect();
            let name =
                if others.is_empty() { variant.to_string() } else { format!("{variant}, {}", others.join(", ")) };
            let colour_index = match variants.iter().position(|v| v == variant) {
                Some(i) => i,
                None => {
                    variants.push(variant.to_string());
                    variants.len() - 1
                }
            };
            let at = match lines.iter().position(|l| l.name == name) {
                Some(i) => i,
                None => {
                    lines.push(Line { name, colour_index, panels: Default::default() });
                    lines.len() - 1
                }
            };
            let f = PANELS[k].2;
            let ci = t.number(row, lo_c)?.zip(t.number(row, hi_c)?).map(|(lo, hi)| (lo * f, hi * f));
            lines[at].panels[k].push((pos(t.text(row, 1)), mean * f, ci));
        }
        if lines.iter().all(|l| l.panels.iter().all(Vec::is_empty)) {
            return Ok(None);
        }
        for l in &mut lines {
            for p in &mut l.panels {
                p.sort_by(|a, b| a.0.total_cmp(&b.0));
            }
        }
        let title = finding(&parameter, (&scale, unit), &lines);
        Ok(Some(Self { parameter, scale, unit, lines, heading: Heading { stem: STEM, title } }))
    }
}

/// The last segment of a parameter path ("workloads[0].think_time.mean" -> "think_time.mean").
fn short(path: &str) -> &str {
    let parts: Vec<&str> = path.rsplitn(3, '.').collect();
    match parts.as_slice() {
        [last, before, _] => &path[path.len() - last.len() - before.len() - 1..],
        _ => path,
    }
}

/// Which line is cheapest per session at each swept value, and where that changes.
fn finding(parameter: &str, (scale, unit): (&Scale, &str), lines: &[Line]) -> String {
    let name = short(parameter);
    let mut xs: Vec<f64> = lines.iter().flat_map(|l| l.panels[0].iter().map(|p| p.0)).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let cheapest = |x: f64| {
        lines
            .iter()
            .filter_map(|l| l.panels[0].iter().find(|p| p.0 == x).map(|p| (p.1, l)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    };
    if let [only] = lines {
        let cost = &only.panels[0];
        return match (cost.first(), cost.last()) {
            (Some(a), Some(b)) => format!(
                "cost per session goes from {} to {} USD as {name} goes from {}{unit} to {}{unit}",
                significant(a.1, 3),
                significant(b.1, 3),
                scale.tick(a.0),
                scale.tick(b.0)
            ),
            _ => format!("cost per session against {name}"),
        };
    }
    let winners: Vec<(f64, &str)> = xs.iter().filter_map(|&x| cheapest(x).map(|(_, l)| (x, l.name.as_str()))).collect();
    let Some(&(_, first)) = winners.first() else { return format!("cost per session against {name}") };
    match winners.iter().find(|w| w.1 != first) {
        None => format!("{first} has the lowest cost per session at every {name} swept"),
        Some(&(x, next)) => {
            format!("{first} has the lowest cost per session below {name} = {}{unit}; {next} from there", scale.tick(x))
        }
    }
}

impl Chart for Sweep {
    fn heading(&self) -> &Heading {
        &self.heading
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let e = |err| draw_error(STEM, err);
        let s = &self.scale;
        let x_range = s.range(self.lines.iter().flat_map(|l| l.panels.iter().flatten().map(|p| p.0)));
        let kind = if *s == Scale::Log { ", log scale" } else { "" };
        let seconds = if self.unit.is_empty() { "" } else { ", in seconds" };
        let x_desc = format!("{}{seconds}{kind} (line: mean; band: 95% CI)", self.parameter);
        let tick = |p: &f64| s.tick(*p);
        let areas = area.split_evenly((PANELS.len(), 1));
        for (k, panel) in areas.iter().enumerate() {
            let values =
                self.lines.iter().flat_map(|l| l.panels[k].iter().flat_map(|p| [p.1, p.2.map_or(p.1, |c| c.1)]));
            let top = super::axes::upper(values);
            let last = k + 1 == PANELS.len();
            let panel = panel.margin(if k == 0 { 0 } else { 8 }, 0, 0, 0);
            let mut chart =
                xy_chart_with(&panel, STEM, (x_range.clone(), &tick), 0.0..top, last.then_some(&x_desc), PANELS[k].1)?;
            for l in &self.lines {
                let c = colour(l.colour_index);
                let pts = &l.panels[k];
                let band: Vec<(f64, f64)> = pts
                    .iter()
                    .map(|p| (p.0, p.2.map_or(p.1, |c| c.1)))
                    .chain(pts.iter().rev().map(|p| (p.0, p.2.map_or(p.1, |c| c.0))))
                    .collect();
                if pts.len() > 1 {
                    chart.draw_series([Polygon::new(band, c.mix(0.2).filled())]).map_err(e)?;
                }
                let drawn =
                    chart.draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), c.stroke_width(2))).map_err(e)?;
                if k == 0 {
                    drawn
                        .label(l.name.as_str())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3)));
                }
                chart.draw_series(pts.iter().map(|p| Circle::new((p.0, p.1), 4, c.filled()))).map_err(e)?;
            }
            if k == 0 {
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::LowerRight)
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .label_font(label_style())
                    .draw()
                    .map_err(e)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const CSV: &str = "point,ttl,variant,metric,mean,ci95_low,ci95_high
0,30s,base,cost_usd_per_session,1,0.9,1.1
0,30s,b,cost_usd_per_session,2,1.9,2.1
1,5m,base,cost_usd_per_session,3,2.9,3.1
1,5m,b,cost_usd_per_session,2.5,2.4,2.6
1,5m,base,cache_hit_rate,0.5,0.4,0.6
";

    #[test]
    fn durations_become_seconds_and_the_winner_change_is_named() {
        assert_eq!(as_number("5m"), Some(300.0));
        assert_eq!(as_number("\"250ms\""), Some(0.25));
        assert_eq!(as_number("0.5"), Some(0.5));
        assert_eq!(as_number("fifo"), None);
        assert_eq!(short("workloads[0].think_time.mean"), "think_time.mean");
        let t = Table::parse(PathBuf::from("sweep.csv"), CSV.as_bytes()).unwrap();
        let chart = Sweep::from_table(&t).unwrap().unwrap();
        assert_eq!(chart.scale, Scale::Linear);
        assert_eq!(chart.lines[0].panels[0], vec![(30.0, 1.0, Some((0.9, 1.1))), (300.0, 3.0, Some((2.9, 3.1)))]);
        assert_eq!(chart.lines[0].panels[1], vec![(300.0, 50.0, Some((40.0, 60.0)))]);
        assert_eq!(chart.heading().title, "base has the lowest cost per session below ttl = 300 s; b from there");
    }
}
