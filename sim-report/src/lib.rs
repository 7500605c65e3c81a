//! agentsim's charts: read a finished run directory back (summary.json and
//! the CSV files beside it) and render each chart its data allows as PNG
//! and SVG into `charts/`, and the report.html and report.md that gather
//! them (docs/reports.md). plotters lives here only:
//! sim-core never draws, and this crate never simulates.

pub mod chart;
pub mod charts;
pub mod data;
pub mod error;
pub mod font;
pub mod report;
pub mod style;
pub mod subjects;
mod write;

pub use chart::{Chart, Heading, Rendered, render};
pub use charts::{STEMS, render_all};
pub use data::{RunData, Table};
pub use error::{ReportError, Result};
pub use write::{CHARTS_DIR, existing_charts, render_run, reports, write_charts, write_reports};
