//! report.md: the same document as report.html in Markdown, for pasting into
//! docs and pull requests; charts are linked as `<charts_dir>/<stem>.png`
//! (beside the report in the run directory) instead of inlined.

use super::{Block, Document};
use std::fmt::Write;

/// The page; `charts_dir` is the charts' directory relative to the report.
pub fn render(doc: &Document, charts_dir: &str) -> String {
    let mut m = String::new();
    let _ = writeln!(m, "# {}", inline(&doc.title));
    for section in &doc.sections {
        let _ = writeln!(m, "\n## {}", inline(section.heading));
        for block in &section.blocks {
            m.push('\n');
            block_md(&mut m, block, charts_dir);
        }
    }
    m
}

fn block_md(m: &mut String, block: &Block, charts_dir: &str) {
    match block {
        Block::Paragraph(text) => {
            let _ = writeln!(m, "{}", inline(text));
        }
        Block::Subheading(text) => {
            let _ = writeln!(m, "### {}", inline(text));
        }
        Block::List(items) => {
            for item in items {
                let _ = writeln!(m, "- {}", inline(item));
            }
        }
        Block::Table { header, rows } => {
            let _ = writeln!(m, "| {} |", header.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | "));
            let _ = writeln!(m, "|{}", "---|".repeat(header.len()));
            for row in rows {
                let _ = writeln!(m, "| {} |", row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | "));
            }
        }
        Block::Chart { stem, title, .. } => {
            let _ = writeln!(m, "**{}**\n\n![{}]({charts_dir}/{stem}.png)", inline(title), inline(title));
        }
        Block::Code(text) => {
            let _ = writeln!(m, "```sh\n{text}\n```");
        }
        Block::Group { summary, blocks } => {
            let _ = writeln!(m, "### {}", inline(summary));
            for b in blocks {
                m.push('\n');
                block_md(m, b, charts_dir);
            }
        }
    }
}

/// Text safe in a Markdown line: characters Markdown or HTML would read as
/// markup are backslash-escaped, line breaks become spaces.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn cell(text: &str) -> String {
    if text.is_empty() { " ".to_string() } else { inline(text) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(inline("a_b *c* <d> | e\nf"), r"a\_b \*c\* \<d\> \| e f");
    }
}
