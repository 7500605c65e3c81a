//! The errors of reading a run directory and rendering its charts: each names
//! the file (and line) it comes from, so the CLI can report it as bad input.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{}: missing: a run directory always holds it (is this an agentsim run directory?)", file.display())]
    Missing { file: PathBuf },
    #[error("{}: cannot read: {source}", file.display())]
    Read { file: PathBuf, source: std::io::Error },
    #[error("{}:{line}:{column}: malformed JSON: {message}", file.display())]
    Json { file: PathBuf, line: usize, column: usize, message: String },
    #[error("{}:{line}: {message}", file.display())]
    Csv { file: PathBuf, line: u64, message: String },
    #[error("{}: cannot write: {source}", file.display())]
    Write { file: PathBuf, source: std::io::Error },
    #[error("the embedded font does not parse")]
    Font,
    /// A plotters backend failed; with in-memory backends this means a bug
    /// or an impossible size, never bad input.
    #[error("chart {stem}: cannot draw: {message}")]
    Draw { stem: &'static str, message: String },
}

impl ReportError {
    /// Whether the run directory's content is at fault (a missing or
    /// malformed file), as opposed to the machine (I/O) or a defect.
    pub fn is_bad_input(&self) -> bool {
        matches!(self, Self::Missing { .. } | Self::Json { .. } | Self::Csv { .. })
    }
}

pub type Result<T, E = ReportError> = std::result::Result<T, E>;
