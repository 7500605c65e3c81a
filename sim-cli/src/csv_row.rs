//! Cell formatting shared by every CSV file agentsim writes.

/// Shortest round-trip text of a float: `3`, `0.25`, `0.0000001`, never an
/// exponent, and reading it back gives exactly the same `f64`. (The csv
/// crate's own float formatting writes `3.0` and `1e-7`.)
pub fn float_cell(x: f64) -> String {
    format!("{x}")
}

/// Undefined values are empty cells, never 0 or NaN.
pub fn opt_cell(x: Option<f64>) -> String {
    x.map(float_cell).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_round_trip_without_exponents() {
        for x in [3.0, 0.25, 1e-7, 123_456_789.125, -2.5] {
            let s = float_cell(x);
            assert!(!s.contains('e'), "{s}");
            assert_eq!(s.parse::<f64>().unwrap(), x);
        }
        assert_eq!(float_cell(3.0), "3");
        assert_eq!(opt_cell(None), "");
    }
}
