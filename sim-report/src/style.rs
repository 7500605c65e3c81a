//! The look every chart shares: the colour of each variant (or provider),
//! text sizes, the chart size, and the tick rules that keep axis labels
//! short and apart.

use crate::font::FAMILY;
use plotters::style::{RGBColor, TextStyle};

/// Okabe and Ito's colour-blind-safe palette ("Color Universal Design",
/// https://jfly.uni-koeln.de/color/), reordered so the baseline takes the
/// blue and the next variants the colours most distinct from it and from
/// each other. Black is last: it is also the colour of axes and text.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xF0, 0xE4, 0x42), // yellow
    RGBColor(0x00, 0x00, 0x00), // black
];

/// The colour of the variant (or provider) at `index` in summary.json's
/// order, baseline first: the same in every chart of a run. Past eight the
/// colours repeat; every mark is also labelled by name.
pub fn colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// Neutral grey for guides (frontiers, whiskers' caps, grid).
pub const GUIDE: RGBColor = RGBColor(0x60, 0x60, 0x60);

/// Pixel size of every chart's PNG (and the SVG's view box).
pub const SIZE: (u32, u32) = (1200, 700);

pub const TITLE_PX: u32 = 26;
/// The smallest a title shrinks to before it is split into two lines.
pub const TITLE_MIN_PX: u32 = 20;
pub const AXIS_DESC_PX: u32 = 18;
pub const LABEL_PX: u32 = 16;

pub fn title_style(px: u32) -> TextStyle<'static> {
    (FAMILY, px).into()
}
pub fn desc_style() -> TextStyle<'static> {
    (FAMILY, AXIS_DESC_PX).into()
}
pub fn label_style() -> TextStyle<'static> {
    (FAMILY, LABEL_PX).into()
}

/// The most characters [`tick`] writes for a number: a sign, three
/// significant digits, a point and a suffix ("-12.3k"), or a small value
/// as "0.000123".
pub const TICK_CHARS: u32 = 8;

/// How many ticks an axis of `axis_px` pixels gets so its labels never
/// touch: along x, each label takes its width (at most [`TICK_CHARS`]
/// characters of about 0.6 em each) plus a 2 em gap; along y, its line
/// height (1.2 em) plus a 1 em gap. Never fewer than 2 (an axis needs a
/// scale) nor more than 10 (more add clutter, not precision).
pub fn tick_count(axis_px: u32, horizontal: bool) -> usize {
    let em = f64::from(LABEL_PX);
    let per_label = if horizontal { f64::from(TICK_CHARS) * 0.6 * em + 2.0 * em } else { 2.2 * em };
    ((f64::from(axis_px) / per_label) as usize).clamp(2, 10)
}

/// A tick label: three significant digits at most, with `k`, `M`, `G`
/// suffixes from a thousand up, trailing zeros dropped ("1.5k", "0.012",
/// "250").
pub fn tick(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let a = v.abs();
    let (scaled, suffix) = match a {
        a if a >= 1e9 => (v / 1e9, "G"),
        a if a >= 1e6 => (v / 1e6, "M"),
        a if a >= 1e3 => (v / 1e3, "k"),
        _ => (v, ""),
    };
    format!("{}{suffix}", significant(scaled, 3))
}

/// `v` rounded to `digits` significant digits, without trailing zeros.
pub fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".to_string();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).clamp(0, 12) as usize;
    let text = format!("{v:.decimals$}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    if text == "-0" { "0".to_string() } else { text.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_short_and_suffixed() {
        assert_eq!(tick(0.0), "0");
        assert_eq!(tick(1500.0), "1.5k");
        assert_eq!(tick(2_340_000.0), "2.34M");
        assert_eq!(tick(0.012_34), "0.0123");
        assert_eq!(tick(-12_345.0), "-12.3k");
        assert_eq!(tick(250.0), "250");
        assert_eq!(tick(3e9), "3G");
        assert_eq!(tick(0.1 + 0.2), "0.3");
        for v in [-999_999.0, 0.000_123_4, 123.456, 9.99e8] {
            assert!(tick(v).len() <= TICK_CHARS as usize, "{v} -> {}", tick(v));
        }
    }

    #[test]
    fn tick_count_is_bounded_by_the_labels_room() {
        // 1200 px of x axis / (8 * 0.6 * 16 + 32 = 108.8 px per label) = 11 -> capped at 10.
        assert_eq!(tick_count(1200, true), 10);
        assert_eq!(tick_count(500, true), 4);
        // 200 px of y axis / 35.2 px per label = 5.
        assert_eq!(tick_count(200, false), 5);
        assert_eq!(tick_count(10, false), 2);
    }

    #[test]
    fn colours_follow_the_variant_index() {
        assert_eq!(colour(0), PALETTE[0]);
        assert_eq!(colour(9), PALETTE[1]);
    }
}
