//! The run over simulated time (replicate 0 of the baseline, from
//! timeseries.csv): cost rate, queue length, cache occupancy, cache hit
//! rate and utilisation per provider, as stacked panels sharing the time
//! axis.

use super::axes::{upper, xy_chart};
use crate::chart::{Chart, Heading, draw_error};
use crate::data::{Row, RunData, Table};
use crate::error::Result;
use crate::style::{colour, significant};
use plotters::coord::Shift;
use plotters::prelude::*;

pub const STEM: &str = "over_time";

/// The panels, top to bottom: the name written inside the panel, and the
/// unit on its axis (a panel is too short for both along the axis).
const PANELS: [(&str, &str); 5] = [
    ("cost rate", "USD/h"),
    ("queue", "requests"),
    ("cache occupancy", "tokens"),
    ("cache hit rate", "%"),
    ("utilisation (busy / capacity)", "%"),
];

/// One provider's samples; each panel's series holds (time in the chart's
/// unit, value).
#[derive(Clone, Debug)]
pub struct Series {
    pub provider: String,
    /// Its index in the scenario's providers: its colour.
    pub colour_index: usize,
    /// One per [`PANELS`] entry.
    pub panels: [Vec<(f64, f64)>; 5],
}

#[derive(Debug)]
pub struct OverTime {
    /// "h", "min" or "s": the time axis unit.
    pub unit: &'static str,
    pub series: Vec<Series>,
    heading: Heading,
}

/// Hours past two hours of simulated time, minutes past two minutes, else
/// seconds: ticks then stay short and meaningful.
pub fn time_unit(end_s: f64) -> (&'static str, f64) {
    if end_s >= 7200.0 {
        ("h", 3600.0)
    } else if end_s >= 120.0 {
        ("min", 60.0)
    } else {
        ("s", 1.0)
    }
}

impl OverTime {
    /// `None` without timeseries.csv or when it has no row (a replicate
    /// that ended before its warm-up).
    pub fn from_run(run: &RunData) -> Result<Option<Self>> {
        let Some(t) = &run.timeseries else { return Ok(None) };
        if t.rows.is_empty() {
            return Ok(None);
        }
        let providers = run.providers();
        let end = t
            .rows
            .iter()
            .map(|r| t.number(r, 0))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .fold(0.0, f64::max);
        let (unit, per) = time_unit(end);
        let mut series: Vec<Series> = Vec::new();
        let mut last_cost: Vec<Option<f64>> = Vec::new();
        for row in &t.rows {
            let name = t.text(row, t.column("provider")?);
            let index = match series.iter().position(|s| s.provider == name) {
                Some(i) => i,
                None => {
                    let colour_index = providers.iter().position(|p| *p == name).unwrap_or(series.len());
                    series.push(Series { provider: name.to_string(), colour_index, panels: Default::default() });
                    last_cost.push(None);
                    series.len() - 1
                }
            };
            push_sample(t, row, per, &mut series[index], &mut last_cost[index])?;
        }
        let title = finding(&series, unit);
        Ok(Some(Self { unit, series, heading: Heading { stem: STEM, title } }))
    }
}

/// Adds one row's values to its provider's panels; the cost rate is the
/// cost added since the provider's previous row (`last_cost`) over the
/// time between them.
fn push_sample(t: &Table, row: &Row, per: f64, s: &mut Series, last_cost: &mut Option<f64>) -> Result<()> {
    let num = |name: &str| -> Result<Option<f64>> { t.number(row, t.column(name)?) };
    let Some(time_s) = num("time_s")? else { return Ok(()) };
    let x = time_s / per;
    let cost = num("cost_usd_cumulative")?;
    if let (Some(cost), Some(&(px, _)), Some(prev_cost)) = (cost, s.panels[1].last(), *last_cost) {
        let dt_h = (x - px) * per / 3600.0;
        if dt_h > 0.0 {
            s.panels[0].push((x, (cost - prev_cost) / dt_h));
        }
    }
    s.panels[1].push((x, num("queue_len")?.unwrap_or(0.0)));
    s.panels[2].push((x, num("cache_tokens")?.unwrap_or(0.0)));
    // An interval with no answered input has no hit rate: its point is left
    // out. (Run directories written before these columns have none.)
    let optional = |name: &str| match t.header.iter().position(|h| h == name) {
        Some(col) => t.number(row, col),
        None => Ok(None),
    };
    if let (Some(read), Some(input)) = (optional("tokens_cache_read")?, optional("tokens_input")?)
        && input > 0.0
    {
        s.panels[3].push((x, 100.0 * read / input));
    }
    let util = match (num("busy")?, num("capacity")?) {
        (Some(b), Some(c)) if c > 0.0 => 100.0 * b / c,
        _ => 0.0,
    };
    s.panels[4].push((x, util));
    *last_cost = cost;
    Ok(())
}

/// The time series' headline: where the queue peaks (or that nothing
/// waited), and the mean cost rate over the run.
fn finding(series: &[Series], unit: &str) -> String {
    let peak = series
        .iter()
        .flat_map(|s| s.panels[1].iter().map(move |&(x, q)| (q, x, s.provider.as_str())))
        .fold(None, |best: Option<(f64, f64, &str)>, p| if best.is_none_or(|b| p.0 > b.0) { Some(p) } else { best });
    let queue = match peak {
        Some((q, x, p)) if q > 0.0 => {
            format!("queue peaks at {} requests ({p}, {} {unit})", significant(q, 3), significant(x, 3))
        }
        _ => "no request waited for a slot".to_string(),
    };
    // Every provider's mean rate over its intervals, summed: the whole run's rate.
    let rates: Vec<f64> = series
        .iter()
        .filter(|s| !s.panels[0].is_empty())
        .map(|s| s.panels[0].iter().map(|p| p.1).sum::<f64>() / s.panels[0].len() as f64)
        .collect();
    let rate = if rates.is_empty() {
        String::new()
    } else {
        format!("; cost runs at {} USD/h on average", significant(rates.iter().sum(), 3))
    };
    format!("{queue}{rate} (replicate 0 of the baseline)")
}

impl Chart for OverTime {
    fn heading(&self) -> &Heading {
        &self.heading
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let e = |err| draw_error(STEM, err);
        let all = || self.series.iter().flat_map(|s| s.panels.iter().flatten());
        let (start, end) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
        let x_range = if end > start { start..end } else { start - 1.0..start + 1.0 };
        let x_desc = format!("simulated time ({})", self.unit);
        // A panel without a point (hit rate in an older timeseries.csv) is left out.
        let shown: Vec<usize> =
            (0..PANELS.len()).filter(|&k| self.series.iter().any(|s| !s.panels[k].is_empty())).collect();
        let areas = area.split_evenly((shown.len(), 1));
        for (i, (panel, &k)) in areas.iter().zip(&shown).enumerate() {
            let (first, last) = (i == 0, i + 1 == shown.len());
            // Headroom above the highest line for the panel's name.
            let top = 1.2 * upper(self.series.iter().flat_map(|s| s.panels[k].iter().map(|p| p.1)));
            let panel = panel.margin(if first { 0 } else { 8 }, 0, 0, 0);
            let x_desc = last.then_some(x_desc.as_str());
            let (name, unit) = PANELS[k];
            let mut chart = xy_chart(&panel, STEM, x_range.clone(), 0.0..top, x_desc, unit)?;
            let tag = EmptyElement::at((x_range.start, top)) + Text::new(name, (8, 4), crate::style::desc_style());
            chart.draw_series([tag]).map_err(e)?;
            for s in &self.series {
                let c = colour(s.colour_index);
                let drawn =
                    chart.draw_series(LineSeries::new(s.panels[k].iter().copied(), c.stroke_width(2))).map_err(e)?;
                if first {
                    drawn
                        .label(s.provider.as_str())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3)));
                }
            }
            if first {
                super::axes::draw_legend(&mut chart, STEM, SeriesLabelPosition::UpperRight)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_unit_keeps_ticks_short() {
        assert_eq!(time_unit(7200.0), ("h", 3600.0));
        assert_eq!(time_unit(7199.0), ("min", 60.0));
        assert_eq!(time_unit(60.0), ("s", 1.0));
    }
}
