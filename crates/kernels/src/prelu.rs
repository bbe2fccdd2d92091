//! Keras ReLU / LeakyReLU / PReLU in their general form:
//! y = x >= threshold ? min(x, max_value) : slope[c] * (x - threshold),
//! with `slope` (length m) cycled over the data: m = 1 (one slope), m = C (per channel of NHWC data, the
//! usual PReLU) or m = a whole sample (a PReLU sharing no axis). In place allowed.
//!
//! Results are those of the float64 definition rounded once to f32 (what the JavaScript pass computed), bit
//! for bit:
//! - threshold 0 (LeakyReLU, PReLU, ReLU with a negative slope): the vector path. `slope * x` of two f32s is
//!   exact in f64, so one f32 multiply rounds it the same way; min(x, max_value) commutes with rounding
//!   max_value to f32 (rounding is monotone), Math.min's -0 < +0 included.
//! - any other threshold (and NaN): the scalar float64 path, as `prelu_f64` (x - threshold need not be
//!   exact in f32).
//! NaN: a NaN x gives NaN (it is not >= threshold: slope * NaN); a NaN threshold gives NaN everywhere.

use crate::lanes::NativeLanes;
use crate::vmath::VMath;

/// The definition, in float64 (the tests' reference, and the scalar path rounded to f32).
#[inline(always)]
pub fn prelu_f64(x: f32, slope: f32, threshold: f64, max_value: f64) -> f64 {
    let v = x as f64;
    if v >= threshold {
        // Math.min: NaN if either is NaN, -0 below +0.
        if max_value.is_nan() {
            f64::NAN
        } else if v < max_value || (v == max_value && v.is_sign_negative()) {
            v
        } else {
            max_value
        }
    } else {
        slope as f64 * (v - threshold)
    }
}

/// Slope periods shorter than this are tiled into a buffer of up to `TILE` values, so the vector loop
/// runs over long rows (per-channel slopes with C = 1, 3, 17, ...).
const SHORT: usize = 64;
const TILE: usize = 256;

/// One vector of results, threshold 0; `CLAMP` false when max_value is +Inf (min(x, +Inf) = x).
#[inline(always)]
fn apply<V: VMath, const CLAMP: bool>(x: V, s: V, zero: V, mv: V) -> V {
    let pos = if CLAMP { x.min_nan(mv) } else { x };
    // x < 0: slope * x; else (x >= 0, -0 and NaN included) min(x, max_value).
    x.lt_select(zero, s.mul(x), pos)
}

/// `len` values of one row from `src` to `dst` (may be equal), slope values from `slope` (`len` of them),
/// or one splatted value when `splat`.
///
/// # Safety
/// `src` readable and `dst` writable for `len` f32s; `slope` readable for `len` f32s (1 when `splat`).
#[inline(always)]
unsafe fn row<V: VMath, const CLAMP: bool>(src: *const f32, dst: *mut f32, len: usize, slope: *const f32, splat: bool, mv: V) {
    let zero = V::splat(0.0);
    let one = V::splat(*slope);
    let body = len & !3;
    let mut i = 0;
    while i < body {
        let s = if splat { one } else { V::load(slope.add(i)) };
        apply::<V, CLAMP>(V::load(src.add(i)), s, zero, mv).store(dst.add(i));
        i += 4;
    }
    if body < len {
        let r = len - body;
        let (mut t, mut u) = ([0.0f32; 4], [0.0f32; 4]);
        core::ptr::copy(src.add(body), t.as_mut_ptr(), r);
        let s = if splat {
            one
        } else {
            core::ptr::copy(slope.add(body), u.as_mut_ptr(), r);
            V::from_array(u)
        };
        let y = apply::<V, CLAMP>(V::from_array(t), s, zero, mv).to_array();
        core::ptr::copy(y.as_ptr(), dst.add(body), r);
    }
}

/// # Safety
/// `src` readable and `dst` writable for `n` f32s (they may be equal); `n` a multiple of `slope.len()` >= 1.
unsafe fn vector<V: VMath, const CLAMP: bool>(src: *const f32, dst: *mut f32, n: usize, slope: &[f32], mv: f32) {
    let m = slope.len();
    let mv = V::splat(mv);
    if m == 1 {
        return row::<V, CLAMP>(src, dst, n, slope.as_ptr(), true, mv);
    }
    let mut tile = [0.0f32; TILE];
    let (period, sp) = if m < SHORT && n > m {
        let p = (TILE / m) * m;
        for (i, t) in tile[..p].iter_mut().enumerate() {
            *t = slope[i % m];
        }
        (p, tile.as_ptr())
    } else {
        (m, slope.as_ptr())
    };
    // Rows of `period` values start at channel 0 (period is a multiple of m); the last may be shorter
    // (still a multiple of m when tiled).
    let mut o = 0;
    while o < n {
        let len = period.min(n - o);
        row::<V, CLAMP>(src.add(o), dst.add(o), len, sp, false, mv);
        o += len;
    }
}

/// # Safety
/// As `vector`.
unsafe fn scalar_f64(src: *const f32, dst: *mut f32, n: usize, slope: &[f32], threshold: f64, max_value: f64) {
    let m = slope.len();
    let mut o = 0;
    while o < n {
        for (j, &s) in slope.iter().enumerate() {
            *dst.add(o + j) = prelu_f64(*src.add(o + j), s, threshold, max_value) as f32;
        }
        o += m;
    }
}

fn check(len: usize, m: usize) -> Result<(), String> {
    if m == 0 {
        return Err("prelu: the slope is empty (one value, one per channel or one per element of a sample)".into());
    }
    if len % m != 0 {
        return Err(format!("prelu: {len} values are not whole repeats of the {m} slope values"));
    }
    Ok(())
}

/// # Safety
/// `src` readable and `dst` writable for `n` f32s (they may be equal); checked by `check`.
unsafe fn prelu_raw<V: VMath>(src: *const f32, dst: *mut f32, n: usize, slope: &[f32], threshold: f64, max_value: f64) {
    if n == 0 {
        return;
    }
    // +-0 only (NaN compares unequal): the exact f32 vector path.
    if threshold == 0.0 {
        let mv = max_value as f32;
        if mv == f32::INFINITY {
            vector::<V, false>(src, dst, n, slope, mv)
        } else {
            vector::<V, true>(src, dst, n, slope, mv)
        }
    } else {
        scalar_f64(src, dst, n, slope, threshold, max_value)
    }
}

/// out = prelu(x) with `slope` cycled over x (x.len() a multiple of slope.len()).
pub fn prelu_with<V: VMath>(x: &[f32], slope: &[f32], threshold: f64, max_value: f64, out: &mut [f32]) -> Result<(), String> {
    if x.len() != out.len() {
        return Err(format!("prelu: input has {} values and the output {}; they must be equal", x.len(), out.len()));
    }
    check(x.len(), slope.len())?;
    // SAFETY: both hold x.len() values, a multiple of slope.len().
    unsafe { prelu_raw::<V>(x.as_ptr(), out.as_mut_ptr(), x.len(), slope, threshold, max_value) };
    Ok(())
}

/// `prelu_with` in place.
pub fn prelu_in_place_with<V: VMath>(data: &mut [f32], slope: &[f32], threshold: f64, max_value: f64) -> Result<(), String> {
    check(data.len(), slope.len())?;
    let p = data.as_mut_ptr();
    // SAFETY: `p` addresses data.len() values, each vector read before it is written.
    unsafe { prelu_raw::<V>(p, p, data.len(), slope, threshold, max_value) };
    Ok(())
}

pub fn prelu(x: &[f32], slope: &[f32], threshold: f64, max_value: f64, out: &mut [f32]) -> Result<(), String> {
    prelu_with::<NativeLanes>(x, slope, threshold, max_value, out)
}

pub fn prelu_in_place(data: &mut [f32], slope: &[f32], threshold: f64, max_value: f64) -> Result<(), String> {
    prelu_in_place_with::<NativeLanes>(data, slope, threshold, max_value)
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[
    // Streaming, one vector per step, the slope loaded alongside (short per-channel slopes tiled to 256).
    KernelDescriptor { name: "prelu_4", op: "prelu", tile: (1, 4), summary: "Keras ReLU / LeakyReLU / PReLU: slope per channel or per element, threshold, max value (threshold 0 vectorized)" },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::{NativeLanes, ScalarLanes};
    use crate::testing::Rng;

    fn same(a: f32, b: f32) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    fn specials(rng: &mut Rng, n: usize) -> Vec<f32> {
        let sp = [0.0, -0.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e-40, -1e-40, 3e38, -3e38, 6.0, 0.1, -0.1];
        (0..n)
            .map(|_| {
                let u = rng.next_u64();
                if u % 7 == 0 {
                    sp[(u >> 8) as usize % sp.len()]
                } else {
                    rng.uniform() * 8.0
                }
            })
            .collect()
    }

    /// Every variant (two lane types, out of place and in place) against the float64 definition, bit for bit.
    fn check_case<V: VMath>(x: &[f32], slope: &[f32], t: f64, mv: f64, what: &str) {
        let m = slope.len();
        let want: Vec<f32> = x.iter().enumerate().map(|(i, &v)| prelu_f64(v, slope[i % m], t, mv) as f32).collect();
        let mut out = vec![7.0f32; x.len()];
        prelu_with::<V>(x, slope, t, mv, &mut out).unwrap();
        let mut ip = x.to_vec();
        prelu_in_place_with::<V>(&mut ip, slope, t, mv).unwrap();
        for i in 0..x.len() {
            assert!(same(out[i], want[i]), "{what}: t {t} max {mv} m {m} at {i} (channel {}): x {} slope {} got {} want {}", i % m, x[i], slope[i % m], out[i], want[i]);
            assert!(same(ip[i], want[i]), "{what} in place: at {i}: got {} want {}", ip[i], want[i]);
        }
    }

    #[test]
    fn prelu_matches_f64_reference_over_shapes() {
        let mut rng = Rng::new(41);
        let settings: [(f64, f64); 8] = [(0.0, f64::INFINITY), (-0.0, f64::INFINITY), (0.0, 6.0), (0.0, 0.1), (0.0, 0.0), (0.25, f64::INFINITY), (-0.3, 2.5), (f64::NAN, f64::INFINITY)];
        // Per channel: [rows, C] with odd C, C = 1, short and long channel counts.
        for &c in &[1usize, 2, 3, 4, 5, 7, 8, 13, 16, 17, 31, 63, 64, 65, 100, 129] {
            for &rows in &[1usize, 2, 5, 37] {
                let x = specials(&mut rng, rows * c);
                // Distinct slopes per channel (negative, > 1, zero), so a wrong channel index shows.
                let slope: Vec<f32> = (0..c).map(|j| if j % 5 == 4 { 0.0 } else { rng.uniform() * 3.0 }).collect();
                for &(t, mv) in &settings {
                    check_case::<NativeLanes>(&x, &slope, t, mv, "native per-channel");
                    check_case::<ScalarLanes>(&x, &slope, t, mv, "scalar per-channel");
                }
            }
        }
        // Full-shape slope: [N, H, W, C] with a slope per element of a sample.
        for &(h, w, c) in &[(1usize, 1usize, 1usize), (3, 5, 3), (4, 4, 8), (7, 3, 5), (2, 9, 16)] {
            for &n in &[1usize, 3] {
                let x = specials(&mut rng, n * h * w * c);
                let slope = rng.vec(h * w * c);
                for &(t, mv) in &settings {
                    check_case::<NativeLanes>(&x, &slope, t, mv, "native full-shape");
                    check_case::<ScalarLanes>(&x, &slope, t, mv, "scalar full-shape");
                }
            }
        }
        // Special slopes (NaN, +-Inf) and special values together.
        let x = specials(&mut rng, 3 * 11);
        let slope = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, 1.0, -1.0, 1e-40, 3e38, 0.5, -2.0];
        for &(t, mv) in &settings {
            check_case::<NativeLanes>(&x, &slope, t, mv, "special slopes");
        }
    }

    /// Per channel on NHWC data: channel c of every pixel takes slope[c] (not the pixel's or a rotated index).
    #[test]
    fn prelu_slope_indexes_the_channel_axis() {
        let (px, c) = (6, 5);
        let x = vec![-1.0f32; px * c];
        let slope: Vec<f32> = (0..c).map(|j| (j + 1) as f32).collect();
        let mut out = vec![0.0; x.len()];
        prelu(&x, &slope, 0.0, f64::INFINITY, &mut out).unwrap();
        for p in 0..px {
            for j in 0..c {
                assert_eq!(out[p * c + j], -((j + 1) as f32), "pixel {p} channel {j}");
            }
        }
    }

    #[test]
    fn prelu_rejects_bad_sizes() {
        let mut out = vec![0.0; 6];
        assert!(prelu(&[0.0; 6], &[], 0.0, f64::INFINITY, &mut out).unwrap_err().contains("empty"));
        assert!(prelu(&[0.0; 6], &[1.0; 4], 0.0, f64::INFINITY, &mut out).unwrap_err().contains("whole repeats"));
        assert!(prelu(&[0.0; 5], &[1.0], 0.0, f64::INFINITY, &mut out).unwrap_err().contains("must be equal"));
        assert!(prelu_in_place(&mut out, &[1.0; 4], 0.0, f64::INFINITY).is_err());
        prelu(&[], &[1.0], 0.0, f64::INFINITY, &mut []).unwrap();
    }
}
