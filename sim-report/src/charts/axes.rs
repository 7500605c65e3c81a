//! Axes and marks the charts share: a category axis with one label per
//! variant or provider, the value axes' ranges and mesh, and interval whiskers.

use crate::chart::draw_error;
use crate::error::Result;
use crate::style::{GUIDE, LABEL_PX, desc_style, label_style, tick, tick_count};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use std::ops::Range;

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
/// The cut is in the middle, keeping more of the end: names of one run tend
/// to share their start and differ at the end ("ttl-5m", "ttl-1h";
/// sensitivity's "....low", "....high").
pub fn category_label(names: &[&str], x: f64, axis_px: u32) -> String {
    let Some(name) = names.get(x.round().max(0.0) as usize) else { return String::new() };
    let room = f64::from(axis_px) / names.len().max(1) as f64;
    let chars = ((room / (0.6 * f64::from(LABEL_PX))) as usize).saturating_sub(1).max(3);
    cut_middle(name, chars)
}

/// `name` in at most `chars` characters (at least 3), cut in the middle
/// with "…", keeping two thirds of the room for the end.
pub fn cut_middle(name: &str, chars: usize) -> String {
    let (len, chars) = (name.chars().count(), chars.max(3));
    if len <= chars {
        return name.to_string();
    }
    let keep = chars - 1;
    let head: String = name.chars().take(keep / 3).collect();
    let tail: String = name.chars().skip(len - (keep - keep / 3)).collect();
    format!("{head}…{tail}")
}

/// A pixel rectangle: left, top, right, bottom.
pub type Rect = (i32, i32, i32, i32);

/// Where each point's label goes, as a pixel offset from its point, so no
/// two labels overlap and none leaves `bounds`: labels are placed in order,
/// each at the first free spot of a fixed list (right of the point, above,
/// then below, then further up and down, then the same on the left);
/// `None` when every spot is taken (the point stays unlabelled).
pub fn place_labels(points: &[(i32, i32)], sizes: &[(u32, u32)], bounds: Rect) -> Vec<Option<(i32, i32)>> {
    let mut placed: Vec<Rect> = Vec::new();
    let mut out = Vec::new();
    for (&(px, py), &(w, h)) in points.iter().zip(sizes) {
        let (w, h) = (w as i32, h as i32);
        let rows = [-h - 8, 8, -2 * h - 12, h + 12, -3 * h - 16, 2 * h + 16];
        let spot = [10, -w - 10].into_iter().flat_map(|dx| rows.map(|dy| (dx, dy))).find(|&(dx, dy)| {
            let r = (px + dx, py + dy, px + dx + w, py + dy + h);
            let inside = r.0 >= bounds.0 && r.1 >= bounds.1 && r.2 <= bounds.2 && r.3 <= bounds.3;
            inside && !placed.iter().any(|p| r.0 < p.2 && p.0 < r.2 && r.1 < p.3 && p.1 < r.3)
        });
        if let Some((dx, dy)) = spot {
            placed.push((px + dx, py + dy, px + dx + w, py + dy + h));
        }
        out.push(spot);
    }
    out
}

/// An upper bound for a value axis starting at 0: the largest value plus a
/// margin, so marks never touch the frame (1 when nothing is positive).
pub fn upper(values: impl IntoIterator<Item = f64>) -> f64 {
    let max = values.into_iter().filter(|v| v.is_finite()).fold(0.0, f64::max);
    if max > 0.0 { max * 1.1 } else { 1.0 }
}

/// A chart over categories (x) and a value axis from 0 to `top` (y), its
/// mesh drawn: one label per category, bounded value ticks, no light grid.
pub fn category_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    stem: &'static str,
    names: &[&str],
    top: f64,
    x_desc: &str,
    y_desc: &str,
) -> Result<ChartContext<'a, DB, Cartesian2d<Categories, RangedCoordf64>>> {
    let e = |err| draw_error(stem, err);
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(56)
        .y_label_area_size(90)
        .build_cartesian_2d(Categories(names.len()), 0.0..top)
        .map_err(e)?;
    let (w, h) = chart.plotting_area().dim_in_pixel();
    let label = |x: &f64| category_label(names, *x, w);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .max_light_lines(0)
        .bold_line_style(GUIDE.mix(0.2))
        .x_labels(names.len())
        .y_labels(tick_count(h, false))
        .x_label_formatter(&label)
        .y_label_formatter(&|v| tick(*v))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(label_style())
        .axis_desc_style(desc_style())
        .draw()
        .map_err(e)?;
    Ok(chart)
}

/// A chart of two value axes, its mesh drawn with bounded ticks; `x_desc`
/// `None` leaves the x axis unlabelled (a panel above another sharing it).
pub fn xy_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    stem: &'static str,
    x: Range<f64>,
    y: Range<f64>,
    x_desc: Option<&str>,
    y_desc: &str,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>> {
    xy_chart_with(area, stem, (x, &|v| tick(*v)), y, x_desc, y_desc)
}

/// Writes the tick label at an axis position.
pub type TickLabel<'a> = &'a dyn Fn(&f64) -> String;

/// [`xy_chart`] with the x ticks written by `x_tick` (a log axis drawn as
/// log10 values writes `10^v`; a category axis writes names).
pub fn xy_chart_with<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    stem: &'static str,
    (x, x_tick): (Range<f64>, TickLabel<'_>),
    y: Range<f64>,
    x_desc: Option<&str>,
    y_desc: &str,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>> {
    let e = |err| draw_error(stem, err);
    let x_area = if x_desc.is_some() { 56 } else { 8 };
    let mut chart =
        ChartBuilder::on(area).x_label_area_size(x_area).y_label_area_size(90).build_cartesian_2d(x, y).map_err(e)?;
    let (w, h) = chart.plotting_area().dim_in_pixel();
    let mut mesh = chart.configure_mesh();
    mesh.max_light_lines(0)
        .bold_line_style(GUIDE.mix(0.2))
        .x_labels(tick_count(w, true))
        .y_labels(tick_count(h, false))
        .x_label_formatter(x_tick)
        .y_label_formatter(&|v| tick(*v))
        .y_desc(y_desc)
        .label_style(label_style())
        .axis_desc_style(desc_style());
    match x_desc {
        Some(d) => mesh.x_desc(d),
        None => mesh.x_label_formatter(&|_| String::new()),
    };
    mesh.draw().map_err(e)?;
    Ok(chart)
}

/// The chart's legend of labelled series at `at`, on a light background so
/// curves behind it stay visible.
pub fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    stem: &'static str,
    at: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(at)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(label_style())
        .draw()
        .map_err(|err| draw_error(stem, err))
}

/// A vertical interval at `x` from `lo` to `hi` with caps `cap` wide.
pub fn whisker(x: f64, (lo, hi): (f64, f64), cap: f64, style: ShapeStyle) -> [PathElement<(f64, f64)>; 3] {
    [
        PathElement::new(vec![(x, lo), (x, hi)], style),
        PathElement::new(vec![(x - cap, lo), (x + cap, lo)], style),
        PathElement::new(vec![(x - cap, hi), (x + cap, hi)], style),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_labels_fit_their_room() {
        let names = ["baseline", "a-very-long-variant-name-indeed"];
        assert_eq!(category_label(&names, 0.0, 400), "baseline");
        // 200 px per category / 9.6 px a character = 20, less one of gap: 19 with the ellipsis.
        assert_eq!(category_label(&names, 1.0, 400), "a-very…-name-indeed");
        assert_eq!(category_label(&names, 2.0, 400), "");
    }

    #[test]
    fn labels_of_coinciding_points_stack_without_overlap() {
        let bounds = (0, 0, 1000, 500);
        let spots = place_labels(&[(100, 200); 3], &[(80, 16); 3], bounds);
        // Right of the point: above it, below it, then further above.
        assert_eq!(spots, vec![Some((10, -24)), Some((10, 8)), Some((10, -44))]);
        // Near the right edge the label goes left; with no free spot, none.
        assert_eq!(place_labels(&[(990, 200)], &[(80, 16)], bounds), vec![Some((-90, -24))]);
        // Five of the six rows fit on each side (the highest leaves the top): 10 of 13 labels.
        let crowded = place_labels(&[(50, 50); 13], &[(40, 16); 13], (0, 0, 200, 200));
        assert_eq!(crowded.iter().filter(|s| s.is_none()).count(), 3);
    }
}
