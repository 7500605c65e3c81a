//! Every chart of a run, in the fixed order they are rendered.

pub mod axes;
pub mod capacity;
pub mod cost_breakdown;
pub mod cost_per_session;
pub mod cost_vs_latency;
pub mod latency_cdf;
pub mod over_time;
pub mod scale;
pub mod sweep;
pub mod tornado;

use crate::chart::{Rendered, render};
use crate::data::RunData;
use crate::error::Result;

/// Every chart stem agentsim writes, in render order: `render_run` replaces
/// these files only, never another file of `charts/`.
pub const STEMS: &[&str] = &[
    cost_per_session::STEM,
    cost_breakdown::STEM,
    cost_vs_latency::STEM,
    over_time::STEM,
    latency_cdf::STEM,
    sweep::STEM,
    capacity::STEM,
    tornado::STEM,
];

/// Renders every chart whose data the run has, in [`STEMS`] order.
pub fn render_all(run: &RunData) -> Result<Vec<Rendered>> {
    let mut out = Vec::new();
    if let Some(c) = cost_per_session::CostPerSession::from_run(run)? {
        out.push(render(&c)?);
    }
    if let Some(c) = cost_breakdown::CostBreakdown::from_run(run)? {
        out.push(render(&c)?);
    }
    if let Some(c) = cost_vs_latency::CostVsLatency::from_run(run) {
        out.push(render(&c)?);
    }
    if let Some(c) = over_time::OverTime::from_run(run)? {
        out.push(render(&c)?);
    }
    if let Some(c) = latency_cdf::LatencyCdf::from_run(run)? {
        out.push(render(&c)?);
    }
    if let Some(c) = sweep::Sweep::from_run(run)? {
        out.push(render(&c)?);
    }
    if let Some(c) = capacity::Capacity::from_run(run)? {
        out.push(render(&c)?);
    }
    if let Some(c) = tornado::Tornado::from_run(run)? {
        out.push(render(&c)?);
    }
    Ok(out)
}
