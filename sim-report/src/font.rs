//! The embedded font: DejaVu Sans (Bitstream Vera license, assets/LICENSE-DejaVu.txt),
//! registered with plotters once per process so PNG text never depends on
//! the fonts a machine has installed. SVG text names the family only and
//! is drawn by the viewer's own sans-serif.

use crate::error::ReportError;
use plotters::style::{FontStyle, register_font};
use std::sync::OnceLock;

/// The family every chart's text uses; the one name registered.
pub const FAMILY: &str = "sans-serif";

static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Registers the embedded font under [`FAMILY`]; later calls only return
/// the first call's outcome.
pub fn ensure_registered() -> Result<(), ReportError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok());
    // The bytes are a fixed TrueType file, so this fails only on a build defect.
    ok.then_some(()).ok_or(ReportError::Font)
}

/// The embedded font's bytes (tests check it is the one drawn).
pub fn bytes() -> &'static [u8] {
    DEJAVU_SANS
}
