//! Shards of a run (`run --shard I/N`) and their partial directories: which
//! share of the tasks a shard computes, and `partial.json`, the completion
//! marker that says which run a partial belongs to (everything `merge` needs
//! to check and fold it without the scenario file).

use crate::run_dir::{PARTIAL, RECORDS};
use crate::sweep_labels::SweepLabels;
use serde::{Deserialize, Serialize};
use sim_core::metrics::FoldNames;
use sim_core::montecarlo::Tasks;
use std::path::{Path, PathBuf};

/// `--shard I/N`: shard `index` (1-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

impl ShardSpec {
    /// Parses `I/N` with 1 <= I <= N.
    pub fn parse(s: &str) -> Result<Self, String> {
        let number = |t: &str| t.trim().parse::<u32>().ok().filter(|n| *n >= 1);
        let (i, n) = s.split_once('/').ok_or_else(|| format!("expected I/N (e.g. 2/8), got `{s}`"))?;
        let (Some(index), Some(count)) = (number(i), number(n)) else {
            return Err(format!("expected I/N with whole numbers from 1 (e.g. 2/8), got `{s}`"));
        };
        if index > count {
            return Err(format!("shard {index} of {count} does not exist (I must be at most N)"));
        }
        Ok(ShardSpec { index, count })
    }

    /// This shard's replicates of sweep point `point`.
    pub fn tasks_at(&self, point: u32, replicates: u32) -> Tasks {
        Tasks::shard(point, replicates, self.index, self.count)
    }
}

/// What makes two partials parts of the same run: equal in every shard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunIdentity {
    pub agentsim_version: String,
    pub scenario_sha256: String,
    /// `--set` overrides in the order given, as `path=value`.
    pub overrides: Vec<String>,
    /// The variant names, baseline excluded, in order.
    pub variants: Vec<String>,
    pub seed: u64,
    pub replicates: u32,
    pub requests_csv: bool,
    pub shard_count: u32,
    /// The names the fold needs (scopes, tiers, ranking metric); a sweep's point 0's.
    pub fold: FoldNames,
    /// A sweep's parameters, values and every point's fold names; absent without a sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweptRun>,
    /// SHA-256 of every scenario the run simulates as resolved (each point's
    /// baseline then its variants, as `scenario.resolved.toml` would write
    /// it): two shards whose variants share a name but not their overrides,
    /// or whose LiteLLM catalog differs, resolve differently.
    pub resolved_sha256: Vec<String>,
}

/// What a sweep's shards share besides a plain run's identity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweptRun {
    pub labels: SweepLabels,
    /// Each point's fold names in grid order (variant tiers may differ per point).
    pub points: Vec<FoldNames>,
}

impl RunIdentity {
    /// Every point's fold names: point 0's alone without a sweep.
    pub fn folds(&self) -> Vec<&FoldNames> {
        match &self.sweep {
            Some(s) => s.points.iter().collect(),
            None => vec![&self.fold],
        }
    }
}

/// The content of `partial.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Partial {
    pub run: RunIdentity,
    pub shard_index: u32,
    /// The scenario file as the shard was given it (for the merged manifest).
    pub scenario_file: String,
    pub threads: usize,
    pub started_utc: String,
    pub simulation_wall_s: f64,
    /// Files of this partial, in the order they were written, this one last.
    pub files: Vec<String>,
}

/// Why a set of partial directories cannot be merged (exit 2).
#[derive(Debug)]
pub struct BadPartials(pub Vec<String>);

impl std::fmt::Display for BadPartials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot merge these partial directories:")?;
        for p in &self.0 {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BadPartials {}

/// A partial directory read from disk.
#[derive(Debug)]
pub struct PartialDir {
    pub dir: PathBuf,
    pub partial: Partial,
}

impl PartialDir {
    pub fn records(&self) -> PathBuf {
        self.dir.join(RECORDS)
    }
}

/// Reads every directory's `partial.json` and checks that together they
/// are exactly the shards of one run made by this agentsim; every problem
/// is reported at once. Returns them ordered by shard index.
pub fn read_all(dirs: &[PathBuf]) -> Result<Vec<PartialDir>, BadPartials> {
    let mut problems = Vec::new();
    let mut parts = Vec::new();
    for dir in dirs {
        match read_one(dir) {
            Ok(partial) => parts.push(PartialDir { dir: dir.clone(), partial }),
            Err(p) => problems.push(p),
        }
    }
    if let Some(first) = parts.first() {
        let run = &first.partial.run;
        if run.agentsim_version != env!("CARGO_PKG_VERSION") {
            problems.push(format!(
                "{} was made by agentsim {}, this is {}: merge with the version that ran the shards",
                first.dir.display(),
                run.agentsim_version,
                env!("CARGO_PKG_VERSION")
            ));
        }
        for p in &parts[1..] {
            if p.partial.run != *run {
                problems.push(format!(
                    "{} is a shard of a different run than {} ({})",
                    p.dir.display(),
                    first.dir.display(),
                    difference(run, &p.partial.run)
                ));
            }
        }
        let count = run.shard_count;
        let mut seen: Vec<Option<&Path>> = vec![None; count as usize];
        for p in &parts {
            let i = p.partial.shard_index;
            match seen.get_mut(i.wrapping_sub(1) as usize) {
                None => problems.push(format!("{}: shard {i} is not one of 1..={count}", p.dir.display())),
                Some(Some(other)) => problems.push(format!(
                    "shard {i}/{count} is given twice: {} and {}",
                    other.display(),
                    p.dir.display()
                )),
                Some(slot) => *slot = Some(&p.dir),
            }
        }
        let missing: Vec<String> =
            seen.iter().enumerate().filter(|(_, s)| s.is_none()).map(|(i, _)| (i + 1).to_string()).collect();
        if !missing.is_empty() {
            problems.push(format!("missing shards (of {count}): {}", missing.join(", ")));
        }
    }
    if !problems.is_empty() {
        return Err(BadPartials(problems));
    }
    parts.sort_by_key(|p| p.partial.shard_index);
    Ok(parts)
}

fn read_one(dir: &Path) -> Result<Partial, String> {
    if !crate::run_dir::is_complete_with(dir, PARTIAL) {
        return Err(format!(
            "{} is not a complete partial directory (no {PARTIAL}, or a file it lists is missing); \
             rerun that shard",
            dir.display()
        ));
    }
    let bytes = std::fs::read(dir.join(PARTIAL)).map_err(|e| format!("{}: {e}", dir.join(PARTIAL).display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: not a partial.json of this agentsim: {e}", dir.display()))
}

/// The first field that differs between two runs, for the message.
fn difference(a: &RunIdentity, b: &RunIdentity) -> String {
    let fields = [
        ("agentsim version", a.agentsim_version != b.agentsim_version),
        ("scenario file content (sha256)", a.scenario_sha256 != b.scenario_sha256),
        ("--set overrides", a.overrides != b.overrides),
        ("variants", a.variants != b.variants),
        ("seed", a.seed != b.seed),
        ("replicates", a.replicates != b.replicates),
        ("--requests-csv", a.requests_csv != b.requests_csv),
        ("shard count N", a.shard_count != b.shard_count),
        ("fold names (scopes, cache tiers or --rank-by)", a.fold != b.fold),
        (
            "resolved scenarios (a variant's overrides, or a file the scenario names, such as a LiteLLM catalog)",
            a.resolved_sha256 != b.resolved_sha256,
        ),
        ("sweep (parameters, values or a point's variants)", a.sweep != b.sweep),
    ];
    fields.iter().filter(|(_, d)| *d).map(|(n, _)| *n).collect::<Vec<_>>().join(", ") + " differ"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_syntax_and_range() {
        assert_eq!(ShardSpec::parse("2/3"), Ok(ShardSpec { index: 2, count: 3 }));
        assert_eq!(ShardSpec::parse("1/1"), Ok(ShardSpec { index: 1, count: 1 }));
        assert!(ShardSpec::parse("4/3").unwrap_err().contains("shard 4 of 3 does not exist"));
        for bad in ["0/3", "3", "a/3", "1/0", "-1/2", "1/2/3", ""] {
            assert!(ShardSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_deal_every_replicate_once() {
        for n in 1..=4 {
            let mut all: Vec<u32> = (1..=n)
                .flat_map(|i| {
                    let t = ShardSpec { index: i, count: n }.tasks_at(0, 10);
                    (0..t.len()).map(move |k| t.nth(k).unwrap())
                })
                .collect();
            all.sort_unstable();
            assert_eq!(all, (0..10).collect::<Vec<_>>(), "{n} shards");
        }
        assert!(ShardSpec { index: 1, count: 3 }.tasks_at(0, 10).contains(0));
        assert_eq!(ShardSpec { index: 3, count: 3 }.tasks_at(0, 2).len(), 0, "a shard may get nothing");
    }
}
