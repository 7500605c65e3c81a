//! Writing rendered charts into a run directory's `charts/`: every file
//! through a temporary name and a rename, so a reader never sees half a
//! chart, and only the files agentsim's charts are named by (a kind of
//! `STEMS`, or a sweep point's `<kind>_p<point>`) are replaced;
//! report.html and report.md beside them.

use crate::chart::Rendered;
use crate::charts::{PER_POINT, STEMS, render_all, tornado};
use crate::data::RunData;
use crate::error::{ReportError, Result};
use crate::report;
use std::path::{Path, PathBuf};

/// The subdirectory of a run directory that holds its charts.
pub const CHARTS_DIR: &str = "charts";
const EXTENSIONS: [&str; 2] = ["png", "svg"];

/// Reads the run in `dir`, renders every chart its data allows and the
/// reports (all in memory first, so a failure writes nothing), writes the
/// charts to `dir/charts/`, then report.html and report.md to `dir`; returns
/// the written paths: the charts in render order, then the two reports.
pub fn render_run(dir: &Path) -> Result<Vec<PathBuf>> {
    let run = RunData::load(dir)?;
    let rendered = render_all(&run)?;
    let (html, markdown) = reports(&run, &rendered);
    let mut written = write_charts(dir, &rendered)?;
    written.extend(write_reports(dir, &html, &markdown)?);
    Ok(written)
}

/// report.html and report.md of `run` with its `rendered` charts, as text:
/// what `render_run` writes, and what a command writes into its staging
/// (with the manifest it is about to write as `run.manifest`).
pub fn reports(run: &RunData, rendered: &[Rendered]) -> (String, String) {
    let doc = report::build(run, rendered);
    (report::html::render(&doc), report::markdown::render(&doc, CHARTS_DIR))
}

/// Writes report.html and report.md into `dir`, each through a temporary
/// name; returns their paths.
pub fn write_reports(dir: &Path, html: &str, markdown: &str) -> Result<[PathBuf; 2]> {
    let paths = [dir.join(report::HTML_FILE), dir.join(report::MARKDOWN_FILE)];
    write_atomic(&paths[0], html.as_bytes())?;
    write_atomic(&paths[1], markdown.as_bytes())?;
    Ok(paths)
}

/// The chart files agentsim writes that `dir/charts/` holds now (from an
/// earlier render), in [`STEMS`] order, a sweep's points in point order.
pub fn existing_charts(dir: &Path) -> Vec<PathBuf> {
    let charts = dir.join(CHARTS_DIR);
    let Ok(entries) = std::fs::read_dir(&charts) else { return Vec::new() };
    let mut found: Vec<_> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|name| Some((chart_order(&name)?, name)))
        .filter(|(_, name)| charts.join(name).is_file())
        .collect();
    found.sort();
    found.into_iter().map(|(_, name)| charts.join(name)).collect()
}

/// Where `name` comes among agentsim's chart files: (kind in [`STEMS`],
/// sweep point, a further tornado's metric, extension); `None` for a file
/// agentsim does not name.
fn chart_order(name: &str) -> Option<(usize, Option<u64>, String, usize)> {
    let (stem, ext) = name.rsplit_once('.')?;
    let ext = EXTENSIONS.iter().position(|e| *e == ext)?;
    let kind = |k: &str| STEMS.iter().position(|s| *s == k);
    if let Some(kind) = kind(stem) {
        return Some((kind, None, String::new(), ext));
    }
    // A metric name: lower-case letters, digits and underscores.
    if let Some(metric) = stem.strip_prefix(&format!("{}_", tornado::STEM))
        && !metric.is_empty()
        && metric.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Some((kind(tornado::STEM)?, None, metric.to_string(), ext));
    }
    let (per_point, point) = stem.rsplit_once("_p")?;
    // Digits only: `parse` alone would take "+1".
    if !PER_POINT.contains(&per_point) || !point.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((kind(per_point)?, Some(point.parse().ok()?), String::new(), ext))
}

/// Writes `rendered` to `dir/charts/`, removing the chart files of earlier
/// renders this one has no data for (they would describe another run);
/// files agentsim does not name are left alone.
pub fn write_charts(dir: &Path, rendered: &[Rendered]) -> Result<Vec<PathBuf>> {
    let charts = dir.join(CHARTS_DIR);
    std::fs::create_dir_all(&charts).map_err(|source| ReportError::Write { file: charts.clone(), source })?;
    let mut written = Vec::new();
    for r in rendered {
        for (ext, bytes) in [("png", &r.png), ("svg", &r.svg)] {
            let path = charts.join(format!("{}.{ext}", r.file_stem()));
            write_atomic(&path, bytes)?;
            written.push(path);
        }
    }
    for stale in existing_charts(dir).into_iter().filter(|p| !written.contains(p)) {
        std::fs::remove_file(&stale).map_err(|source| ReportError::Write { file: stale.clone(), source })?;
    }
    Ok(written)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let fail = |source| ReportError::Write { file: path.to_path_buf(), source };
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_agentsims_chart_names_are_recognised() {
        assert_eq!(chart_order("cost_per_session.svg"), Some((0, None, String::new(), 1)));
        assert_eq!(chart_order("latency_cdf_p12.png"), Some((4, Some(12), String::new(), 0)));
        assert_eq!(chart_order("tornado_ttft_s_p95.svg"), Some((7, None, "ttft_s_p95".to_string(), 1)));
        let others = ["notes.txt", "sweep_p1.png", "cost_per_session_p.png", "cost_per_session_px.png", "x.png"];
        for other in others.into_iter().chain(["tornado_.png", "tornado_My notes.png", "tornado.txt"]) {
            assert_eq!(chart_order(other), None, "{other}");
        }
    }
}
