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
    /// 2^n from `t` = n + 1.5 * 2^23 with integral n in [-126, 127]: the low mantissa bits of `t` hold n,
    /// so an integer add and a shift make the exponent (no float-to-int conversion, which V8 emulates).
    fn pow2_from_rounded(t: Self) -> Self;
}

impl MathLanes for ScalarLanes {
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        Self([self.0[0] / o.0[0], self.0[1] / o.0[1], self.0[2] / o.0[2], self.0[3] / o.0[3]])
    }
    #[inline(always)]
    fn pow2_from_rounded(t: Self) -> Self {
        Self(t.0.map(|x| f32::from_bits(x.to_bits().wrapping_add(POW2_BIAS) << 23)))
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
    fn pow2_from_rounded(t: Self) -> Self {
        use core::arch::x86_64::*;
        unsafe {
            let i = _mm_add_epi32(_mm_castps_si128(t.0), _mm_set1_epi32(POW2_BIAS as i32));
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
    fn pow2_from_rounded(t: Self) -> Self {
        use core::arch::wasm32::*;
        Self(i32x4_shl(i32x4_add(t.0, i32x4_splat(POW2_BIAS as i32)), 23))
    }
}

/// Added to the bits of n + 1.5 * 2^23 (0x4B40_0000 + n) to leave n + 127, the biased exponent.
const POW2_BIAS: u32 = 127u32.wrapping_sub(0x4B40_0000);

/// The constants of `exp`, splatted once per kernel call. Written inline, every use is a `v128.const`
/// that V8 rebuilds through a general register in the loop (~4 instructions each, ~15 per exp);
/// read through `read_volatile` LLVM cannot fold them back, so they stay in registers.
#[derive(Clone, Copy)]
pub struct ExpConsts<V: F32x4> {
    lo: V,
    hi: V,
    log2e: V,
    magic: V,
    ln2_hi: V,
    ln2_lo: V,
    p: [V; 6],
    one: V,
    zero: V,
}

const EXP_CONSTS: [f32; 12] = [
    -87.0,
    // Above ln(f32::MAX) = 88.72 (n = 128 at 88.38+), so e^x overflows to +inf as f32 does: sigmoid(-inf) = 0
    // and swish(-inf) = -inf / inf = NaN, TF.js's x * sigmoid(x).
    89.0,
    core::f32::consts::LOG2_E,
    12_582_912.0,
    0.693_359_4,
    -2.121_944_4e-4,
    1.987_569_1e-4,
    1.398_2e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    5.000_000_1e-1,
];

impl<V: MathLanes> ExpConsts<V> {
    #[inline(always)]
    pub fn new() -> Self {
        // SAFETY: reading a valid static.
        let k = unsafe { core::ptr::read_volatile(&EXP_CONSTS) };
        let s = V::splat;
        Self {
            lo: s(k[0]),
            hi: s(k[1]),
            log2e: s(k[2]),
            magic: s(k[3]),
            ln2_hi: s(k[4]),
            ln2_lo: s(k[5]),
            p: [s(k[6]), s(k[7]), s(k[8]), s(k[9]), s(k[10]), s(k[11])],
            one: s(1.0),
            zero: s(0.0),
        }
    }

    /// e^x, vectorised: x = n ln2 + r with |r| <= ln2 / 2, e^r by Cephes' degree-6 polynomial, times 2^n.
    /// Relative error about 2e-7 over [-87, 88]; inputs are clamped to [-87, 89] (e^-87 ~ 1.6e-38; from
    /// 88.38, +inf). NaN stays NaN: the clamp keeps a NaN `x` (`F32x4::max_bound` / `min_bound`).
    #[inline(always)]
    pub fn exp(&self, x: V) -> V {
        self.exp_n([x])[0]
    }

    /// `exp` of N vectors, step by step across all N: the N dependency chains (~20 dependent ops
    /// each) interleave so the CPU overlaps them. The polynomial runs in Estrin's form (3 levels
    /// instead of Horner's 5).
    #[inline(always)]
    pub fn exp_n<const N: usize>(&self, x: [V; N]) -> [V; N] {
        let x = x.map(|x| x.max_bound(self.lo).min_bound(self.hi));
        // round(x / ln2) by the 1.5 * 2^23 trick (|x / ln2| < 2^22 here).
        let t = x.map(|x| x.mul(self.log2e).add(self.magic));
        let n: [V; N] = core::array::from_fn(|i| t[i].sub(self.magic));
        let r: [V; N] = core::array::from_fn(|i| x[i].sub(n[i].mul(self.ln2_hi)).sub(n[i].mul(self.ln2_lo)));
        let [p0, p1, p2, p3, p4, p5] = self.p;
        let r2 = r.map(|r| r.mul(r));
        let a: [V; N] = core::array::from_fn(|i| p0.mul_add(r[i], p1));
        let b: [V; N] = core::array::from_fn(|i| p2.mul_add(r[i], p3));
        let c: [V; N] = core::array::from_fn(|i| p4.mul_add(r[i], p5));
        let r4 = r2.map(|r2| r2.mul(r2));
        // p = p0 r^5 + p1 r^4 + p2 r^3 + p3 r^2 + p4 r + p5
        let p: [V; N] = core::array::from_fn(|i| a[i].mul(r4[i]).add(b[i].mul_add(r2[i], c[i])));
        core::array::from_fn(|i| p[i].mul(r2[i]).add(r[i]).add(self.one).mul(V::pow2_from_rounded(t[i])))
    }

    /// 1 / (1 + e^-x).
    #[inline(always)]
    pub fn sigmoid(&self, x: V) -> V {
        self.sigmoid_n([x])[0]
    }

    /// x / (1 + e^-x).
    #[inline(always)]
    pub fn swish(&self, x: V) -> V {
        self.swish_n([x])[0]
    }

    /// `sigmoid` of N vectors, interleaved.
    #[inline(always)]
    pub fn sigmoid_n<const N: usize>(&self, x: [V; N]) -> [V; N] {
        self.exp_n(x.map(|x| self.zero.sub(x))).map(|e| self.one.div(self.one.add(e)))
    }

    /// `swish` of N vectors, interleaved.
    #[inline(always)]
    pub fn swish_n<const N: usize>(&self, x: [V; N]) -> [V; N] {
        let e = self.exp_n(x.map(|x| self.zero.sub(x)));
        core::array::from_fn(|i| x[i].div(self.one.add(e[i])))
    }
}

impl<V: MathLanes> Default for ExpConsts<V> {
    fn default() -> Self {
        Self::new()
    }
}

/// Any activation, fused into a store: clamps / hard-swish through the epilogue, sigmoid / swish
/// through the fast exp. Built once per kernel call.
#[derive(Clone, Copy)]
pub struct AnyEpilogue<V: F32x4> {
    ep: Epilogue<V>,
    exp: ExpConsts<V>,
    act: Activation,
}

impl<V: MathLanes> AnyEpilogue<V> {
    #[inline(always)]
    pub fn new(act: Activation) -> Self {
        Self { ep: Epilogue::new(act), exp: ExpConsts::new(), act }
    }

    #[inline(always)]
    pub fn apply(&self, x: V) -> V {
        match self.act {
            Activation::Sigmoid => self.exp.sigmoid(x),
            Activation::Swish => self.exp.swish(x),
            _ => self.ep.apply(x),
        }
    }
}

/// Applies `f` to every 4 lanes of the `n` values at `src`, writing them at `dst` (which may be `src`:
/// each vector is loaded before it is stored); the tail goes through a padded vector.
///
/// # Safety
/// `src` readable and `dst` writable for `n` f32s.
#[inline(always)]
unsafe fn map<V: F32x4>(src: *const f32, dst: *mut f32, n: usize, f: impl Fn(V) -> V) {
    let body = n & !3;
    let mut i = 0;
    while i < body {
        f(V::load(src.add(i))).store(dst.add(i));
        i += 4;
    }
    if body < n {
        let mut t = [0.0f32; 4];
        core::ptr::copy(src.add(body), t.as_mut_ptr(), n - body);
        let r = f(V::from_array(t)).to_array();
        core::ptr::copy(r.as_ptr(), dst.add(body), n - body);
    }
}

/// `map` with `INTERLEAVE` vectors per step through `fn_n` (the exp-based activations, whose long
/// dependency chains overlap only when interleaved), the rest through `f`.
///
/// # Safety
/// As `map`.
#[inline(always)]
unsafe fn map_interleaved<V: F32x4>(src: *const f32, dst: *mut f32, n: usize, fn_n: impl Fn([V; INTERLEAVE]) -> [V; INTERLEAVE], f: impl Fn(V) -> V) {
    let step = 4 * INTERLEAVE;
    let body = n / step * step;
    let mut i = 0;
    while i < body {
        let y = fn_n(core::array::from_fn(|j| V::load(src.add(i + 4 * j))));
        for (j, v) in y.iter().enumerate() {
            v.store(dst.add(i + 4 * j));
        }
        i += step;
    }
    map::<V>(src.add(body), dst.add(body), n - body, f);
}

/// Vectors per step of the exp-based activation passes.
// Swish pass after the 3x3 depthwise conv on 56x56x144, A/B time of the whole op: 1 vector x0.98,
// 2 x0.92, 4 x0.84 (against one vector per step with the Horner polynomial). The scalar wasm build
// keeps 1: four interleaved chains of four scalar lanes were 4 KiB gzip of its module.
const INTERLEAVE: usize = if cfg!(all(target_arch = "wasm32", not(target_feature = "simd128"))) { 1 } else { 4 };

/// `act` over `n` values from `src` into `dst` (may be the same buffer): one monomorphic loop per kind.
///
/// # Safety
/// As `map`.
unsafe fn activation_raw<V: MathLanes>(src: *const f32, dst: *mut f32, n: usize, act: Activation) {
    let k = ExpConsts::<V>::new();
    match act {
        Activation::Sigmoid => map_interleaved::<V>(src, dst, n, |x| k.sigmoid_n(x), |x| k.sigmoid(x)),
        Activation::Swish => map_interleaved::<V>(src, dst, n, |x| k.swish_n(x), |x| k.swish(x)),
        _ => {
            let ep = Epilogue::<V>::new(act);
            map::<V>(src, dst, n, |x| ep.apply(x));
        }
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
    // SAFETY: both buffers hold `input.len()` values (checked above).
    unsafe { activation_raw::<V>(input.as_ptr(), output.as_mut_ptr(), input.len(), act) };
    Ok(())
}

pub fn activation_in_place_with<V: MathLanes>(data: &mut [f32], act: Activation) {
    if act != Activation::Linear {
        let p = data.as_mut_ptr();
        // SAFETY: `p` addresses `data.len()` values, read then written vector by vector.
        unsafe { activation_raw::<V>(p, p, data.len(), act) };
    }
}

pub fn activation(input: &[f32], output: &mut [f32], act: Activation) -> Result<(), String> {
    activation_with::<NativeLanes>(input, output, act)
}

pub fn activation_in_place(data: &mut [f32], act: Activation) {
    activation_in_place_with::<NativeLanes>(data, act)
}

/// out = act(a + b), same shapes.
pub fn add_with<V: MathLanes>(a: &[f32], b: &[f32], out: &mut [f32], act: Activation) -> Result<(), String> {
    check_same("add", a.len(), b.len(), out.len())?;
    let ep = AnyEpilogue::<V>::new(act);
    let n = a.len();
    let body = n & !3;
    let (ap, bp, op) = (a.as_ptr(), b.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    // SAFETY: i + 4 <= body <= every length.
    unsafe {
        while i < body {
            ep.apply(V::load(ap.add(i)).add(V::load(bp.add(i)))).store(op.add(i));
            i += 4;
        }
    }
    for i in body..n {
        out[i] = ep.apply(V::splat(a[i] + b[i])).to_array()[0];
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

/// The buffer checks of `channel_affine_with` (and of its split parts): `groups` x `channels` scales
/// (and shifts), input and output of the same length, a multiple of `groups` x `channels`.
pub fn check_channel_op(x_len: usize, out_len: usize, channels: usize, scale_len: usize, shift_len: Option<usize>, groups: usize) -> Result<(), String> {
    if channels == 0 || groups == 0 {
        return Err(format!("channel op: channels ({channels}) and groups ({groups}) must be positive"));
    }
    let per_row = crate::shape::elements("channel op scale", &[groups, channels])?;
    if x_len != out_len || x_len % per_row != 0 {
        return Err(format!("channel op: input has {x_len} values and output {out_len}; both must be a multiple of {groups} x {channels}"));
    }
    if scale_len != per_row || shift_len.is_some_and(|s| s != per_row) {
        return Err(format!("channel op: scale / shift must have {groups} x {channels} values"));
    }
    Ok(())
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
    check_channel_op(x.len(), out.len(), channels, scale.len(), shift.map(<[f32]>::len), groups)?;
    let ep = AnyEpilogue::<V>::new(act);
    let pixels_per_group = x.len() / channels / groups;
    let c4 = channels & !3;
    if channels % 4 != 0 && channels <= SMALL_CHANNELS {
        channel_affine_periodic(x, out, channels, scale, shift, groups, &ep);
        return Ok(());
    }
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
                    ep.apply(V::load(xp.add(j)).mul_add(s, t)).store(op.add(j));
                    j += 4;
                }
            }
            for j in c4..channels {
                let v = x[base + j] * sc[j] + sh.map_or(0.0, |s| s[j]);
                out[base + j] = ep.apply(V::splat(v)).to_array()[0];
            }
        }
    }
    Ok(())
}

/// Channel counts up to this, when not a multiple of 4, run `channel_affine_periodic`.
const SMALL_CHANNELS: usize = 64;

/// Few channels not a multiple of 4 (an RGB input's rescaling / normalization): the scale / shift
/// pattern repeats every lcm(C, 4) values, so whole vectors stream over the flat data.
fn channel_affine_periodic<V: MathLanes>(
    x: &[f32],
    out: &mut [f32],
    channels: usize,
    scale: &[f32],
    shift: Option<&[f32]>,
    groups: usize,
    ep: &AnyEpilogue<V>,
) {
    let period = channels * 4 / gcd(channels, 4);
    let per_group = x.len() / groups;
    let mut sc = vec![0.0f32; period];
    let mut sh = vec![0.0f32; period];
    for g in 0..groups {
        for i in 0..period {
            sc[i] = scale[g * channels + i % channels];
            sh[i] = shift.map_or(0.0, |s| s[g * channels + i % channels]);
        }
        let (xs, os) = (&x[g * per_group..(g + 1) * per_group], &mut out[g * per_group..(g + 1) * per_group]);
        let whole = per_group / period * period;
        let (xp, op) = (xs.as_ptr(), os.as_mut_ptr());
        let mut i = 0;
        // SAFETY: i + period <= whole <= the group's length; period is a multiple of 4.
        unsafe {
            while i < whole {
                let mut j = 0;
                while j < period {
                    let v = V::load(xp.add(i + j)).mul_add(V::load(sc.as_ptr().add(j)), V::load(sh.as_ptr().add(j)));
                    ep.apply(v).store(op.add(i + j));
                    j += 4;
                }
                i += period;
            }
        }
        for i in whole..per_group {
            let v = xs[i] * sc[i % period] + sh[i % period];
            os[i] = ep.apply(V::splat(v)).to_array()[0];
        }
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
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
    KernelDescriptor { name: "sigmoid_swish_16", op: "elementwise", tile: (1, 16), summary: "vectorised sigmoid / swish over a degree-6 polynomial exp (rel. error ~2e-7), 4 vectors interleaved (scalar build: 1)" },
];
