//! The end of every command that writes a run directory: its charts drawn
//! from the result files already staged (the same files `agentsim report`
//! reads) into the staged `charts/`, then report.html and report.md, then
//! `manifest.json` last, so a run directory appears with all of them or not
//! at all. The report's "Reproduce this run" section reads the manifest,
//! which is written after it: the manifest is built first (listing the
//! report files) and handed to the report, so `agentsim report DIR` later
//! reads the same manifest back and writes the same bytes. A chart that
//! cannot be drawn fails the command before the commit (nothing is written);
//! `--no-charts` then gets the results, and `agentsim report DIR` draws the
//! charts later.

use crate::manifest::Manifest;
use crate::run_dir::MANIFEST;
use crate::staging::Staging;
use crate::{outputs, progress};
use anyhow::Context as _;
use sim_report::report::{HTML_FILE, MARKDOWN_FILE};

/// Stages the charts and reports the staged results allow (unless `skip`,
/// `--no-charts`; a spinner shows while they render, not with `quiet`),
/// then `manifest` listing every staged file, last.
pub fn finish(staging: &mut Staging, mut manifest: Manifest, skip: bool, quiet: bool) -> anyhow::Result<()> {
    // `plan --cheapest` writes cheapest.csv only: no chart reads it.
    let has_results = ["summary.json", "plan.json"].iter().any(|f| staging.files_dir().join(f).is_file());
    if skip || !has_results {
        manifest.files = staging.manifest_files(&[]);
        return write_manifest(staging, &manifest);
    }
    let spinner = progress::step_spinner("rendering charts and reports", quiet);
    let why = "cannot draw the charts, so nothing was written (--no-charts skips them; \
               `agentsim report DIR` draws them from a run's saved results)";
    let mut run = sim_report::RunData::load(staging.files_dir()).context(why)?;
    let rendered = sim_report::render_all(&run).context(why)?;
    for r in &rendered {
        for (ext, bytes) in [("png", &r.png), ("svg", &r.svg)] {
            let name = format!("{}.{ext}", r.file_stem());
            staging.write_chart(&name, bytes).with_context(|| format!("cannot write charts/{name}"))?;
        }
    }
    manifest.files = staging.manifest_files(&[HTML_FILE, MARKDOWN_FILE]);
    run.manifest = Some(serde_json::to_value(&manifest).context("cannot write manifest.json")?);
    let (html, markdown) = sim_report::reports(&run, &rendered);
    for (name, text) in [(HTML_FILE, html), (MARKDOWN_FILE, markdown)] {
        staging.write_file(name, text.as_bytes()).with_context(|| format!("cannot write {name}"))?;
    }
    spinner.finish_and_clear();
    write_manifest(staging, &manifest)
}

fn write_manifest(staging: &mut Staging, manifest: &Manifest) -> anyhow::Result<()> {
    debug_assert_eq!(manifest.files, staging.manifest_files(&[]), "the manifest lists what was staged");
    staging.write_file(MANIFEST, &outputs::json_file(manifest)?).context("cannot write manifest.json")
}
