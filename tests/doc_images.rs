//! Every image the docs show exists: each `![...](path)` in docs/*.md and
//! README.md names a file in the repository, so a renamed or forgotten chart
//! breaks the build rather than the page a reader opens.

use std::path::{Path, PathBuf};

/// Images referenced before the chart that draws them is merged (charts of
/// other branches of issue 9). The lead regenerates each with the command the
/// tutorial quotes and removes it from here; a listed file that exists fails
/// the test, so the list cannot outlive its reason.
const PENDING: &[&str] = &[];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The targets of the markdown images in `text`, in order.
fn image_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("![") {
        rest = &rest[start + 2..];
        let Some(close) = rest.find("](") else { break };
        let after = &rest[close + 2..];
        let Some(end) = after.find(')') else { break };
        // A title after the path (`![a](p.png "t")`) is not part of the path.
        let target = after[..end].split_whitespace().next().unwrap_or("");
        targets.push(target.to_string());
        rest = &after[end..];
    }
    targets
}

/// (page, target, path from the repository root) of every local image.
fn referenced_images() -> Vec<(String, String, String)> {
    let mut pages = vec![repo().join("README.md")];
    for entry in std::fs::read_dir(repo().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    pages.sort();
    let mut images = Vec::new();
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        let base = page.parent().unwrap().strip_prefix(repo()).unwrap().to_path_buf();
        for target in image_targets(&text) {
            if target.contains("://") {
                continue;
            }
            let path = base.join(&target).to_string_lossy().trim_start_matches("./").to_string();
            images.push((page.file_name().unwrap().to_string_lossy().to_string(), target, path));
        }
    }
    images
}

#[test]
fn image_targets_are_read_from_markdown() {
    let text = "a ![one](images/a.png) b ![two](images/b.png \"title\") [not](c.png) ![x](https://e/x.png)";
    assert_eq!(image_targets(text), ["images/a.png", "images/b.png", "https://e/x.png"]);
}

#[test]
fn every_image_the_docs_reference_exists() {
    let images = referenced_images();
    assert!(images.iter().any(|(page, ..)| page == "tutorial.md"), "the tutorial shows no image");
    let missing: Vec<_> =
        images.iter().filter(|(.., path)| !PENDING.contains(&path.as_str()) && !repo().join(path).is_file()).collect();
    assert!(missing.is_empty(), "images referenced but missing (page, target, path): {missing:?}");
}

#[test]
fn pending_images_are_referenced_and_not_yet_there() {
    let images = referenced_images();
    for pending in PENDING {
        assert!(images.iter().any(|(.., p)| p == pending), "{pending} is pending but no page shows it");
        assert!(!repo().join(pending).exists(), "{pending} exists now: remove it from PENDING");
    }
}
