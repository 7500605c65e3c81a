//! The JSON Schema of distribution fields, derived from the same table of
//! kinds (`dists::KINDS`) that validation reads, so they cannot disagree.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value as Json, json};

use super::dists::{Quantity, ROUNDINGS, RateDistSpec, TimeDistSpec, TokenDistSpec, has_unit, kinds_for};
use super::leaf::DURATION_PATTERN;

fn param_schema(q: Quantity, kind: &str, param: &str) -> Json {
    let scalar = match (q, has_unit(param), kind) {
        (Quantity::Time, true, _) => json!({ "type": "string", "pattern": DURATION_PATTERN }),
        (_, _, "uniform_int") => json!({ "type": "integer", "minimum": 0 }),
        (_, _, "geometric") if param == "max" => json!({ "type": "integer", "minimum": 1 }),
        _ => json!({ "type": "number" }),
    };
    if param == "components" {
        return json!({
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": { "weight": { "type": "number", "exclusiveMinimum": 0 }, "value": {} },
                "required": ["weight", "value"],
                "additionalProperties": false
            }
        });
    }
    if matches!(param, "values" | "weights" | "cumulative") {
        json!({ "type": "array", "items": scalar, "minItems": 1 })
    } else {
        scalar
    }
}

fn dist_schema(q: Quantity) -> Schema {
    let mut variants: Vec<Json> = Vec::new();
    variants.push(match q {
        Quantity::Tokens => {
            json!({ "type": "number", "minimum": 0, "description": "Shorthand for { kind = \"fixed\", value = ... }." })
        }
        Quantity::Time => json!({
            "type": "string",
            "pattern": DURATION_PATTERN,
            "description": "Shorthand for { kind = \"fixed\", value = ... }."
        }),
        Quantity::Rate => json!({
            "type": "number",
            "exclusiveMinimum": 0,
            "description": "Shorthand for { kind = \"fixed\", value = ... }."
        }),
    });
    for spec in kinds_for(q) {
        let mut props = Map::new();
        props.insert("kind".into(), json!({ "const": spec.kind }));
        for param in spec.params {
            props.insert((*param).into(), param_schema(q, spec.kind, param));
        }
        if q == Quantity::Tokens {
            props.insert(
                "offset".into(),
                json!({ "type": "number", "description": "Added to each draw before rounding. Default 0." }),
            );
            props.insert(
                "round".into(),
                json!({ "enum": ROUNDINGS, "description": "How a draw becomes an integer. Default \"nearest\"." }),
            );
        }
        let mut required = vec!["kind"];
        required.extend(spec.params.iter().filter(|p| !spec.optional.contains(p)));
        variants.push(json!({
            "type": "object",
            "description": spec.doc,
            "properties": props,
            "required": required,
            "additionalProperties": false
        }));
    }
    json_schema!({ "anyOf": variants })
}

impl JsonSchema for TokenDistSpec {
    fn schema_name() -> Cow<'static, str> {
        "TokenDistribution".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut s = dist_schema(Quantity::Tokens);
        s.insert("description".into(), "A token-count distribution: a number, or an inline table with `kind`.".into());
        s
    }
}

impl JsonSchema for TimeDistSpec {
    fn schema_name() -> Cow<'static, str> {
        "TimeDistribution".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut s = dist_schema(Quantity::Time);
        s.insert("description".into(), "A time distribution: a duration string, or an inline table with `kind` whose unit-bearing parameters are duration strings.".into());
        s
    }
}

impl JsonSchema for RateDistSpec {
    fn schema_name() -> Cow<'static, str> {
        "RateDistribution".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut s = dist_schema(Quantity::Rate);
        s.insert("description".into(), "A speed in tokens per second: a number, or an inline table with `kind` (plain numbers; E[1 / rate] must be finite).".into());
        s
    }
}
