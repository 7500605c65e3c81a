//! `agentsim providers list|show|import-litellm`: the built-in provider catalog
//! and the LiteLLM price-file import, printed as scenario-file TOML.
//!
//! The catalog itself (presets, conversion) lives in `sim_core::catalog`; this
//! module only reads the LiteLLM file and formats. Unknown presets and bad
//! LiteLLM entries are input errors (exit 2, see `exit`), and so is a catalog
//! file that cannot be read.

use crate::args::{ImportLitellmArgs, ProvidersCommand};
use crate::columns;
use crate::csv_row::float_cell;
use anyhow::Context as _;
use sim_core::catalog::{self, UnknownPreset, litellm};
use std::io::Write;

pub fn run(cmd: &ProvidersCommand, stdout: &mut dyn Write) -> anyhow::Result<()> {
    match cmd {
        ProvidersCommand::List => list(stdout),
        ProvidersCommand::Show { name } => show(name, stdout),
        ProvidersCommand::ImportLitellm(args) => import_litellm(args, stdout),
    }
}

/// One row per preset, columns aligned; prices in USD per Mtok.
fn list(stdout: &mut dyn Write) -> anyhow::Result<()> {
    let header = ["name", "input", "cache read", "cache write", "output", "cache", "ttl", "min tokens", "as_of"];
    let mut rows: Vec<Vec<String>> = vec![header.map(String::from).to_vec()];
    let mut hosted: Vec<Vec<String>> =
        vec![["self-hosted", "model", "step", "kv blocks", "usd/replica-hour", "as_of"].map(String::from).to_vec()];
    for name in catalog::preset_names() {
        let text = catalog::preset_toml(name).context("preset listed but missing")?;
        if catalog::is_self_hosted(text) {
            let s = catalog::summarize_self_hosted(text)
                .map_err(|e| anyhow::anyhow!("built-in preset {name} is malformed: {e}"))?;
            hosted.push(vec![name.to_owned(), s.model, s.step, s.kv_blocks, s.usd_per_replica_hour, s.as_of]);
            continue;
        }
        // A preset that does not parse is a bug caught by sim-core's tests.
        let s = catalog::summarize(text).map_err(|e| anyhow::anyhow!("built-in preset {name} is malformed: {e}"))?;
        let off = s.cache_mode == "off";
        rows.push(vec![
            name.to_owned(),
            float_cell(s.input_usd_per_mtok),
            float_cell(s.cache_read_usd_per_mtok),
            float_cell(s.cache_write_usd_per_mtok),
            float_cell(s.output_usd_per_mtok),
            s.cache_mode,
            // A disabled cache has no TTL or minimum worth showing.
            if off { "-".into() } else { s.ttls.join(",") },
            if off { "-".into() } else { s.min_tokens.to_string() },
            s.as_of,
        ]);
    }
    // Text columns (name, cache mode, TTLs, date) left, numbers right.
    let left = [true, false, false, false, false, true, true, false, true];
    for line in columns::align(&rows, &left) {
        writeln!(stdout, "{line}")?;
    }
    if hosted.len() > 1 {
        writeln!(stdout)?;
        for line in columns::align(&hosted, &[true, true, true, false, false, true]) {
            writeln!(stdout, "{line}")?;
        }
    }
    writeln!(
        stdout,
        "\nprices in USD per million tokens; cache write is the first tier's price; \
         self-hosted replicas are billed per replica-hour (docs/serving.md); \
         `agentsim providers show NAME` prints a preset in full"
    )?;
    Ok(())
}

fn show(name: &str, stdout: &mut dyn Write) -> anyhow::Result<()> {
    let text = catalog::preset_toml(name).ok_or_else(|| UnknownPreset::new(name))?;
    writeln!(stdout, "# preset `{name}`; or write `preset = \"{name}\"` and override single keys")?;
    write!(stdout, "{}", catalog::provider_block(name, text))?;
    Ok(())
}

fn import_litellm(args: &ImportLitellmArgs, stdout: &mut dyn Write) -> anyhow::Result<()> {
    let json = crate::input_file::read_string(&args.file, "LiteLLM catalog")?;
    let parsed =
        litellm::Catalog::parse(&json).with_context(|| format!("reading LiteLLM catalog {}", args.file.display()))?;
    // Convert every key before printing anything, so that an error leaves no
    // half-written output to paste.
    let mut blocks = Vec::with_capacity(args.models.len());
    for key in &args.models {
        let table = parsed.provider_toml(key).with_context(|| format!("importing from {}", args.file.display()))?;
        blocks.push(catalog::provider_block(key, &table));
    }
    writeln!(stdout, "{}", blocks.join("\n").trim_end())?;
    Ok(())
}
