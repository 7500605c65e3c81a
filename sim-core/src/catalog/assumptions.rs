//! The assumed numbers of a provider table (a preset, or a LiteLLM import):
//! every key whose comment says `assumption`, read from the same text the
//! scenario loader merges, so the list cannot drift from the presets.

/// One assumed number of a provider table.
#[derive(Clone, Debug, PartialEq)]
pub struct AssumedKey {
    /// Key path inside the provider table, e.g. `serving.decode_tokens_per_s`.
    pub key: String,
    pub value: toml::Value,
    /// The range the comment states (`range LO..HI`), as written; `None` when
    /// the kind's default range applies (docs/providers.md).
    pub stated_range: Option<(String, String)>,
    /// The comment: why the number is assumed.
    pub why: String,
}

/// The keys of a provider table and what each says it is, in file order:
/// (key path, note), the note being its own comment, else the comment lines
/// right above it. Only `key = value` lines inside a `[section]` count.
pub fn key_notes(table_toml: &str) -> Vec<(String, String)> {
    let mut section: Option<&str> = None;
    let mut note = String::new();
    let mut out = Vec::new();
    for line in table_toml.lines() {
        let line = line.trim();
        if let Some(comment) = line.strip_prefix('#') {
            if !note.is_empty() {
                note.push(' ');
            }
            note.push_str(comment.trim());
            continue;
        }
        if line.is_empty() {
            note.clear();
            continue;
        }
        if let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = Some(inner);
            note.clear();
            continue;
        }
        let (Some(section), Some((key, rest))) = (section, line.split_once('=')) else {
            note.clear();
            continue;
        };
        let own = rest.split_once('#').map(|(_, c)| c.trim().to_owned());
        out.push((format!("{section}.{}", key.trim()), own.unwrap_or_else(|| note.clone())));
        note.clear();
    }
    out
}

/// Every assumed number of a provider table (its note starts with
/// `assumption`), with its value; a malformed table is an error.
pub fn assumed_keys(table_toml: &str) -> Result<Vec<AssumedKey>, String> {
    let table: toml::Table = table_toml.parse().map_err(|e| format!("{e}"))?;
    let mut out = Vec::new();
    for (key, note) in key_notes(table_toml) {
        if !note.starts_with("assumption") {
            continue;
        }
        let value = lookup(&table, &key).ok_or_else(|| format!("`{key}` has a comment but no value"))?;
        out.push(AssumedKey { key, value: value.clone(), stated_range: stated_range(&note), why: note });
    }
    Ok(out)
}

/// The value at a dotted key path of a table.
fn lookup<'a>(table: &'a toml::Table, path: &str) -> Option<&'a toml::Value> {
    let mut parts = path.split('.');
    let mut v = table.get(parts.next()?)?;
    for p in parts {
        v = v.as_table()?.get(p)?;
    }
    Some(v)
}

/// `range LO..HI` inside a note, e.g. `assumption, range 0..1024: unpublished`.
fn stated_range(note: &str) -> Option<(String, String)> {
    let rest = &note[note.find("range ")? + "range ".len()..];
    let token = rest.split(|c: char| c.is_whitespace() || c == ':' || c == ';' || c == ')' || c == ',').next()?;
    let (lo, hi) = token.split_once("..")?;
    (!lo.is_empty() && !hi.is_empty()).then(|| (lo.to_owned(), hi.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "model = \"m\"\n\n[serving]\n# header\n# more\nslots = 64  # assumption\n\
        # assumption (proxy): measured on another model\nbase_latency = { kind = \"fixed\", value = \"1s\" }\n\
        decode_tokens_per_s = 85.0  # measured: somewhere\n\n[cache]\n\
        miss_probability = 0.0  # assumption, range 0..0.2: unpublished\n";

    #[test]
    fn notes_are_own_comments_or_the_lines_above() {
        let notes = key_notes(TABLE);
        assert_eq!(notes[0], ("serving.slots".to_owned(), "assumption".to_owned()));
        assert_eq!(notes[1].0, "serving.base_latency");
        assert_eq!(notes[1].1, "assumption (proxy): measured on another model");
        assert_eq!(notes[2].1, "measured: somewhere");
        assert_eq!(notes.len(), 4, "top-level keys are not numbers of a section: {notes:?}");
    }

    #[test]
    fn assumed_keys_carry_value_and_stated_range() {
        let keys = assumed_keys(TABLE).unwrap();
        let names: Vec<&str> = keys.iter().map(|k| k.key.as_str()).collect();
        assert_eq!(names, ["serving.slots", "serving.base_latency", "cache.miss_probability"]);
        assert_eq!(keys[0].value, toml::Value::Integer(64));
        assert_eq!(keys[0].stated_range, None);
        assert_eq!(keys[2].stated_range, Some(("0".to_owned(), "0.2".to_owned())));
    }
}
