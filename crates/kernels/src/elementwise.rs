//! Elementwise passes over NHWC f32: add (residuals), multiply with a per-channel broadcast
//! (squeeze-excite scale), activations as separate passes (including a fast vectorised sigmoid /
//! swish over a polynomial exp), and batch-norm inference (per-channel scale and shift).
//!
//! `MathLanes` extends the lane trait with the few operations these need beyond `F32x4`
//! (division and building 2^n from an integral vector), implemented for every lane type.

use crate::activation::{Activation, Epilogue};
use crate::lanes::{F32x4, NativeLanes, ScalarLanes};

/// Division and exponent scaling, for exp / sigmoid / softmax.
pub trait MathLanes: F32x4 {
    fn div(self, o: Self) -> Self;
    /// 2^n for lanes holding integral values in [-126, 127].
    fn pow2i(n: Self) -> Self;
}

impl MathLanes for ScalarLanes {
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        Self([self.0[0] / o.0[0], self.0[1] / o.0[1], self.0[2] / o.0[2], self.0[3] / o.0[3]])
    }
    #[inline(always)]
    fn pow2i(n: Self) -> Self {
        Self(n.0.map(|x| f32::from_bits(((x as i32 + 127) as u32) << 23)))
    }
}

#[cfg(target_arch = "x86_64")]
impl MathLanes for crate::lanes::SseLanes {
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        use core::arch::x86_64::*;
        unsafe { Self(_mm_div_ps(self.0, o.0)) }
    }
    #[inline(always)]
    fn pow2i(n: Self) -> Self {
        use core::arch::x86_64::*;
        unsafe {
            let i = _mm_add_epi32(_mm_cvtps_epi32(n.0), _mm_set1_epi32(127));
            Self(_mm_castsi128_ps(_mm_slli_epi32::<23>(i)))
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl MathLanes for crate::lanes::WasmLanes {
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        Self(core::arch::wasm32::f32x4_div(self.0, o.0))
    }
    #[inline(always)]
    fn pow2i(n: Self) -> Self {
        use core::arch::wasm32::*;
        let i = i32x4_add(i32x4_trunc_sat_f32x4(n.0), i32x4_splat(127));
        Self(i32x4_shl(i, 23))
    }
}

/// e^x, vectorised: x = n ln2 + r with |r| <= ln2 / 2, e^r by Cephes' degree-6 polynomial, times 2^n.
/// Relative error about 2e-7 over [-87, 88]; inputs are clamped to that range (e^-87 ~ 1.6e-38).
#[inline(always)]
pub fn exp<V: MathLanes>(x: V) -> V {
    let x = x.max(V::splat(-87.0)).min(V::splat(88.0));
    // round(x / ln2) by the 1.5 * 2^23 trick (|x / ln2| < 2^22 here).
    let magic = V::splat(12_582_912.0);
    let n = x.mul(V::splat(core::f32::consts::LOG2_E)).add(magic).sub(magic);
    let r = x.sub(n.mul(V::splat(0.693_359_4))).sub(n.mul(V::splat(-2.121_944_4e-4)));
    let mut p = V::splat(1.987_569_1e-4);
    p = p.mul_add(r, V::splat(1.398_2e-3));
    p = p.mul_add(r, V::splat(8.333_452e-3));
    p = p.mul_add(r, V::splat(4.166_579_6e-2));
    p = p.mul_add(r, V::splat(1.666_666_5e-1));
    p = p.mul_add(r, V::splat(5.000_000_1e-1));
    let y = p.mul(r.mul(r)).add(r).add(V::splat(1.0));
    y.mul(V::pow2i(n))
}

/// 1 / (1 + e^-x).
#[inline(always)]
pub fn sigmoid<V: MathLanes>(x: V) -> V {
    let one = V::splat(1.0);
    one.div(one.add(exp(V::splat(0.0).sub(x))))
}

/// x / (1 + e^-x).
#[inline(always)]
pub fn swish<V: MathLanes>(x: V) -> V {
    x.div(V::splat(1.0).add(exp(V::splat(0.0).sub(x))))
}

/// Applies `f` to every 4 lanes of `input`, writing `output`; the tail goes through a padded vector.
#[inline(always)]
fn map<V: F32x4>(input: &[f32], output: &mut [f32], f: impl Fn(V) -> V) {
    let n = input.len().min(output.len());
    let body = n & !3;
    let (ip, op) = (input.as_ptr(), output.as_mut_ptr());
    let mut i = 0;
    // SAFETY: i + 4 <= body <= both lengths.
    unsafe {
        while i < body {
            f(V::load(ip.add(i))).store(op.add(i));
            i += 4;
        }
    }
    if body < n {
        let mut t = [0.0f32; 4];
        t[..n - body].copy_from_slice(&input[body..n]);
        let r = f(V::from_array(t)).to_array();
        output[body..n].copy_from_slice(&r[..n - body]);
    }
}

/// Same as `map`, in place.
#[inline(always)]
fn map_in_place<V: F32x4>(data: &mut [f32], f: impl Fn(V) -> V) {
    let n = data.len();
    let body = n & !3;
    let p = data.as_mut_ptr();
    let mut i = 0;
    // SAFETY: i + 4 <= body <= n.
    unsafe {
        while i < body {
            f(V::load(p.add(i))).store(p.add(i));
            i += 4;
        }
    }
    if body < n {
        let mut t = [0.0f32; 4];
        t[..n - body].copy_from_slice(&data[body..]);
        let r = f(V::from_array(t)).to_array();
        data[body..].copy_from_slice(&r[..n - body]);
    }
}

fn check_same(op: &str, a: usize, b: usize, out: usize) -> Result<(), String> {
    if a != b || a != out {
        return Err(format!("{op}: operands have {a} and {b} values and the output {out}; they must be equal"));
    }
    Ok(())
}

/// Activation as a separate pass (the fast path for sigmoid and swish after a kernel).
pub fn activation_with<V: MathLanes>(input: &[f32], output: &mut [f32], act: Activation) -> Result<(), String> {
    check_same("activation", input.len(), output.len(), output.len())?;
    match act {
        Activation::Sigmoid => map::<V>(input, output, sigmoid),
        Activation::Swish => map::<V>(input, output, swish),
        _ => {
            let ep = Epilogue::<V>::new(act);
            map::<V>(input, output, |x| ep.apply(x));
        }
    }
    Ok(())
}

pub fn activation_in_place_with<V: MathLanes>(data: &mut [f32], act: Activation) {
    match act {
        Activation::Linear => {}
        Activation::Sigmoid => map_in_place::<V>(data, sigmoid),
        Activation::Swish => map_in_place::<V>(data, swish),
        _ => {
            let ep = Epilogue::<V>::new(act);
            map_in_place::<V>(data, |x| ep.apply(x));
        }
    }
}

pub fn activation(input: &[f32], output: &mut [f32], act: Activation) -> Result<(), String> {
    activation_with::<NativeLanes>(input, output, act)
}

pub fn activation_in_place(data: &mut [f32], act: Activation) {
    activation_in_place_with::<NativeLanes>(data, act)
}

/// Applies `act` to `acc` and stores it: clamps / hard-swish through the epilogue, sigmoid / swish
/// through the fast exp (so ops with their own loops can fuse any activation into the store).
#[inline(always)]
pub fn apply_any<V: MathLanes>(ep: &Epilogue<V>, act: Activation, x: V) -> V {
    match act {
        Activation::Sigmoid => sigmoid(x),
        Activation::Swish => swish(x),
        _ => ep.apply(x),
    }
}

/// out = act(a + b), same shapes.
pub fn add_with<V: MathLanes>(a: &[f32], b: &[f32], out: &mut [f32], act: Activation) -> Result<(), String> {
    check_same("add", a.len(), b.len(), out.len())?;
    let ep = Epilogue::<V>::new(act);
    let n = a.len();
    let body = n & !3;
    let (ap, bp, op) = (a.as_ptr(), b.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    // SAFETY: i + 4 <= body <= every length.
    unsafe {
        while i < body {
            apply_any(&ep, act, V::load(ap.add(i)).add(V::load(bp.add(i)))).store(op.add(i));
            i += 4;
        }
    }
    for i in body..n {
        out[i] = apply_any(&ep, act, V::splat(a[i] + b[i])).to_array()[0];
    }
    Ok(())
}

pub fn add(a: &[f32], b: &[f32], out: &mut [f32], act: Activation) -> Result<(), String> {
    add_with::<NativeLanes>(a, b, out, act)
}

/// out = a * b, same shapes.
pub fn mul_with<V: MathLanes>(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<(), String> {
    check_same("mul", a.len(), b.len(), out.len())?;
    let n = a.len();
    let body = n & !3;
    let (ap, bp, op) = (a.as_ptr(), b.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    // SAFETY: i + 4 <= body <= every length.
    unsafe {
        while i < body {
            V::load(ap.add(i)).mul(V::load(bp.add(i))).store(op.add(i));
            i += 4;
        }
    }
    for i in body..n {
        out[i] = a[i] * b[i];
    }
    Ok(())
}

pub fn mul(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<(), String> {
    mul_with::<NativeLanes>(a, b, out)
}

/// Per-channel affine map with optional activation: out[p, c] = act(x[p, c] * scale[c] + shift[c]),
/// where `scale` / `shift` hold `groups` rows of `c` values and pixel block `g` of `pixels / groups`
/// pixels uses row `g` (groups = 1: batch-norm; groups = N: a squeeze-excite scale per image).
/// `shift` None means zero.
#[allow(clippy::too_many_arguments)]
pub fn channel_affine_with<V: MathLanes>(
    x: &[f32],
    out: &mut [f32],
    channels: usize,
    scale: &[f32],
    shift: Option<&[f32]>,
    groups: usize,
    act: Activation,
) -> Result<(), String> {
    if channels == 0 || groups == 0 {
        return Err(format!("channel op: channels ({channels}) and groups ({groups}) must be positive"));
    }
    if x.len() != out.len() || x.len() % (channels * groups) != 0 {
        return Err(format!(
            "channel op: input has {} values and output {}; both must be a multiple of {groups} x {channels}",
            x.len(),
            out.len()
        ));
    }
    if scale.len() != groups * channels || shift.is_some_and(|s| s.len() != groups * channels) {
        return Err(format!("channel op: scale / shift must have {groups} x {channels} values"));
    }
    let ep = Epilogue::<V>::new(act);
    let pixels_per_group = x.len() / channels / groups;
    let c4 = channels & !3;
    for g in 0..groups {
        let sc = &scale[g * channels..(g + 1) * channels];
        let sh = shift.map(|s| &s[g * channels..(g + 1) * channels]);
        let zero = [0.0f32; 4];
        for p in 0..pixels_per_group {
            let base = (g * pixels_per_group + p) * channels;
            let (xp, op) = (x[base..].as_ptr(), out[base..].as_mut_ptr());
            let mut j = 0;
            // SAFETY: j + 4 <= c4 <= channels; the pixel has `channels` values from `base`.
            unsafe {
                while j < c4 {
                    let s = V::load(sc.as_ptr().add(j));
                    let t = match sh {
                        Some(sh) => V::load(sh.as_ptr().add(j)),
                        None => V::load(zero.as_ptr()),
                    };
                    apply_any(&ep, act, V::load(xp.add(j)).mul_add(s, t)).store(op.add(j));
                    j += 4;
                }
            }
            for j in c4..channels {
                let v = x[base + j] * sc[j] + sh.map_or(0.0, |s| s[j]);
                out[base + j] = apply_any(&ep, act, V::splat(v)).to_array()[0];
            }
        }
    }
    Ok(())
}

/// `a * b` where `b` broadcasts over pixels: `b` has `groups` x `channels` values ([N,1,1,C] with
/// groups = N, or [C] with groups = 1). The squeeze-excite scale.
pub fn mul_channels(a: &[f32], b: &[f32], out: &mut [f32], channels: usize, groups: usize) -> Result<(), String> {
    channel_affine_with::<NativeLanes>(a, out, channels, b, None, groups, Activation::Linear)
}

/// Batch-norm inference folded once into per-channel scale / shift (f64, then rounded).
pub fn batch_norm_params(
    mean: &[f32],
    variance: &[f32],
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    epsilon: f32,
) -> Result<(Vec<f32>, Vec<f32>), String> {
    let c = mean.len();
    if variance.len() != c || gamma.is_some_and(|g| g.len() != c) || beta.is_some_and(|b| b.len() != c) {
        return Err(format!("batchNorm: mean, variance, gamma and beta must all have {c} values"));
    }
    let mut scale = vec![0.0f32; c];
    let mut shift = vec![0.0f32; c];
    for i in 0..c {
        let s = gamma.map_or(1.0, |g| g[i] as f64) / (variance[i] as f64 + epsilon as f64).sqrt();
        scale[i] = s as f32;
        shift[i] = (beta.map_or(0.0, |b| b[i] as f64) - mean[i] as f64 * s) as f32;
    }
    Ok((scale, shift))
}

/// out = act(batchNorm(x)), NHWC with `scale.len()` channels.
pub fn batch_norm(x: &[f32], out: &mut [f32], scale: &[f32], shift: &[f32], act: Activation) -> Result<(), String> {
    channel_affine_with::<NativeLanes>(x, out, scale.len(), scale, Some(shift), 1, act)
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[
    // Streaming passes: one vector per step; memory-bound, so no wider tile was tried.
    KernelDescriptor { name: "add_4", op: "elementwise", tile: (1, 4), summary: "a + b (+ fused activation)" },
    KernelDescriptor { name: "mul_4", op: "elementwise", tile: (1, 4), summary: "a * b, and per-channel broadcast (squeeze-excite)" },
    KernelDescriptor { name: "channel_affine_4", op: "elementwise", tile: (1, 4), summary: "batch-norm inference: x * scale[c] + shift[c] (+ activation)" },
    KernelDescriptor { name: "sigmoid_swish_4", op: "elementwise", tile: (1, 4), summary: "vectorised sigmoid / swish over a degree-6 polynomial exp (rel. error ~2e-7)" },
];
