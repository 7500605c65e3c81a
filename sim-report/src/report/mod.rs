//! report.html and report.md of a run: one document built from the run
//! directory and its rendered charts, then written out twice (HTML with the
//! SVGs inline, Markdown linking the PNGs), so both hold the same content.

mod findings;
pub mod html;
pub mod markdown;
mod metrics;
mod scenario;

use crate::chart::Rendered;
use crate::data::RunData;

/// The report's file names inside the run directory.
pub const HTML_FILE: &str = "report.html";
pub const MARKDOWN_FILE: &str = "report.md";

/// The section headings, in order: the tests and docs name these.
pub const SECTIONS: [&str; 6] =
    ["What was simulated", "Key findings", "Charts", "Metrics", "Assumptions and model limits", "Reproduce this run"];

/// The report as a list of sections, independent of the output format.
#[derive(Debug)]
pub struct Document {
    pub title: String,
    pub sections: Vec<Section>,
}

#[derive(Debug)]
pub struct Section {
    pub heading: &'static str,
    pub blocks: Vec<Block>,
}

/// Text in blocks is plain (escaped by each writer), except `Code` which is
/// shown verbatim in a monospace block.
#[derive(Debug)]
pub enum Block {
    Paragraph(String),
    Subheading(String),
    List(Vec<String>),
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// `stem`: the file name without extension (`cost_per_session_p3`).
    Chart {
        stem: String,
        title: String,
        svg: String,
    },
    Code(String),
    /// Blocks shown under a summary line, folded (a sweep point's charts).
    Group {
        summary: String,
        blocks: Vec<Block>,
    },
}

/// Builds the document of `run`, with `charts` as rendered (in STEMS order).
pub fn build(run: &RunData, charts: &[Rendered]) -> Document {
    let s = &run.summary;
    let blocks = |i: usize| match i {
        0 => scenario::what_was_simulated(run),
        1 => findings::key_findings(run),
        2 => chart_blocks(charts),
        3 => metrics::tables(run),
        4 => scenario::assumptions_and_limits(run),
        _ => reproduce(run),
    };
    Document {
        title: format!("agentsim report: {}", s.scenario),
        sections: SECTIONS.iter().enumerate().map(|(i, heading)| Section { heading, blocks: blocks(i) }).collect(),
    }
}

fn chart_blocks(charts: &[Rendered]) -> Vec<Block> {
    if charts.is_empty() {
        return vec![Block::Paragraph("This run's data allows no chart.".into())];
    }
    let block = |c: &Rendered| Block::Chart {
        stem: c.file_stem(),
        title: c.title.clone(),
        svg: String::from_utf8_lossy(&c.svg).into_owned(),
    };
    // A sweep point's charts come together (render_all's order): one group each.
    let mut out: Vec<Block> = Vec::new();
    for c in charts {
        match (&c.point, out.last_mut()) {
            (None, _) => out.push(block(c)),
            (Some((p, label)), Some(Block::Group { summary, blocks })) if *summary == point_summary(*p, label) => {
                blocks.push(block(c));
            }
            (Some((p, label)), _) => {
                out.push(Block::Group { summary: point_summary(*p, label), blocks: vec![block(c)] });
            }
        }
    }
    out
}

fn point_summary(point: usize, label: &str) -> String {
    format!("Sweep point {point}: {label}")
}

/// The command line, seed and scenario hash from manifest.json: running the
/// command again on the same scenario file gives the same numbers.
fn reproduce(run: &RunData) -> Vec<Block> {
    let Some(m) = &run.manifest else {
        return vec![Block::Paragraph("This directory has no manifest.json: the command is unknown.".into())];
    };
    let mut out = Vec::new();
    if let Some(args) = m["command_line"].as_array() {
        let words: Vec<String> = args.iter().filter_map(|a| a.as_str()).map(shell_quote).collect();
        out.push(Block::Code(words.join(" ")));
    }
    let field = |k: &str| match &m[k] {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        v => Some(v.to_string()),
    };
    let mut facts = Vec::new();
    for (key, what) in [
        ("scenario_file", "scenario file"),
        ("scenario_sha256", "scenario SHA-256"),
        ("seed", "seed"),
        ("replicates", "replicates"),
        ("agentsim_version", "agentsim version"),
        ("started_utc", "started (UTC)"),
    ] {
        if let Some(v) = field(key) {
            facts.push(format!("{what}: {v}"));
        }
    }
    out.push(Block::List(facts));
    out.push(Block::Paragraph(
        "The same scenario file (same SHA-256), seed and replicate count give byte-identical results \
         whatever the thread count."
            .into(),
    ));
    out
}

/// A word as a POSIX shell would need it written.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
    if plain { word.to_string() } else { format!("'{}'", word.replace('\'', r"'\''")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_quote("--out"), "--out");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
