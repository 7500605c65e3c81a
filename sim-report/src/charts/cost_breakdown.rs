//! What the money goes to: per variant (or provider), a bar of the run's
//! total cost stacked by token class, each segment the class's mean from
//! summary.json, with the 95% interval of the total as a whisker.

use super::axes::{category_chart, upper, whisker};
use crate::chart::{Chart, Heading, draw_error};
use crate::data::RunData;
use crate::error::Result;
use crate::font::FAMILY;
use crate::style::{LABEL_PX, colour, significant};
use crate::subjects::{Kind, lowest_finding, subjects};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub const STEM: &str = "cost_breakdown";
const TOTAL: &str = "cost_usd";

/// The token classes, bottom of the stack first, as metric and label.
pub const CLASSES: [(&str, &str); 6] = [
    ("cost_usd_uncached", "uncached input"),
    ("cost_usd_cache_read", "cache read"),
    ("cost_usd_cache_write", "cache write"),
    ("cost_usd_output", "output"),
    ("cost_usd_storage", "storage"),
    ("cost_usd_compute", "compute"),
];

/// One bar: each drawn class's mean (`classes` order), and the total's
/// mean and interval.
#[derive(Clone, Debug)]
pub struct Bar {
    pub name: String,
    pub colour_index: usize,
    pub segments: Vec<Option<f64>>,
    pub total: Option<f64>,
    pub total_ci95: Option<(f64, f64)>,
}

#[derive(Debug)]
pub struct CostBreakdown {
    pub kind: Kind,
    /// The classes drawn: those with a cost in some bar, in [`CLASSES`] order.
    pub classes: Vec<(&'static str, &'static str)>,
    pub bars: Vec<Bar>,
    heading: Heading,
}

impl CostBreakdown {
    /// `None` when nothing was billed.
    pub fn from_run(run: &RunData) -> Result<Option<Self>> {
        let (kind, subjects) = subjects(run);
        let mean = |s: &crate::subjects::Subject, m: &str| s.stats(m).and_then(|x| x.mean);
        let classes: Vec<_> = CLASSES
            .iter()
            .copied()
            .filter(|(m, _)| subjects.iter().any(|s| mean(s, m).is_some_and(|v| v > 0.0)))
            .collect();
        if classes.is_empty() {
            return Ok(None);
        }
        let bars: Vec<Bar> = subjects
            .iter()
            .map(|s| Bar {
                name: s.name.to_string(),
                colour_index: s.index,
                segments: classes.iter().map(|(m, _)| mean(s, m)).collect(),
                total: mean(s, TOTAL),
                total_ci95: s.stats(TOTAL).and_then(|x| x.ci95_low.zip(x.ci95_high)),
            })
            .collect();
        let mut title = lowest_finding(kind, &subjects, TOTAL, "total cost", "USD");
        if let Some(share) = largest_share(&classes, &bars[0]) {
            title.push_str(&format!("; {share} of the {} bill", bars[0].name));
        }
        Ok(Some(Self { kind, classes, bars, heading: Heading { stem: STEM, title } }))
    }
}

/// "output is 52%": the class with the largest share of `bar`'s total.
fn largest_share(classes: &[(&str, &str)], bar: &Bar) -> Option<String> {
    let total = bar.total.filter(|t| *t > 0.0)?;
    let (k, v) =
        bar.segments.iter().enumerate().filter_map(|(k, v)| Some((k, (*v)?))).max_by(|a, b| a.1.total_cmp(&b.1))?;
    Some(format!("{} is {}%", classes[k].1, significant(100.0 * v / total, 2)))
}

/// The fill of a bar's `j`-th non-empty segment of `segments`: the bar's
/// colour at the bottom, lighter up the stack, so a bar keeps its variant's
/// colour and its classes stay apart (segments are also named inside).
fn shade(colour_index: usize, j: usize, segments: usize) -> RGBColor {
    let RGBColor(r, g, b) = colour(colour_index);
    let t = 0.75 * j as f64 / segments.max(2).saturating_sub(1) as f64;
    let lift = |c: u8| (f64::from(c) + (255.0 - f64::from(c)) * t).round() as u8;
    RGBColor(lift(r), lift(g), lift(b))
}

/// Text colour readable on `fill`: black on light fills, white on dark
/// (ITU-R BT.601 luma).
fn ink_on(fill: RGBColor) -> RGBColor {
    let RGBColor(r, g, b) = fill;
    let luma = 0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b);
    if luma > 150.0 { BLACK } else { WHITE }
}

impl Chart for CostBreakdown {
    fn heading(&self) -> &Heading {
        &self.heading
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let e = |err| draw_error(STEM, err);
        let top = upper(self.bars.iter().flat_map(|b| [b.total, b.total_ci95.map(|c| c.1)].into_iter().flatten()));
        let names: Vec<&str> = self.bars.iter().map(|b| b.name.as_str()).collect();
        let x_desc = format!("{} (segments: mean cost by token class; whisker: 95% CI of the total)", self.kind.noun());
        let mut chart = category_chart(area, STEM, &names, top, &x_desc, "cost of the run (USD)")?;
        let text = TextStyle::from((FAMILY, LABEL_PX)).pos(Pos::new(HPos::Center, VPos::Center));
        for (i, bar) in self.bars.iter().enumerate() {
            let x = i as f64;
            let mut base = 0.0;
            let drawn: Vec<(usize, f64)> =
                bar.segments.iter().enumerate().filter_map(|(k, v)| Some((k, v.filter(|v| *v > 0.0)?))).collect();
            for (j, &(k, v)) in drawn.iter().enumerate() {
                let fill = shade(bar.colour_index, j, drawn.len());
                let corners = [(x - 0.3, base), (x + 0.3, base + v)];
                chart
                    .draw_series([
                        Rectangle::new(corners, fill.filled()),
                        Rectangle::new(corners, WHITE.stroke_width(1)),
                    ])
                    .map_err(e)?;
                // A class is named inside its segment when the segment is tall enough to hold the text.
                let (x0, y0) = chart.backend_coord(&(x - 0.3, base));
                let (x1, y1) = chart.backend_coord(&(x + 0.3, base + v));
                let text_px = (self.classes[k].1.len() as f64 * 0.6 * f64::from(LABEL_PX)) as i32;
                if y0 - y1 >= 2 * LABEL_PX as i32 && x1 - x0 >= text_px + 8 {
                    let ink = ink_on(fill);
                    let label = Text::new(self.classes[k].1, (x, base + v / 2.0), text.clone().color(&ink));
                    chart.draw_series([label]).map_err(e)?;
                }
                base += v;
            }
            if let Some(ci) = bar.total_ci95 {
                chart.draw_series(whisker(x + 0.36, ci, 0.03, BLACK.stroke_width(2))).map_err(e)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shades_lighten_up_the_stack_from_the_variant_colour() {
        assert_eq!(shade(0, 0, 4), colour(0));
        let RGBColor(r, g, b) = shade(0, 3, 4);
        // Blue (0, 114, 178) lifted three quarters of the way to white.
        assert_eq!((r, g, b), (191, 220, 236));
    }

    #[test]
    fn segment_text_is_dark_on_light_fills() {
        assert_eq!(ink_on(colour(0)), WHITE);
        assert_eq!(ink_on(shade(0, 3, 4)), BLACK);
        assert_eq!(ink_on(colour(6)), BLACK, "yellow");
    }

    #[test]
    fn the_largest_class_is_named_with_its_share() {
        let bar = Bar {
            name: "b".into(),
            colour_index: 0,
            segments: vec![Some(1.0), Some(3.0)],
            total: Some(4.0),
            total_ci95: None,
        };
        assert_eq!(largest_share(&CLASSES[..2], &bar).as_deref(), Some("cache read is 75%"));
    }
}
