//! `json_schema()`: the scenario file format as JSON Schema, for editor completion
//! (e.g. taplo / Even Better TOML). Generated from the raw mirror types, so it
//! describes exactly the keys the loader knows.

use schemars::generate::SchemaSettings;
use serde_json::Value;

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
        assert_eq!(schema["additionalProperties"], false);
        let required: Vec<&str> = schema["required"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
        assert_eq!(required, ["name", "providers", "workloads"]);
        assert!(!text.contains("\"null\""), "TOML has no null: {text}");
        // Durations and distributions are described, not left as `true` (anything).
        assert!(text.contains("TimeDistribution") && text.contains("TokenDistribution"));
    }
}
