//! The samplers against the rand_distr ones they replace (same draws, same
//! random numbers consumed), their moments, and pinned draws.

use super::*;
use rand::{RngCore, SeedableRng};
use rand_distr::Distribution as _;
use rand_pcg::Pcg64Mcg;

/// Draws `n` values from ours and from rand_distr's on two copies of one
/// stream: every value must agree to the last few bits (they differ only
/// where the platform's `ln`/`exp` and `libm` round differently) and the
/// streams must end in the same state (same number of random words used).
fn agrees(name: &str, ours: impl Fn(&mut Pcg64Mcg) -> f64, theirs: impl Fn(&mut Pcg64Mcg) -> f64, n: usize) {
    let mut a = Pcg64Mcg::seed_from_u64(42);
    let mut b = a.clone();
    for i in 0..n {
        let (x, y) = (ours(&mut a), theirs(&mut b));
        assert!((x - y).abs() <= 1e-13 * y.abs().max(1e-300), "{name}: draw {i}: {x:e} vs rand_distr {y:e}");
    }
    assert_eq!(a.next_u64(), b.next_u64(), "{name}: a different number of random words was drawn");
}

#[test]
fn draw_for_draw_the_same_as_rand_distr() {
    let n = 200_000;
    agrees("normal", standard_normal, |r| rand_distr::StandardNormal.sample(r), n);
    agrees("exponential", standard_exponential, |r| rand_distr::Exp1.sample(r), n);
    for (shape, scale) in [(0.3, 2.0), (1.0, 5.0), (1.0, 0.3), (2.5, 0.7), (40.0, 1.0)] {
        let g = rand_distr::Gamma::new(shape, scale).unwrap();
        agrees(&format!("gamma({shape}, {scale})"), |r| gamma(shape, scale, r), |r| g.sample(r), n);
    }
    for (shape, scale) in [(0.7, 3.0), (1.5, 10.0)] {
        let w = rand_distr::Weibull::new(scale, shape).unwrap();
        agrees(&format!("weibull({shape}, {scale})"), |r| weibull(shape, scale, r), |r| w.sample(r), n);
    }
}

/// Mean and variance of `n` draws within 4 standard errors of the truth
/// (the variance's standard error from the fourth moment `m4`).
fn moments(name: &str, draw: impl Fn(&mut Pcg64Mcg) -> f64, mean: f64, var: f64, m4: f64) {
    let n = 400_000;
    let mut rng = Pcg64Mcg::seed_from_u64(7);
    let xs: Vec<f64> = (0..n).map(|_| draw(&mut rng)).collect();
    let m = xs.iter().sum::<f64>() / n as f64;
    let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64;
    let se_mean = (var / n as f64).sqrt();
    let se_var = ((m4 - var * var) / n as f64).sqrt();
    assert!((m - mean).abs() < 4.0 * se_mean, "{name}: mean {m} vs {mean}");
    assert!((v - var).abs() < 4.0 * se_var, "{name}: variance {v} vs {var}");
}

#[test]
fn moments_are_right() {
    moments("normal", standard_normal, 0.0, 1.0, 3.0);
    moments("exponential", standard_exponential, 1.0, 1.0, 9.0);
    // Gamma(k, 1): variance k, fourth central moment 3k^2 + 6k.
    for k in [0.4, 1.0, 3.0] {
        moments(&format!("gamma({k})"), |r| gamma(k, 1.0, r), k, k, 3.0 * k * k + 6.0 * k);
    }
    // Weibull shape 2, scale 1: mean sqrt(pi)/2, variance 1 - pi/4; the
    // fourth central moment from the raw moments Gamma(1 + j/2).
    let pi = std::f64::consts::PI;
    let mu = pi.sqrt() / 2.0;
    let (r2, r3, r4) = (1.0, 3.0 * pi.sqrt() / 4.0, 2.0);
    let m4 = r4 - 4.0 * mu * r3 + 6.0 * mu * mu * r2 - 3.0 * mu.powi(4);
    moments("weibull(2)", |r| weibull(2.0, 1.0, r), mu, 1.0 - pi / 4.0, m4);
}

#[test]
fn the_normal_tail_is_reached_and_symmetric() {
    // P(Z > 3.654) = 1.29e-4: 1,000,000 draws land beyond it about 129
    // times on each side (standard deviation 11).
    let mut rng = Pcg64Mcg::seed_from_u64(11);
    let (mut lo, mut hi) = (0, 0);
    for _ in 0..1_000_000 {
        let z = standard_normal(&mut rng);
        lo += usize::from(z < -3.654_152_885_361_009);
        hi += usize::from(z > 3.654_152_885_361_009);
    }
    for (side, count) in [("lower", lo), ("upper", hi)] {
        assert!((85..175).contains(&count), "{side} tail drawn {count} times, expected about 129");
    }
}

/// Exact draws from one seed. They hold on every platform; a change means
/// the sampling changed. If that is intended (a new algorithm, a `libm`
/// upgrade that moves a bit), print the new values with
/// `{:#018x}` of `to_bits()` and replace these, and say so in the commit.
#[test]
fn pinned_draws() {
    let mut rng = Pcg64Mcg::seed_from_u64(2024);
    let bits = |v: Vec<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
    let normal: Vec<f64> = (0..3).map(|_| standard_normal(&mut rng)).collect();
    let expo: Vec<f64> = (0..3).map(|_| standard_exponential(&mut rng)).collect();
    let gam: Vec<f64> = (0..3).map(|_| gamma(0.5, 2.0, &mut rng)).collect();
    let gam3: Vec<f64> = (0..3).map(|_| gamma(3.0, 2.0, &mut rng)).collect();
    let weib: Vec<f64> = (0..3).map(|_| weibull(1.5, 10.0, &mut rng)).collect();
    assert_eq!(bits(normal), [0xbfe9_ca0b_20da_7881, 0xc002_23db_3da2_8ae5, 0x3ff1_2ae0_f410_6d73], "normal");
    assert_eq!(bits(expo), [0x3ffa_2d40_fe68_7b02, 0x3fc0_73ab_fe5a_631f, 0x3fc9_4055_0f52_c9c7], "exponential");
    assert_eq!(bits(gam), [0x3ff7_3f95_d836_4646, 0x3f81_6710_2a76_b143, 0x3fad_deb4_852d_9692], "gamma 0.5");
    assert_eq!(bits(gam3), [0x4019_a44d_e886_76bd, 0x401b_0923_38a1_0630, 0x4011_063f_29a6_c5b7], "gamma 3");
    assert_eq!(bits(weib), [0x3ff8_96ea_7f4e_ee45, 0x401b_58b3_8931_82be, 0x4034_f7d3_83f0_818c], "weibull");
}
