//! Every chart of a run, in the fixed order they are rendered.

pub mod axes;
pub mod capacity;
pub mod cost_breakdown;
pub mod cost_per_session;
pub mod cost_vs_latency;
pub mod latency_cdf;
pub mod over_time;
pub mod per_point;
pub mod scale;
pub mod sweep;
pub mod tornado;

use crate::chart::Rendered;
use crate::data::RunData;
use crate::error::Result;
use per_point::render_at;

/// Every chart stem agentsim writes, in render order: `render_run` replaces
/// these files only (and a sweep's `<stem>_p<point>` of [`PER_POINT`]),
/// never another file of `charts/`.
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

/// The charts that compare variants: a sweep draws them per point.
pub const PER_POINT: &[&str] =
    &[cost_per_session::STEM, cost_breakdown::STEM, cost_vs_latency::STEM, latency_cdf::STEM];

/// Renders every chart whose data the run has, in [`STEMS`] order; of a
/// sweep, the charts of the whole run first, then each drawn point's
/// per-variant charts ([`per_point::drawn`]), point by point.
pub fn render_all(run: &RunData) -> Result<Vec<Rendered>> {
    let Some(sweep) = &run.sweep else { return render_stems(run, STEMS, None) };
    let whole: Vec<&str> = STEMS.iter().copied().filter(|s| !PER_POINT.contains(s)).collect();
    let mut out = render_stems(run, &whole, None)?;
    for point in per_point::drawn(sweep) {
        let at = (point.point, per_point::label(sweep, point));
        out.extend(render_stems(&run.at_point(point), PER_POINT, Some(&at))?);
    }
    Ok(out)
}

/// The charts of `stems` (in that order) whose data `run` has; `at`: the
/// sweep point they show.
fn render_stems(run: &RunData, stems: &[&str], at: Option<&(usize, String)>) -> Result<Vec<Rendered>> {
    let mut out = Vec::new();
    for &stem in stems {
        let rendered = match stem {
            cost_per_session::STEM => cost_per_session::CostPerSession::from_run(run)?.map(|c| render_at(&c, at)),
            cost_breakdown::STEM => cost_breakdown::CostBreakdown::from_run(run)?.map(|c| render_at(&c, at)),
            cost_vs_latency::STEM => cost_vs_latency::CostVsLatency::from_run(run).map(|c| render_at(&c, at)),
            over_time::STEM => over_time::OverTime::from_run(run)?.map(|c| render_at(&c, at)),
            latency_cdf::STEM => latency_cdf::LatencyCdf::from_run(run)?.map(|c| render_at(&c, at)),
            sweep::STEM => sweep::Sweep::from_run(run)?.map(|c| render_at(&c, at)),
            capacity::STEM => capacity::Capacity::from_run(run)?.map(|c| render_at(&c, at)),
            tornado::STEM => {
                // One per metric; the first keeps the plain file name.
                for (i, c) in tornado::Tornado::each_from_run(run)?.iter().enumerate() {
                    let mut r = render_at(c, at)?;
                    r.suffix = (i > 0).then(|| c.metric.clone());
                    out.push(r);
                }
                None
            }
            _ => None,
        };
        out.extend(rendered.transpose()?);
    }
    Ok(out)
}
