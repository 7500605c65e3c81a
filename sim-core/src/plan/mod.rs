//! Capacity planning (`agentsim plan`): objectives on metrics and their
//! verdicts from 95% intervals, the bisection over a monotone scenario value,
//! the saturation rule, and the choice of the cheapest variant. Pure logic:
//! the caller runs the simulations through an evaluator and writes files.

pub mod cheapest;
pub mod objective;
pub mod saturation;
pub mod search;

pub use objective::{Cmp, Objective, Scope, Verdict, parse_objectives};
pub use saturation::{load_window, saturated_provider};
pub use search::{
    DEFAULT_TOLERANCE, Direction, KeyKind, Point, Range, SearchResult, SearchSpec, Status, bisect, parse_search,
    value_text,
};

use crate::metrics::{MetricStats, VariantSummary};
use std::fmt;

/// One bad command-line value: the flag, the value as typed, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagProblem {
    pub flag: &'static str,
    pub value: String,
    pub message: String,
}

impl FlagProblem {
    pub fn new(flag: &'static str, value: &str, message: String) -> Self {
        FlagProblem { flag, value: crate::echo::clip(value).into_owned(), message }
    }
}

/// Every bad planning flag at once (one line each).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct PlanError {
    pub problems: Vec<FlagProblem>,
}

impl PlanError {
    pub fn flag(flag: &'static str, value: &str, message: String) -> FlagProblem {
        FlagProblem::new(flag, value, message)
    }

    /// `Ok` when there is no problem.
    pub fn all(problems: Vec<FlagProblem>) -> Result<(), PlanError> {
        if problems.is_empty() { Ok(()) } else { Err(PlanError { problems }) }
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            if p.value.is_empty() {
                write!(f, "{}: {}", p.flag, p.message)?;
            } else {
                write!(f, "{} `{}`: {}", p.flag, p.value, p.message)?;
            }
        }
        Ok(())
    }
}

/// Every objective judged at one point (one variant's summary).
#[derive(Clone, Debug, PartialEq)]
pub struct Judged {
    /// In objective order.
    pub stats: Vec<MetricStats>,
    pub verdicts: Vec<Verdict>,
    /// A provider's queue grew without bound (see `saturation`).
    pub saturated: bool,
}

impl Judged {
    /// Every objective met and nothing saturated: a saturated point never
    /// meets, whatever its intervals say (they describe no steady state).
    pub fn all_met(&self) -> bool {
        !self.saturated && self.verdicts.iter().all(|v| *v == Verdict::Met)
    }
}

/// Judges every objective on `summary`.
pub fn judge(objectives: &[Objective], summary: &VariantSummary, saturated: bool) -> Judged {
    let empty = MetricStats { mean: None, std: None, ci95_low: None, ci95_high: None, n: 0 };
    let stats: Vec<MetricStats> = objectives.iter().map(|o| o.stats(summary).unwrap_or(empty)).collect();
    let verdicts = objectives.iter().zip(&stats).map(|(o, s)| o.verdict(s)).collect();
    Judged { stats, verdicts, saturated }
}
