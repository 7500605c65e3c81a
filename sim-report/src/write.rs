//! Writing rendered charts into a run directory's `charts/`: every file
//! through a temporary name and a rename, so a reader never sees half a
//! chart, and only the files agentsim's charts are named by are replaced.

use crate::chart::Rendered;
use crate::charts::{STEMS, render_all};
use crate::data::RunData;
use crate::error::{ReportError, Result};
use std::path::{Path, PathBuf};

/// The subdirectory of a run directory that holds its charts.
pub const CHARTS_DIR: &str = "charts";
const EXTENSIONS: [&str; 2] = ["png", "svg"];

/// Reads the run in `dir`, renders every chart its data allows (all in
/// memory first, so a failure writes nothing) and writes them to
/// `dir/charts/`; returns the written paths in render order.
pub fn render_run(dir: &Path) -> Result<Vec<PathBuf>> {
    let run = RunData::load(dir)?;
    let rendered = render_all(&run)?;
    write_charts(dir, &rendered)
}

/// The chart files agentsim writes that `dir/charts/` holds now (from an
/// earlier render), in [`STEMS`] order.
pub fn existing_charts(dir: &Path) -> Vec<PathBuf> {
    let charts = dir.join(CHARTS_DIR);
    STEMS
        .iter()
        .flat_map(|stem| EXTENSIONS.map(|ext| charts.join(format!("{stem}.{ext}"))))
        .filter(|p| p.is_file())
        .collect()
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
            let path = charts.join(format!("{}.{ext}", r.stem));
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
