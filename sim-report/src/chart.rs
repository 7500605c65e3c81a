//! What every chart is (a file stem, a title that states its finding, a
//! drawing on any plotters backend) and how one becomes `charts/<stem>.png`
//! and `charts/<stem>.svg`.

use crate::error::{ReportError, Result};
use crate::font;
use crate::style::{SIZE, TITLE_MIN_PX, TITLE_PX, title_style};
use plotters::coord::Shift;
use plotters::prelude::*;

/// A chart of one run: built from the run's data only when the run has it.
pub trait Chart {
    fn heading(&self) -> &Heading;
    /// Draws the chart's body (below the title) on `area`.
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>;
}

/// What names a chart: its file and its title.
#[derive(Clone, Debug)]
pub struct Heading {
    /// The file name without extension, fixed per chart kind.
    pub stem: &'static str,
    /// The sentence drawn above the chart: its finding, with the interval.
    pub title: String,
}

/// A chart rendered in memory: PNG and SVG bytes, not yet written.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The chart's kind (one of `STEMS`).
    pub stem: &'static str,
    /// A sweep's per-variant chart: the point it shows and its swept values
    /// as "path=value, ..."; `None` for a chart of the whole run.
    pub point: Option<(usize, String)>,
    /// A further chart of the same kind of the whole run, and what tells
    /// it apart in its file name: a later `--metric`'s tornado (`tornado_<metric>`).
    pub suffix: Option<String>,
    /// The chart's finding, as drawn (the reports caption the chart with it).
    pub title: String,
    pub png: Vec<u8>,
    pub svg: Vec<u8>,
}

/// Renders `chart` to PNG and SVG bytes. Both backends draw the same
/// elements; the PNG's text is rasterised from the embedded font.
pub fn render<C: Chart>(chart: &C) -> Result<Rendered> {
    font::ensure_registered()?;
    let stem = chart.heading().stem;
    let (w, h) = SIZE;
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        draw_page(chart, &root)?;
        root.present().map_err(|e| draw_error(stem, e))?;
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw_page(chart, &root)?;
        root.present().map_err(|e| draw_error(stem, e))?;
    }
    Ok(Rendered {
        stem,
        point: None,
        suffix: None,
        title: chart.heading().title.clone(),
        png: encode_png(stem, &rgb)?,
        svg: svg.into_bytes(),
    })
}

impl Rendered {
    /// Its file name without extension: the stem, suffixed `_p<point>` for
    /// a sweep point's chart (`cost_per_session_p3`), `_<suffix>` for a
    /// further chart of its kind (`tornado_ttft_s_p95`).
    pub fn file_stem(&self) -> String {
        match (&self.point, &self.suffix) {
            (Some((p, _)), _) => format!("{}_p{p}", self.stem),
            (None, Some(s)) => format!("{}_{s}", self.stem),
            (None, None) => self.stem.to_string(),
        }
    }
}

/// White page, the title, then the chart's body.
fn draw_page<C: Chart, DB: DrawingBackend>(chart: &C, root: &DrawingArea<DB, Shift>) -> Result<()> {
    let Heading { stem, title } = chart.heading();
    let e = |err| draw_error(stem, err);
    root.fill(&WHITE).map_err(e)?;
    let mut body = root.margin(12, 0, 0, 0);
    let (lines, px) = fit_title(title, |text, px| Ok(body.estimate_text_size(text, &title_style(px)).map_err(e)?.0))?;
    for line in lines {
        body = body.titled(line, title_style(px)).map_err(e)?;
    }
    chart.draw(&body.margin(4, 12, 12, 20))
}

/// The title's lines and text size: one line at the largest size from
/// [`TITLE_PX`] down to [`TITLE_MIN_PX`] that fits the width, else two lines
/// split at the clause break ("; ") or space nearest the middle, at the
/// largest size both fit (the minimum if none does).
fn fit_title(title: &str, width_at: impl Fn(&str, u32) -> Result<u32>) -> Result<(Vec<&str>, u32)> {
    let room = SIZE.0 - 40;
    for px in (TITLE_MIN_PX..=TITLE_PX).rev().step_by(2) {
        if width_at(title, px)? <= room {
            return Ok((vec![title], px));
        }
    }
    let middle = title.len() / 2;
    let nearest = |sep: &str| title.match_indices(sep).map(|(i, _)| i).min_by_key(|i| i.abs_diff(middle));
    let Some(at) = nearest("; ").or_else(|| nearest(" ")) else { return Ok((vec![title], TITLE_MIN_PX)) };
    // The clause's semicolon stays at the end of the first line.
    let (first, second) = if title[at..].starts_with("; ") {
        (&title[..=at], &title[at + 2..])
    } else {
        (&title[..at], &title[at + 1..])
    };
    for px in (TITLE_MIN_PX..=TITLE_PX).rev().step_by(2) {
        if width_at(first, px)?.max(width_at(second, px)?) <= room {
            return Ok((vec![first, second], px));
        }
    }
    Ok((vec![first, second], TITLE_MIN_PX))
}

/// Any plotters failure of chart `stem` as a typed error.
pub fn draw_error(stem: &'static str, e: impl std::fmt::Display) -> ReportError {
    ReportError::Draw { stem, message: e.to_string() }
}

/// An 8-bit RGB PNG with fixed settings, so the same pixels always give
/// the same bytes.
fn encode_png(stem: &'static str, rgb: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, SIZE.0, SIZE.1);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // Fast deflate: charts are flat colours that compress well at any level,
    // and the default level cost a third of a small run's wall time.
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(|e| draw_error(stem, e))?;
    writer.write_image_data(rgb).map_err(|e| draw_error(stem, e))?;
    writer.finish().map_err(|e| draw_error(stem, e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 10 px a character at 20 px, scaled with the size.
    fn width(text: &str, px: u32) -> Result<u32> {
        Ok(text.len() as u32 * px / 2)
    }

    #[test]
    fn a_long_title_shrinks_then_splits_at_a_clause() {
        let short = "a".repeat(100);
        assert_eq!(fit_title(&short, width).unwrap(), (vec![short.as_str()], 22));
        let long = format!("{}; {}", "a".repeat(100), "b".repeat(80));
        let (lines, px) = fit_title(&long, width).unwrap();
        assert_eq!(lines, vec![format!("{};", "a".repeat(100)), "b".repeat(80)]);
        assert_eq!(px, 22);
    }
}
