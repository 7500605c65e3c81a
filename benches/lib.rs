//! Shared helpers of agentsim's benchmarks (see `benches/engine.rs`).

use sim_core::scenario::{Scenario, SourceText, load};
use std::path::Path;

/// Loads a bundled scenario relative to the workspace root.
pub fn bundled_scenario(relative: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    load(&SourceText { name: relative, text: &text }, &[]).unwrap_or_else(|e| panic!("{e}"))
}
