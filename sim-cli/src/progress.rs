//! The replicate progress bar on stderr: drawn only for a person watching a
//! terminal, so logs and pipes stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal as _;

/// A bar counting finished replicates, or a hidden one that costs nothing.
pub fn replicate_bar(total: u32, quiet: bool) -> ProgressBar {
    units_bar(u64::from(total), "replicates", quiet)
}

/// A bar counting `total` finished units named `what` (replicates, or a
/// sweep's (point, replicate) pairs), or a hidden one.
pub fn units_bar(total: u64, what: &str, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template = format!("{{elapsed:>4}} [{{bar:30}}] {{pos}}/{{len}} {what}, ETA {{eta}}");
    let style = ProgressStyle::with_template(&template).expect("the template is valid").progress_chars("=> ");
    bar.set_style(style);
    bar
}

/// A spinner naming a step that has no count (rendering the charts), or a
/// hidden one; the caller clears it when the step ends.
pub fn step_spinner(what: &'static str, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(ProgressStyle::with_template("{elapsed:>4} {spinner} {msg}").expect("the template is valid"));
    bar.set_message(what);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
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
