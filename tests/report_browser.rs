//! report.html opened in a real browser: headless Chromium loads it from
//! disk, takes a screenshot, and the test fails on any console message (the
//! page has no script, so one is an error: a blocked or failed load) or a
//! blank page. Without Chromium on PATH it says it was skipped, unless
//! AGENTSIM_REQUIRE_BROWSER=1 (set by .ci/run once it has installed one).

use crate::support::{agentsim, arg, bundled_run};
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

const BROWSERS: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// The first browser of [`BROWSERS`] found on PATH.
fn find_browser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    BROWSERS.iter().find_map(|name| std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file()))
}

/// (width, height, distinct pixel values seen, up to 2) of a PNG.
fn colours(png_bytes: &[u8]) -> (u32, u32, usize) {
    let mut decoder = png::Decoder::new(png_bytes);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("the screenshot is not a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("the screenshot's PNG data");
    let channels = reader.output_color_type().0.samples();
    let pixels = &buf[..info.buffer_size()];
    let first = &pixels[..channels];
    let distinct = if pixels.chunks(channels).all(|p| p == first) { 1 } else { 2 };
    (info.width, info.height, distinct)
}

#[test]
fn report_html_opens_in_headless_chromium_without_console_errors() {
    let Some(browser) = find_browser() else {
        assert!(
            std::env::var("AGENTSIM_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "AGENTSIM_REQUIRE_BROWSER=1 but none of {BROWSERS:?} is on PATH"
        );
        // Written past the test harness's capture, so a local run shows it.
        let _ = std::io::stderr().write_all(b"report_browser: skipped: no Chromium on PATH\n");
        return;
    };
    let (s, out) = bundled_run("report-browser", "examples/ttl_comparison.toml", &["--replicates", "2"]);
    agentsim(["report", &arg(&out)]).expect_code(0);
    let shot = s.path("screenshot.png");
    let url = format!("file://{}", out.join("report.html").canonicalize().unwrap().display());
    let run = Command::new(&browser)
        .args(["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--hide-scrollbars"])
        .arg(format!("--user-data-dir={}", s.path("profile").display()))
        .arg(format!("--screenshot={}", shot.display()))
        .args(["--window-size=1280,2000", "--enable-logging=stderr", "--v=0"])
        .arg(&url)
        .output()
        .expect("cannot start the browser");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{} failed ({}): {stderr}", browser.display(), run.status);
    // Chromium logs every console message of the page as `...:CONSOLE...] "text", source: ...`.
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages loading report.html:\n{}", console.join("\n"));
    let (w, h, distinct) = colours(&std::fs::read(&shot).expect("no screenshot written"));
    assert_eq!((w, h), (1280, 2000));
    assert!(distinct > 1, "the screenshot of report.html is blank (one colour)");
    drop(s);
}

#[test]
fn a_blank_or_coloured_png_is_told_apart() {
    // The blank-page check itself, on PNGs made here.
    let encode = |rgb: &[u8]| {
        let mut out = Vec::new();
        let mut e = png::Encoder::new(&mut out, 2, 1);
        e.set_color(png::ColorType::Rgb);
        e.set_depth(png::BitDepth::Eight);
        e.write_header().unwrap().write_image_data(rgb).unwrap();
        out
    };
    assert_eq!(colours(&encode(&[255, 255, 255, 255, 255, 255])), (2, 1, 1));
    assert_eq!(colours(&encode(&[255, 255, 255, 0, 0, 0])), (2, 1, 2));
}
