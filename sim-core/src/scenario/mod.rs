//! Scenario files: TOML text -> raw serde mirror -> validated `Scenario`.
//!
//! `load` reports every problem at once, each with its origin (file line:column,
//! or the `--set` override it came from) and dotted key path.

mod admission_checks;
pub mod admission_config;
#[cfg(test)]
mod admission_tests;
pub mod anatomy_config;
#[cfg(test)]
mod anatomy_tests;
pub mod arrivals_config;
#[cfg(test)]
mod arrivals_tests;
mod bases;
mod context;
mod dists;
mod dists_schema;
mod found;
mod leaf;
pub(crate) mod limits;
#[cfg(test)]
mod limits_tests;
mod load;
pub(crate) mod location;
pub mod model;
mod overrides;
mod rate;
mod raw;
mod raw_replicas;
#[cfg(test)]
mod replicas_tests;
mod resolved;
#[cfg(test)]
mod routing_tests;
mod schema;
pub mod serving_config;
#[cfg(test)]
mod serving_tests;
mod sweep;
#[cfg(test)]
mod sweep_tests;
#[cfg(test)]
mod tests;
mod validate;
mod validate_admission;
mod validate_anatomy;
mod validate_arrivals;
mod validate_breakpoints;
mod validate_cache;
mod validate_pricing;
mod validate_processes;
mod validate_providers;
mod validate_replicas;
mod validate_routing;
mod validate_serving;
mod validate_subagents;
#[cfg(test)]
mod validate_subagents_tests;
mod validate_sweep;
mod validate_variants;
mod validate_workloads;
mod variants;

pub use admission_config::*;
pub use anatomy_config::*;
pub use arrivals_config::{ArrivalProcess, RateSegment};
pub use found::MAX_PROBLEMS;
pub use leaf::format_duration_compact;
pub use load::{MAX_SCENARIO_BYTES, load, load_with};
pub use model::*;
pub use overrides::parse_override;
pub use resolved::to_toml;
pub use schema::json_schema;
pub use serving_config::{Balancer, KvMemory, Overheads, ReplicasServing, Roofline, StepCoefficients, StepModel};
pub use sweep::{Sweep, SweepPoint, grid, load_sweep, parse_sweep, value_label};
pub use validate_sweep::{MAX_SWEEP_POINTS, parse_range};
pub(crate) use variants::split_top_level;
pub use variants::{Variant, load_variants, parse_variant};

use std::fmt;

/// A scenario file's text and the name to show in messages (usually its path).
#[derive(Clone, Copy, Debug)]
pub struct SourceText<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// Reads files a scenario refers to (LiteLLM catalogs, traces), by the path
/// written in the scenario. The CLI resolves paths relative to the scenario's
/// directory; tests use in-memory fakes. The error is shown after "cannot read `path`: ".
pub trait FileSource {
    fn read(&self, path: &str) -> Result<String, String>;
}

/// Any `Fn(&str) -> Result<String, String>` is a file source.
impl<F: Fn(&str) -> Result<String, String>> FileSource for F {
    fn read(&self, path: &str) -> Result<String, String> {
        self(path)
    }
}

/// A file source that refuses every read (what [`load`] uses).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFiles;

impl FileSource for NoFiles {
    fn read(&self, _path: &str) -> Result<String, String> {
        Err("this command cannot read files referenced by a scenario".to_string())
    }
}

/// One `--set dotted.path=value` override, as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    pub path: String,
    pub value: String,
}

/// The name of the scenario as written, against which variants are compared.
pub const BASELINE: &str = "baseline";

/// A `[[variants]]` entry or a `--variant`: a name and its overrides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantSpec {
    pub name: String,
    pub overrides: Vec<Override>,
}

/// A swept parameter (`[[sweep]]` or `--sweep`): a key path in `--set`
/// syntax and its values, as written; `scenario::load_sweep` builds the grid.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSpec {
    pub path: String,
    pub values: SweepValues,
    /// Where it was written, so a bad value is reported there.
    pub source: SweepSource,
}

/// A swept parameter's values: a list, or a range expanded for the key's type.
#[derive(Clone, Debug, PartialEq)]
pub enum SweepValues {
    List(Vec<toml::Value>),
    Range(SweepRange),
}

/// `lo..hi:steps[:log]`: `steps` values from `lo` to `hi`, evenly spaced or geometric.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SweepRange {
    pub lo: f64,
    pub hi: f64,
    pub steps: u32,
    pub log: bool,
}

/// Where a swept parameter was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SweepSource {
    /// The n-th (0-based) `[[sweep]]` entry of the file.
    File(usize),
    /// A `--sweep` flag, with its text.
    Flag(String),
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
    Override {
        index: usize,
        text: String,
    },
    /// A value the user did not write: it came from a provider's base, the
    /// built-in preset `name` (`anthropic/claude-sonnet-4-6`) or a LiteLLM
    /// catalog entry (`litellm:<model key>`).
    Preset {
        name: String,
    },
    /// The variant `name` (a `[[variants]]` entry or `--variant`); `text` is
    /// the override at fault, empty when the variant as a whole is.
    Variant {
        name: String,
        text: String,
    },
    /// The n-th (0-based) `--sweep`, with its text.
    Sweep {
        index: usize,
        text: String,
    },
}

/// One problem in a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub origin: Origin,
    /// Dotted key path, e.g. `providers[0].pricing.output_usd_per_mtok`; empty for the document root.
    pub path: String,
    pub message: String,
}

/// The problems found in a scenario, in the order they were written: the
/// first [`MAX_PROBLEMS`] of them, and how many more there were (never empty).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    pub problems: Vec<Problem>,
    /// Problems found beyond `problems` (only counted, so a wholly broken
    /// file costs neither memory nor screens of output).
    pub more: usize,
}

impl ScenarioError {
    /// A single problem.
    pub fn one(problem: Problem) -> Self {
        ScenarioError { problems: vec![problem], more: 0 }
    }

    /// How many problems were found, listed or not.
    pub fn total(&self) -> usize {
        self.problems.len() + self.more
    }

    /// A scenario file of `len` bytes (or more), refused unread because it is
    /// longer than [`MAX_SCENARIO_BYTES`].
    pub fn too_large(file: &str, len: u64) -> Self {
        ScenarioError::one(Problem {
            origin: Origin::File { file: file.to_string(), line: 1, column: 1 },
            path: String::new(),
            message: format!(
                "the file is {len} bytes; scenario files are limited to {MAX_SCENARIO_BYTES} bytes ({} MiB), \
                 so this is not a scenario (traces and price catalogs are separate files)",
                MAX_SCENARIO_BYTES >> 20
            ),
        })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { file, line, column } => write!(f, "{file}:{line}:{column}"),
            Origin::Override { index, text } => write!(f, "--set #{} `{}`", index + 1, crate::echo::clip(text)),
            Origin::Preset { name } => match name.strip_prefix("litellm:") {
                Some(key) => write!(f, "LiteLLM entry `{key}`"),
                None => write!(f, "preset {name}"),
            },
            Origin::Variant { name, text } if text.is_empty() => write!(f, "variant `{name}`"),
            Origin::Variant { name, text } => write!(f, "variant `{name}` `{}`", crate::echo::clip(text)),
            Origin::Sweep { index, text } => write!(f, "--sweep #{} `{}`", index + 1, crate::echo::clip(text)),
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
        let n = self.total();
        writeln!(f, "{n} problem{} in scenario:", plural(n))?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        if self.more > 0 {
            writeln!(f, "  ... and {} more problem{}", self.more, plural(self.more))?;
        }
        Ok(())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
