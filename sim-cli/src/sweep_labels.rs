//! A sweep as its outputs show it: the swept parameters and each point's
//! values. sweep.csv, summary.json's `sweep` and the sweep table render from
//! it, and a sweep's partial directories carry it, so a merge renders them
//! without the scenario file.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sim_core::scenario::Sweep;

/// The swept paths and, per point in grid order, its value of each.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepLabels {
    pub parameters: Vec<String>,
    /// Per point, per parameter (in `parameters` order), the value there.
    #[serde(serialize_with = "ser_values", deserialize_with = "de_values")]
    pub points: Vec<Vec<toml::Value>>,
}

impl SweepLabels {
    pub fn of(sweep: &Sweep) -> Self {
        SweepLabels {
            parameters: sweep.parameters.clone(),
            points: sweep.points.iter().map(|p| p.values.clone()).collect(),
        }
    }
}

/// Values are kept as their TOML text: JSON has no dates, and TOML's own
/// reader gives back the very float (the text is Rust's shortest round trip).
fn ser_values<S: Serializer>(points: &[Vec<toml::Value>], s: S) -> Result<S::Ok, S::Error> {
    let text: Vec<Vec<String>> = points.iter().map(|p| p.iter().map(toml::Value::to_string).collect()).collect();
    text.serialize(s)
}

fn de_values<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<toml::Value>>, D::Error> {
    let text: Vec<Vec<String>> = Vec::deserialize(d)?;
    let value = |t: &String| {
        let mut table: toml::Table =
            toml::from_str(&format!("v = {t}")).map_err(|e| D::Error::custom(format!("swept value `{t}`: {e}")))?;
        table.remove("v").ok_or_else(|| D::Error::custom(format!("swept value `{t}` is empty")))
    };
    text.iter().map(|p| p.iter().map(value).collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_value_reads_back_equal() {
        let table: toml::Table =
            toml::from_str("a = [0.1, 1e300, 3, \"x y\", 1979-05-27, 5e-324, -0.0, true, { k = 1 }]").unwrap();
        let values = table["a"].as_array().unwrap().clone();
        let labels =
            SweepLabels { parameters: vec!["p".into()], points: values.iter().map(|v| vec![v.clone()]).collect() };
        let back: SweepLabels = serde_json::from_slice(&serde_json::to_vec(&labels).unwrap()).unwrap();
        assert_eq!(back, labels);
        let bits =
            |l: &SweepLabels| l.points.iter().filter_map(|p| p[0].as_float()).map(f64::to_bits).collect::<Vec<_>>();
        assert_eq!(bits(&back), bits(&labels), "floats bit for bit, -0.0 included");
    }
}
