//! Provider bases: `preset = "..."` or `litellm = { file, model }` starts a provider
//! from a TOML provider table (a built-in preset, or one made from a LiteLLM catalog
//! entry). The user's provider table is deep-merged over it at the spanned-tree level,
//! before deserialization: user keys win, tables merge recursively, arrays and other
//! values are replaced. User values so keep their file positions, and values from
//! the base have spans in its own region of the virtual source, so problems in them
//! are reported as "preset <name>".

use std::borrow::Cow;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::FileSource;
use super::context::edit_distance;
use super::location::{KeyPath, SourceMap};
use super::overrides::shift;

/// Where base tables come from; the built-in catalog, or a fake in tests.
pub(crate) trait Catalog {
    /// The preset's provider table as TOML text (without `name`).
    fn preset(&self, name: &str) -> Option<&'static str>;
    fn preset_names(&self) -> Vec<&'static str>;
    /// A provider table made from a LiteLLM catalog entry; the error names the key.
    fn litellm(&self, catalog_json: &str, model_key: &str) -> Result<String, String>;
}

/// The catalog in `crate::catalog`.
#[derive(Debug)]
pub(crate) struct BuiltIn;

impl Catalog for BuiltIn {
    fn preset(&self, name: &str) -> Option<&'static str> {
        crate::catalog::preset_toml(name)
    }
    fn preset_names(&self) -> Vec<&'static str> {
        crate::catalog::preset_names()
    }
    fn litellm(&self, catalog_json: &str, model_key: &str) -> Result<String, String> {
        crate::catalog::litellm::provider_toml(catalog_json, model_key).map_err(|e| e.to_string())
    }
}

/// A base table to merge under provider `provider`.
#[derive(Debug)]
pub(crate) struct Base {
    pub(crate) provider: usize,
    /// Provenance origin: the preset name or `litellm:<model key>`.
    pub(crate) name: String,
    pub(crate) text: Cow<'static, str>,
    /// Span of the `preset` / `litellm` value, for problems with the base as a whole.
    pub(crate) at: Range<usize>,
    pub(crate) at_path: KeyPath,
}

/// A problem found while resolving bases: span in the virtual source, path, message.
pub(crate) type Found = (Range<usize>, String, String);

/// Keys a base may not set: they belong to the scenario.
const SCENARIO_ONLY: [&str; 3] = ["name", "preset", "litellm"];

/// Finds every provider's base. Values of the wrong type are left for validation
/// to report; unknown presets and unreadable catalogs are reported here, and the
/// provider's `pricing` path added to `failed` (missing prices are then noise).
pub(crate) fn collect(
    tree: &DeTable<'_>,
    catalog: &dyn Catalog,
    files: &dyn FileSource,
    found: &mut Vec<Found>,
    failed: &mut Vec<KeyPath>,
) -> Vec<Base> {
    let mut named: Vec<(usize, KeyPath)> = Vec::new();
    let bases = collect_bases(tree, catalog, files, found, &mut named);
    failed.extend(named.into_iter().filter(|(i, _)| !bases.iter().any(|b| b.provider == *i)).map(|(_, p)| p));
    bases
}

fn collect_bases(
    tree: &DeTable<'_>,
    catalog: &dyn Catalog,
    files: &dyn FileSource,
    found: &mut Vec<Found>,
    failed: &mut Vec<(usize, KeyPath)>,
) -> Vec<Base> {
    let mut bases = Vec::new();
    let Some(DeValue::Array(providers)) = tree.get("providers").map(|v| v.get_ref()) else {
        return bases;
    };
    // A provider that names a base which did not resolve (unknown, unreadable,
    // or of the wrong type) is missing the base's keys: that is one problem.
    for (i, p) in providers.iter().enumerate() {
        if let DeValue::Table(t) = p.get_ref()
            && (t.contains_key("preset") || t.contains_key("litellm"))
        {
            let pricing = KeyPath::root().key("providers").index(i).key("pricing");
            failed.push((i, pricing));
        }
    }
    // Each catalog file is read once, however many providers use it.
    let mut read: Vec<(String, Result<String, String>)> = Vec::new();
    for (i, p) in providers.iter().enumerate() {
        let DeValue::Table(t) = p.get_ref() else {
            continue;
        };
        let path = KeyPath::root().key("providers").index(i);
        let preset = t.get("preset");
        if let Some(v) = preset
            && let DeValue::String(name) = v.get_ref()
        {
            match catalog.preset(name) {
                Some(text) => bases.push(Base {
                    provider: i,
                    name: name.to_string(),
                    text: Cow::Borrowed(text),
                    at: v.span(),
                    at_path: path.key("preset"),
                }),
                None => {
                    found.push((
                        v.span(),
                        path.key("preset").to_string(),
                        unknown_preset(name, &catalog.preset_names()),
                    ));
                }
            }
        }
        let Some((key, lv)) = t.get_key_value("litellm") else {
            continue;
        };
        if preset.is_some() {
            found.push((
                key.span(),
                path.key("litellm").to_string(),
                "set either `preset` or `litellm`, not both".to_string(),
            ));
            continue;
        }
        let DeValue::Table(l) = lv.get_ref() else {
            continue;
        };
        let string = |k: &str| match l.get(k).map(|v| (v.get_ref(), v.span())) {
            Some((DeValue::String(s), span)) => Some((s.to_string(), span)),
            _ => None,
        };
        let (Some((file, file_span)), Some((model, model_span))) = (string("file"), string("model")) else {
            continue;
        };
        let lpath = path.key("litellm");
        let json = match read.iter().find(|(f, _)| *f == file) {
            Some((_, r)) => r.clone(),
            None => {
                let r = files.read(&file);
                read.push((file.clone(), r.clone()));
                r
            }
        };
        let json = match json {
            Ok(j) => j,
            Err(e) => {
                found.push((file_span, lpath.key("file").to_string(), format!("cannot read `{file}`: {e}")));
                continue;
            }
        };
        match catalog.litellm(&json, &model) {
            Ok(text) => bases.push(Base {
                provider: i,
                name: format!("litellm:{model}"),
                text: Cow::Owned(text),
                at: model_span,
                at_path: lpath.key("model"),
            }),
            Err(e) => {
                found.push((model_span, lpath.key("model").to_string(), format!("LiteLLM catalog `{file}`: {e}")));
            }
        }
    }
    bases
}

fn unknown_preset(name: &str, names: &[&str]) -> String {
    // Close matches on the whole name, or on the model part after the provider.
    let model = |n: &str| n.rsplit('/').next().unwrap_or(n).to_string();
    let mut close: Vec<(usize, &str)> = names
        .iter()
        .map(|n| {
            let d = edit_distance(name, n).min(edit_distance(&model(name), &model(n)));
            (d, *n)
        })
        .filter(|(d, n)| *d <= 3 || n.contains(name))
        .collect();
    close.sort();
    let close: Vec<String> = close.iter().take(5).map(|(_, n)| format!("`{n}`")).collect();
    if close.is_empty() {
        format!("unknown preset `{name}`; `agentsim providers list` shows the {} presets", names.len())
    } else {
        format!("unknown preset `{name}`; close matches: {} (`agentsim providers list` shows all)", close.join(", "))
    }
}

/// Merges each base under its provider's table. `bases` must outlive the tree.
pub(crate) fn merge<'i>(tree: &mut DeTable<'i>, bases: &'i [Base], map: &mut SourceMap<'_>, found: &mut Vec<Found>) {
    for base in bases {
        let parsed = match DeTable::parse(&base.text) {
            Ok(t) => t,
            Err(e) => {
                // A catalog bug, not the user's: say so at the key that named it.
                found.push((
                    base.at.clone(),
                    base.at_path.to_string(),
                    format!("{} is not a valid provider table: {}", base.name, e.message()),
                ));
                continue;
            }
        };
        let offset = map.add_base(base.name.clone(), base.text.len());
        let span = parsed.span();
        let shifted = shift(Spanned::new(span, DeValue::Table(parsed.into_inner())), offset);
        let DeValue::Table(mut base_table) = shifted.into_inner() else {
            continue;
        };
        for k in SCENARIO_ONLY {
            base_table.remove(k);
        }
        let Some(DeValue::Array(providers)) = tree.get_mut("providers").map(|v| v.get_mut()) else {
            return;
        };
        let Some(slot) = providers.get_mut(base.provider) else {
            continue;
        };
        let DeValue::Table(user) = slot.get_mut() else {
            continue;
        };
        let user = std::mem::take(user);
        // `ttl` and `tiers` are alternatives: the user's choice replaces the base's.
        if let (Some(DeValue::Table(uc)), Some(DeValue::Table(bc))) =
            (user.get("cache").map(|v| v.get_ref()), base_table.get_mut("cache").map(|v| v.get_mut()))
            && (uc.contains_key("ttl") || uc.contains_key("tiers"))
        {
            bc.remove("ttl");
            bc.remove("tiers");
        }
        *slot.get_mut() = DeValue::Table(merge_tables(base_table, user));
    }
}

/// `user` over `base`: tables merge recursively, anything else is replaced.
/// A distribution table (one with `kind`) is one value: the user's replaces
/// the base's whole, so a preset's lognormal never leaks its `median` into a
/// user's `{ kind = "fixed", value = ... }`.
fn merge_tables<'i>(mut base: DeTable<'i>, user: DeTable<'i>) -> DeTable<'i> {
    for (key, value) in user {
        let merged = match (base.remove(key.get_ref().as_ref()), value) {
            (Some(b), u) => {
                let span = u.span();
                match (b.into_inner(), u.into_inner()) {
                    (DeValue::Table(bt), DeValue::Table(ut)) if !ut.contains_key("kind") => {
                        Spanned::new(span, DeValue::Table(merge_tables(bt, ut)))
                    }
                    (_, u) => Spanned::new(span, u),
                }
            }
            (None, u) => u,
        };
        base.insert(key, merged);
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_presets_suggest_close_names() {
        let names = ["anthropic/claude-sonnet-4-6", "anthropic/claude-haiku-4-5", "openai/gpt-5.4"];
        assert_eq!(
            unknown_preset("anthropic/claude-sonet-4-6", &names),
            "unknown preset `anthropic/claude-sonet-4-6`; close matches: `anthropic/claude-sonnet-4-6` (`agentsim providers list` shows all)"
        );
        assert_eq!(
            unknown_preset("claude-sonnet-4-6", &names),
            "unknown preset `claude-sonnet-4-6`; close matches: `anthropic/claude-sonnet-4-6` (`agentsim providers list` shows all)"
        );
        assert_eq!(
            unknown_preset("mistral/large", &names),
            "unknown preset `mistral/large`; `agentsim providers list` shows the 3 presets"
        );
    }

    #[test]
    fn merging_replaces_leaves_and_arrays_and_merges_tables() {
        let base = "a = 1\nt = { x = 1, y = 2 }\narr = [1, 2]\n";
        let user = "t = { y = 3 }\narr = [9]\nb = 2\n";
        assert_eq!(merged(base, user), "{ a = 1, arr = [9], b = 2, t = { x = 1, y = 3 } }");
    }

    /// `user` merged over `base`, as inline TOML.
    fn merged(base: &str, user: &str) -> String {
        let b = DeTable::parse(base).unwrap().into_inner();
        let u = DeTable::parse(user).unwrap().into_inner();
        let merged = merge_tables(b, u);
        let value: toml::Value =
            serde::Deserialize::deserialize(toml::de::Deserializer::from(Spanned::new(0..0, merged))).unwrap();
        value.to_string()
    }

    #[test]
    fn a_distribution_table_replaces_the_base_whole() {
        let base = "d = { kind = \"lognormal\", median = 1, p90 = 2 }\ne = { kind = \"fixed\", value = 1 }\n";
        let user = "d = { kind = \"fixed\", value = 3 }\ne = { value = 2 }\n";
        assert_eq!(merged(base, user), "{ d = { kind = \"fixed\", value = 3 }, e = { kind = \"fixed\", value = 2 } }");
    }
}
