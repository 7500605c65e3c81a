//! `agentsim merge DIR... --out DIR`: folds the records of every shard of a
//! run, in replicate order, into the run directory a single machine would
//! have written (every file byte-identical, the manifest aside), without the
//! scenario file: the partials carry what the fold needs.

use crate::args::MergeArgs;
use crate::manifest::Manifest;
use crate::outputs::{self, ReplicatesCsv, VariantTiers};
use crate::run_cmd::{print_run, tiers_of};
use crate::run_dir::RECORDS;
use crate::shard::{BadPartials, PartialDir, read_all};
use crate::staging::{self, Staging};
use crate::sweep_run;
use crate::timestamp::UtcTime;
use anyhow::Context as _;
use sim_core::metrics::{RunFold, SCHEMA_VERSION, Summary, TaskRecord};
use sim_core::montecarlo::Tasks;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};

pub fn merge(args: &MergeArgs, argv: &[OsString], stdout: &mut dyn Write) -> anyhow::Result<()> {
    let started = UtcTime::now();
    let parts = read_all(&args.dirs)?;
    let run = parts[0].partial.run.clone();
    let folds = run.folds();
    let bad_rank = |e: sim_core::metrics::RankError| BadPartials(vec![format!("--rank-by of the run: {e}")]);
    let (dir, mut staging) = staging::stage(Some(&args.out), std::iter::empty(), args.output.force)?;

    let file = BufWriter::new(staging.create_file("replicates.csv").context("cannot create replicates.csv")?);
    let tiers: Vec<Vec<(&str, Vec<String>)>> = folds.iter().map(|f| tiers_of(f)).collect();
    let tiers: Vec<&VariantTiers<'_>> = tiers.iter().map(Vec::as_slice).collect();
    let (providers, workloads) = (&run.fold.providers, &run.fold.workloads);
    let mut csv = match run.sweep {
        Some(_) => ReplicatesCsv::with_points(file, &tiers, providers, workloads)?,
        None => ReplicatesCsv::new(file, tiers[0], providers, workloads)?,
    };
    let mut readers = Vec::with_capacity(parts.len());
    for p in &parts {
        let f = File::open(p.records()).with_context(|| format!("cannot read {}", p.records().display()))?;
        readers.push(Records { part: p, lines: BufReader::new(f), line: 0 });
    }
    let count = u64::from(run.shard_count);
    let mut summaries = Vec::with_capacity(folds.len());
    // Point by point, so only one point's fold is open at a time.
    for (point, names) in folds.iter().enumerate() {
        let mut fold = RunFold::new(names).map_err(bad_rank)?;
        for r in 0..run.replicates {
            // Round-robin shares: task point * replicates + r is the next record of shard (task mod N).
            let task = point as u64 * u64::from(run.replicates) + u64::from(r);
            let t = readers[(task % count) as usize].next(point as u32, r, names.variants.len())?;
            csv.task(&t)?;
            fold.push(&t);
        }
        summaries.push(fold.summary(run.seed));
    }
    for rd in &mut readers {
        rd.end()?;
    }
    csv.finish()?.flush().context("cannot write replicates.csv")?;
    let summary = &summaries[0];

    let holder = parts
        .iter()
        .find(|p| Tasks::shard(0, run.replicates, p.partial.shard_index, run.shard_count).contains(0))
        .unwrap_or(&parts[0]);
    let labels = run.sweep.as_ref().map(|s| &s.labels);
    let refs: Vec<&Summary> = summaries.iter().collect();
    let rendered = match labels {
        Some(l) => sweep_run::files(l, &refs)?.to_vec(),
        None => outputs::plain_files(summary)?.to_vec(),
    };
    write_files(&mut staging, &holder.dir, &rendered, run.requests_csv)?;
    let first = &parts[0].partial;
    let manifest = Manifest {
        agentsim_version: env!("CARGO_PKG_VERSION"),
        schema_version: SCHEMA_VERSION,
        scenario: run.fold.scenario.clone(),
        scenario_file: first.scenario_file.clone(),
        scenario_sha256: run.scenario_sha256.clone(),
        seed: run.seed,
        replicates: run.replicates,
        threads: parts.iter().map(|p| p.partial.threads).max().unwrap_or(1),
        requests_csv: run.requests_csv,
        overrides: run.overrides.clone(),
        variants: run.variants.clone(),
        command_line: argv.iter().map(|a| a.to_string_lossy().into_owned()).collect(),
        started_utc: started.rfc3339(),
        simulation_wall_s: parts.iter().map(|p| p.partial.simulation_wall_s).sum(),
        files: Vec::new(),
        sweep: labels.map(|l| l.parameters.clone()).unwrap_or_default(),
        merged_from: Some(parts.iter().map(|p| p.dir.display().to_string()).collect()),
        resumed_with: None,
    };
    crate::charts_stage::finish(&mut staging, manifest, args.output.no_charts, args.output.quiet)?;
    staging.commit()?;
    match labels {
        Some(l) => sweep_run::print(stdout, args.output.quiet, l, &refs, &dir),
        None => print_run(stdout, args.output.quiet, summary, None, "", &dir),
    }
}

/// Writes the `rendered` summaries and copies the files only replicate 0's
/// shard holds, in the order a run writes them.
fn write_files(
    staging: &mut Staging,
    holder: &std::path::Path,
    rendered: &[(&'static str, Vec<u8>)],
    requests_csv: bool,
) -> anyhow::Result<()> {
    let mut write = |name: &'static str, bytes: &[u8]| {
        staging.write_file(name, bytes).with_context(|| format!("cannot write {name} of the output directory"))
    };
    for (name, bytes) in rendered {
        write(name, bytes)?;
    }
    let copied: &[&'static str] = if requests_csv {
        &["requests.csv", "timeseries.csv", "scenario.toml", "scenario.resolved.toml"]
    } else {
        &["timeseries.csv", "scenario.toml", "scenario.resolved.toml"]
    };
    for name in copied {
        let path = holder.join(name);
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        write(name, &bytes)?;
    }
    Ok(())
}

/// One shard's records, read in order.
struct Records<'a> {
    part: &'a PartialDir,
    lines: BufReader<File>,
    line: usize,
}

impl Records<'_> {
    fn problem(&self, what: String) -> anyhow::Error {
        let p = &self.part.partial;
        BadPartials(vec![format!(
            "shard {}/{} ({}): {RECORDS} line {}: {what}; rerun that shard",
            p.shard_index,
            p.run.shard_count,
            self.part.dir.display(),
            self.line
        )])
        .into()
    }

    /// The next line, empty at the end of the file.
    fn read_line(&mut self) -> anyhow::Result<String> {
        let mut text = String::new();
        self.lines.read_line(&mut text).with_context(|| format!("cannot read {}", self.part.records().display()))?;
        self.line += 1;
        Ok(text)
    }

    /// The next record, which must be replicate `r`'s of sweep point `point`
    /// (0 without a sweep), with `variants` variants.
    fn next(&mut self, point: u32, r: u32, variants: usize) -> anyhow::Result<TaskRecord> {
        let at = |p: u32| if self.part.partial.run.sweep.is_some() { format!(" of point {p}") } else { String::new() };
        let text = self.read_line()?;
        if !text.ends_with('\n') {
            return Err(self.problem(format!("replicate {r}{} is missing", at(point))));
        }
        let t = TaskRecord::from_line(text.trim_end()).map_err(|e| self.problem(e.to_string()))?;
        if t.replicate != r || t.point != point {
            let found = format!("found replicate {}{}", t.replicate, at(t.point));
            return Err(self.problem(format!("expected replicate {r}{}, {found}", at(point))));
        }
        if t.variants.len() != variants {
            return Err(self.problem(format!("{} variants where the run has {variants}", t.variants.len())));
        }
        Ok(t)
    }

    /// Checks that nothing follows the shard's last task.
    fn end(&mut self) -> anyhow::Result<()> {
        if !self.read_line()?.is_empty() {
            return Err(self.problem("a record after the shard's last replicate".to_string()));
        }
        Ok(())
    }
}
