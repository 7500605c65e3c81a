//! Portable maths: every transcendental function on a result path goes
//! through this module, so results are byte-identical on every platform.
//!
//! Why: `f64::ln`, `exp`, `powf`, `sin` and the like call the platform's
//! maths library (glibc, Apple's libm, the MSVC runtime...). Those are not
//! correctly rounded and disagree in the last bit from one platform or
//! version to another; one such bit can round a token count the other way,
//! flip a comparison, and from there change a whole replicate. The `libm`
//! crate is a pure-Rust port of musl's maths library: the same code, hence
//! the same bits, on every target. The basic operations (`+ - * /`, `sqrt`,
//! `floor`, `ceil`, `round`, `abs`) are correctly rounded by IEEE 754
//! everywhere and stay on std. `powi` comes here too: std documents
//! its precision as unspecified (an LLVM intrinsic lowered per target).
//!
//! `samplers` holds the random variates that rand_distr used to provide
//! (its samplers call std's `ln`/`exp`/`powf` internally), rebuilt on these
//! functions with the same streams. `tests/layering.rs` fails if sim-core's
//! non-test code calls std's transcendentals outside this module.

pub mod samplers;
mod ziggurat_tables;

/// Below this magnitude a float converts to `i64` exactly after truncation
/// (2^62, with room for the +-1 of rounding).
const INT_FAST: f64 = 4_611_686_018_427_387_904.0;

/// `x.round()` (half away from zero) as an integer, for |x| < 2^62; `None`
/// otherwise (NaN, infinities, huge values: the caller keeps std's path).
///
/// Why: without SSE4.1, std's `round` and `floor` are calls into the C
/// library, and `round() as i128` a software conversion; these were ~5% of
/// the agent benchmark. The result is the same integer: truncation is exact,
/// `x - trunc(x)` is exact (both are floats of the same binade or the
/// fraction is zero), and the fraction decides the step away from zero.
#[inline]
pub fn round_i64(x: f64) -> Option<i64> {
    if x.is_nan() || x.abs() >= INT_FAST {
        return None;
    }
    let t = x as i64;
    let frac = x - t as f64;
    Some(if frac >= 0.5 {
        t + 1
    } else if frac <= -0.5 {
        t - 1
    } else {
        t
    })
}

/// `x.floor()` as an integer, for |x| < 2^62 (see [`round_i64`]).
#[inline]
pub fn floor_i64(x: f64) -> Option<i64> {
    if x.is_nan() || x.abs() >= INT_FAST {
        return None;
    }
    let t = x as i64;
    Some(if (t as f64) > x { t - 1 } else { t })
}

/// `x.ceil()` as an integer, for |x| < 2^62 (see [`round_i64`]).
#[inline]
pub fn ceil_i64(x: f64) -> Option<i64> {
    if x.is_nan() || x.abs() >= INT_FAST {
        return None;
    }
    let t = x as i64;
    Some(if (t as f64) < x { t + 1 } else { t })
}

/// Natural logarithm.
#[inline]
pub fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// e^x.
#[inline]
pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}

/// x^y for a real exponent.
#[inline]
pub fn powf(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

/// x^n for an integer exponent, by binary exponentiation in a fixed order
/// (the order of compiler-rt's `__powidf2`, which std's `powi` usually
/// lowers to), so the rounding steps are the same everywhere.
pub fn powi(x: f64, n: i32) -> f64 {
    let mut base = x;
    let mut e = n.unsigned_abs();
    let mut r = 1.0;
    loop {
        if e & 1 == 1 {
            r *= base;
        }
        e /= 2;
        if e == 0 {
            break;
        }
        base *= base;
    }
    if n < 0 { 1.0 / r } else { r }
}

/// Sine (radians).
#[inline]
pub fn sin(x: f64) -> f64 {
    libm::sin(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pinned bit patterns: musl's algorithms give these on every platform.
    /// A change here means the maths library changed (a `libm` upgrade that
    /// alters results); check the release notes, then update the pins
    /// together with the pinned draws in `samplers.rs` and `dist.rs`.
    #[test]
    fn pinned_values() {
        assert_eq!(ln(10.0).to_bits(), 0x4002_6bb1_bbb5_5516);
        // One ulp above the correctly rounded e, which glibc's exp returns:
        // exactly the kind of platform difference this module removes.
        assert_eq!(exp(1.0).to_bits(), std::f64::consts::E.to_bits() + 1);
        assert_eq!(powf(2.0, 0.5).to_bits(), std::f64::consts::SQRT_2.to_bits());
        assert_eq!(sin(1.0).to_bits(), 0x3fea_ed54_8f09_0cee);
        assert_eq!(ln(0.7).to_bits(), 0xbfd6_d3c3_24e1_3f50);
    }

    /// The integer fast paths give std's `round`/`floor`/`ceil` exactly,
    /// at the halves, next to them, near 2^52 and 2^62, and on random bits.
    #[test]
    fn integer_roundings_match_std() {
        let mut xs = vec![0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, 0.49999999999999994, -0.49999999999999994];
        xs.extend([4503599627370495.5, 4503599627370497.0, -4503599627370495.5, 9007199254740993.0]);
        xs.extend([INT_FAST, -INT_FAST, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300]);
        xs.push(f64::from_bits(INT_FAST.to_bits() - 1));
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..200_000 {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let x = f64::from_bits(state);
            // Random bits, and random values at a human scale with halves.
            xs.push(x);
            xs.push((state >> 11) as f64 / (1u64 << 20) as f64 - 4096.0);
            xs.push(((state >> 40) as f64 + 0.5) * if state & 1 == 0 { 1.0 } else { -1.0 });
        }
        for x in xs {
            for (fast, std) in [(round_i64(x), x.round()), (floor_i64(x), x.floor()), (ceil_i64(x), x.ceil())] {
                match fast {
                    Some(r) => assert_eq!(r as f64, std, "{x:e}"),
                    None => assert!(x.is_nan() || x.abs() >= INT_FAST, "{x:e}"),
                }
            }
        }
    }

    #[test]
    fn powi_is_repeated_multiplication() {
        assert_eq!(powi(2.0, 10), 1024.0);
        assert_eq!(powi(3.0, 0), 1.0);
        assert_eq!(powi(2.0, -2), 0.25);
        assert_eq!(powi(-1.5, 3), -3.375);
        // 1.1^5 multiplied as (1.1 * 1.1^4): the fixed order's bits.
        let x = 1.1f64;
        let x2 = x * x;
        assert_eq!(powi(x, 5).to_bits(), (x * (x2 * x2)).to_bits());
        assert_eq!(powi(x, i32::MIN), 0.0);
    }
}
