//! Key paths, and mapping them back to where the user wrote them (file line:column or `--set`).
//!
//! Spans live in one "virtual source": the file's bytes, then each override's value
//! placed after it. An override value parsed on its own has its spans shifted into
//! that space, so any span found in the merged tree tells us whether the value came
//! from the file or from which `--set`.

use std::fmt;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::Origin;

/// One step of a key path: a table key or an array index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A dotted key path such as `providers[0].pricing.output_usd_per_mtok`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct KeyPath(pub(crate) Vec<Seg>);

impl KeyPath {
    pub(crate) fn root() -> Self {
        KeyPath(Vec::new())
    }

    pub(crate) fn key(&self, key: &str) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Key(key.to_string()));
        KeyPath(segs)
    }

    pub(crate) fn index(&self, index: usize) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(index));
        KeyPath(segs)
    }

    /// Whether `self` is `prefix` or lies below it.
    pub(crate) fn starts_with(&self, prefix: &KeyPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// The value at this path in a parsed TOML document, if present.
    pub(crate) fn lookup<'v>(&self, root: &'v toml::Value) -> Option<&'v toml::Value> {
        self.0.iter().try_fold(root, |node, seg| match seg {
            Seg::Key(k) => node.as_table()?.get(k),
            Seg::Index(i) => node.as_array()?.get(*i),
        })
    }

    /// Parses `a.b[3].c` (the `--set` syntax). Keys are bare: TOML quoting is not supported.
    pub(crate) fn parse(text: &str) -> Result<KeyPath, String> {
        let text = text.trim();
        // Messages echo the path and its parts cut, like every echoed value.
        let shown = crate::echo::clip(text);
        let clip = crate::echo::clip;
        if text.is_empty() {
            return Err("empty key path; write e.g. `simulation.seed`".to_string());
        }
        let mut segs = Vec::new();
        for part in text.split('.') {
            let (name, mut rest) = match part.find('[') {
                Some(i) => part.split_at(i),
                None => (part, ""),
            };
            if name.is_empty() {
                return Err(format!(
                    "empty key in path `{shown}`; write keys separated by `.`, array elements as `name[0]`"
                ));
            }
            if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-')) {
                return Err(format!("invalid character `{c}` in key `{}` of path `{shown}`", clip(name)));
            }
            segs.push(Seg::Key(name.to_string()));
            while !rest.is_empty() {
                let close = rest.find(']').ok_or_else(|| format!("missing `]` in path `{shown}`"))?;
                let digits = &rest[1..close];
                let index = digits.parse::<usize>().map_err(|_| {
                    format!("array index `{}` in path `{shown}` is not a non-negative integer", clip(digits))
                })?;
                segs.push(Seg::Index(index));
                rest = &rest[close + 1..];
                if !rest.is_empty() && !rest.starts_with('[') {
                    return Err(format!("unexpected `{}` after `]` in path `{shown}`", clip(rest)));
                }
            }
        }
        Ok(KeyPath(segs))
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                // A key can be anything the user typed: shown cut, like every echoed value.
                Seg::Key(k) if i == 0 => write!(f, "{}", crate::echo::clip(k))?,
                Seg::Key(k) => write!(f, ".{}", crate::echo::clip(k))?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Which span of an entry a problem points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// The value (or, if absent, the nearest enclosing table that exists).
    Value,
    /// The key itself: for unknown keys, the name is what is wrong.
    Key,
}

/// Finds the span for `path` in `tree`: the entry itself if present, else the deepest
/// existing ancestor (so a missing key points at the table that should hold it).
pub(crate) fn locate(tree: &DeValue<'_>, root_span: Range<usize>, path: &KeyPath, anchor: Anchor) -> Range<usize> {
    let mut value = tree;
    let mut span = root_span;
    for (i, seg) in path.0.iter().enumerate() {
        let last = i + 1 == path.0.len();
        match (seg, value) {
            (Seg::Key(k), DeValue::Table(t)) => match t.get_key_value(k.as_str()) {
                Some((key, v)) => {
                    span = if last && anchor == Anchor::Key { key.span() } else { v.span() };
                    value = v.get_ref();
                }
                None => break,
            },
            (Seg::Index(n), DeValue::Array(a)) => match a.get(*n) {
                Some(v) => {
                    span = v.span();
                    value = v.get_ref();
                }
                None => break,
            },
            _ => break,
        }
    }
    span
}

/// The path of the entry whose value has exactly this span (serde errors carry only
/// a span). The deepest match wins, in case an entry and its parent share a span.
pub(crate) fn find_by_span(table: &DeTable<'_>, target: &Range<usize>) -> Option<KeyPath> {
    fn walk_table(t: &DeTable<'_>, path: &KeyPath, target: &Range<usize>) -> Option<KeyPath> {
        t.iter().find_map(|(k, v)| walk(v.get_ref(), v.span(), &path.key(k.get_ref()), target))
    }
    fn walk(value: &DeValue<'_>, span: Range<usize>, path: &KeyPath, target: &Range<usize>) -> Option<KeyPath> {
        let inner = match value {
            DeValue::Table(t) => walk_table(t, path, target),
            DeValue::Array(a) => {
                a.iter().enumerate().find_map(|(i, v)| walk(v.get_ref(), v.span(), &path.index(i), target))
            }
            _ => None,
        };
        inner.or_else(|| (span == *target).then(|| path.clone()))
    }
    walk_table(table, &KeyPath::root(), target)
}

/// What a region of the virtual source after the file holds.
#[derive(Debug)]
enum Region {
    /// The n-th override: its `path=value` text.
    Override { index: usize, text: String },
    /// A provider base (preset or LiteLLM entry), by its provenance name.
    Base { name: String },
}

/// The virtual source: file text, then each override's text, then each
/// provider base's TOML text (presets are merged after overrides are applied).
#[derive(Debug)]
pub(crate) struct SourceMap<'a> {
    file: &'a str,
    text: &'a str,
    /// Start offset in the virtual source and length of each region, in order.
    regions: Vec<(usize, usize, Region)>,
    overrides: usize,
}

impl<'a> SourceMap<'a> {
    pub(crate) fn new(file: &'a str, text: &'a str) -> Self {
        SourceMap { file, text, regions: Vec::new(), overrides: 0 }
    }

    /// Reserves `len` bytes (at least one) after everything so far; returns its start.
    fn push(&mut self, len: usize, region: Region) -> usize {
        let start = match self.regions.last() {
            Some((start, len, _)) => start + len + 1,
            None => self.text.len() + 1,
        };
        self.regions.push((start, len.max(1), region));
        start
    }

    /// Reserves room for one override (its whole `path=value` text, so even an empty
    /// value owns a span); returns the offset its value's spans shift by.
    pub(crate) fn add_override(&mut self, text: String) -> usize {
        let index = self.overrides;
        self.overrides += 1;
        self.push(text.len(), Region::Override { index, text })
    }

    /// Reserves room for a provider base's TOML text; returns the offset its spans shift by.
    pub(crate) fn add_base(&mut self, name: String, len: usize) -> usize {
        self.push(len, Region::Base { name })
    }

    /// A span covering the n-th override (for entries it created, like intermediate tables).
    pub(crate) fn override_span(&self, index: usize) -> Range<usize> {
        self.regions
            .iter()
            .find(|(_, _, r)| matches!(r, Region::Override { index: i, .. } if *i == index))
            .map_or(0..0, |(start, len, _)| *start..start + len)
    }

    /// Whether a virtual offset lies in a provider base (a value the user did not write).
    pub(crate) fn is_base(&self, offset: usize) -> bool {
        matches!(self.region(offset), Some(Region::Base { .. }))
    }

    fn region(&self, offset: usize) -> Option<&Region> {
        if offset <= self.text.len() {
            return None;
        }
        let i = self.regions.iter().rposition(|(start, _, _)| *start <= offset).unwrap_or(0);
        self.regions.get(i).map(|(_, _, r)| r)
    }

    /// Where a virtual offset came from. Offsets order file positions first, then
    /// overrides in command-line order, then provider bases, which is the order
    /// problems are reported in.
    pub(crate) fn origin(&self, offset: usize) -> Origin {
        match self.region(offset) {
            None => {
                let (line, column) = line_column(self.text, offset);
                Origin::File { file: self.file.to_string(), line, column }
            }
            Some(Region::Override { index, text }) => Origin::Override { index: *index, text: text.clone() },
            Some(Region::Base { name }) => Origin::Preset { name: name.clone() },
        }
    }

    /// [`Self::origin`] of each offset, in one pass over the file text: `offsets`
    /// must be ascending (problems sorted by where they were written).
    pub(crate) fn origins(&self, offsets: impl Iterator<Item = usize>) -> Vec<Origin> {
        let mut cursor = LineCursor::default();
        offsets
            .map(|offset| match self.region(offset) {
                None => {
                    let (line, column) = cursor.advance(self.text, offset);
                    Origin::File { file: self.file.to_string(), line, column }
                }
                Some(_) => self.origin(offset),
            })
            .collect()
    }
}

/// Line and column of ascending offsets, each found from the previous one.
#[derive(Debug)]
struct LineCursor {
    offset: usize,
    line: usize,
    column: usize,
}

impl Default for LineCursor {
    fn default() -> Self {
        LineCursor { offset: 0, line: 1, column: 1 }
    }
}

impl LineCursor {
    /// Like [`line_column`], for an offset not before the previous one.
    fn advance(&mut self, text: &str, offset: usize) -> (usize, usize) {
        let target = char_floor(text, offset);
        if target < self.offset {
            // Not ascending after all: start over rather than count wrong.
            *self = LineCursor::default();
        }
        for c in text[self.offset..target].chars() {
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        self.offset = target;
        (self.line, self.column)
    }
}

/// The largest char boundary at or before `offset`, within the text.
fn char_floor(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// 1-based line and column of a byte offset; the column counts characters, not bytes.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..char_floor(text, offset)];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_path(text: &str, expect: Result<&str, &str>) {
        let got = KeyPath::parse(text).map(|p| p.to_string());
        match expect {
            Ok(display) => assert_eq!(got, Ok(display.to_string()), "{text}"),
            Err(fragment) => {
                let err = got.expect_err(text);
                assert!(err.contains(fragment), "{text}: {err}");
            }
        }
    }

    #[test]
    fn key_paths_parse_and_display() {
        check_path("simulation.seed", Ok("simulation.seed"));
        check_path("providers[0].cache.ttl", Ok("providers[0].cache.ttl"));
        check_path("a[1][2].b", Ok("a[1][2].b"));
        check_path(" name ", Ok("name"));
        check_path("", Err("empty key path"));
        check_path("a..b", Err("empty key"));
        check_path("a[x]", Err("not a non-negative integer"));
        check_path("a[-1]", Err("not a non-negative integer"));
        check_path("a[1", Err("missing `]`"));
        check_path("a[1]b", Err("unexpected `b`"));
        check_path("a b", Err("invalid character ` `"));
        check_path("[0]", Err("empty key"));
    }

    #[test]
    fn line_column_counts_characters() {
        let text = "ab\nçé = 1\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 2), (1, 3));
        assert_eq!(line_column(text, 3), (2, 1));
        // `=` is after two 2-byte characters and a space: byte 8, character column 4.
        assert_eq!(line_column(text, 8), (2, 4));
        // Inside a multi-byte character: clamps back to its start.
        assert_eq!(line_column(text, 4), (2, 1));
        assert_eq!(line_column(text, 999), (3, 1));
    }

    #[test]
    fn origins_in_one_pass_match_line_column() {
        let text = "ab\nçé = 1\n\nx = [\n  2 ]\n";
        let map = SourceMap::new("f.toml", text);
        let offsets: Vec<usize> = (0..=text.len() + 3).collect();
        let origins = map.origins(offsets.iter().copied());
        for (&offset, origin) in offsets.iter().zip(&origins) {
            let (line, column) = line_column(text, offset);
            assert_eq!(*origin, Origin::File { file: "f.toml".into(), line, column }, "offset {offset}");
        }
    }

    #[test]
    fn origins_split_file_and_overrides() {
        let mut map = SourceMap::new("f.toml", "a = 1\n");
        let b0 = map.add_override("x=1".into());
        let b1 = map.add_override("y=22".into());
        assert_eq!(map.origin(4), Origin::File { file: "f.toml".into(), line: 1, column: 5 });
        assert_eq!(map.origin(b0), Origin::Override { index: 0, text: "x=1".into() });
        assert_eq!(map.origin(b1 + 1), Origin::Override { index: 1, text: "y=22".into() });
        assert!(map.override_span(0).end <= b1);
        let b2 = map.add_base("a/b".into(), 10);
        assert!(b2 > b1 + 3);
        assert_eq!(map.origin(b2 + 9), Origin::Preset { name: "a/b".into() });
        assert!(map.is_base(b2) && !map.is_base(b1) && !map.is_base(2));
    }
}
