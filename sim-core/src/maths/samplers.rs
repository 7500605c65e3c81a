//! Random variates built on the portable maths (`super`): the standard
//! normal, the standard exponential, gamma and Weibull.
//!
//! They replace rand_distr's samplers, whose `ln`/`exp`/`powf` are std's and
//! so the platform's. Each follows rand_distr 0.5's algorithm step for step
//! (same tables, same uniforms drawn in the same order, same arithmetic), so
//! a seed's stream of draws is unchanged: only a last-bit difference between
//! `libm` and the platform library can move a value, and it moves it by that
//! last bit (a rejection test flipping on it is of probability ~1e-16).
//! `tests` checks the agreement with rand_distr draw for draw.

use super::ziggurat_tables::{self as zig, ZigTable};
use super::{exp, ln, powf};
use rand::Rng;
use rand::distr::{Open01, OpenClosed01};

/// A standard normal draw: the ziggurat method of Marsaglia and Tsang (2000,
/// "The Ziggurat Method for Generating Random Variables", J. Stat. Softw.
/// 5(8)), with Marsaglia's (1964) tail algorithm past `ZIG_NORM_R`.
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    fn pdf(x: f64) -> f64 {
        exp(-x * x / 2.0)
    }
    fn tail<R: Rng + ?Sized>(rng: &mut R, u: f64) -> f64 {
        let mut x = 1.0f64;
        let mut y = 0.0f64;
        while -2.0 * y < x * x {
            let x_: f64 = rng.sample(Open01);
            let y_: f64 = rng.sample(Open01);
            x = ln(x_) / zig::ZIG_NORM_R;
            y = ln(y_);
        }
        if u < 0.0 { x - zig::ZIG_NORM_R } else { zig::ZIG_NORM_R - x }
    }
    ziggurat(rng, true, &zig::ZIG_NORM_X, &zig::ZIG_NORM_F, pdf, tail)
}

/// A standard exponential draw (mean 1): the ziggurat method, its tail past
/// `ZIG_EXP_R` by memorylessness.
pub fn standard_exponential<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    fn pdf(x: f64) -> f64 {
        exp(-x)
    }
    fn tail<R: Rng + ?Sized>(rng: &mut R, _u: f64) -> f64 {
        zig::ZIG_EXP_R - ln(rng.random::<f64>())
    }
    ziggurat(rng, false, &zig::ZIG_EXP_X, &zig::ZIG_EXP_F, pdf, tail)
}

/// A gamma draw, for `shape > 0` and `scale > 0`. Shape above 1: Marsaglia
/// and Tsang (2000, "A Simple Method for Generating Gamma Variables", ACM
/// TOMS 26(3)); below 1: their boost, Gamma(shape + 1) x U^(1/shape);
/// exactly 1: an exponential of mean `scale`.
pub fn gamma<R: Rng + ?Sized>(shape: f64, scale: f64, rng: &mut R) -> f64 {
    if shape == 1.0 {
        // As rand_distr: Exp with rate 1/scale, i.e. times 1 / (1 / scale).
        return standard_exponential(rng) * (1.0 / (1.0 / scale));
    }
    if shape < 1.0 {
        let u: f64 = rng.sample(Open01);
        return marsaglia_tsang(shape + 1.0, scale, rng) * powf(u, 1.0 / shape);
    }
    marsaglia_tsang(shape, scale, rng)
}

/// Marsaglia-Tsang for shape >= 1: d = shape - 1/3, c = 1/sqrt(9d); draw
/// x normal, v = (1 + cx)^3, accept d v on the squeeze or the log test.
fn marsaglia_tsang<R: Rng + ?Sized>(shape: f64, scale: f64, rng: &mut R) -> f64 {
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = standard_normal(rng);
        let v_cbrt = 1.0 + c * x;
        if v_cbrt <= 0.0 {
            continue;
        }
        let v = v_cbrt * v_cbrt * v_cbrt;
        let u: f64 = rng.sample(Open01);
        let x_sqr = x * x;
        if u < 1.0 - 0.0331 * x_sqr * x_sqr || ln(u) < 0.5 * x_sqr + d * (1.0 - v + ln(v)) {
            return d * v * scale;
        }
    }
}

/// A Weibull draw by inversion of its CDF: scale (-ln U)^(1/shape), U in (0, 1].
pub fn weibull<R: Rng + ?Sized>(shape: f64, scale: f64, rng: &mut R) -> f64 {
    let u: f64 = rng.sample(OpenClosed01);
    scale * powf(-ln(u), 1.0 / shape)
}

/// The ziggurat loop shared by the normal (symmetric) and the exponential:
/// one 64-bit word gives the layer (low 8 bits) and the position (high 52
/// bits); most draws are accepted on the first comparison.
fn ziggurat<R: Rng + ?Sized>(
    rng: &mut R,
    symmetric: bool,
    x_tab: ZigTable,
    f_tab: ZigTable,
    pdf: impl Fn(f64) -> f64,
    tail: impl Fn(&mut R, f64) -> f64,
) -> f64 {
    loop {
        let bits = rng.next_u64();
        let i = (bits & 0xff) as usize;
        // The high 52 bits as the mantissa of a float in [1, 2) (exponent 0)
        // or [2, 4) (exponent 1), shifted to [-1, 1) or (0, 1): exact.
        let u = if symmetric {
            with_exponent(bits >> 12, 1) - 3.0
        } else {
            with_exponent(bits >> 12, 0) - (1.0 - f64::EPSILON / 2.0)
        };
        let x = u * x_tab[i];
        let test_x = if symmetric { x.abs() } else { x };
        if test_x < x_tab[i + 1] {
            return x;
        }
        if i == 0 {
            return tail(rng, u);
        }
        if f_tab[i + 1] + (f_tab[i] - f_tab[i + 1]) * rng.random::<f64>() < pdf(x) {
            return x;
        }
    }
}

/// The float with mantissa bits `mantissa` (< 2^52) and unbiased exponent `e`.
fn with_exponent(mantissa: u64, e: i64) -> f64 {
    f64::from_bits(mantissa | (((1023 + e) as u64) << 52))
}

#[cfg(test)]
#[path = "samplers_tests.rs"]
mod tests;
