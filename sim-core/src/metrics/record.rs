//! Exact per-replicate records: what the fold across replicates needs of one
//! task (one replicate index of every variant at one sweep point), in a form
//! that is written as one JSON line and read back bit for bit. Shards, merges
//! and resumed runs fold records read from files; a plain run folds the same
//! records freshly computed, so both give the same bytes.
//!
//! Floats are stored as their IEEE-754 bit patterns (JSON integers): decimal
//! text is only exact with a shortest-round-trip parser on both sides, and a
//! bit pattern also keeps -0.0, subnormals and NaN payloads.

use super::start_spread::SpreadRecord;
use super::summary::ReplicateMetrics;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One variant's values at one replicate: every scope's metric values (in
/// `metric_names` order for the variant's tiers), events and end time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantRecord {
    pub overall: ScopeValues,
    /// In scenario order of providers.
    pub by_provider: Vec<ScopeValues>,
    /// In scenario order of workloads.
    pub by_workload: Vec<ScopeValues>,
    pub events: u64,
    #[serde(serialize_with = "ser_bits", deserialize_with = "de_bits")]
    pub sim_end_s: f64,
    /// The overall scope's quantile grids (`distribution::grid_values`);
    /// empty in a record written before they existed.
    #[serde(default)]
    pub grids: ScopeValues,
    /// The cost at other start times, when a provider bills by time of day
    /// (absent otherwise, so other scenarios' records are unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_spread: Option<SpreadRecord>,
}

/// The metric values of one scope; `None` where a metric is undefined.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ScopeValues(
    #[serde(serialize_with = "ser_opt_bits", deserialize_with = "de_opt_bits")] pub Vec<Option<f64>>,
);

/// Bit equality, so a NaN read back equals the NaN written.
impl PartialEq for ScopeValues {
    fn eq(&self, o: &Self) -> bool {
        self.0.len() == o.0.len() && self.0.iter().zip(&o.0).all(|(a, b)| a.map(f64::to_bits) == b.map(f64::to_bits))
    }
}

impl VariantRecord {
    /// The record of freshly computed metrics of a variant with `n_tiers` cache tiers.
    pub fn of(m: &ReplicateMetrics, n_tiers: usize) -> Self {
        let values = |s: &super::ScopeMetrics| ScopeValues(s.values(n_tiers));
        VariantRecord {
            overall: values(&m.overall),
            by_provider: m.by_provider.iter().map(values).collect(),
            by_workload: m.by_workload.iter().map(values).collect(),
            events: m.events,
            sim_end_s: m.sim_end_s,
            grids: super::distribution::grid_values(&m.overall),
            start_spread: m.start_spread.clone(),
        }
    }
}

/// Everything the fold needs of one task: the baseline's record, then each variant's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// The sweep point (0 without a sweep).
    pub point: u32,
    pub replicate: u32,
    pub variants: Vec<VariantRecord>,
}

/// Why a record line cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("not a replicate record: {0}")]
pub struct RecordError(#[from] serde_json::Error);

impl TaskRecord {
    /// One line of JSON, without the newline.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a record always serialises")
    }

    pub fn from_line(line: &str) -> Result<Self, RecordError> {
        Ok(serde_json::from_str(line)?)
    }
}

fn ser_bits<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    x.to_bits().serialize(s)
}

fn de_bits<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    u64::deserialize(d).map(f64::from_bits)
}

fn ser_opt_bits<S: Serializer>(xs: &[Option<f64>], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(xs.iter().map(|x| x.map(f64::to_bits)))
}

fn de_opt_bits<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Option<f64>>, D::Error> {
    Ok(Vec::<Option<u64>>::deserialize(d)?.into_iter().map(|x| x.map(f64::from_bits)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn awkward() -> TaskRecord {
        let values = vec![
            Some(0.1 + 0.2),
            Some(-0.0),
            Some(f64::MIN_POSITIVE / 3.0),
            Some(f64::from_bits(1)),
            Some(f64::NAN),
            Some(f64::from_bits(0x7ff8_0000_0000_0abc)),
            Some(f64::INFINITY),
            Some(f64::MAX),
            None,
            Some(1e-310),
        ];
        let v = VariantRecord {
            overall: ScopeValues(values.clone()),
            by_provider: vec![ScopeValues(values.iter().rev().copied().collect())],
            by_workload: vec![],
            events: u64::MAX,
            sim_end_s: -0.0,
            grids: ScopeValues(values[..3].to_vec()),
            start_spread: Some(SpreadRecord::exact(60, vec![0, 60], vec![0.1 + 0.2, 1e-310], 3)),
        };
        TaskRecord { point: 3, replicate: 7, variants: vec![v.clone(), v] }
    }

    #[test]
    fn awkward_values_read_back_bit_identical() {
        let r = awkward();
        let back = TaskRecord::from_line(&r.to_line()).unwrap();
        assert_eq!(back, r);
        let bits = |r: &TaskRecord| r.variants[0].overall.0.iter().map(|x| x.map(f64::to_bits)).collect::<Vec<_>>();
        assert_eq!(bits(&back), bits(&r));
        assert_eq!(back.variants[0].sim_end_s.to_bits(), (-0.0f64).to_bits());
        assert_eq!(back.variants[0].overall.0[8], None);
    }

    #[test]
    fn a_cut_or_foreign_line_is_an_error() {
        let line = awkward().to_line();
        assert!(TaskRecord::from_line(&line[..line.len() / 2]).is_err());
        assert!(TaskRecord::from_line("{\"point\":1}").is_err());
    }
}
