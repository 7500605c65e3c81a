//! `--set dotted.path=value` overrides, applied to the spanned TOML tree before
//! deserialization so overridden values are validated exactly like file values.

use std::borrow::Cow;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::Override;
use super::location::{KeyPath, Seg, SourceMap};

/// Splits `dotted.path=value` at the first `=` and checks the path's syntax.
pub fn parse_override(text: &str) -> Result<Override, String> {
    let (path, value) = text.split_once('=').ok_or_else(|| {
        format!("`{}` is not of the form dotted.path=value (e.g. simulation.seed=7)", crate::echo::clip(text))
    })?;
    KeyPath::parse(path)?;
    Ok(Override { path: path.trim().to_string(), value: value.trim().to_string() })
}

/// An override that could not be applied: its span (inside the override) and why.
#[derive(Debug)]
pub(crate) struct Rejected {
    pub(crate) span: Range<usize>,
    pub(crate) path: String,
    pub(crate) message: String,
}

/// Applies every override in order (later ones win), registering each in `map`.
pub(crate) fn apply<'i>(tree: &mut DeTable<'i>, overrides: &'i [Override], map: &mut SourceMap<'_>) -> Vec<Rejected> {
    let mut rejected = Vec::new();
    for (index, o) in overrides.iter().enumerate() {
        let base = map.add_override(format!("{}={}", o.path, o.value));
        let whole = map.override_span(index);
        let shown_path = crate::echo::clip(o.path.trim()).into_owned();
        let reject = |message: String| Rejected { span: whole.clone(), path: shown_path.clone(), message };
        let path = match KeyPath::parse(&o.path) {
            Ok(p) => p,
            Err(message) => {
                rejected.push(reject(message));
                continue;
            }
        };
        let value_start = base + o.path.len() + 1;
        let value = parse_value(&o.value, value_start);
        let mut root = DeValue::Table(std::mem::take(tree));
        let result = set(&mut root, &path.0, &KeyPath::root(), value, &whole);
        if let DeValue::Table(t) = root {
            *tree = t;
        }
        if let Err(message) = result {
            rejected.push(reject(message));
        }
    }
    rejected
}

/// Parses the value as TOML; anything that is not valid TOML is taken as a bare
/// string, so `ttl=5m` works without shell-quoting `"5m"`.
fn parse_value(text: &str, offset: usize) -> Spanned<DeValue<'_>> {
    let trimmed = text.trim();
    let lead = text.len() - text.trim_start().len();
    let start = offset + lead;
    match DeValue::parse(trimmed) {
        Ok(v) => shift(v, start),
        Err(_) => Spanned::new(start..start + trimmed.len(), DeValue::String(Cow::Borrowed(trimmed))),
    }
}

/// Moves every span of a separately parsed value into the override's place in the virtual source.
pub(crate) fn shift(v: Spanned<DeValue<'_>>, by: usize) -> Spanned<DeValue<'_>> {
    let span = v.span();
    let value = match v.into_inner() {
        DeValue::Table(t) => {
            let mut shifted = DeTable::new();
            for (k, v) in t {
                let ks = k.span();
                shifted.insert(Spanned::new(ks.start + by..ks.end + by, k.into_inner()), shift(v, by));
            }
            DeValue::Table(shifted)
        }
        DeValue::Array(a) => {
            let mut shifted = toml::de::DeArray::new();
            for item in a {
                shifted.push(shift(item, by));
            }
            DeValue::Array(shifted)
        }
        scalar => scalar,
    };
    Spanned::new(span.start + by..span.end + by, value)
}

fn kind(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a number",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// Sets `segs` below `node` (reached by `done`), creating missing tables on the way.
fn set<'i>(
    node: &mut DeValue<'i>,
    segs: &[Seg],
    done: &KeyPath,
    value: Spanned<DeValue<'i>>,
    whole: &Range<usize>,
) -> Result<(), String> {
    let Some((seg, rest)) = segs.split_first() else {
        return Ok(());
    };
    let what = if done.0.is_empty() { "the document".to_string() } else { format!("`{done}`") };
    match seg {
        Seg::Key(k) => {
            let DeValue::Table(t) = node else {
                return Err(format!(
                    "cannot set key `{}`: {what} is {}, not a table",
                    crate::echo::clip(k),
                    kind(node)
                ));
            };
            if rest.is_empty() {
                // An existing key keeps its own span; only the value is replaced.
                t.insert(Spanned::new(whole.clone(), Cow::Owned(k.clone())), value);
                return Ok(());
            }
            if !t.contains_key(k.as_str()) {
                if let Some(Seg::Index(n)) = rest.first() {
                    let hint = match super::context::closest_key(k, t.keys().map(|key| key.get_ref().as_ref())) {
                        Some(near) => format!(" (did you mean `{}`?)", done.key(near)),
                        None => String::new(),
                    };
                    return Err(format!("`{}` does not exist, so it has no element [{n}]{hint}", done.key(k)));
                }
                let empty = Spanned::new(whole.clone(), DeValue::Table(DeTable::new()));
                t.insert(Spanned::new(whole.clone(), Cow::Owned(k.clone())), empty);
            }
            match t.get_mut(k.as_str()) {
                Some(child) => set(child.get_mut(), rest, &done.key(k), value, whole),
                None => Err(format!("cannot create `{}`", done.key(k))),
            }
        }
        Seg::Index(n) => {
            let DeValue::Array(a) = node else {
                return Err(format!("cannot index [{n}]: {what} is {}, not an array", kind(node)));
            };
            let len = a.len();
            let Some(child) = a.get_mut(*n) else {
                let plural = if len == 1 { "" } else { "s" };
                return Err(format!(
                    "index {n} is out of range: {what} has {len} element{plural}; overrides cannot add array elements"
                ));
            };
            if rest.is_empty() {
                *child = value;
                Ok(())
            } else {
                set(child.get_mut(), rest, &done.index(*n), value, whole)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_parse(text: &str, expect: Result<(&str, &str), &str>) {
        let got = parse_override(text);
        match expect {
            Ok((path, value)) => {
                assert_eq!(got, Ok(Override { path: path.into(), value: value.into() }), "{text}")
            }
            Err(fragment) => {
                let err = got.expect_err(text);
                assert!(err.contains(fragment), "{text}: {err}");
            }
        }
    }

    #[test]
    fn overrides_split_at_first_equals() {
        check_parse("simulation.seed=7", Ok(("simulation.seed", "7")));
        check_parse(
            "workloads[0].steps={ kind = \"fixed\", value = 3 }",
            Ok(("workloads[0].steps", "{ kind = \"fixed\", value = 3 }")),
        );
        check_parse("name=a=b", Ok(("name", "a=b")));
        check_parse(" name = x ", Ok(("name", "x")));
        check_parse("seed", Err("not of the form"));
        check_parse("=3", Err("empty key path"));
        check_parse("a[x]=3", Err("not a non-negative integer"));
    }

    fn apply_one(file: &str, o: &str) -> (String, Vec<String>) {
        let (tree, errors) = DeTable::parse_recoverable(file);
        assert!(errors.is_empty());
        let mut tree = tree.into_inner();
        let overrides = [parse_override(o).unwrap()];
        let mut map = SourceMap::new("f", file);
        let rejected = apply(&mut tree, &overrides, &mut map);
        let value: toml::Value =
            serde::Deserialize::deserialize(toml::de::Deserializer::from(Spanned::new(0..0, tree))).unwrap();
        (value.to_string(), rejected.into_iter().map(|r| r.message).collect())
    }

    #[test]
    fn values_parse_as_toml_or_bare_strings() {
        let (v, r) = apply_one("", "a.b=5m");
        assert_eq!((v.as_str(), r.len()), ("{ a = { b = \"5m\" } }", 0));
        let (v, _) = apply_one("", "n=1.5");
        assert_eq!(v, "{ n = 1.5 }");
        let (v, _) = apply_one("", "t={ kind = \"fixed\", value = 3 }");
        assert_eq!(v, "{ t = { kind = \"fixed\", value = 3 } }");
        let (v, _) = apply_one("", "s=\"30s\"");
        assert_eq!(v, "{ s = \"30s\" }");
    }

    #[test]
    fn paths_walk_tables_and_arrays() {
        let file = "[[p]]\nx = 1\n[[p]]\nx = 2\n";
        let (v, r) = apply_one(file, "p[1].x=9");
        assert!(r.is_empty() && v.contains("x = 9") && v.contains("x = 1"), "{v}");
        let (_, r) = apply_one(file, "p[2].x=9");
        assert_eq!(r, ["index 2 is out of range: `p` has 2 elements; overrides cannot add array elements"]);
        let (_, r) = apply_one(file, "queue[0].x=9");
        assert_eq!(r, ["`queue` does not exist, so it has no element [0]"]);
        // A near miss of an existing key is suggested, as unknown keys in files are.
        let (_, r) = apply_one(file, "pp[0].x=9");
        assert_eq!(r, ["`pp` does not exist, so it has no element [0] (did you mean `p`?)"]);
        let (_, r) = apply_one(file, "p.x=9");
        assert_eq!(r, ["cannot set key `x`: `p` is an array, not a table"]);
        let (_, r) = apply_one("a = 1", "a[0]=9");
        assert_eq!(r, ["cannot index [0]: `a` is an integer, not an array"]);
    }
}
