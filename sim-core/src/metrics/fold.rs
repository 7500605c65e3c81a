//! The fold of a run's task records into its summary, in replicate order:
//! each variant's statistics, its paired differences from the baseline and
//! the ranking. It needs only names (no scenario), so a merge of shards
//! folds records read from files exactly as the run that computed them would.

use super::paired::DiffAccumulator;
use super::ranking::{RankBy, RankingAccumulator};
use super::record::TaskRecord;
use super::summary::{SCHEMA_VERSION, Summary, VariantAccumulator};
use super::target::meets;
use serde::{Deserialize, Serialize};

/// The names a fold needs: scopes, each variant's cache tiers (which name its
/// per-tier metrics) and the ranking metric.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoldNames {
    pub scenario: String,
    pub providers: Vec<String>,
    pub workloads: Vec<String>,
    /// (name, cache tier names), the baseline first.
    pub variants: Vec<(String, Vec<String>)>,
    /// As `--rank-by` takes it (`METRIC` or `METRIC:max`).
    pub rank_by: String,
}

/// A run's summary being folded, task by task in replicate order.
#[derive(Clone, Debug)]
pub struct RunFold {
    scenario: String,
    accs: Vec<VariantAccumulator>,
    diffs: Vec<DiffAccumulator>,
    /// Present only with variants.
    ranking: Option<RankingAccumulator>,
    folded: u32,
}

impl RunFold {
    /// Fails only when `names.rank_by` does not parse.
    pub fn new(names: &FoldNames) -> Result<Self, super::RankError> {
        let (p, w) = (&names.providers, &names.workloads);
        let base_tiers = names.variants.first().map_or(&[][..], |(_, t)| t.as_slice());
        let rank_by = RankBy::parse(&names.rank_by)?;
        Ok(RunFold {
            scenario: names.scenario.clone(),
            accs: names.variants.iter().map(|(n, t)| VariantAccumulator::new(n, p, w, t)).collect(),
            diffs: names.variants.iter().skip(1).map(|(_, t)| DiffAccumulator::new(p, w, base_tiers, t)).collect(),
            ranking: (names.variants.len() > 1).then(|| {
                RankingAccumulator::new(rank_by, names.variants.iter().map(|(n, t)| (n.as_str(), t.as_slice())))
            }),
            folded: 0,
        })
    }

    /// Adds the next task (callers push in replicate order), baseline first.
    pub fn push(&mut self, r: &TaskRecord) {
        debug_assert_eq!(r.variants.len(), self.accs.len(), "one record per variant");
        for (i, v) in r.variants.iter().enumerate() {
            self.accs[i].push(v);
            if i > 0 {
                self.diffs[i - 1].push(&r.variants[0], v);
            }
        }
        if let Some(ranking) = &mut self.ranking {
            ranking.push(&r.variants.iter().collect::<Vec<_>>());
        }
        self.folded += 1;
    }

    /// Whether every variant's overall `metrics` meet a relative 95%
    /// half-width of `rel` so far (see `metrics::target`).
    pub fn meets(&self, metrics: &[String], rel: f64) -> bool {
        self.accs.iter().all(|a| metrics.iter().all(|m| a.overall_stats(m).is_some_and(|s| meets(&s, rel))))
    }

    /// Tasks folded so far.
    pub fn folded(&self) -> u32 {
        self.folded
    }

    /// Each variant's accumulated statistics so far, the baseline first.
    pub fn summary(&self, seed: u64) -> Summary {
        Summary {
            schema_version: SCHEMA_VERSION,
            scenario: self.scenario.clone(),
            seed,
            replicates: self.folded,
            variants: self
                .accs
                .iter()
                .enumerate()
                .map(|(i, acc)| {
                    let mut v = acc.finish();
                    v.diff_vs_baseline = i.checked_sub(1).map(|d| self.diffs[d].finish());
                    v
                })
                .collect(),
            ranking: self.ranking.as_ref().map(RankingAccumulator::finish),
            target_ci: None,
        }
    }
}
