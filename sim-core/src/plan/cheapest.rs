//! `agentsim plan --cheapest`: among variants that meet every objective,
//! the one with the lowest mean cost, and every other variant's paired
//! difference from it (same replicates, common random numbers: see
//! `metrics::paired`).

use crate::metrics::{DiffStats, PairedAccumulator};

/// The index of the cheapest candidate meeting every objective: each
/// candidate is (meets every objective, mean cost). Ties go to the first
/// in order; a candidate without a defined cost cannot be chosen.
pub fn pick(candidates: &[(bool, Option<f64>)]) -> Option<usize> {
    candidates
        .iter()
        .enumerate()
        .filter_map(|(i, &(met, cost))| cost.filter(|_| met).map(|c| (i, c)))
        .fold(None, |best: Option<(usize, f64)>, (i, c)| match best {
            Some((_, b)) if b <= c => best,
            _ => Some((i, c)),
        })
        .map(|(i, _)| i)
}

/// Each candidate's paired difference from candidate `chosen` (other minus
/// chosen; the chosen one's own is all zero), from per-replicate values in
/// replicate order, `values[candidate][replicate]`.
pub fn paired_from(values: &[Vec<Option<f64>>], chosen: usize) -> Vec<DiffStats> {
    values
        .iter()
        .map(|other| {
            let mut acc = PairedAccumulator::default();
            for (base, v) in values[chosen].iter().zip(other) {
                acc.push(*base, *v);
            }
            acc.finish()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cheapest_that_meets_wins() {
        assert_eq!(pick(&[(false, Some(1.0)), (true, Some(3.0)), (true, Some(2.0)), (true, None)]), Some(2));
        assert_eq!(pick(&[(true, Some(2.0)), (true, Some(2.0))]), Some(0), "ties keep the first");
        assert_eq!(pick(&[(false, Some(1.0)), (true, None)]), None);
    }

    #[test]
    fn differences_are_paired_with_the_chosen_one() {
        let values = vec![vec![Some(1.0), Some(2.0), Some(3.0)], vec![Some(2.0), Some(4.0), Some(6.0)]];
        let d = paired_from(&values, 0);
        assert_eq!((d[0].mean, d[0].std), (Some(0.0), Some(0.0)));
        // Differences 1, 2, 3: mean 2, sd 1, relative 2 / 2 = 1.
        assert_eq!((d[1].mean, d[1].std, d[1].rel, d[1].n), (Some(2.0), Some(1.0), Some(1.0), 3));
    }
}
