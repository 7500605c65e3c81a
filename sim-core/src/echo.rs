//! Echoing user input in messages without letting it flood them: a 100 KB
//! `--set` value or key must not print whole.
//!
//! Rules (docs/scenario-reference.md, "Error messages"): a value is shown up to
//! [`MAX_ECHO_CHARS`] characters, then `…` and how many bytes were left out;
//! control characters (a newline in a multi-line string) are shown escaped
//! (`\n`), so each problem stays on one line; no message is longer than
//! [`MAX_MESSAGE_CHARS`] characters.

use std::borrow::Cow;

/// The most characters of one user value a message repeats.
pub const MAX_ECHO_CHARS: usize = 60;

/// The most characters of one whole message (a safety net for messages that
/// quote a value without going through [`clip`]).
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// `text` itself if short, else its first [`MAX_ECHO_CHARS`] characters, `…`
/// and the number of bytes cut: `aaaa…(+99940 bytes)`. Control characters are
/// escaped.
pub fn clip(text: &str) -> Cow<'_, str> {
    clip_to(text, MAX_ECHO_CHARS)
}

fn clip_to(text: &str, max_chars: usize) -> Cow<'_, str> {
    let (kept, cut) = match text.char_indices().nth(max_chars) {
        None => (text, None),
        Some((at, _)) => (&text[..at], Some(text.len() - at)),
    };
    let kept = escape_controls(kept);
    match cut {
        None => kept,
        Some(bytes) => Cow::Owned(format!("{kept}…(+{bytes} bytes)")),
    }
}

/// `\n`, `\t`, `\u{1b}` for control characters; the text itself if it has none.
fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Bounds a finished message: every run quoted in backticks or double quotes
/// longer than [`MAX_ECHO_CHARS`] is clipped, then the whole message to
/// [`MAX_MESSAGE_CHARS`]. Messages quote what the user typed (`unknown key
/// `x``, serde's `invalid type: string "x"`), so this catches an echo that a
/// message's author forgot to [`clip`].
pub fn bound_message(message: &str) -> Cow<'_, str> {
    if message.chars().count() <= MAX_ECHO_CHARS {
        return escape_controls(message);
    }
    let mut out = String::with_capacity(message.len().min(4 * MAX_MESSAGE_CHARS));
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        let quote = rest[open..].chars().next().unwrap_or('`');
        out.push_str(&rest[..=open]);
        let inner = &rest[open + 1..];
        let Some(close) = inner.find(quote) else {
            // An unpaired quote: clip what follows it like a quoted run.
            out.push_str(&clip(inner));
            rest = "";
            break;
        };
        out.push_str(&clip(&inner[..close]));
        out.push(quote);
        rest = &inner[close + 1..];
    }
    out.push_str(rest);
    // Also escapes control characters outside quotes: one problem, one line.
    let bounded = clip_to(&out, MAX_MESSAGE_CHARS);
    if bounded == message { Cow::Borrowed(message) } else { Cow::Owned(bounded.into_owned()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_unchanged() {
        assert!(matches!(clip("30s"), Cow::Borrowed("30s")));
        let exact = "x".repeat(MAX_ECHO_CHARS);
        assert_eq!(clip(&exact), exact);
    }

    #[test]
    fn long_text_keeps_its_start_and_counts_the_cut() {
        let text = "a".repeat(100_000);
        assert_eq!(clip(&text), format!("{}…(+{} bytes)", "a".repeat(60), 100_000 - 60));
        // Characters, not bytes: a multi-byte character is never split.
        let wide = "é".repeat(61);
        assert_eq!(clip(&wide), format!("{}…(+2 bytes)", "é".repeat(60)));
    }

    #[test]
    fn control_characters_are_escaped_so_messages_stay_on_one_line() {
        assert_eq!(clip("a\nb\tc"), "a\\nb\\tc");
        assert_eq!(bound_message("got `'''\nx`"), "got `'''\\nx`");
        let long = format!("{}\n{}", "a".repeat(100), "b".repeat(100));
        assert!(!bound_message(&format!("unknown key `{long}` for x")).contains('\n'));
        assert!(!bound_message(&format!("value {long} without quotes")).contains('\n'));
    }

    #[test]
    fn messages_clip_every_long_quoted_run() {
        let long = "v".repeat(500);
        let message = format!("unknown key `{long}` and string \"{long}\"; expected `a`");
        let bounded = bound_message(&message);
        let cut = format!("{}…(+440 bytes)", "v".repeat(60));
        assert_eq!(bounded, format!("unknown key `{cut}` and string \"{cut}\"; expected `a`"));
        let unpaired = format!("bad `{long}");
        assert_eq!(bound_message(&unpaired), format!("bad `{cut}"));
    }

    #[test]
    fn messages_are_bounded_even_without_quotes() {
        let message = "word ".repeat(1000);
        let bounded = bound_message(&message);
        assert!(bounded.chars().count() <= MAX_MESSAGE_CHARS + 30, "{}", bounded.len());
        assert!(bounded.contains("…(+"));
        let fine = "must be >= 1 (got `0`); see docs/scenario-reference.md for the bounds of every key";
        assert!(matches!(bound_message(fine), Cow::Borrowed(_)));
    }
}
