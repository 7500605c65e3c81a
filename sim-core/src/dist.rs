//! Probability distributions for token counts and durations, and their sampling.
//!
//! A `Dist` is already validated (parameters in range), so sampling cannot fail.
//! Values are in the unit of the quantity they describe: tokens for token counts,
//! seconds for durations. Token counts are sampled as reals, then shifted by
//! `offset`, rounded by `Rounding` and clamped at zero.

use crate::maths::{self, exp, ln, powf, samplers};
use rand::Rng;

/// A validated distribution over non-negative reals.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Fixed(f64),
    /// Continuous uniform on `[low, high]`.
    Uniform {
        low: f64,
        high: f64,
    },
    /// Discrete uniform on the integers `low..=high`.
    UniformInt {
        low: i64,
        high: i64,
    },
    Exponential {
        mean: f64,
    },
    /// Normal, truncated at zero by resampling (rejection), so the mass below
    /// zero is redistributed proportionally rather than piled on zero.
    Normal {
        mean: f64,
        std: f64,
    },
    /// ln X ~ Normal(mu, sigma).
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    Gamma {
        shape: f64,
        scale: f64,
    },
    Weibull {
        shape: f64,
        scale: f64,
    },
    /// Inline values with cumulative weights (normalised to end at 1.0).
    Empirical {
        values: Vec<f64>,
        cumulative: Vec<f64>,
    },
    /// Draws component `i` with probability `weights[i] / sum(weights)`,
    /// then a value from it, both from the same stream. Weights are kept as
    /// written (so a resolved scenario reloads to the same bits); components
    /// are never mixtures themselves.
    Mixture {
        weights: Vec<f64>,
        components: Vec<Dist>,
    },
    /// Counts: the number of trials up to and including the first success
    /// of probability `p`, capped at `max` (a session that stops after each
    /// step with probability `p`).
    Geometric {
        p: f64,
        max: u64,
    },
}

/// How a real sample becomes an integer token count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Rounding {
    #[default]
    Nearest,
    Floor,
    Ceil,
}

/// A distribution of integer token counts: `max(0, round(offset + X))`.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenDist {
    pub dist: Dist,
    pub offset: f64,
    pub rounding: Rounding,
}

/// The largest token count one draw can produce (2^32, about 4.3 billion:
/// far beyond any context window).
pub const MAX_TOKENS: u64 = 1 << 32;

/// z-score of the 90th percentile of the standard normal.
pub const Z90: f64 = 1.281_551_565_544_600_4;

impl Dist {
    /// Lognormal from its median and 90th percentile (requires `p90 > median > 0`).
    pub fn lognormal_from_median_p90(median: f64, p90: f64) -> Dist {
        Dist::LogNormal { mu: ln(median), sigma: ln(p90 / median) / Z90 }
    }

    /// Builds an empirical distribution; weights default to equal.
    pub fn empirical(values: Vec<f64>, weights: Option<Vec<f64>>) -> Dist {
        let weights = weights.unwrap_or_else(|| vec![1.0; values.len()]);
        Dist::Empirical { values, cumulative: cumulative(&weights) }
    }

    /// The distribution's mean (used by documentation, tests and sanity checks).
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::Uniform { low, high } => (low + high) / 2.0,
            Dist::UniformInt { low, high } => (*low as f64 + *high as f64) / 2.0,
            Dist::Exponential { mean } => *mean,
            Dist::Normal { mean, std } => {
                if *std == 0.0 {
                    return mean.max(0.0);
                }
                // Mean of a normal truncated below at zero.
                let a = -mean / std;
                let pdf = exp(-0.5 * a * a) / (2.0 * std::f64::consts::PI).sqrt();
                let tail = 1.0 - normal_cdf(a);
                mean + std * pdf / tail
            }
            Dist::LogNormal { mu, sigma } => exp(mu + sigma * sigma / 2.0),
            Dist::Gamma { shape, scale } => shape * scale,
            Dist::Weibull { shape, scale } => scale * gamma_fn(1.0 + 1.0 / shape),
            Dist::Empirical { values, cumulative } => expectation(values, cumulative, |v| v),
            Dist::Mixture { weights, components } => weighted(weights, components, Dist::mean),
            // sum_{k=0}^{max-1} (1-p)^k: the k-th step runs when the first k did not stop.
            Dist::Geometric { p, max } => {
                if *p >= 1.0 {
                    1.0
                } else {
                    (1.0 - powf(1.0 - p, *max as f64)) / p
                }
            }
        }
    }

    /// An upper bound of the mean that is finite whenever the distribution is
    /// usable: `mean` itself, except for a normal truncated so far below zero
    /// that the closed form is 0/0, whose true mean is below
    /// max(mean, 0) + 0.8 std.
    pub fn mean_upper_bound(&self) -> f64 {
        match *self {
            Dist::Normal { mean, std } if !self.mean().is_finite() => mean.max(0.0) + 0.8 * std,
            Dist::Mixture { ref weights, ref components } => weighted(weights, components, Dist::mean_upper_bound),
            ref d => d.mean(),
        }
    }

    /// An upper bound of E[1/X], the mean time per unit of a rate drawn from
    /// this distribution (E[1/X] >= 1/E[X] by Jensen's inequality, so the
    /// mean speed alone understates the mean time). Infinite when draws come
    /// arbitrarily close to 0 with a density that does not vanish there
    /// (exponential, truncated normal, gamma or weibull with shape <= 1, a
    /// zero value or a zero lower end).
    pub fn mean_reciprocal_upper_bound(&self) -> f64 {
        match self {
            Dist::Fixed(v) => 1.0 / v,
            Dist::Uniform { low, high } if high > low => ln(high / low) / (high - low),
            Dist::Uniform { low, .. } => 1.0 / low,
            // 1/X <= 1/low for every draw: a bound, not the exact harmonic sum.
            Dist::UniformInt { low, .. } => 1.0 / *low as f64,
            Dist::Exponential { .. } | Dist::Normal { .. } => f64::INFINITY,
            // E[X^-1] = e^(-mu + sigma^2 / 2) for ln X ~ Normal(mu, sigma).
            Dist::LogNormal { mu, sigma } => exp(-mu + sigma * sigma / 2.0),
            Dist::Gamma { shape, scale } if *shape > 1.0 => 1.0 / ((shape - 1.0) * scale),
            Dist::Weibull { shape, scale } if *shape > 1.0 => gamma_fn(1.0 - 1.0 / shape) / scale,
            Dist::Gamma { .. } | Dist::Weibull { .. } => f64::INFINITY,
            Dist::Empirical { values, cumulative } => expectation(values, cumulative, |v| 1.0 / v),
            Dist::Mixture { weights, components } => weighted(weights, components, Dist::mean_reciprocal_upper_bound),
            // Every draw is >= 1.
            Dist::Geometric { .. } => 1.0,
        }
    }

    /// Draws one value. Never negative for validated parameters.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        // A fixed value, the commonest kind, is read where it is asked for;
        // only a random draw calls out.
        match self {
            Dist::Fixed(v) => *v,
            _ => self.draw(rng),
        }
    }

    #[inline(never)]
    fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::Uniform { low, high } => {
                if high > low {
                    rng.random_range(*low..=*high)
                } else {
                    *low
                }
            }
            Dist::UniformInt { low, high } => rng.random_range(*low..=*high) as f64,
            Dist::Exponential { mean } => {
                // Inverse transform: one uniform per draw, portable across versions.
                let u: f64 = rng.random();
                -mean * ln(1.0 - u)
            }
            Dist::Normal { mean, std } => {
                if *std == 0.0 || !std.is_finite() {
                    return mean.max(0.0);
                }
                // Rejection keeps the truncated shape; bounded so a tiny acceptance
                // region (mean << 0) cannot loop forever.
                for _ in 0..1_000 {
                    let x = mean + std * samplers::standard_normal(rng);
                    if x >= 0.0 {
                        return x;
                    }
                }
                0.0
            }
            // Validation keeps parameters finite and in range; should one still
            // not be, the distribution's own scale stands in rather than a
            // nonsense draw (as when rand_distr refused them).
            Dist::LogNormal { mu, sigma } if sigma.is_finite() => exp(mu + sigma * samplers::standard_normal(rng)),
            Dist::LogNormal { mu, .. } => exp(*mu),
            Dist::Gamma { shape, scale } if *shape > 0.0 && *scale > 0.0 => samplers::gamma(*shape, *scale, rng),
            Dist::Gamma { shape, scale } => shape * scale,
            Dist::Weibull { shape, scale } if *shape > 0.0 && *scale > 0.0 => samplers::weibull(*shape, *scale, rng),
            Dist::Weibull { scale, .. } => *scale,
            Dist::Empirical { values, cumulative } => {
                let u: f64 = rng.random();
                let i = cumulative.partition_point(|c| *c <= u).min(values.len() - 1);
                values[i]
            }
            Dist::Mixture { weights, components } => {
                let total: f64 = weights.iter().sum();
                let mut u: f64 = rng.random::<f64>() * total;
                let last = components.len() - 1;
                let i = weights
                    .iter()
                    .position(|w| {
                        u -= w;
                        u < 0.0
                    })
                    .unwrap_or(last);
                components[i].sample(rng)
            }
            Dist::Geometric { p, max } => {
                if *p >= 1.0 {
                    return 1.0;
                }
                // Inverse transform: P(K > k) = (1-p)^k.
                let u: f64 = rng.random();
                let k = (ln(1.0 - u) / ln(1.0 - p)).floor() + 1.0;
                k.clamp(1.0, *max as f64)
            }
        }
    }
}

/// The weighted mean of `f` over a mixture's components (weights as written).
fn weighted(weights: &[f64], components: &[Dist], f: impl Fn(&Dist) -> f64) -> f64 {
    let total: f64 = weights.iter().sum();
    weights.iter().zip(components).map(|(w, d)| w / total * f(d)).sum()
}

/// The running sums of `weights` divided by their total, the last exactly 1
/// (so a uniform draw in [0, 1) always finds an index).
pub fn cumulative(weights: &[f64]) -> Vec<f64> {
    let total: f64 = weights.iter().sum();
    let mut acc = 0.0;
    let mut out: Vec<f64> = weights
        .iter()
        .map(|w| {
            acc += w / total;
            acc
        })
        .collect();
    if let Some(last) = out.last_mut() {
        *last = 1.0;
    }
    out
}

/// E[f(X)] of an empirical distribution; values of zero weight count nothing
/// (so a zero-weight 0 does not make E[1/X] infinite).
fn expectation(values: &[f64], cumulative: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut prev = 0.0;
    values
        .iter()
        .zip(cumulative)
        .map(|(v, c)| {
            let p = c - prev;
            prev = *c;
            if p > 0.0 { f(*v) * p } else { 0.0 }
        })
        .sum()
}

impl TokenDist {
    pub fn new(dist: Dist) -> Self {
        TokenDist { dist, offset: 0.0, rounding: Rounding::Nearest }
    }

    /// An upper bound of the mean token count (see `Dist::mean_upper_bound`),
    /// at least 0 and at most [`MAX_TOKENS`] like the draws.
    pub fn mean_upper_bound(&self) -> f64 {
        (self.offset + self.dist.mean_upper_bound()).clamp(0.0, MAX_TOKENS as f64)
    }

    /// Draws a token count, at most [`MAX_TOKENS`] (sums of token counts
    /// over a run then stay far from `u64` overflow).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        let x = self.offset + self.dist.sample(rng);
        // Integer fast path: the same count as the float path below
        // (MAX_TOKENS is far below 2^53, so the comparisons agree).
        let fast = match self.rounding {
            Rounding::Nearest => crate::maths::round_i64(x),
            Rounding::Floor => crate::maths::floor_i64(x),
            Rounding::Ceil => crate::maths::ceil_i64(x),
        };
        if let Some(r) = fast {
            return if r <= 0 { 0 } else { (r as u64).min(MAX_TOKENS) };
        }
        let r = match self.rounding {
            Rounding::Nearest => x.round(),
            Rounding::Floor => x.floor(),
            Rounding::Ceil => x.ceil(),
        };
        if r.is_nan() || r <= 0.0 {
            0
        } else if r >= MAX_TOKENS as f64 {
            MAX_TOKENS
        } else {
            r as u64
        }
    }
}

/// Standard normal CDF (Abramowitz-Stegun 7.1.26 via erf; |error| < 1.5e-7).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * (1.0 + erf(x / std::f64::consts::SQRT_2))
}

fn erf(x: f64) -> f64 {
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t + 0.254_829_592)
            * t
            * exp(-x * x);
    sign * y
}

/// The gamma function via the Lanczos approximation (g = 7, n = 9).
pub fn gamma_fn(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        std::f64::consts::PI / (maths::sin(std::f64::consts::PI * x) * gamma_fn(1.0 - x))
    } else {
        let x = x - 1.0;
        let mut a = G[0];
        let t = x + 7.5;
        for (i, g) in G.iter().enumerate().skip(1) {
            a += g / (x + i as f64);
        }
        (2.0 * std::f64::consts::PI).sqrt() * powf(t, x + 0.5) * exp(-t) * a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn sample_mean(d: &Dist, n: usize) -> f64 {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(9);
        (0..n).map(|_| d.sample(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn sample_means_match_analytic_means() {
        let cases = [
            Dist::Fixed(3.0),
            Dist::Uniform { low: 1.0, high: 5.0 },
            Dist::UniformInt { low: 0, high: 2000 },
            Dist::Exponential { mean: 30.0 },
            Dist::Normal { mean: 1.0, std: 2.0 },
            Dist::lognormal_from_median_p90(2.0, 6.0),
            Dist::Gamma { shape: 2.0, scale: 3.0 },
            Dist::Weibull { shape: 1.5, scale: 10.0 },
            Dist::empirical(vec![1.0, 10.0], Some(vec![3.0, 1.0])),
            Dist::Mixture {
                weights: vec![4.0, 1.0],
                components: vec![Dist::Fixed(20.0), Dist::lognormal_from_median_p90(360.0, 1200.0)],
            },
            Dist::Geometric { p: 0.1, max: 1000 },
            Dist::Geometric { p: 0.2, max: 5 },
        ];
        for d in cases {
            let m = sample_mean(&d, 200_000);
            let expect = d.mean();
            assert!((m - expect).abs() / expect < 0.02, "{d:?}: sample {m} vs {expect}");
        }
    }

    #[test]
    fn lognormal_quantiles_match_median_and_p90() {
        let d = Dist::lognormal_from_median_p90(2.0, 6.0);
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
        let mut xs: Vec<f64> = (0..100_000).map(|_| d.sample(&mut rng)).collect();
        xs.sort_by(f64::total_cmp);
        assert!((xs[50_000] - 2.0).abs() < 0.05, "median {}", xs[50_000]);
        assert!((xs[90_000] - 6.0).abs() < 0.2, "p90 {}", xs[90_000]);
    }

    #[test]
    fn token_rounding_and_offset() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
        let d = TokenDist { dist: Dist::Fixed(2.7), offset: 1.0, rounding: Rounding::Floor };
        assert_eq!(d.sample(&mut rng), 3);
        let d = TokenDist { dist: Dist::Fixed(2.2), offset: 0.0, rounding: Rounding::Ceil };
        assert_eq!(d.sample(&mut rng), 3);
        let d = TokenDist::new(Dist::Fixed(-5.0));
        assert_eq!(d.sample(&mut rng), 0);
    }

    #[test]
    fn normal_never_negative() {
        let d = Dist::Normal { mean: -1.0, std: 1.0 };
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(2);
        assert!((0..10_000).all(|_| d.sample(&mut rng) >= 0.0));
    }

    #[test]
    fn mean_reciprocal_by_hand() {
        assert_eq!(Dist::Fixed(4.0).mean_reciprocal_upper_bound(), 0.25);
        // ln(4/2) / (4 - 2)
        let u = Dist::Uniform { low: 2.0, high: 4.0 }.mean_reciprocal_upper_bound();
        assert!((u - 0.346_573_590_279_972_6).abs() < 1e-15, "{u}");
        // Lognormal mu = ln 100, sigma = 0.5: e^(-ln 100 + 0.125) / 1 = 0.011331484530668263
        let l = Dist::LogNormal { mu: 100f64.ln(), sigma: 0.5 }.mean_reciprocal_upper_bound();
        assert!((l - 0.011_331_484_530_668_259).abs() < 1e-15, "{l}");
        // Gamma shape 3, scale 10: 1 / (2 x 10)
        assert_eq!(Dist::Gamma { shape: 3.0, scale: 10.0 }.mean_reciprocal_upper_bound(), 0.05);
        // Weibull shape 2, scale 10: Gamma(1/2) / 10 = sqrt(pi) / 10
        let w = Dist::Weibull { shape: 2.0, scale: 10.0 }.mean_reciprocal_upper_bound();
        assert!((w - 0.177_245_385_090_551_6).abs() < 1e-9, "{w}");
        // 3/4 x 1/10 + 1/4 x 1/50
        let e = Dist::empirical(vec![10.0, 50.0], Some(vec![3.0, 1.0])).mean_reciprocal_upper_bound();
        assert!((e - 0.08).abs() < 1e-15, "{e}");
        for d in [
            Dist::Exponential { mean: 1.0 },
            Dist::Normal { mean: 100.0, std: 1.0 },
            Dist::Gamma { shape: 1.0, scale: 1.0 },
            Dist::Weibull { shape: 0.9, scale: 1.0 },
            Dist::Fixed(0.0),
            Dist::Uniform { low: 0.0, high: 1.0 },
        ] {
            assert!(d.mean_reciprocal_upper_bound().is_infinite(), "{d:?}");
        }
    }

    #[test]
    fn mixture_draws_components_by_weight_and_means_by_weight() {
        // Weights 4 : 1 as written, i.e. 0.8 and 0.2.
        let d = Dist::Mixture { weights: vec![4.0, 1.0], components: vec![Dist::Fixed(20.0), Dist::Fixed(360.0)] };
        assert_eq!(d.mean(), 0.8 * 20.0 + 0.2 * 360.0);
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(5);
        let n = 100_000;
        let small = (0..n).filter(|_| d.sample(&mut rng) == 20.0).count() as f64 / n as f64;
        // 4 standard deviations of a proportion 0.8 over 100,000 draws: 0.0051.
        assert!((small - 0.8).abs() < 0.0051, "share {small}");
        // E[1/X] is weighted too: 0.8 / 20 + 0.2 / 360.
        assert!((d.mean_reciprocal_upper_bound() - (0.04 + 0.2 / 360.0)).abs() < 1e-15);
    }

    #[test]
    fn geometric_is_capped_and_its_mean_is_the_truncated_sum() {
        let d = Dist::Geometric { p: 0.01, max: 5 };
        // sum_{k<5} 0.99^k = (1 - 0.99^5) / 0.01
        assert!((d.mean() - 4.900_995_009_9).abs() < 1e-9, "{}", d.mean());
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(6);
        assert!((0..10_000).all(|_| (1.0..=5.0).contains(&d.sample(&mut rng))));
        assert_eq!(Dist::Geometric { p: 1.0, max: 9 }.sample(&mut rng), 1.0);
        assert_eq!(Dist::Geometric { p: 1.0, max: 9 }.mean(), 1.0);
        assert!((Dist::Geometric { p: 0.25, max: 100_000 }.mean() - 4.0).abs() < 1e-12);
    }

    /// Three draws of every kind from one seed, as bit patterns: they hold on
    /// every platform (sampling and maths are portable, `crate::maths`), so a
    /// platform difference fails here. A change is a change of the model's
    /// sampling: if intended, print the new values (`{:#018x}` of
    /// `to_bits()`), replace them, and say so in the commit; the runs' own
    /// pin is in tests/determinism.rs.
    #[test]
    fn pinned_draws_of_every_kind() {
        let b = f64::from_bits;
        let cases: [(Dist, [f64; 3]); 13] = [
            (
                Dist::Uniform { low: 1.0, high: 5.0 },
                [b(0x4003_d15f_aa4b_b412), b(0x400e_90d2_ce64_ddde), b(0x4009_1a66_f5f0_a934)],
            ),
            (Dist::UniformInt { low: 0, high: 2000 }, [269.0, 1917.0, 1963.0]),
            (
                Dist::Exponential { mean: 30.0 },
                [b(0x401c_024d_a23e_97f9), b(0x400f_1cf3_2b00_7518), b(0x4031_fab2_fd0c_5f57)],
            ),
            (
                Dist::Normal { mean: 1.0, std: 2.0 },
                [b(0x3ff3_6d54_7d34_90d6), b(0x3ff7_76d0_a1d2_ac0e), b(0x3ff3_d56c_cda2_cbbc)],
            ),
            (
                Dist::lognormal_from_median_p90(360.0, 1200.0),
                [b(0x4089_82f7_93fe_abbd), b(0x405f_c3c4_f0fa_0f9e), b(0x4082_bb7c_78a2_8266)],
            ),
            (
                Dist::Gamma { shape: 0.6, scale: 3.0 },
                [b(0x3fe1_244d_c4c8_f008), b(0x4018_2914_21b7_f815), b(0x3fe5_74e4_dc57_a7ea)],
            ),
            (
                Dist::Gamma { shape: 1.0, scale: 3.0 },
                [b(0x3fe1_85bb_a737_969e), b(0x3ff5_d4ec_4b57_a516), b(0x3ff9_088c_b2b5_8cfc)],
            ),
            (
                Dist::Gamma { shape: 2.0, scale: 3.0 },
                [b(0x401b_8051_5ccb_595e), b(0x3ffb_2879_0ac8_3af0), b(0x3ff9_a47d_8660_b8f6)],
            ),
            (
                Dist::Weibull { shape: 1.5, scale: 10.0 },
                [b(0x4025_6e41_664b_6a89), b(0x400a_4695_1e8e_26c8), b(0x3fe7_d7b2_9cbe_c345)],
            ),
            (Dist::empirical(vec![1.0, 10.0, 100.0], Some(vec![3.0, 1.0, 1.0])), [1.0, 1.0, 10.0]),
            (
                Dist::Mixture {
                    weights: vec![4.0, 1.0],
                    components: vec![Dist::Fixed(20.0), Dist::Exponential { mean: 9.0 }],
                },
                [20.0, 20.0, 20.0],
            ),
            (Dist::Geometric { p: 0.1, max: 1000 }, [4.0, 6.0, 2.0]),
            (Dist::Fixed(7.5), [7.5, 7.5, 7.5]),
        ];
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(2026);
        for (d, expect) in cases {
            let got = [(); 3].map(|()| d.sample(&mut rng));
            assert_eq!(got.map(f64::to_bits), expect.map(f64::to_bits), "{d:?}: {got:?}");
        }
        // Token counts: the draws rounded, from the same kind of stream.
        let t = TokenDist::new(Dist::lognormal_from_median_p90(800.0, 3000.0));
        let tokens: Vec<u64> = (0..6).map(|_| t.sample(&mut rng)).collect();
        assert_eq!(tokens, [904, 1945, 201, 1313, 225, 1067]);
    }

    /// A lognormal's parameters from its median and p90, its p90 back from
    /// them, and the sampled p90 of 100,000 draws, bit for bit (see
    /// `pinned_draws_of_every_kind` for updating a pin).
    #[test]
    fn pinned_lognormal_quantile() {
        let Dist::LogNormal { mu, sigma } = Dist::lognormal_from_median_p90(2.0, 6.0) else { unreachable!() };
        assert_eq!([mu.to_bits(), sigma.to_bits()], [0x3fe6_2e42_fefa_39ef, 0x3feb_6e9b_2ac1_89b4]);
        assert_eq!(exp(mu + Z90 * sigma), 6.0);
        let d = Dist::LogNormal { mu, sigma };
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
        let mut xs: Vec<f64> = (0..100_000).map(|_| d.sample(&mut rng)).collect();
        xs.sort_by(f64::total_cmp);
        assert_eq!(xs[90_000].to_bits(), 0x4018_1695_5d1e_8707, "{}", xs[90_000]);
    }

    #[test]
    fn gamma_function_known_values() {
        assert!((gamma_fn(5.0) - 24.0).abs() < 1e-9);
        assert!((gamma_fn(0.5) - std::f64::consts::PI.sqrt()).abs() < 1e-9);
    }
}
