//! The lane operations the general elementwise, reduction and softmax kernels need beyond `MathLanes`
//! (square root, rounding, IEEE max / min, a compare-select, sign transfer, exponent split), and the
//! vector log / tanh / erf built from them and the crate's polynomial exp (`ExpConsts`).
//!
//! Every operation has a portable default (lane by lane through arrays: what the scalar build and the
//! x86_64 host tests run); the wasm simd128 lanes override them with one or two instructions each.

use crate::elementwise::{ExpConsts, MathLanes};
use crate::lanes::{F32x4, ScalarLanes};

#[inline(always)]
fn map1<V: F32x4>(x: V, f: impl Fn(f32) -> f32) -> V {
    V::from_array(x.to_array().map(f))
}

#[inline(always)]
fn map2<V: F32x4>(x: V, y: V, f: impl Fn(f32, f32) -> f32) -> V {
    let (a, b) = (x.to_array(), y.to_array());
    V::from_array([f(a[0], b[0]), f(a[1], b[1]), f(a[2], b[2]), f(a[3], b[3])])
}

/// JavaScript's `Math.max`: NaN when either operand is NaN (TF.js CPU's `maximum`, `max` reductions).
#[inline(always)]
pub fn max_nan_f32(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else if a > b || (a == b && b.is_sign_negative()) {
        a
    } else {
        b
    }
}

/// JavaScript's `Math.min`: NaN when either operand is NaN.
#[inline(always)]
pub fn min_nan_f32(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else if a < b || (a == b && a.is_sign_negative()) {
        a
    } else {
        b
    }
}

/// Lane operations beyond `MathLanes`; see the module comment.
pub trait VMath: MathLanes {
    #[inline(always)]
    fn sqrt(self) -> Self {
        map1(self, f32::sqrt)
    }
    #[inline(always)]
    fn floor(self) -> Self {
        map1(self, f32::floor)
    }
    #[inline(always)]
    fn ceil(self) -> Self {
        map1(self, f32::ceil)
    }
    /// Round half to even (TF's `round`, wasm `f32x4.nearest`).
    #[inline(always)]
    fn round_even(self) -> Self {
        map1(self, f32::round_ties_even)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        map1(self, f32::abs)
    }
    /// `Math.max` per lane: NaN if either lane is NaN.
    #[inline(always)]
    fn max_nan(self, o: Self) -> Self {
        map2(self, o, max_nan_f32)
    }
    /// `Math.min` per lane: NaN if either lane is NaN.
    #[inline(always)]
    fn min_nan(self, o: Self) -> Self {
        map2(self, o, min_nan_f32)
    }
    /// Per lane `if self < o { a } else { b }` (false for NaN).
    #[inline(always)]
    fn lt_select(self, o: Self, a: Self, b: Self) -> Self {
        let (x, y, a, b) = (self.to_array(), o.to_array(), a.to_array(), b.to_array());
        Self::from_array(core::array::from_fn(|i| if x[i] < y[i] { a[i] } else { b[i] }))
    }
    /// The magnitude of `self` with the sign of `sign`.
    #[inline(always)]
    fn copysign(self, sign: Self) -> Self {
        map2(self, sign, f32::copysign)
    }
    /// For positive normal `self`: (m, e) with self = m * 2^e, m in [0.5, 1), e integral (as f32).
    #[inline(always)]
    fn frexp(self) -> (Self, Self) {
        let b = self.to_array().map(f32::to_bits);
        (
            Self::from_array(b.map(|b| f32::from_bits((b & 0x007f_ffff) | 0x3f00_0000))),
            Self::from_array(b.map(|b| ((b >> 23) & 0xff) as i32 as f32 - 126.0)),
        )
    }
}

impl VMath for ScalarLanes {}

#[cfg(target_arch = "x86_64")]
impl VMath for crate::lanes::SseLanes {}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl VMath for crate::lanes::WasmLanes {
    #[inline(always)]
    fn sqrt(self) -> Self {
        Self(core::arch::wasm32::f32x4_sqrt(self.0))
    }
    #[inline(always)]
    fn floor(self) -> Self {
        Self(core::arch::wasm32::f32x4_floor(self.0))
    }
    #[inline(always)]
    fn ceil(self) -> Self {
        Self(core::arch::wasm32::f32x4_ceil(self.0))
    }
    #[inline(always)]
    fn round_even(self) -> Self {
        Self(core::arch::wasm32::f32x4_nearest(self.0))
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Self(core::arch::wasm32::f32x4_abs(self.0))
    }
    // f32x4.max / min are IEEE's NaN-propagating ones (not relaxed), as Math.max / Math.min.
    #[inline(always)]
    fn max_nan(self, o: Self) -> Self {
        Self(core::arch::wasm32::f32x4_max(self.0, o.0))
    }
    #[inline(always)]
    fn min_nan(self, o: Self) -> Self {
        Self(core::arch::wasm32::f32x4_min(self.0, o.0))
    }
    #[inline(always)]
    fn lt_select(self, o: Self, a: Self, b: Self) -> Self {
        use core::arch::wasm32::*;
        Self(v128_bitselect(a.0, b.0, f32x4_lt(self.0, o.0)))
    }
    #[inline(always)]
    fn copysign(self, sign: Self) -> Self {
        use core::arch::wasm32::*;
        Self(v128_bitselect(sign.0, self.0, u32x4_splat(0x8000_0000)))
    }
    #[inline(always)]
    fn frexp(self) -> (Self, Self) {
        use core::arch::wasm32::*;
        let m = v128_or(v128_and(self.0, u32x4_splat(0x007f_ffff)), u32x4_splat(0x3f00_0000));
        let e = f32x4_convert_i32x4(i32x4_sub(u32x4_shr(self.0, 23), i32x4_splat(126)));
        (Self(m), Self(e))
    }
}

/// Cephes-style log coefficients (a degree-8 polynomial in m - 1 over [sqrt(1/2), sqrt(2))), and the
/// erf fits (`tools`-free: Chebyshev interpolants of erf(x)/x in x^2 on [0, 1] and of erfcx(x) = e^(x^2) erfc(x)
/// on [1, 4], fitted in float64 and rounded to float32: max error 1.7e-7 relative / 5.6e-8 absolute).
const LOG_P: [f32; 9] = [7.037_683_6e-2, -1.151_461e-1, 1.167_699_9e-1, -1.242_014_1e-1, 1.424_932_3e-1, -1.666_805_8e-1, 2.000_071_4e-1, -2.499_999_4e-1, 3.333_333_1e-1];
const ERF_SMALL: [f32; 6] = [1.128_379_1, -0.376_123_5, 0.112_803_65, -0.026_716_385, 0.004_923_277_5, -0.000_565_410_6];
const ERFCX_CHEB: [f32; 12] = [
    0.244_425_76,
    -0.135_898_63,
    0.035_635_114,
    -0.008_884_098,
    0.002_118_424,
    -0.000_485_398_78,
    0.000_107_273_76,
    -2.293_663_4e-5,
    4.756_874_7e-6,
    -9.589_945e-7,
    1.882_900_7e-7,
    -3.606_320_6e-8,
];

/// The transcendental functions, over the crate's fast exp.
#[derive(Clone, Copy)]
pub struct Transcendentals<V: F32x4> {
    pub exp: ExpConsts<V>,
}

impl<V: VMath> Default for Transcendentals<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: VMath> Transcendentals<V> {
    #[inline(always)]
    pub fn new() -> Self {
        Self { exp: ExpConsts::new() }
    }

    /// Natural log: x = m 2^e with m in [sqrt(1/2), sqrt(2)), log(m) by a polynomial in m - 1, plus e ln 2 in
    /// two parts. Subnormals are scaled by 2^23 first; log(0) = -Inf, log(x < 0) = NaN, log(Inf) = Inf, NaN kept.
    #[inline(always)]
    pub fn log(&self, x: V) -> V {
        let s = V::splat;
        let tiny = x.lt_select(s(f32::MIN_POSITIVE), s(1.0), s(0.0));
        let xs = x.mul(tiny.mul(s(8_388_608.0)).add(s(1.0).sub(tiny)));
        let (m, e) = xs.frexp();
        let e = e.sub(tiny.mul(s(23.0)));
        // m < sqrt(1/2): use 2m - 1 and e - 1.
        let low = m.lt_select(s(core::f32::consts::FRAC_1_SQRT_2), s(1.0), s(0.0));
        let f = m.add(m.mul(low)).sub(s(1.0));
        let e = e.sub(low);
        let z = f.mul(f);
        let mut y = s(LOG_P[0]);
        for &c in &LOG_P[1..] {
            y = y.mul_add(f, s(c));
        }
        let y = y.mul(f).mul(z).add(e.mul(s(-2.121_944_4e-4))).sub(z.mul(s(0.5)));
        let r = f.add(y).add(e.mul(s(0.693_359_4)));
        // x <= 0 or NaN: -Inf for 0, NaN below (and for NaN); +Inf stays +Inf.
        let nonpos = x.lt_select(s(0.0), s(f32::NAN), s(f32::NEG_INFINITY));
        let r = s(0.0).lt_select(x, r, nonpos);
        let r = x.lt_select(s(f32::INFINITY), r, x);
        // NaN: every compare above is false, so r is x.
        r
    }

    /// tanh: |x| < 0.625 by an odd polynomial (relative accuracy near 0), else 1 - 2 / (e^(2|x|) + 1).
    #[inline(always)]
    pub fn tanh(&self, x: V) -> V {
        let s = V::splat;
        let a = x.abs();
        let z = x.mul(x);
        let mut p = s(-5.704_988_7e-3);
        for c in [2.063_908_9e-2, -5.373_971_6e-2, 1.333_144_2e-1, -3.333_328_2e-1] {
            p = p.mul_add(z, s(c));
        }
        let small = p.mul(z).mul(x).add(x);
        let e = self.exp.exp(a.add(a));
        let large = s(1.0).sub(s(2.0).div(e.add(s(1.0)))).copysign(x);
        // NaN: a < 0.625 is false, so `large`, which is NaN.
        a.lt_select(s(0.625), small, large)
    }

    /// erf: x * P(x^2) for |x| < 1; 1 - e^(-x^2) erfcx(|x|) (Chebyshev series by Clenshaw) up to 4; 1 beyond; odd.
    #[inline(always)]
    pub fn erf(&self, x: V) -> V {
        let s = V::splat;
        let a = x.abs();
        let t = x.mul(x);
        let mut p = s(ERF_SMALL[5]);
        for &c in ERF_SMALL[..5].iter().rev() {
            p = p.mul_add(t, s(c));
        }
        let small = x.mul(p);
        let ac = a.min_bound(s(4.0));
        let u = ac.mul(s(2.0 / 3.0)).sub(s(5.0 / 3.0));
        let u2 = u.add(u);
        let (mut b1, mut b2) = (s(0.0), s(0.0));
        for &c in ERFCX_CHEB[1..].iter().rev() {
            let b0 = u2.mul_add(b1, s(c)).sub(b2);
            b2 = b1;
            b1 = b0;
        }
        let q = u.mul_add(b1, s(ERFCX_CHEB[0])).sub(b2);
        let large = s(1.0).sub(self.exp.exp(s(0.0).sub(ac.mul(ac))).mul(q));
        let large = s(4.0).lt_select(a, s(1.0), large).copysign(x);
        // NaN: a < 1 false -> `large`: 4 < NaN false -> NaN arithmetic.
        a.lt_select(s(1.0), small, large)
    }
}

/// erf in float64 for the references (Rust's std has none): the Maclaurin series below 4 (terms of
/// alternating sign, at most ~1e7 in size, so ~1e-9 absolute), +-1 beyond (erfc(4) = 1.5e-8).
pub fn erf_f64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    if a >= 4.0 {
        return 1f64.copysign(x);
    }
    let (mut term, mut sum, z) = (x, x, x * x);
    let mut n = 0.0;
    loop {
        n += 1.0;
        term *= -z / n;
        let add = term / (2.0 * n + 1.0);
        sum += add;
        if add.abs() < 1e-17 * sum.abs().max(1e-300) {
            break;
        }
    }
    sum * 2.0 / core::f64::consts::PI.sqrt()
}
