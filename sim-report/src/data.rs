//! A run directory read back: summary.json (required), replicates.csv, and
//! the files only some runs have (distributions, sweep, plan, sensitivity, time series,
//! manifest, scenario as written and resolved). Charts read this, never the files.

use crate::error::{ReportError, Result};
use serde::Deserialize;
use sim_core::metrics::{Ranking, Summary, VariantSummary};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Everything a chart may read from one run directory.
#[derive(Debug)]
pub struct RunData {
    pub dir: PathBuf,
    /// The sweep point whose numbers `summary.variants`, and the rows
    /// [`RunData::distribution`] and the subjects read, are: 0 (a sweep's
    /// top level, or a run without sweep) unless made by [`RunData::at_point`].
    pub point: usize,
    pub summary: Summary,
    /// summary.json's `sweep`, in sweep runs only.
    pub sweep: Option<SweepSummary>,
    pub replicates: Option<Table>,
    pub sweep_csv: Option<Table>,
    pub distributions: Option<Table>,
    pub plan_csv: Option<Table>,
    pub plan_json: Option<serde_json::Value>,
    pub sensitivity: Option<Table>,
    pub timeseries: Option<Table>,
    pub manifest: Option<serde_json::Value>,
    pub resolved_scenario: Option<String>,
    /// scenario.toml: the scenario file as the user wrote it.
    pub scenario_toml: Option<String>,
}

/// summary.json's `sweep` (docs/outputs.md, "Sweeps").
#[derive(Clone, Debug, Deserialize)]
pub struct SweepSummary {
    pub parameters: Vec<String>,
    pub points: Vec<SweepPoint>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SweepPoint {
    pub point: usize,
    /// Each swept path's value as written, in parameter order.
    pub values: serde_json::Map<String, serde_json::Value>,
    pub variants: Vec<VariantSummary>,
    #[serde(default)]
    pub ranking: Option<Ranking>,
}

/// summary.json as written: a [`Summary`] with an optional `sweep`.
#[derive(Deserialize)]
struct SummaryFile {
    #[serde(flatten)]
    summary: Summary,
    #[serde(default)]
    sweep: Option<SweepSummary>,
}

impl RunData {
    /// Reads `dir`; only summary.json is required. A malformed file is an
    /// error naming it (and its line), never a chart silently left out.
    pub fn load(dir: &Path) -> Result<Self> {
        let file = dir.join("summary.json");
        let plan_json = load_json(dir, "plan.json")?;
        let SummaryFile { summary, sweep } = match (read(&file)?, &plan_json) {
            (Some(bytes), _) => parse_json(&file, &bytes)?,
            // A plan directory has no summary.json: its results are plan.csv and plan.json.
            (None, Some(plan)) => SummaryFile { summary: plan_summary(plan), sweep: None },
            (None, None) => return Err(ReportError::Missing { file }),
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            point: 0,
            summary,
            sweep,
            replicates: Table::load(dir, "replicates.csv")?,
            sweep_csv: Table::load(dir, "sweep.csv")?,
            distributions: Table::load(dir, "distributions.csv")?,
            plan_csv: Table::load(dir, "plan.csv")?,
            plan_json,
            sensitivity: Table::load(dir, "sensitivity.csv")?,
            timeseries: Table::load(dir, "timeseries.csv")?,
            manifest: load_json(dir, "manifest.json")?,
            resolved_scenario: load_text(dir, "scenario.resolved.toml")?,
            scenario_toml: load_text(dir, "scenario.toml")?,
        })
    }

    /// Names of the providers, in scenario order (the baseline's scopes).
    pub fn providers(&self) -> Vec<&str> {
        self.summary
            .variants
            .first()
            .map_or_else(Vec::new, |b| b.by_provider.0.iter().map(|(n, _)| n.as_str()).collect())
    }
}

impl RunData {
    /// The run as seen at sweep point `p` (its variants' summaries, its rows
    /// of replicates.csv and distributions.csv, the scenario for objectives):
    /// what the per-variant charts of that point read. The files of the
    /// whole run (time series, sweep, plan, sensitivity) are left out, so
    /// only per-variant charts draw from it.
    pub fn at_point(&self, p: &SweepPoint) -> Self {
        let rows_of = |t: &Option<Table>| {
            t.as_ref().map(|t| {
                let col = t.header.iter().position(|h| h == "point");
                let point = p.point.to_string();
                let rows = t.rows.iter().filter(|r| col.is_none_or(|c| t.text(r, c) == point)).cloned().collect();
                Table { file: t.file.clone(), header: t.header.clone(), rows }
            })
        };
        let summary = Summary { variants: p.variants.clone(), ranking: p.ranking.clone(), ..self.summary.clone() };
        Self {
            dir: self.dir.clone(),
            point: p.point,
            summary,
            sweep: None,
            replicates: rows_of(&self.replicates),
            sweep_csv: None,
            distributions: rows_of(&self.distributions),
            plan_csv: None,
            plan_json: None,
            sensitivity: None,
            timeseries: None,
            manifest: None,
            resolved_scenario: self.resolved_scenario.clone(),
            scenario_toml: None,
        }
    }

    /// Whether `row` of `t` belongs to [`RunData::point`] (every row of a
    /// file without a `point` column does).
    pub fn at_this_point(&self, t: &Table, row: &Row) -> bool {
        t.header.iter().position(|h| h == "point").is_none_or(|c| t.text(row, c) == self.point.to_string())
    }

    /// `variant`'s defined (value, quantile) points of `distribution` in
    /// distributions.csv (at [`RunData::point`]: point 0 of a sweep, as
    /// summary.json's top level), in quantile order; none without the file.
    pub fn distribution(&self, variant: &str, distribution: &str) -> Result<Vec<(f64, f64)>> {
        let Some(t) = &self.distributions else { return Ok(Vec::new()) };
        let (v, d) = (t.column("variant")?, t.column("distribution")?);
        let (q, value) = (t.column("quantile")?, t.column("value")?);
        let mut points = Vec::new();
        for row in &t.rows {
            if self.at_this_point(t, row)
                && t.text(row, v) == variant
                && t.text(row, d) == distribution
                && let (Some(q), Some(x)) = (t.number(row, q)?, t.number(row, value)?)
            {
                points.push((x, q));
            }
        }
        Ok(points)
    }
}

/// The summary of a plan directory: its scenario, seed and replicates from
/// plan.json, and no variant (the comparison charts then draw nothing).
fn plan_summary(plan: &serde_json::Value) -> Summary {
    Summary {
        schema_version: sim_core::metrics::SCHEMA_VERSION,
        scenario: plan["scenario"].as_str().unwrap_or_default().to_string(),
        seed: plan["seed"].as_u64().unwrap_or_default(),
        replicates: plan["replicates"].as_u64().unwrap_or_default() as u32,
        variants: Vec::new(),
        ranking: None,
        target_ci: None,
    }
}

/// The file's bytes, or `None` when it does not exist.
fn read(file: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(file) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ReportError::Read { file: file.to_path_buf(), source }),
    }
}

fn parse_json<T: for<'de> Deserialize<'de>>(file: &Path, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| ReportError::Json {
        file: file.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

fn load_json(dir: &Path, name: &str) -> Result<Option<serde_json::Value>> {
    let file = dir.join(name);
    read(&file)?.map(|bytes| parse_json(&file, &bytes)).transpose()
}

fn load_text(dir: &Path, name: &str) -> Result<Option<String>> {
    let file = dir.join(name);
    read(&file)?
        .map(|bytes| {
            String::from_utf8(bytes).map_err(|e| ReportError::Csv {
                file: file.clone(),
                line: 1,
                message: format!("not UTF-8 text: {e}"),
            })
        })
        .transpose()
}

/// A CSV file: its header and its rows as text, each row with its line
/// number so a bad cell is reported where it is.
#[derive(Clone, Debug)]
pub struct Table {
    pub file: PathBuf,
    pub header: Vec<String>,
    pub rows: Vec<Row>,
}

#[derive(Clone, Debug)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<String>,
}

impl Table {
    /// Reads `dir/name`; `None` when the file does not exist.
    pub fn load(dir: &Path, name: &str) -> Result<Option<Self>> {
        let file = dir.join(name);
        let Some(bytes) = read(&file)? else { return Ok(None) };
        Self::parse(file, &bytes).map(Some)
    }

    pub fn parse(file: PathBuf, bytes: &[u8]) -> Result<Self> {
        let bad = |line: u64, e: csv::Error| ReportError::Csv { file: file.clone(), line, message: e.to_string() };
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
        let header = reader.headers().map_err(|e| bad(1, e))?.iter().map(str::to_string).collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| bad(e.position().map_or(0, |p| p.line()), e))?;
            let line = record.position().map_or(0, |p| p.line());
            rows.push(Row { line, cells: record.iter().map(str::to_string).collect() });
        }
        Ok(Self { file, header, rows })
    }

    /// The index of column `name`, or an error naming the file.
    pub fn column(&self, name: &str) -> Result<usize> {
        self.header.iter().position(|h| h == name).ok_or_else(|| ReportError::Csv {
            file: self.file.clone(),
            line: 1,
            message: format!("no column `{name}` in the header"),
        })
    }

    /// The cell of `row` at `col` as a number; `None` when empty (undefined).
    pub fn number(&self, row: &Row, col: usize) -> Result<Option<f64>> {
        let text = row.cells.get(col).map_or("", String::as_str);
        if text.is_empty() {
            return Ok(None);
        }
        text.parse().map(Some).map_err(|_| ReportError::Csv {
            file: self.file.clone(),
            line: row.line,
            message: format!("`{}` is not a number: `{text}`", self.header.get(col).map_or("?", String::as_str)),
        })
    }

    /// The cell of `row` at `col` as text ("" when the row is short).
    pub fn text<'a>(&self, row: &'a Row, col: usize) -> &'a str {
        row.cells.get(col).map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system temp dir, removed on drop.
    struct Dir(PathBuf);
    impl Dir {
        fn new(tag: &str) -> Self {
            let p = std::env::temp_dir().join(format!("sim-report-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Self(p)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const SUMMARY: &str = r#"{"schema_version": 2, "scenario": "s", "seed": 1, "replicates": 1, "variants": []}"#;

    #[test]
    fn only_summary_json_is_required() {
        let d = Dir::new("required");
        assert!(matches!(RunData::load(&d.0), Err(ReportError::Missing { file }) if file.ends_with("summary.json")));
        std::fs::write(d.0.join("summary.json"), SUMMARY).unwrap();
        let run = RunData::load(&d.0).unwrap();
        assert_eq!(run.summary.scenario, "s");
        assert!(run.replicates.is_none() && run.timeseries.is_none() && run.sweep.is_none() && run.manifest.is_none());
    }

    #[test]
    fn a_plan_directory_needs_no_summary_json() {
        let d = Dir::new("plan");
        std::fs::write(d.0.join("plan.json"), r#"{"scenario": "cap", "seed": 7, "replicates": 3}"#).unwrap();
        let run = RunData::load(&d.0).unwrap();
        assert_eq!((run.summary.scenario.as_str(), run.summary.seed, run.summary.replicates), ("cap", 7, 3));
        assert!(run.summary.variants.is_empty() && run.plan_json.is_some());
    }

    #[test]
    fn a_malformed_file_is_named_with_its_line() {
        let d = Dir::new("malformed");
        std::fs::write(d.0.join("summary.json"), SUMMARY).unwrap();
        std::fs::write(d.0.join("timeseries.csv"), "time_s,provider\n1,a\n2,a,extra\n").unwrap();
        let err = RunData::load(&d.0).unwrap_err().to_string();
        assert!(err.contains("timeseries.csv:3: "), "{err}");
        std::fs::write(d.0.join("timeseries.csv"), "time_s,provider\n1,a\nlate,a\n").unwrap();
        let t = RunData::load(&d.0).unwrap().timeseries.unwrap();
        assert_eq!(t.number(&t.rows[0], 0).unwrap(), Some(1.0));
        let err = t.number(&t.rows[1], 0).unwrap_err().to_string();
        assert!(err.ends_with("timeseries.csv:3: `time_s` is not a number: `late`"), "{err}");
    }
}
