//! The replicate progress bar on stderr: drawn only for a person watching a
//! terminal, so logs and pipes stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal as _;

/// A bar counting finished replicates, or a hidden one that costs nothing.
pub fn replicate_bar(total: u32, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(u64::from(total)), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {pos}/{len} replicates, ETA {eta}")
        .expect("the template is valid")
        .progress_chars("=> ");
    bar.set_style(style);
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_bar_is_hidden_and_still_counts() {
        let bar = replicate_bar(3, true);
        assert!(bar.is_hidden());
        bar.inc(2);
        assert_eq!(bar.position(), 2);
    }
}
