//! Command-line arguments as the user typed them (clap derive); resolving them
//! into a scenario, a pool and an output directory is the commands' job.

use clap::{Args, Parser, Subcommand};
use sim_core::metrics::{DEFAULT_RANK_METRIC, RankBy};
use sim_core::scenario::{Override, SweepSpec, VariantSpec, parse_override, parse_sweep, parse_variant};
use sim_core::sensitivity::ParamSpec;
use std::path::PathBuf;

/// The largest seed a scenario file or `--set` can hold, so `--seed` stops there too.
const MAX_SEED: u64 = i64::MAX as u64;

/// Deterministic discrete-event simulator of LLM agent workloads on inference providers.
#[derive(Debug, Parser)]
#[command(name = "agentsim", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario's Monte Carlo replicates and write an output directory.
    Run(RunArgs),
    /// Check a scenario file (and overrides) without running it.
    Validate(ValidateArgs),
    /// Print the JSON Schema of the scenario format (for editor completion).
    Schema,
    /// Built-in provider presets, and provider blocks from a LiteLLM price file.
    #[command(subcommand)]
    Providers(ProvidersCommand),
    /// Replay a request trace through the prompt cache alone: hit rates per capacity.
    Replay(crate::replay_cmd::ReplayArgs),
    /// Fit a workload to a request trace: print a `[[workloads]]` block (rates, token and session distributions).
    Fit(crate::fit_cmd::FitArgs),
    /// Capacity planning: the largest load (or smallest capacity) meeting
    /// every objective, or with --cheapest the cheapest variant meeting them.
    Plan(crate::plan_cmd::PlanArgs),
    /// Which assumption drives the answer: vary each assumed preset number (and
    /// each --param) to its low and high end, print a tornado table of the effects.
    Sensitivity(SensitivityArgs),
    /// Combine the partial directories of `run --shard I/N` into one run
    /// directory, identical to a single-machine run.
    Merge(MergeArgs),
    /// Render the charts of a finished run directory again from its saved
    /// results (no simulation) into its charts/ subdirectory.
    Report(crate::report_cmd::ReportArgs),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Partial directories written by `agentsim run --shard I/N` (every I of one run, any order).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Output directory of the merged run.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub output: OutputFlags,
}

#[derive(Debug, Subcommand)]
pub enum ProvidersCommand {
    /// Table of the built-in presets: prices ($/Mtok), cache mode, TTLs, minimum tokens, as_of.
    List,
    /// Print one preset in full, as a ready-to-paste `[[providers]]` entry.
    Show {
        /// Preset name, e.g. `anthropic/claude-sonnet-4-6` (see `agentsim providers list`).
        name: String,
    },
    /// Print `[[providers]]` entries for models of a LiteLLM
    /// model_prices_and_context_window.json (at least one --model).
    ImportLitellm(ImportLitellmArgs),
}

#[derive(Debug, Args)]
pub struct ImportLitellmArgs {
    /// LiteLLM's model_prices_and_context_window.json (your own copy).
    pub file: PathBuf,
    /// Model key in that file, e.g. `claude-sonnet-4-6` (repeatable; required:
    /// the file holds thousands of models).
    #[arg(long = "model", value_name = "KEY", required = true)]
    pub models: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML).
    #[arg(required_unless_present = "resume")]
    pub file: Option<PathBuf>,
    /// Finish an interrupted run: DIR is the resumable directory it left
    /// (with `resume.json`); only the missing replicates are simulated.
    #[arg(long, value_name = "DIR", conflicts_with_all = [
        "file", "out", "replicates", "seed", "set", "variants", "sweep", "requests_csv", "force", "shard", "rank_by",
        "target_ci", "target_metrics", "max_replicates", "max_events", "max_memory",
    ])]
    pub resume: Option<PathBuf>,
    /// Output directory [default: outputs/<scenario-name>-<UTC timestamp>/].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub replicates: ReplicateArgs,
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// Also write requests.csv: every request of replicate 0.
    #[arg(long)]
    pub requests_csv: bool,
    #[command(flatten)]
    pub output: OutputFlags,
    #[command(flatten)]
    pub limits: crate::work_limits::LimitArgs,
    /// With variants: rank them by this overall metric (lower is best, except
    /// hit rates, speeds and SLO attainment; `:min`/`:max` overrides); prints
    /// and saves each one's probability of being best.
    #[arg(long, value_name = "METRIC[:min|:max]", default_value = DEFAULT_RANK_METRIC, value_parser = RankBy::parse)]
    pub rank_by: RankBy,
    /// Compute only shard I of N (1-based) of the replicates and write a
    /// partial directory for `agentsim merge` (see docs/cluster.md).
    #[arg(long, value_name = "I/N", value_parser = crate::shard::ShardSpec::parse)]
    pub shard: Option<crate::shard::ShardSpec>,
    /// Add replicates in order, from the scenario's count, until the 95% CI of
    /// every target metric is within REL of its mean (0.02 = ±2%) in every variant.
    #[arg(long, value_name = "REL", value_parser = crate::target_ci::parse_rel, conflicts_with = "shard")]
    pub target_ci: Option<f64>,
    /// An overall metric --target-ci must make precise (repeatable) [default: cost_usd_per_session].
    #[arg(long = "target-metric", value_name = "METRIC", requires = "target_ci")]
    pub target_metrics: Vec<String>,
    /// The most replicates --target-ci may use [default: 1000, or the starting count if larger].
    #[arg(long, value_name = "N", requires = "target_ci", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_replicates: Option<u32>,
}

/// How a command that writes a run directory writes it and what it prints
/// (`run`, `merge`, `plan`, `sensitivity`).
#[derive(Debug, Args)]
pub struct OutputFlags {
    /// No progress bar, no table: print only the output directory.
    #[arg(long, short)]
    pub quiet: bool,
    /// Do not draw the charts (charts/); `agentsim report DIR` draws them later.
    #[arg(long)]
    pub no_charts: bool,
    /// Write into an existing non-empty output directory, replacing agentsim's files there.
    #[arg(long)]
    pub force: bool,
}

/// How many replicates, from which seed, on how many threads.
#[derive(Debug, Args)]
pub struct ReplicateArgs {
    /// Number of replicates [default: the scenario's `simulation.replicates`].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub replicates: Option<u32>,
    /// Master seed, 0..=9223372036854775807 like the scenario's `simulation.seed`
    /// (TOML integers are signed 64-bit) [default: the scenario's `simulation.seed`].
    #[arg(long, value_name = "S", value_parser = clap::value_parser!(u64).range(..=MAX_SEED))]
    pub seed: Option<u64>,
    /// Worker threads; results do not depend on it [default: one per CPU].
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
}

impl ReplicateArgs {
    /// The scenario's run options with `--seed` and `--replicates` applied.
    pub fn options(&self, scenario: &sim_core::scenario::Scenario) -> sim_core::montecarlo::RunOptions {
        let mut opts = sim_core::montecarlo::RunOptions::from_scenario(scenario);
        opts.seed = self.seed.unwrap_or(opts.seed);
        opts.replicates = self.replicates.unwrap_or(opts.replicates);
        opts
    }
}

#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// Scenario file (TOML).
    pub file: PathBuf,
    /// Metric whose sensitivity to report, e.g. `cost_usd_per_session`
    /// (repeatable; overall scope; docs/outputs.md lists them).
    #[arg(long = "metric", value_name = "M", required = true)]
    pub metrics: Vec<String>,
    /// Also vary PATH from LOW to HIGH, e.g. `providers[0].serving.decode_tokens_per_s=50,200`
    /// (repeatable; replaces the default range of an assumed number at PATH).
    #[arg(long = "param", value_name = "PATH=LOW,HIGH", value_parser = sim_core::sensitivity::parse_param)]
    pub params: Vec<ParamSpec>,
    /// Vary only the --param paths, not the presets' assumed numbers.
    #[arg(long, requires = "params")]
    pub only_params: bool,
    #[command(flatten)]
    pub replicates: ReplicateArgs,
    /// Override a scenario value before varying, e.g. `--set simulation.replicates=30`
    /// (repeatable; a number set here is not an assumption any more).
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_override)]
    pub set: Vec<Override>,
    /// Output directory [default: outputs/<scenario-name>-sensitivity-<UTC timestamp>/].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputFlags,
    #[command(flatten)]
    pub limits: crate::work_limits::LimitArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario file (TOML).
    pub file: PathBuf,
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// Worker threads to assume in the memory estimate [default: one per CPU].
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    #[command(flatten)]
    pub limits: crate::work_limits::LimitArgs,
}

#[derive(Debug, Args)]
pub struct OverrideArgs {
    /// Override a scenario value, e.g. `--set providers[0].pricing.output_usd_per_mtok=20`
    /// (repeatable; validated like the file). VALUE is read as a TOML value: `20`, `true`,
    /// `"a string"`, `[1, 2]`, `{ kind = "fixed", value = 3 }`, a time of day `02:00`; text
    /// that is not valid TOML is taken as a string, so `ttl=1h` works unquoted.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_override)]
    pub set: Vec<Override>,
    /// Add a variant, compared with the baseline on the same replicates, e.g.
    /// `--variant ttl-1h=providers[0].cache.ttl=1h,providers[0].pricing.cache_write_usd_per_mtok=6`
    /// (repeatable; after the file's `[[variants]]`).
    #[arg(long = "variant", value_name = "NAME=KEY=VALUE,...", value_parser = parse_variant)]
    pub variants: Vec<VariantSpec>,
    /// Sweep a value: run every combination of the swept values (a grid), e.g.
    /// `--sweep providers[0].cache.ttl=5m,1h` or `--sweep workloads[0].arrivals.rate_per_s=0.5..8:5:log`
    /// (lo..hi:steps, evenly spaced or `:log`; repeatable; after the file's `[[sweep]]`).
    #[arg(long = "sweep", value_name = "KEY=V1,V2,...|KEY=LO..HI:STEPS[:log]", value_parser = parse_sweep)]
    pub sweep: Vec<SweepSpec>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }

    #[test]
    fn seed_flag_has_the_scenario_files_range() {
        let parse = |seed: &str| Cli::try_parse_from(["agentsim", "run", "s.toml", "--seed", seed]);
        let Command::Run(run) = parse("9223372036854775807").unwrap().command else { panic!("not run") };
        assert_eq!(run.replicates.seed, Some(i64::MAX as u64));
        let err = parse("9223372036854775808").unwrap_err().to_string();
        assert!(err.contains("9223372036854775808 is not in 0..=9223372036854775807"), "{err}");
    }
}
