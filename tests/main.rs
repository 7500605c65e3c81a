//! agentsim's integration tests, all in one binary: the CLI runs in-process
//! (`sim_cli::main_with_args`) on scenario files, into scratch directories.

// Shared helpers: running the CLI, scratch directories, test scenarios.
mod support;
// Running the real binary as a child process (signals, concurrency, blocking reads).
#[cfg(unix)]
mod process;
// What every rejected input must print: exit 2, located, capped, bounded lines.
mod rejections;

// FIFO ties in the event queue; token-class conservation on random scenarios.
mod invariants;
// Random valid scenarios: every output's identities hold, every number finite and in range.
mod accepted_outputs;
// The up-front work estimate against real runs of the bundled scenarios.
mod estimate;
// Runs stopped at a limit write nothing; runs too large are refused up front.
mod run_limits;

// The bundled quickstart runs, and every metric is present in every scope.
mod quickstart;
// docs/outputs.md lists every metric of the registry, in order, with its unit, and no stale one.
mod metrics_docs;
// M/M/1, M/M/c and M/D/1 scenarios against their closed forms, and Little's law.
mod queueing_validation;
// Byte-identical outputs for the same seed: runs, threads 1/2/4, shards, resume; every bundled scenario; a pinned hash.
mod determinism;
// Invalid scenarios: every problem with file:line:column and key path, exit 2, nothing written.
mod invalid_scenario;
// `--set`, `--replicates`, `--seed` change what runs, and bad overrides are reported.
mod overrides;
// Output directories are never clobbered without --force, and writes are all-or-nothing.
mod no_clobber;
// requests.csv columns and per-request invariants (token classes sum to input).
mod requests_csv;
// timeseries.csv: the interval grid, and rows that reconcile with requests.csv and the cost.
mod timeseries_csv;
// `validate`, `schema`, and clap's help and usage errors.
mod commands;
// Provider presets, LiteLLM import billing as LiteLLM's rules say, `agentsim providers`.
mod catalog;
// `agentsim replay` on a Mooncake cut: table, replay.csv, hit rates vs an independent prefix walk.
mod replay;
// A Mooncake trace as a scenario workload: every request replayed, hits bounded by the cache model.
mod trace_workload;
// The bundled workload scenarios: the coding agent against TraceLab's published statistics, and each one's effect.
mod bundled_workloads;
// Azure, generic and agent (TraceLab) traces through the one parser seam; open vs closed-loop replay.
mod trace_formats;
// Runs killed or interrupted at many points leave a complete run or none; concurrent runs are refused.
#[cfg(unix)]
mod interrupted_runs;
// The integrity reproducers of issue 6 about inputs and output directories, one test each.
#[cfg(unix)]
mod integrity_regressions;
// Problems capped with an exact count, the file-size limit, exponent durations, long values cut.
mod validation_limits;
// Generated malformed scenarios, `--set` values, trace rows and flags: no panic, exit 2, located and capped.
mod malformed;
// sim-core's module layering, no-I/O and portable-maths rules, read from its source.
mod layering;
// Rate limits, retries and outages through the CLI: 429s in requests.csv and the metrics, the example.
mod admission;
// Every bundled workload validates and runs on every preset (breakpoint tier intents).
mod portable_workloads;
// Variants: paired comparison end to end.
mod variants;
// Sweeps: a point is its --set run, sweep.csv and the point columns, thread-independent, located errors.
mod sweeps;
// `agentsim plan`: Erlang C answers by bisection, whole-range outcomes, saturation, --cheapest.
mod plan;
// `agentsim sensitivity`: tornado order, exact zeros on common random numbers, preset assumptions, bad flags.
mod sensitivity;
// distributions.csv: the quantile grids per variant, their percentiles equal summary.json's.
mod distributions;
// Shards in separate processes, merged in any order, equal the single-machine run.
mod shards;
// Interrupt part-way, then `run --resume`: the uninterrupted run's bytes.
mod resume;
// --target-ci: replicates added in order until the intervals are narrow enough.
mod target_ci;
// Charts: every chart of every bundled scenario renders to a PNG and a well-formed SVG, equals summary.json, `agentsim report`.
mod charts;
// Every image docs/*.md and README.md show exists (or is listed as pending another branch's chart).
mod doc_images;
// docs/findings.md quotes what scenarios/examples/cache_claim.toml writes now.
mod findings;
// summary.json reads back into sim-core's Summary and writes the same bytes.
mod summary_roundtrip;
// report.html and report.md: well-formed, every section and chart, nothing external, deterministic.
mod reports;
// report.html opened in headless Chromium: no console error, not a blank page (skipped without a browser).
mod report_browser;
