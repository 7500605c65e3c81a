//! Reading a scenario file from disk: its bytes (copied verbatim into the
//! output), their SHA-256, and the validated scenario with overrides applied.

use crate::input_file;
use sha2::{Digest as _, Sha256};
use sim_core::scenario::{
    self, MAX_SCENARIO_BYTES, Origin, Override, Problem, Scenario, ScenarioError, SourceText, Sweep, SweepSpec,
    Variant, VariantSpec,
};
use std::fmt::Write as _;
use std::path::Path;

/// A scenario file as read, and what it became.
#[derive(Debug)]
pub struct LoadedScenario {
    pub scenario: Scenario,
    /// The file's `[[variants]]`, then the `--variant`s, each applied.
    pub variants: Vec<Variant>,
    /// The grid of the file's `[[sweep]]` and the `--sweep`s, every point
    /// loaded with its variants; `None` when nothing is swept.
    pub sweep: Option<Sweep>,
    /// The file's exact bytes, for `scenario.toml` in the output.
    pub bytes: Vec<u8>,
    /// Lower-case hex SHA-256 of `bytes`.
    pub sha256: String,
}

/// Reads and validates `path` with `overrides`. A file that cannot be read
/// (missing, not a regular file) is an `InputFileError`; anything wrong with
/// its content, or with a file it names, or with a variant or a swept value, is a `ScenarioError`.
pub fn load(
    path: &Path,
    overrides: &[Override],
    variants: &[VariantSpec],
    sweep: &[SweepSpec],
) -> anyhow::Result<LoadedScenario> {
    let name = path.display().to_string();
    let bytes = read_bounded(path, &name)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| not_utf8(&name, &bytes, e.valid_up_to()))?;
    let files = file_source(path);
    let src = SourceText { name: &name, text };
    let scenario = scenario::load_with(&src, overrides, &files)?;
    let variants_loaded = scenario::load_variants(&src, overrides, &files, &scenario, variants)?;
    let sweep = scenario::load_sweep(&src, overrides, &files, &scenario, sweep, variants)?;
    let sha256 = hex_sha256(&bytes);
    Ok(LoadedScenario { scenario, variants: variants_loaded, sweep, bytes, sha256 })
}

impl LoadedScenario {
    /// Every scenario a run simulates on each replicate: the baseline (a
    /// sweep's point 0's), then its variants and every other point's
    /// baseline and variants, so the work estimate counts them all.
    pub fn all_scenarios(&self) -> (&Scenario, Vec<&Scenario>) {
        fn with_variants<'a>(s: &'a Scenario, v: &'a [Variant]) -> impl Iterator<Item = &'a Scenario> {
            std::iter::once(s).chain(v.iter().map(|v| &v.scenario))
        }
        let mut all: Vec<&Scenario> = match &self.sweep {
            Some(sweep) => sweep.points.iter().flat_map(|p| with_variants(&p.scenario, &p.variants)).collect(),
            None => with_variants(&self.scenario, &self.variants).collect(),
        };
        let first = all.remove(0);
        (first, all)
    }

    /// The same file again with other overrides (`plan` loads one scenario
    /// per searched value), without reading the disk again.
    pub fn reload(&self, path: &Path, overrides: &[Override]) -> anyhow::Result<Scenario> {
        let name = path.display().to_string();
        let text = std::str::from_utf8(&self.bytes).map_err(|e| not_utf8(&name, &self.bytes, e.valid_up_to()))?;
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let files = move |p: &str| input_file::read_text(&dir.join(p));
        Ok(scenario::load_with(&SourceText { name: &name, text }, overrides, &files)?)
    }
}

/// Reads the files a scenario names (LiteLLM catalogs, traces), relative to its directory.
pub fn file_source(path: &Path) -> impl Fn(&str) -> Result<String, String> + use<> {
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    move |p: &str| input_file::read_text(&dir.join(p))
}

/// The file's bytes, reading at most one byte past [`MAX_SCENARIO_BYTES`]: a
/// larger file is refused (exit 2) before it costs memory or parse time.
fn read_bounded(path: &Path, name: &str) -> anyhow::Result<Vec<u8>> {
    let bytes = input_file::read_prefix(path, "scenario file", MAX_SCENARIO_BYTES as u64 + 1)?;
    if bytes.len() > MAX_SCENARIO_BYTES {
        let len = std::fs::metadata(path).map_or(0, |m| m.len()).max(bytes.len() as u64);
        return Err(ScenarioError::too_large(name, len).into());
    }
    Ok(bytes)
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A file that is not UTF-8 is a problem with the scenario, not with the disk,
/// so it is reported like the others: with the place it happens.
fn not_utf8(name: &str, bytes: &[u8], valid_up_to: usize) -> ScenarioError {
    let before = &bytes[..valid_up_to];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    // The prefix is valid UTF-8, so counting chars gives a character column.
    let column = 1 + String::from_utf8_lossy(&before[line_start..]).chars().count();
    ScenarioError::one(Problem {
        origin: Origin::File { file: name.to_string(), line, column },
        path: String::new(),
        message: "the file is not valid UTF-8 text".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(hex_sha256(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn invalid_utf8_is_located() {
        // Line 2 is `ab`, `é` (two bytes, one column), `c`, then an invalid byte.
        let bytes = b"name = \"x\"\nab\xc3\xa9c\xff\n".to_vec();
        let valid = std::str::from_utf8(&bytes).unwrap_err().valid_up_to();
        let err = not_utf8("s.toml", &bytes, valid);
        assert_eq!(err.problems[0].origin, Origin::File { file: "s.toml".into(), line: 2, column: 5 });
    }
}
