//! `json_schema()`: the scenario file format as JSON Schema, for editor completion
//! (e.g. taplo / Even Better TOML). Generated from the raw mirror types, so it
//! describes exactly the keys the loader knows.

use schemars::generate::SchemaSettings;
use serde_json::Value;

use super::location::{KeyPath, Seg};
use super::raw::RawScenario;

/// JSON Schema (draft 2020-12) of the scenario file format.
pub fn json_schema() -> Value {
    let schema = SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<RawScenario>();
    let mut json = serde_json::to_value(schema).unwrap_or_default();
    drop_null(&mut json);
    json
}

/// Removes `null` alternatives schemars adds for `Option` fields. Every key is an
/// `Option` in the mirror only so stage 2 can report missing keys together; TOML
/// has no null, so offering it would only mislead completion.
fn drop_null(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    map.insert("type".into(), only);
                }
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(alts)) = map.get_mut(key) {
                    alts.retain(|a| a.get("type").is_none_or(|t| t != "null"));
                    if let [Value::Object(only)] = alts.as_slice() {
                        let only = only.clone();
                        map.remove(key);
                        for (k, v) in only {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
            }
            map.values_mut().for_each(drop_null);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}

/// Whether the key at `path` holds integers only, by the schema (a range swept
/// over such a key is rounded). A path the schema does not know is not one.
pub(crate) fn is_integer_key(path: &KeyPath) -> bool {
    let schema = json_schema();
    let defs = schema.get("$defs");
    let mut nodes = alternatives(vec![&schema], defs);
    for seg in &path.0 {
        let next = nodes
            .iter()
            .filter_map(|n| match seg {
                Seg::Key(k) => n.get("properties")?.get(k.as_str()),
                Seg::Index(_) => n.get("items"),
            })
            .collect();
        nodes = alternatives(next, defs);
    }
    let types: Vec<&str> = nodes.iter().filter_map(|n| n.get("type")?.as_str()).collect();
    !types.is_empty() && types.iter().all(|t| *t == "integer")
}

/// The schemas a value may match: each node with its `$ref` resolved and its
/// `anyOf`/`oneOf`/`allOf` alternatives unfolded (bounded, should refs loop).
fn alternatives<'a>(mut todo: Vec<&'a Value>, defs: Option<&'a Value>) -> Vec<&'a Value> {
    let mut out = Vec::new();
    let mut budget = 1000;
    while let Some(n) = todo.pop() {
        budget -= 1;
        if budget == 0 {
            break;
        }
        if let Some(name) = n.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/"))
            && let Some(target) = defs.and_then(|d| d.get(name))
        {
            todo.push(target);
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            todo.extend(n.get(key).and_then(Value::as_array).into_iter().flatten());
        }
        out.push(n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_describes_the_file_format() {
        let schema = json_schema();
        let text = serde_json::to_string_pretty(&schema).unwrap();
        let reparsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(reparsed, schema);
        let props = &schema["properties"];
        assert!(props["providers"].is_object(), "{text}");
        assert!(props["workloads"].is_object(), "{text}");
        assert_eq!(props["sweep"]["items"]["$ref"], "#/$defs/RawSweep", "{text}");
        assert_eq!(schema["additionalProperties"], false);
        let required: Vec<&str> = schema["required"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
        assert_eq!(required, ["name", "providers", "workloads"]);
        assert!(!text.contains("\"null\""), "TOML has no null: {text}");
        // Durations and distributions are described, not left as `true` (anything).
        assert!(text.contains("TimeDistribution") && text.contains("TokenDistribution"));
    }

    #[test]
    fn integer_keys_are_known_from_the_schema() {
        let integer = |p: &str| is_integer_key(&KeyPath::parse(p).unwrap());
        assert!(integer("providers[0].serving.slots"));
        assert!(integer("workloads[3].arrivals.sessions"));
        assert!(integer("simulation.seed"));
        assert!(!integer("workloads[0].arrivals.rate_per_s"));
        assert!(!integer("providers[0].cache.ttl"));
        // A token distribution: a number shorthand or a table, so not integers only.
        assert!(!integer("workloads[0].steps"));
        assert!(!integer("no.such.key"));
    }
}
