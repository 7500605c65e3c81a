//! Scenario files: TOML text -> raw serde mirror -> validated `Scenario`.
//!
//! `load` reports every problem at once, each with its origin (file line:column,
//! or the `--set` override it came from) and dotted key path.

mod dists;
mod load;
mod location;
pub mod model;
mod overrides;
mod raw;
mod schema;
#[cfg(test)]
mod tests;
mod validate;

pub use load::load;
pub use model::*;
pub use overrides::parse_override;
pub use schema::json_schema;

use std::fmt;

/// A scenario file's text and the name to show in messages (usually its path).
#[derive(Clone, Copy, Debug)]
pub struct SourceText<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// One `--set dotted.path=value` override, as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    pub path: String,
    pub value: String,
}

/// Where a problem was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    File {
        file: String,
        line: usize,
        column: usize,
    },
    /// The n-th (0-based) `--set` override, with its text.
    Override { index: usize, text: String },
}

/// One problem in a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub origin: Origin,
    /// Dotted key path, e.g. `providers[0].pricing.output_usd_per_mtok`; empty for the document root.
    pub path: String,
    pub message: String,
}

/// Every problem found in a scenario (never empty).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { file, line, column } => write!(f, "{file}:{line}:{column}"),
            Origin::Override { index, text } => write!(f, "--set #{} `{text}`", index + 1),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.origin, self.message)
        } else {
            write!(f, "{}: {}: {}", self.origin, self.path, self.message)
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "{n} problem{} in scenario:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}
