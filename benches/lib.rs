//! Shared helpers of agentsim's benchmarks (see `benches/engine.rs`).

use sim_core::scenario::{Override, Scenario, SourceText, load};
use std::path::Path;

/// Loads a bundled scenario relative to the workspace root.
pub fn bundled_scenario(relative: &str) -> Scenario {
    bundled_scenario_with(relative, &[])
}

/// Loads a bundled scenario with `--set`-style overrides (`(path, value)`,
/// the value as TOML), so a benchmark can scale a pinned scenario without a
/// copy of it.
pub fn bundled_scenario_with(relative: &str, set: &[(&str, &str)]) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let overrides: Vec<Override> =
        set.iter().map(|(p, v)| Override { path: p.to_string(), value: v.to_string() }).collect();
    load(&SourceText { name: relative, text: &text }, &overrides).unwrap_or_else(|e| panic!("{e}"))
}
