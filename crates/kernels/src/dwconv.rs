//! Depthwise convolution, NHWC f32, with packed weights and a fused epilogue.
//!
//! Packed layout (built once per layer): per tile of `DW_CHANNEL_TILE` output channels,
//! `[bias; TILE]` then `[tap weights; TILE]` for each of the KH*KW taps, zero-padded past the
//! last channel. The kernel walks one output pixel at a time, keeps a tile of accumulators in
//! registers, and clips the tap range once per pixel so the tap loop has no border branch.

use crate::activation::{Activation, Epilogue};
use crate::elementwise::MathLanes;
use crate::lanes::{F32x4, NativeLanes};
use crate::shape::ConvGeometry;

/// Output channels per packed tile: two 128-bit vectors of accumulators.
// 8 beat 4 (fewer loop trips per pixel) and 16 (register spills on x86 hosts under wasm) on MobileNet shapes.
pub const DW_CHANNEL_TILE: usize = 8;

/// Weights of a depthwise conv, packed for the kernel.
#[derive(Clone, Debug)]
pub struct PackedDepthwise {
    pub data: crate::pack::AlignedF32,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub channels: usize,
    pub multiplier: usize,
}

impl PackedDepthwise {
    pub fn out_channels(&self) -> usize {
        self.channels * self.multiplier
    }

    /// Packs TensorFlow-layout weights `[KH, KW, C, M]` (output channel `c * M + m`) and an optional bias.
    pub fn pack(
        weights: &[f32],
        bias: Option<&[f32]>,
        kernel_h: usize,
        kernel_w: usize,
        channels: usize,
        multiplier: usize,
    ) -> Result<Self, String> {
        if kernel_h == 0 || kernel_w == 0 || channels == 0 || multiplier == 0 {
            return Err(format!(
                "depthwise weights need positive sizes, got kernel {kernel_h}x{kernel_w}, {channels} channels, multiplier {multiplier}"
            ));
        }
        let expected = crate::shape::elements("depthwise weights", &[kernel_h, kernel_w, channels, multiplier])?;
        let oc = channels * multiplier; // <= expected
        let taps = kernel_h * kernel_w; // <= expected
        if weights.len() != expected {
            return Err(format!(
                "depthwise weights have {} values, expected {kernel_h}x{kernel_w}x{channels}x{multiplier} = {expected}",
                weights.len()
            ));
        }
        if let Some(b) = bias {
            if b.len() != oc {
                return Err(format!("depthwise bias has {} values, expected {oc}", b.len()));
            }
        }
        // The packed layout pads channels to whole tiles and adds a bias row per tile.
        Self::packed_len(kernel_h, kernel_w, oc)?;
        let tiles = oc.div_ceil(DW_CHANNEL_TILE);
        let stride = (1 + taps) * DW_CHANNEL_TILE;
        let mut data = crate::pack::AlignedF32::zeros(tiles * stride);
        for ch in 0..oc {
            let base = (ch / DW_CHANNEL_TILE) * stride + ch % DW_CHANNEL_TILE;
            data[base] = bias.map_or(0.0, |b| b[ch]);
            for t in 0..taps {
                data[base + (1 + t) * DW_CHANNEL_TILE] = weights[t * oc + ch];
            }
        }
        Ok(Self { data, kernel_h, kernel_w, channels, multiplier })
    }

    /// Floats of the packed layout: (1 + taps) x 8 per tile of 8 output channels.
    fn packed_len(kernel_h: usize, kernel_w: usize, oc: usize) -> Result<usize, String> {
        let taps = crate::shape::elements("depthwise taps", &[kernel_h, kernel_w])?;
        crate::shape::elements("packed depthwise weights", &[oc.div_ceil(DW_CHANNEL_TILE), 1 + taps, DW_CHANNEL_TILE])
    }

    /// Checks that the sizes and the packed data agree (the fields are public: a handle whose sizes
    /// were changed after packing must not send the kernels past `data`).
    pub fn validate(&self) -> Result<(), String> {
        if self.kernel_h == 0 || self.kernel_w == 0 || self.channels == 0 || self.multiplier == 0 {
            return Err(format!("depthwise weights have a zero size: kernel {}x{}, {} channels, multiplier {}", self.kernel_h, self.kernel_w, self.channels, self.multiplier));
        }
        let oc = crate::shape::elements("depthwise output channels", &[self.channels, self.multiplier])?;
        let need = Self::packed_len(self.kernel_h, self.kernel_w, oc)?;
        if self.data.len() != need {
            return Err(format!("packed depthwise weights have {} values, expected {need} for kernel {}x{}, {oc} output channels", self.data.len(), self.kernel_h, self.kernel_w));
        }
        Ok(())
    }

    /// Per-channel (scale, shift) of a 1x1 multiplier-1 depthwise conv (its weight and bias).
    pub fn affine_params(&self) -> (Vec<f32>, Vec<f32>) {
        let stride = (1 + self.kernel_h * self.kernel_w) * DW_CHANNEL_TILE;
        let at = |ch: usize| (ch / DW_CHANNEL_TILE) * stride + ch % DW_CHANNEL_TILE;
        let scale = (0..self.channels).map(|ch| self.data[at(ch) + DW_CHANNEL_TILE]).collect();
        let shift = (0..self.channels).map(|ch| self.data[at(ch)]).collect();
        (scale, shift)
    }

    #[inline(always)]
    pub(crate) fn tile(&self, t: usize) -> &[f32] {
        let stride = (1 + self.kernel_h * self.kernel_w) * DW_CHANNEL_TILE;
        &self.data[t * stride..(t + 1) * stride]
    }
}

/// Checks that buffers and geometry agree; the message names what is wrong.
pub fn check_depthwise(g: &ConvGeometry, w: &PackedDepthwise, input: &[f32], output: &[f32]) -> Result<(), String> {
    if (g.kernel_h, g.kernel_w) != (w.kernel_h, w.kernel_w) {
        return Err(format!(
            "geometry kernel {}x{} differs from packed weights {}x{}",
            g.kernel_h, g.kernel_w, w.kernel_h, w.kernel_w
        ));
    }
    w.validate()?;
    let (need_in, need_out) = g.tensor_elements(w.channels, w.out_channels())?;
    if input.len() != need_in {
        return Err(format!("depthwise input has {} values, expected {need_in}", input.len()));
    }
    if output.len() != need_out {
        return Err(format!("depthwise output has {} values, expected {need_out}", output.len()));
    }
    Ok(())
}

/// Depthwise conv over NHWC `input` into NHWC `output`, generic over the lane type.
pub fn depthwise_with<V: MathLanes>(g: &ConvGeometry, w: &PackedDepthwise, input: &[f32], output: &mut [f32], act: Activation) {
    crate::shape::expect_ok(check_depthwise(g, w, input, output), "depthwise_with");
    if is_channel_affine(g, w) {
        let (scale, shift) = w.affine_params();
        let r = crate::elementwise::channel_affine_with::<V>(input, output, w.channels, &scale, Some(&shift), 1, act);
        crate::shape::expect_ok(r, "depthwise 1x1");
        return;
    }
    let ep = Epilogue::<V>::new(act);
    if w.multiplier == 1 && fast_path::<V>(g, w, input, output, &ep, None) {
        // done by a 3x3 / 5x5 stride 1 / 2 row kernel
    } else if w.multiplier == 1 {
        depthwise_m1::<V>(g, w, input, output, &ep);
    } else {
        depthwise_multiplier::<V>(g, w, input, output, &ep);
    }
    if !act.is_fusable() {
        // Sigmoid / swish: the vectorised pass (polynomial exp), not fused into the row kernels' stores.
        // Not row by row either: swish over each output row right after the row kernel wrote it (in L1) instead
        // of this pass, interleaved A/B on a shared Zen 5 host (load 12-15, 2026-12-07): time x1.02-1.07 on
        // 56x56x144 s1, 112x112x96 s2, 28x28x240 5x5, 56x56x144 5x5 s2; x0.97-1.01 on 112x112x32, 14x14x480.
        crate::elementwise::activation_in_place_with::<V>(output, act);
    }
}

/// A 1x1, stride 1, unpadded, multiplier-1 depthwise conv is a per-channel affine map (batch-norm,
/// rescaling): it streams through `channel_affine` instead of the conv kernels.
fn is_channel_affine(g: &ConvGeometry, w: &PackedDepthwise) -> bool {
    w.kernel_h == 1
        && w.kernel_w == 1
        && w.multiplier == 1
        && g.stride_h == 1
        && g.stride_w == 1
        && g.pads.top + g.pads.bottom + g.pads.left + g.pads.right == 0
        && g.out_h == g.in_h
        && g.out_w == g.in_w
}

/// Depthwise conv with this build's lanes.
pub fn depthwise(g: &ConvGeometry, w: &PackedDepthwise, input: &[f32], output: &mut [f32], act: Activation) {
    depthwise_with::<NativeLanes>(g, w, input, output, act)
}

/// Multiplier 1: each output channel reads its own input channel, so whole tiles load contiguously.
fn depthwise_m1<V: F32x4>(g: &ConvGeometry, w: &PackedDepthwise, input: &[f32], output: &mut [f32], ep: &Epilogue<V>) {
    let c = w.channels;
    let kw = w.kernel_w;
    let full_tiles = c / DW_CHANNEL_TILE;
    let row_stride = g.in_w * c;
    let image_stride = g.in_h * row_stride;
    let inp = input.as_ptr();
    for n in 0..g.batch {
        for oy in 0..g.out_h {
            let (ky0, ky1) = g.rows(oy);
            for ox in 0..g.out_w {
                let (kx0, kx1) = g.cols(ox);
                let out_px = ((n * g.out_h + oy) * g.out_w + ox) * c;
                let out = &mut output[out_px..out_px + c];
                // Base offset of tap (ky, kx) = n*image + in_y*row + in_x*c; tiles add their channel offset.
                let tap_offset = |ky: usize, kx: usize| n * image_stride + g.in_y(oy, ky) * row_stride + g.in_x(ox, kx) * c;
                for t in 0..full_tiles {
                    let wt = w.tile(t).as_ptr();
                    let ch = t * DW_CHANNEL_TILE;
                    // SAFETY: tap ranges keep every (y, x) inside the image; ch + 8 <= c; the tile holds 1 + taps vectors pairs.
                    unsafe {
                        let mut acc0 = V::load(wt);
                        let mut acc1 = V::load(wt.add(4));
                        for ky in ky0..ky1 {
                            let wrow = wt.add((1 + ky * kw) * DW_CHANNEL_TILE);
                            for kx in kx0..kx1 {
                                let p = inp.add(tap_offset(ky, kx) + ch);
                                let wk = wrow.add(kx * DW_CHANNEL_TILE);
                                acc0 = V::load(p).mul_add(V::load(wk), acc0);
                                acc1 = V::load(p.add(4)).mul_add(V::load(wk.add(4)), acc1);
                            }
                        }
                        ep.apply(acc0).store(out.as_mut_ptr().add(ch));
                        ep.apply(acc1).store(out.as_mut_ptr().add(ch + 4));
                    }
                }
                let ch0 = full_tiles * DW_CHANNEL_TILE;
                if ch0 < c {
                    // Channel tail: gather into a zero-padded tile so no load runs past the pixel.
                    let rem = c - ch0;
                    let wt = w.tile(full_tiles).as_ptr();
                    let mut pix = [0.0f32; DW_CHANNEL_TILE];
                    unsafe {
                        let mut acc0 = V::load(wt);
                        let mut acc1 = V::load(wt.add(4));
                        for ky in ky0..ky1 {
                            for kx in kx0..kx1 {
                                let off = tap_offset(ky, kx) + ch0;
                                pix[..rem].copy_from_slice(&input[off..off + rem]);
                                let wk = wt.add((1 + ky * kw + kx) * DW_CHANNEL_TILE);
                                acc0 = V::load(pix.as_ptr()).mul_add(V::load(wk), acc0);
                                acc1 = V::load(pix.as_ptr().add(4)).mul_add(V::load(wk.add(4)), acc1);
                            }
                        }
                        ep.apply(acc0).store(pix.as_mut_ptr());
                        ep.apply(acc1).store(pix.as_mut_ptr().add(4));
                    }
                    out[ch0..].copy_from_slice(&pix[..rem]);
                }
            }
        }
    }
}

/// Channel multiplier > 1: output channel `oc` reads input channel `oc / M`; lanes gather per tap.
fn depthwise_multiplier<V: F32x4>(g: &ConvGeometry, w: &PackedDepthwise, input: &[f32], output: &mut [f32], ep: &Epilogue<V>) {
    let c = w.channels;
    let m = w.multiplier;
    let oc = c * m;
    let kw = w.kernel_w;
    let tiles = oc.div_ceil(DW_CHANNEL_TILE);
    let mut pix = [0.0f32; DW_CHANNEL_TILE];
    for n in 0..g.batch {
        for oy in 0..g.out_h {
            let (ky0, ky1) = g.rows(oy);
            for ox in 0..g.out_w {
                let (kx0, kx1) = g.cols(ox);
                let out_px = ((n * g.out_h + oy) * g.out_w + ox) * oc;
                for t in 0..tiles {
                    let o0 = t * DW_CHANNEL_TILE;
                    let lanes = DW_CHANNEL_TILE.min(oc - o0);
                    let wt = w.tile(t).as_ptr();
                    unsafe {
                        let mut acc0 = V::load(wt);
                        let mut acc1 = V::load(wt.add(4));
                        for ky in ky0..ky1 {
                            for kx in kx0..kx1 {
                                let base = ((n * g.in_h + g.in_y(oy, ky)) * g.in_w + g.in_x(ox, kx)) * c;
                                for (l, v) in pix.iter_mut().enumerate().take(lanes) {
                                    *v = input[base + (o0 + l) / m];
                                }
                                let wk = wt.add((1 + ky * kw + kx) * DW_CHANNEL_TILE);
                                acc0 = V::load(pix.as_ptr()).mul_add(V::load(wk), acc0);
                                acc1 = V::load(pix.as_ptr().add(4)).mul_add(V::load(wk.add(4)), acc1);
                            }
                        }
                        let mut res = [0.0f32; DW_CHANNEL_TILE];
                        ep.apply(acc0).store(res.as_mut_ptr());
                        ep.apply(acc1).store(res.as_mut_ptr().add(4));
                        output[out_px + o0..out_px + o0 + lanes].copy_from_slice(&res[..lanes]);
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fast paths: multiplier 1, dilation 1, 3x3 / 5x5, horizontal stride 1 or 2.
//
// Per output row the KH input rows are resolved once into pointers (a shared zero row stands in
// for rows in the padding, so no tap tests a row). Interior columns run in blocks of OW adjacent
// output pixels x CV channel vectors: each input vector is loaded once and used by every output of
// the block that covers it. The few border columns run a per-pixel path whose tap range is clipped
// once per pixel (no branch per tap). Channels past the last whole vector are gathered.

/// Runs a fast row kernel when the geometry has one; false leaves the work to the general kernel.
/// Tiles are `blocks_kernel::<KH, KW, SW, CV vectors, OW pixels>`; the measurements are on `KERNELS`.
/// Covers 3x3 and 5x5 at horizontal stride 1 or 2 (any vertical stride), dilation 1, multiplier 1,
/// at least 4 channels. (K x 1 / 1 x K instances were dropped: the fused spatial kernel covers those
/// passes, and their 12 instances were 60 KB of the module, 15 KiB gzip.)
fn fast_path<V: F32x4>(g: &ConvGeometry, w: &PackedDepthwise, input: &[f32], output: &mut [f32], ep: &Epilogue<V>, mut ring: Option<&mut RingRows>) -> bool {
    if !row_kernel_covers(g, w) {
        return false;
    }
    // A pixel stride that is a multiple of 2 KiB maps a block's columns to one or two L1 sets (8-way):
    // there, 3x3 at stride 1 walks pixels in order, all channels per pixel, as stride 2 always does.
    let aliased = w.channels % 512 == 0;
    macro_rules! go {
        ($kh:literal, $kw:literal, $s:literal, $cv:literal, $ow:literal) => {
            blocks_kernel::<V, $kh, $kw, $s, $cv, $ow>(g, w, input, output, ep, ring.as_deref_mut())
        };
    }
    // SAFETY: check_depthwise ran in the caller, so buffer sizes match the geometry.
    unsafe {
        match (g.kernel_h, g.kernel_w, g.stride_w, aliased) {
            (3, 3, 1, false) => go!(3, 3, 1, 1, 4),
            (3, 3, 1, true) => go!(3, 3, 1, 2, 1),
            (3, 3, 2, _) => go!(3, 3, 2, 2, 1),
            (5, 5, 1, _) => go!(5, 5, 1, 1, 4),
            (5, 5, 2, _) => go!(5, 5, 2, 1, 4),
            _ => return false,
        }
    }
    true
}

/// The row kernel: KH x KW taps, horizontal stride S, blocks of OW adjacent output pixels x CV channel vectors.
/// Per output row, per block of OW pixels, every channel tile (tiles innermost: the weights change
/// every step, so they stream from L1 instead of being hoisted by LLVM and spilled by V8).
/// Public only so benches can compare tiles; use `depthwise`.
///
/// # Safety
/// Buffers must match `g` and `w` (`check_depthwise`), multiplier 1, dilation 1, KH x KW = kernel, S = horizontal stride.
// Channel bands, measured on a Zen 4 host (L1d 32K) and not used: the whole image per band of 16 / 64 channels
// x1.16-2.5 / x0.86-1.19 (TF.js-wasm run between); per-row bands sized so a block's window and weights fit 16 KiB
// of L1 (56 channels at 5x5) x0.99-1.04, 3x3 and 5x5, stride 1 and 2. Dropping the stride-1 touches: x0.87-1.13.
// Never inlined: inlined into `fast_path`, the instances make one huge wasm function that V8
// compiles worse (measured: 7.9 vs 9.2 GFLOP/s on 14x14x512 s2, 8.2 vs 10.8 on 14x14x512 s1). binaryen's
// -O3 would inline it as well (one caller): scripts/build-wasm.sh marks it --no-inline.
#[doc(hidden)]
#[inline(never)]
pub unsafe fn blocks_kernel<V: F32x4, const KH: usize, const KW: usize, const S: usize, const CV: usize, const OW: usize>(
    g: &ConvGeometry,
    w: &PackedDepthwise,
    input: &[f32],
    output: &mut [f32],
    ep: &Epilogue<V>,
    mut ring: Option<&mut RingRows>,
) {
    let c = w.channels;
    let c4 = c & !3;
    let left = g.pads.left;
    let ts = (1 + KH * KW) * DW_CHANNEL_TILE;
    let ox_lo = left.div_ceil(S).min(g.out_w);
    let ox_hi = if g.in_w + left >= KW { ((g.in_w + left - KW) / S + 1).min(g.out_w) } else { 0 }.max(ox_lo);
    let needs_zero = g.pads.top > 0 || g.pads.bottom > 0;
    let zero = crate::pack::AlignedF32::zeros(if needs_zero { g.in_w * c } else { 0 });
    let wp = w.data.as_ptr();
    let inp = input.as_ptr();
    let outp = output.as_mut_ptr();
    let cv = CV * 4;
    // Tiles of CV > 1 vectors start on a packed tile of 8 channels (`block` steps tiles by `ts`).
    let c_cv = c4 / cv * cv;
    for n in 0..g.batch {
        for oy in 0..g.out_h {
            if let Some(r) = ring.as_deref_mut() {
                (r.fill)(n, oy);
            }
            let mut rows = [zero.as_ptr(); KH];
            for (ky, row) in rows.iter_mut().enumerate() {
                let iy = (oy * g.stride_h + ky) as isize - g.pads.top as isize;
                if iy >= 0 && (iy as usize) < g.in_h {
                    *row = match ring.as_deref() {
                        Some(r) => r.ring.add((iy as usize % KH) * g.in_w * c),
                        None => inp.add((n * g.in_h + iy as usize) * g.in_w * c),
                    };
                }
            }
            let mut ahead = RowsAhead::new(g, c, n, oy, inp, outp, g.out_w * c);
            if ring.is_some() {
                ahead.n_rows = 0;
            }
            let orow = outp.add((n * g.out_h + oy) * g.out_w * c);
            let pixel = |ox: usize| {
                edge_pixel_all::<V, KH, KW, S>(g.kernel_h, &rows, wp, ox, left, g.in_w, c, orow, ep);
                if c4 < c {
                    let wj = wp.add((c4 / DW_CHANNEL_TILE) * ts + c4 % DW_CHANNEL_TILE);
                    tail_pixel::<V, KH, KW, S>(&rows, wj, ox, left, g.in_w, c, c4, orow, ep);
                }
            };
            for ox in 0..ox_lo {
                pixel(ox);
            }
            let mut ox = ox_lo;
            while ox < ox_hi {
                let step = if ox + OW <= ox_hi { OW } else { 1 };
                let in_off = (ox * S - left) * c;
                let out = orow.add(ox * c);
                // One pixel per block walks each input row's pixels in order, all channels at once:
                // the hardware prefetcher follows that, touches only cost it (below).
                if OW != 1 {
                    ahead.touch(in_off, step * S * c, ox * c, step * c);
                }
                let mut j = 0;
                if step == OW {
                    while j < c_cv {
                        let wj = wp.add((j / DW_CHANNEL_TILE) * ts + j % DW_CHANNEL_TILE);
                        block::<V, KH, KW, S, CV, OW>(g.kernel_h, &rows, wj, ts, in_off + j, c, out.add(j), ep);
                        j += cv;
                    }
                    while j < c4 {
                        let wj = wp.add((j / DW_CHANNEL_TILE) * ts + j % DW_CHANNEL_TILE);
                        block::<V, KH, KW, S, 1, OW>(g.kernel_h, &rows, wj, ts, in_off + j, c, out.add(j), ep);
                        j += 4;
                    }
                } else {
                    while j + DW_CHANNEL_TILE <= c4 {
                        let wj = wp.add((j / DW_CHANNEL_TILE) * ts);
                        block::<V, KH, KW, S, 2, 1>(g.kernel_h, &rows, wj, ts, in_off + j, c, out.add(j), ep);
                        j += DW_CHANNEL_TILE;
                    }
                    while j < c4 {
                        let wj = wp.add((j / DW_CHANNEL_TILE) * ts + j % DW_CHANNEL_TILE);
                        block::<V, KH, KW, S, 1, 1>(g.kernel_h, &rows, wj, ts, in_off + j, c, out.add(j), ep);
                        j += 4;
                    }
                }
                if c4 < c {
                    let wj = wp.add((c4 / DW_CHANNEL_TILE) * ts + c4 % DW_CHANNEL_TILE);
                    for o in 0..step {
                        tail_pixel::<V, KH, KW, S>(&rows, wj, ox + o, left, g.in_w, c, c4, orow, ep);
                    }
                }
                ox += step;
            }
            for ox in ox_hi..g.out_w {
                pixel(ox);
            }
        }
    }
}

/// A ring of KH input rows (row iy in slot iy % KH) that `fill(n, oy)` completes before output row oy
/// of image n reads it: the fused expand -> depthwise.
pub struct RingRows<'a> {
    pub ring: *const f32,
    pub fill: &'a mut dyn FnMut(usize, usize),
}

/// The geometries `fast_path` has a row kernel for.
fn row_kernel_covers(g: &ConvGeometry, w: &PackedDepthwise) -> bool {
    w.multiplier == 1 && g.dilation_h == 1 && g.dilation_w == 1 && w.channels >= 4 && g.stride_w <= 2 && matches!((g.kernel_h, g.kernel_w), (3, 3) | (5, 5))
}

/// Whether `depthwise_rows` has a row kernel for this geometry: what `fast_path` covers, with the
/// vertical stride at most K_h (so a ring of K_h rows holds every row an output row reads).
pub fn has_row_kernel(g: &ConvGeometry, w: &PackedDepthwise) -> bool {
    row_kernel_covers(g, w) && g.stride_h <= g.kernel_h
}

/// Runs the row kernel over rows from `ring` (`has_row_kernel` must hold); activation as in `depthwise_with`.
pub fn depthwise_rows<V: MathLanes>(g: &ConvGeometry, w: &PackedDepthwise, output: &mut [f32], act: Activation, ring: &mut RingRows) {
    let checked = w.validate().and_then(|()| g.tensor_elements(w.channels, w.out_channels())).and_then(|(_, need_out)| {
        if !has_row_kernel(g, w) || (g.kernel_h, g.kernel_w) != (w.kernel_h, w.kernel_w) || output.len() != need_out {
            return Err(format!("no row kernel for this geometry, or output has {} values, expected {need_out}", output.len()));
        }
        Ok(())
    });
    crate::shape::expect_ok(checked, "depthwise_rows");
    let ep = Epilogue::<V>::new(act);
    let ran = fast_path::<V>(g, w, &[], output, &ep, Some(ring));
    debug_assert!(ran);
    if !act.is_fusable() {
        crate::elementwise::activation_in_place_with::<V>(output, act);
    }
}

/// What a row kernel touches ahead of use (`pack::touch`, a software prefetch): the input rows the
/// next output row adds and the next output row itself (so its stores hit). The depthwise row kernels
/// touch them block by block at stride 1 (-18% on a cold cache, interleaved A/B on MobileNet shapes). Not generic:
/// one copy for all row kernels.
struct RowsAhead {
    rows: [*const f32; 4],
    n_rows: usize,
    row_len: usize,
    /// The next output row, or null on the last row.
    out_next: *const f32,
}

impl RowsAhead {
    /// For output row `oy` of image `n` under `g` (its vertical taps and stride), with output rows
    /// `out_row_len` floats apart in `outp`.
    #[inline(never)]
    unsafe fn new(g: &ConvGeometry, c: usize, n: usize, oy: usize, inp: *const f32, outp: *const f32, out_row_len: usize) -> Self {
        let kh = g.kernel_h;
        let mut ahead = Self { rows: [core::ptr::null(); 4], n_rows: 0, row_len: g.in_w * c, out_next: core::ptr::null() };
        if oy + 1 >= g.out_h {
            return ahead;
        }
        let first = ((oy * g.stride_h + kh).max(g.pads.top) - g.pads.top).min(g.in_h);
        let end = ((oy + 1) * g.stride_h + kh).saturating_sub(g.pads.top).min(g.in_h);
        for iy in first..end.min(first + 4) {
            ahead.rows[ahead.n_rows] = inp.add((n * g.in_h + iy) * ahead.row_len);
            ahead.n_rows += 1;
        }
        ahead.out_next = outp.add((n * g.out_h + oy + 1) * out_row_len);
        ahead
    }

    /// Touches `in_len` floats from `in_off` of each next row (clipped to the row) and `out_len` from `out_off` of the next output row.
    #[inline(never)]
    unsafe fn touch(&self, in_off: usize, in_len: usize, out_off: usize, out_len: usize) {
        let span = in_len.min(self.row_len.saturating_sub(in_off));
        for r in &self.rows[..self.n_rows] {
            crate::pack::touch(r.add(in_off), span);
        }
        if !self.out_next.is_null() {
            crate::pack::touch(self.out_next.add(out_off), out_len);
        }
    }
}

/// OW adjacent interior output pixels x CV channel vectors: each input vector is loaded once.
#[inline(always)]
unsafe fn block<V: F32x4, const KH: usize, const KW: usize, const S: usize, const CV: usize, const OW: usize>(
    kh: usize,
    rows: &[*const f32; KH],
    wj: *const f32,
    ts: usize,
    in_off: usize,
    c: usize,
    out: *mut f32,
    ep: &Epilogue<V>,
) {
    // Vector v of the block: packed tile v / 2 (tiles are `ts` apart), half v % 2.
    let wvec = |v: usize| wj.add((v / 2) * ts + (v % 2) * 4);
    let mut bias = [V::splat(0.0); CV];
    for (v, b) in bias.iter_mut().enumerate() {
        *b = V::load(wvec(v));
    }
    let mut acc = [bias; OW];
    // A rolled loop over kernel rows (`kh` == KH, opaque to LLVM): unrolled, LLVM hoists every load
    // of the block to its top and V8 then spills them; one row at a time fits the 16 xmm registers.
    for ky in 0..kh {
        let r = rows.get_unchecked(ky).add(in_off);
        let mut wk = [[V::splat(0.0); CV]; KW];
        for (kx, wv) in wk.iter_mut().enumerate() {
            for (v, x) in wv.iter_mut().enumerate() {
                *x = V::load(wvec(v).add((1 + ky * KW + kx) * DW_CHANNEL_TILE));
            }
        }
        for col in 0..(OW - 1) * S + KW {
            for v in 0..CV {
                let x = V::load(r.add(col * c + 4 * v));
                for (o, a) in acc.iter_mut().enumerate() {
                    if col >= o * S && col - o * S < KW {
                        a[v] = x.mul_add(wk[col - o * S][v], a[v]);
                    }
                }
            }
        }
    }
    for (o, a) in acc.iter().enumerate() {
        for (v, x) in a.iter().enumerate() {
            ep.apply(*x).store(out.add(o * c + 4 * v));
        }
    }
}

/// Tap columns `kx0..kx1` of output column `ox` that land inside the row.
#[inline(always)]
fn col_taps<const K: usize, const S: usize>(ox: usize, left: usize, in_w: usize) -> (isize, usize, usize) {
    let start = (ox * S) as isize - left as isize;
    let kx0 = if start < 0 { (-start) as usize } else { 0 }.min(K);
    let kx1 = ((in_w as isize - start).max(0) as usize).min(K);
    (start, kx0, kx1)
}

/// A border pixel over all whole vectors of channels, 8 at a time: tap columns clipped once,
/// rows from the indirection, the kernel-row loop rolled (see `block`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn edge_pixel_all<V: F32x4, const KH: usize, const KW: usize, const S: usize>(
    kh: usize,
    rows: &[*const f32; KH],
    wp: *const f32,
    ox: usize,
    left: usize,
    in_w: usize,
    c: usize,
    orow: *mut f32,
    ep: &Epilogue<V>,
) {
    let (start, kx0, kx1) = col_taps::<KW, S>(ox, left, in_w);
    let ts = (1 + KH * KW) * DW_CHANNEL_TILE;
    let c4 = c & !3;
    let out = orow.add(ox * c);
    let mut j = 0;
    while j < c4 {
        let wj = wp.add((j / DW_CHANNEL_TILE) * ts);
        let two = j + DW_CHANNEL_TILE <= c4;
        let mut acc0 = V::load(wj);
        let mut acc1 = V::load(wj.add(4));
        for ky in 0..kh {
            let r = rows.get_unchecked(ky).offset(start * c as isize).add(j);
            let wr = wj.add((1 + ky * KW) * DW_CHANNEL_TILE);
            for kx in kx0..kx1 {
                let p = r.add(kx * c);
                let wk = wr.add(kx * DW_CHANNEL_TILE);
                acc0 = V::load(p).mul_add(V::load(wk), acc0);
                if two {
                    acc1 = V::load(p.add(4)).mul_add(V::load(wk.add(4)), acc1);
                }
            }
        }
        ep.apply(acc0).store(out.add(j));
        if two {
            ep.apply(acc1).store(out.add(j + 4));
        }
        j += if two { DW_CHANNEL_TILE } else { 4 };
    }
}

/// The last `c % 4` channels of one pixel, gathered into a zero-padded vector.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tail_pixel<V: F32x4, const KH: usize, const KW: usize, const S: usize>(
    rows: &[*const f32; KH],
    wj: *const f32,
    ox: usize,
    left: usize,
    in_w: usize,
    c: usize,
    c4: usize,
    orow: *mut f32,
    ep: &Epilogue<V>,
) {
    let rem = c - c4;
    let (start, kx0, kx1) = col_taps::<KW, S>(ox, left, in_w);
    let mut pix = [0.0f32; 4];
    let mut acc = V::load(wj);
    for (ky, row) in rows.iter().enumerate() {
        for kx in kx0..kx1 {
            let p = row.offset((start + kx as isize) * c as isize).add(c4);
            for (l, x) in pix.iter_mut().enumerate().take(rem) {
                *x = *p.add(l);
            }
            acc = V::load(pix.as_ptr()).mul_add(V::load(wj.add((1 + ky * KW + kx) * DW_CHANNEL_TILE)), acc);
        }
    }
    ep.apply(acc).store(pix.as_mut_ptr());
    for (l, x) in pix.iter().enumerate().take(rem) {
        *orow.add(ox * c + c4 + l) = *x;
    }
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[
    KernelDescriptor {
        name: "dwconv_kxk_8c",
        op: "dwconv",
        tile: (1, DW_CHANNEL_TILE),
        summary: "depthwise, any kernel/stride/dilation/padding/multiplier, one pixel x 8 channels per step",
    },
    // Node 20 simd128, CPU-time medians, 1x4 vs 1x2/1x3/1x6/1x8/2x2/2x4/4x1/4x2: 1x4 16-18 GFLOP/s on 112x112x32..14x14x576 (2x2 13, 4x2 12, 1x8 spills).
    KernelDescriptor { name: "dwconv_3x3s1_4c4w", op: "dwconv", tile: (4, 4), summary: "3x3 stride 1, 4 output pixels x 1 vector per block" },
    // 1x4 18.3 GFLOP/s on 56x56x128 (1x8 17.5, 1x2 15.4, 2x2 13.6, general 13.1).
    // Zen 4 host (L1d 32K, 2026-12-03), A/B time against 1x4: 1x2 x1.00-1.15, 2x1 x1.25-1.60, 2x2 x1.18-1.34 (56x56x128, 28x28x240, 14x14x480/672).
    KernelDescriptor { name: "dwconv_5x5s1_4c4w", op: "dwconv", tile: (4, 4), summary: "5x5 stride 1, 4 output pixels x 1 vector per block" },
    // 1x4 15.4 / 1x2 14.9 on 56x56x144 s2; 1x8 8.5.
    KernelDescriptor { name: "dwconv_5x5s2_4c4w", op: "dwconv", tile: (4, 4), summary: "5x5 stride 2, 4 output pixels x 1 vector per block" },
    // 5x5 runs its 1x4 tiles at any C: against 4x2 instances, A/B time x0.85-0.90 at C % 512 (14x14x512, 28x28x512) and
    // x1.10 at C % 1024 (7x7x1024, a shape no zoo or common trained model has); the two instances were 3.1 KiB gzip.
    // 1 pixel x 2 vectors at 5x5 stride 2 instead: x1.12-1.39 (56x56x144, 28x28x240, 14x14x672, 14x14x1024).
    // 3x3 stride 2 at any C, no touch-ahead: interleaved A/B against 1x3 with touches, TF.js-wasm run between
    // pairs: 112x112x64 x0.62, 112x112x96 x0.69, 28x28x192 x0.91, 14x14x512 x0.92, 56x56x64..144 x0.95-1.03, 14x14x576 x1.00
    // (after a 32 MiB flush: 112x112 x0.62-0.67, 56x56x144 x1.17). Warm, 1x3 was within noise of 1x2 / 1x4 (1x8 spills).
    // Re-measured on a Zen 5 host (2026-12-03), touches at stride 2 with this tile: x1.08-1.20 slower (112x112x64..14x14x512).
    // Against the 4x2 tile C % 1024 kept: 14x14x1024 x0.54, 28x28x1024 x0.51, 56x56x1024 x0.73, 7x7x1024 x0.93.
    // 3x3 stride 1 when C % 512 == 0, same A/B: against the 1x2 tile (C % 512) 14x14x512 x0.92 (x0.81 after a flush),
    // 28x28x512 x0.86, 56x56x512 x0.77; against 4x2 (C % 1024) 14x14x1024 x0.69, 28x28x1024 x0.78, 7x7x1024 x0.98.
    // At other C it loses to 1x4: x1.03-1.20 (112x112x32, 56x56x128/144, 14x14x384/576, 7x7x960); C % 256 mixed (x0.92-1.11).
    // 3x3 stride 2 as 2 pixels x 2 vectors instead (shares one input column per row; 11 vectors live), interleaved
    // A/B on a shared Zen 5 host (load 12-17, 2026-12-07): with the touch-ahead x1.08-1.32 time (112x112x64 worst);
    // without it x1.13-1.19 at 112x112x64/96, x0.97-1.03 at 56x56x144..14x14x576. Dropping the touches at
    // 5x5 stride 2 as well: x0.97-0.99 (56x56x144, 14x14x672), within the noise of that host, not kept.
    KernelDescriptor { name: "dwconv_3x3_8c1w", op: "dwconv", tile: (1, 8), summary: "3x3 stride 2, and stride 1 when C % 512 == 0: 1 output pixel x 2 vectors, pixels in row order" },
];
