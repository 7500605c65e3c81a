//! What every chart is (a file stem, a title that states its finding, a
//! drawing on any plotters backend) and how one becomes `charts/<stem>.png`
//! and `charts/<stem>.svg`.

use crate::error::{ReportError, Result};
use crate::font;
use crate::style::{SIZE, title_style};
use plotters::coord::Shift;
use plotters::prelude::*;

/// A chart of one run: built from the run's data only when the run has it.
pub trait Chart {
    /// The file name without extension, fixed per chart kind.
    fn stem(&self) -> &'static str;
    /// The sentence drawn above the chart: what it shows, with its interval.
    fn title(&self) -> String;
    /// Draws the chart's body (below the title) on `area`.
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>;
}

/// A chart rendered in memory: PNG and SVG bytes, not yet written.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub stem: &'static str,
    pub png: Vec<u8>,
    pub svg: Vec<u8>,
}

/// Renders `chart` to PNG and SVG bytes. Both backends draw the same
/// elements; the PNG's text is rasterised from the embedded font.
pub fn render<C: Chart>(chart: &C) -> Result<Rendered> {
    font::ensure_registered()?;
    let stem = chart.stem();
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
    Ok(Rendered { stem, png: encode_png(stem, &rgb)?, svg: svg.into_bytes() })
}

/// White page, the title, then the chart's body.
fn draw_page<C: Chart, DB: DrawingBackend>(chart: &C, root: &DrawingArea<DB, Shift>) -> Result<()> {
    let stem = chart.stem();
    root.fill(&WHITE).map_err(|e| draw_error(stem, e))?;
    let body = root.margin(12, 0, 0, 0).titled(&chart.title(), title_style()).map_err(|e| draw_error(stem, e))?;
    chart.draw(&body.margin(4, 12, 12, 20))
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
    encoder.set_compression(png::Compression::Default);
    let mut writer = encoder.write_header().map_err(|e| draw_error(stem, e))?;
    writer.write_image_data(rgb).map_err(|e| draw_error(stem, e))?;
    writer.finish().map_err(|e| draw_error(stem, e))?;
    Ok(out)
}
