//! report.html: the document as XHTML-compatible HTML (every element
//! closed, every attribute quoted, all text escaped), the charts' SVG inline,
//! the style inline, no script and no reference to any other file, so it
//! opens offline in any browser and parses as XML.

use super::{Block, Document};
use std::fmt::Write;

const STYLE: &str = "body{font-family:sans-serif;margin:2em auto;max-width:1250px;padding:0 1em;color:#222;background:#fff}\
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;margin-top:2em}\
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}\
th,td{border:1px solid #ccc;padding:0.2em 0.5em;text-align:left;vertical-align:top}\
th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums}\
details{margin:0.5em 0}summary{cursor:pointer;font-weight:bold}figure{margin:1em 0}figure svg{max-width:100%;height:auto}figcaption{color:#666;font-size:0.8em}\
pre{background:#f6f6f6;padding:0.6em;overflow-x:auto;white-space:pre-wrap}";

/// The whole page.
pub fn render(doc: &Document) -> String {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n");
    h.push_str("<meta charset=\"utf-8\"/>\n");
    let _ = writeln!(h, "<title>{}</title>", escape(&doc.title));
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(h, "<h1>{}</h1>", escape(&doc.title));
    for section in &doc.sections {
        let _ = writeln!(h, "<h2 id=\"{}\">{}</h2>", anchor(section.heading), escape(section.heading));
        for block in &section.blocks {
            block_html(&mut h, block);
        }
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn block_html(h: &mut String, block: &Block) {
    match block {
        Block::Paragraph(text) => {
            let _ = writeln!(h, "<p>{}</p>", escape(text));
        }
        Block::Subheading(text) => {
            let _ = writeln!(h, "<h3>{}</h3>", escape(text));
        }
        Block::List(items) => {
            h.push_str("<ul>\n");
            for item in items {
                let _ = writeln!(h, "<li>{}</li>", escape(item));
            }
            h.push_str("</ul>\n");
        }
        Block::Table { header, rows } => {
            h.push_str("<table>\n<thead><tr>");
            for cell in header {
                let _ = write!(h, "<th>{}</th>", escape(cell));
            }
            h.push_str("</tr></thead>\n<tbody>\n");
            for row in rows {
                h.push_str("<tr>");
                for cell in row {
                    // Numbers align right so their digits line up.
                    let class = if looks_numeric(cell) { " class=\"n\"" } else { "" };
                    let _ = write!(h, "<td{class}>{}</td>", escape(cell));
                }
                h.push_str("</tr>\n");
            }
            h.push_str("</tbody>\n</table>\n");
        }
        Block::Chart { stem, title, svg } => {
            // The title is drawn in the chart; the caption names its files.
            let _ = writeln!(
                h,
                "<figure id=\"chart-{stem}\" title=\"{}\">\n<figcaption>charts/{stem}.png, charts/{stem}.svg</figcaption>",
                escape(title)
            );
            // plotters' SVG is well-formed XML already; inlined as is.
            h.push_str(svg.trim());
            h.push_str("\n</figure>\n");
        }
        Block::Code(text) => {
            let _ = writeln!(h, "<pre><code>{}</code></pre>", escape(text));
        }
        Block::Group { summary, blocks } => {
            // Folded without script: the browser opens it on a click.
            let _ = writeln!(h, "<details>\n<summary>{}</summary>", escape(summary));
            for b in blocks {
                block_html(h, b);
            }
            h.push_str("</details>\n");
        }
    }
}

fn looks_numeric(cell: &str) -> bool {
    cell.parse::<f64>().is_ok() || cell.starts_with('[')
}

/// Text escaped for element content and quoted attribute values alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "Key findings" -> "key-findings".
pub fn anchor(heading: &str) -> String {
    heading.to_lowercase().split_whitespace().collect::<Vec<_>>().join("-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Document, Section};

    #[test]
    fn every_text_is_escaped_and_the_page_has_no_script() {
        let doc = Document {
            title: "a <b> & \"c\"".into(),
            sections: vec![Section {
                heading: "Key findings",
                blocks: vec![
                    Block::List(vec!["<script>alert(1)</script>".into()]),
                    Block::Table { header: vec!["x'y".into()], rows: vec![vec!["1.5".into()], vec!["-".into()]] },
                ],
            }],
        };
        let h = render(&doc);
        assert!(h.contains("<title>a &lt;b&gt; &amp; &quot;c&quot;</title>"), "{h}");
        assert!(h.contains("<li>&lt;script&gt;alert(1)&lt;/script&gt;</li>"));
        assert!(h.contains("<th>x&#39;y</th>") && h.contains("<td class=\"n\">1.5</td>") && h.contains("<td>-</td>"));
        assert!(h.contains("<h2 id=\"key-findings\">Key findings</h2>"));
        assert!(!h.contains("<script"));
    }
}
