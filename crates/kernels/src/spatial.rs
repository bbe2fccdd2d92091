//! Spatially separable depthwise convolution (the seed's section 3): a K x 1 pass then a 1 x K
//! pass per channel. With C % 4 == 0, a square K in 3, 5, 7 and stride 1 across both passes are fused (`ring_kernel`:
//! horizontal pass first, into a ring of K rows per channel block); otherwise each pass runs through
//! the general depthwise kernel with the intermediate in a scratch buffer.
//! A rank-r approximation of a full kernel (see `svd`) runs as r such pairs summed.

use crate::activation::Activation;
use crate::dwconv::{depthwise_with, PackedDepthwise};
use crate::lanes::{F32x4, NativeLanes};
use crate::shape::{ConvGeometry, Padding, Pads};

/// Geometry of the two passes for a K_h x K_w separable conv with the given 2-D pads / strides.
/// The vertical pass takes the top / bottom pads and the vertical stride; the horizontal one the
/// left / right pads and the horizontal stride. The composition equals the full K_h x K_w conv.
pub fn pass_geometries(batch: usize, in_h: usize, in_w: usize, k: (usize, usize), stride: (usize, usize), dilation: (usize, usize), pads: Pads) -> Result<(ConvGeometry, ConvGeometry), String> {
    let v = ConvGeometry::new(
        batch,
        in_h,
        in_w,
        (k.0, 1),
        (stride.0, 1),
        (dilation.0, 1),
        Padding::Explicit { top: pads.top, bottom: pads.bottom, left: 0, right: 0 },
    )?;
    let h = ConvGeometry::new(
        batch,
        v.out_h,
        in_w,
        (1, k.1),
        (1, stride.1),
        (1, dilation.1),
        Padding::Explicit { top: 0, bottom: 0, left: pads.left, right: pads.right },
    )?;
    Ok((v, h))
}

/// Packed weights of one spatially separable depthwise conv: `pairs` of (K x 1, 1 x K) per channel;
/// the bias rides on the last horizontal pass.
#[derive(Clone, Debug)]
pub struct PackedSpatial {
    pub pairs: Vec<(PackedDepthwise, PackedDepthwise)>,
    /// Plain copies for the fused row kernel: per pair [K_h * C] vertical and [K_w * C] horizontal, and the bias.
    raw: Vec<(Vec<f32>, Vec<f32>)>,
    bias: Vec<f32>,
    pub channels: usize,
    pub kernel_h: usize,
    pub kernel_w: usize,
}

impl PackedSpatial {
    /// `vertical` is `rank` x [K_h, 1, C, 1] and `horizontal` `rank` x [1, K_w, C, 1] (TF layouts, concatenated).
    pub fn pack(vertical: &[f32], horizontal: &[f32], bias: Option<&[f32]>, kernel_h: usize, kernel_w: usize, channels: usize, rank: usize) -> Result<Self, String> {
        if rank == 0 || kernel_h == 0 || kernel_w == 0 || channels == 0 {
            return Err(format!("spatially separable weights need positive sizes, got K {kernel_h}x{kernel_w}, {channels} channels, rank {rank}"));
        }
        let need_v = crate::shape::elements("spatially separable vertical weights", &[rank, kernel_h, channels])?;
        let need_h = crate::shape::elements("spatially separable horizontal weights", &[rank, kernel_w, channels])?;
        if vertical.len() != need_v || horizontal.len() != need_h {
            return Err(format!(
                "spatially separable weights have {} vertical and {} horizontal values, expected {rank} x {kernel_h} x {channels} and {rank} x {kernel_w} x {channels}",
                vertical.len(),
                horizontal.len()
            ));
        }
        let mut pairs = Vec::with_capacity(rank);
        let mut raw = Vec::with_capacity(rank);
        for r in 0..rank {
            let v = &vertical[r * kernel_h * channels..(r + 1) * kernel_h * channels];
            let h = &horizontal[r * kernel_w * channels..(r + 1) * kernel_w * channels];
            let b = if r + 1 == rank { bias } else { None };
            pairs.push((PackedDepthwise::pack(v, None, kernel_h, 1, channels, 1)?, PackedDepthwise::pack(h, b, 1, kernel_w, channels, 1)?));
            raw.push((v.to_vec(), h.to_vec()));
        }
        let bias = bias.map_or_else(|| vec![0.0; channels], |b| b.to_vec());
        Ok(Self { pairs, raw, bias, channels, kernel_h, kernel_w })
    }

    /// Floats of scratch `run` needs: the vertical pass output, plus a partial sum when rank > 1 (or
    /// the fused kernel's ring). Saturates past `MAX_ELEMENTS` (`scratch_elements` says why).
    pub fn scratch_len(&self, v: &ConvGeometry, h: &ConvGeometry) -> usize {
        self.scratch_elements(v, h).unwrap_or(usize::MAX)
    }

    /// `scratch_len`, or an error naming the buffer whose size passes `MAX_ELEMENTS`.
    pub fn scratch_elements(&self, v: &ConvGeometry, h: &ConvGeometry) -> Result<usize, String> {
        if fused_applies(v, h, self) {
            return crate::shape::elements("spatially separable ring", &[h.out_w, self.kernel_h, FUSED_CHANNELS]);
        }
        let mid = crate::shape::elements("spatially separable intermediate", &[v.batch, v.out_h, v.out_w, self.channels])?;
        let out = crate::shape::elements("spatially separable output", &[h.batch, h.out_h, h.out_w, self.channels])?;
        let total = mid + if self.pairs.len() > 1 { out } else { 0 };
        crate::shape::elements("spatially separable scratch", &[total])
    }

    /// Checks that the sizes, the pairs and the raw copies agree (the pairs are public).
    pub fn validate(&self) -> Result<(), String> {
        let (kh, kw, c) = (self.kernel_h, self.kernel_w, self.channels);
        let ok = !self.pairs.is_empty()
            && self.pairs.len() == self.raw.len()
            && self.bias.len() == c
            && self.pairs.iter().all(|(pv, ph)| {
                (pv.kernel_h, pv.kernel_w, pv.channels, pv.multiplier) == (kh, 1, c, 1)
                    && (ph.kernel_h, ph.kernel_w, ph.channels, ph.multiplier) == (1, kw, c, 1)
                    && pv.validate().is_ok()
                    && ph.validate().is_ok()
            })
            && self.raw.iter().all(|(rv, rh)| Some(rv.len()) == kh.checked_mul(c) && Some(rh.len()) == kw.checked_mul(c));
        if !ok {
            return Err(format!("spatially separable weights do not match K {kh}x{kw}, {c} channels"));
        }
        Ok(())
    }
}

pub fn check_spatial(v: &ConvGeometry, h: &ConvGeometry, w: &PackedSpatial, input: &[f32], output: &[f32], scratch: &[f32]) -> Result<(), String> {
    let need = check_spatial_io(v, h, w, input, output)?;
    if scratch.len() < need {
        return Err(format!("spatially separable: scratch has {} values, needs {need}", scratch.len()));
    }
    Ok(())
}

/// `check_spatial` without the scratch: returns the scratch floats the call needs.
pub fn check_spatial_io(v: &ConvGeometry, h: &ConvGeometry, w: &PackedSpatial, input: &[f32], output: &[f32]) -> Result<usize, String> {
    w.validate()?;
    // The vertical pass keeps the width (stride 1 across, no left / right pads), the horizontal one the
    // height: the fused kernel reads the input at the vertical pass's width and writes h.out_h rows.
    let v_keeps_width = v.stride_w == 1 && v.dilation_w == 1 && v.pads.left == 0 && v.pads.right == 0;
    let h_keeps_height = h.stride_h == 1 && h.dilation_h == 1 && h.pads.top == 0 && h.pads.bottom == 0;
    if (v.kernel_h, v.kernel_w, h.kernel_h, h.kernel_w) != (w.kernel_h, 1, 1, w.kernel_w)
        || v.out_h != h.in_h
        || v.out_w != h.in_w
        || v.batch != h.batch
        || !v_keeps_width
        || !h_keeps_height
    {
        return Err("spatially separable: the two pass geometries do not chain or do not match the weights".into());
    }
    let (need_in, _) = v.tensor_elements(w.channels, w.channels)?;
    let (_, need_out) = h.tensor_elements(w.channels, w.channels)?;
    if input.len() != need_in || output.len() != need_out {
        return Err(format!("spatially separable: input has {} values (expected {need_in}), output {} (expected {need_out})", input.len(), output.len()));
    }
    w.scratch_elements(v, h)
}

/// K x 1 then 1 x K per channel (summed over the pairs), activation applied at the end.
pub fn spatial_with<V: crate::elementwise::MathLanes>(v: &ConvGeometry, h: &ConvGeometry, w: &PackedSpatial, input: &[f32], output: &mut [f32], scratch: &mut [f32], act: Activation) -> Result<(), String> {
    check_spatial(v, h, w, input, output, scratch)?;
    if fused_applies(v, h, w) {
        // SAFETY: check_spatial validated every buffer against the geometries.
        unsafe { fused::<V>(v, h, w, input, output, scratch, act) };
        return Ok(());
    }
    let mid_len = v.batch * v.out_h * v.out_w * w.channels;
    let (mid, rest) = scratch.split_at_mut(mid_len);
    let rank = w.pairs.len();
    for (r, (pv, ph)) in w.pairs.iter().enumerate() {
        depthwise_with::<V>(v, pv, input, mid, Activation::Linear);
        if r == 0 {
            depthwise_with::<V>(h, ph, mid, output, if rank == 1 { act } else { Activation::Linear });
        } else {
            let part = &mut rest[..output.len()];
            depthwise_with::<V>(h, ph, mid, part, Activation::Linear);
            add_into::<V>(output, part);
        }
    }
    if rank > 1 {
        crate::elementwise::activation_in_place_with::<V>(output, act);
    }
    Ok(())
}

pub fn spatial(v: &ConvGeometry, h: &ConvGeometry, w: &PackedSpatial, input: &[f32], output: &mut [f32], scratch: &mut [f32], act: Activation) -> Result<(), String> {
    spatial_with::<NativeLanes>(v, h, w, input, output, scratch, act)
}

/// Channels per block of the fused kernel: its ring of K horizontal-pass rows (out_w x K x 16
/// floats, 17.5 KiB for 5x5 at W = 56) stays in L1 while the block walks down the image.
pub const FUSED_CHANNELS: usize = 16;

/// The fused kernel covers C % 4 == 0, square K in 3, 5, 7, stride 1 across, dilation 1. (Stride-2 instances
/// were dropped for size: 3.1 KiB gzip of the module, for a shape no zoo model has; stride 2 runs two passes.)
fn fused_applies(v: &ConvGeometry, h: &ConvGeometry, w: &PackedSpatial) -> bool {
    w.channels % 4 == 0 && w.kernel_h == w.kernel_w && matches!(w.kernel_w, 3 | 5 | 7) && h.stride_w == 1 && v.dilation_h == 1 && h.dilation_w == 1
}

unsafe fn fused<V: crate::elementwise::MathLanes>(v: &ConvGeometry, h: &ConvGeometry, w: &PackedSpatial, input: &[f32], output: &mut [f32], ring: &mut [f32], act: Activation) {
    macro_rules! go {
        ($k:literal, $s:literal) => {
            ring_kernel::<V, $k, $s>(v, h, w, input, output, ring, act)
        };
    }
    match (w.kernel_w, h.stride_w) {
        (3, 1) => go!(3, 1),
        (5, 1) => go!(5, 1),
        (7, 1) => go!(7, 1),
        _ => unreachable!("fused_applies"),
    }
}

/// Horizontal pass first, one block of 16 channels at a time walking down the whole image (so the
/// block's ring stays in L1, and each input and output cache line is visited once): each input row's 1 x K
/// result goes once into slot `row % K` of a ring laid out [x][slot][16 channels], and each output
/// row's K x 1 pass reads its K taps at constant offsets from one pointer (the weights, not the
/// slots, rotate with the row). No pointer per tap row, so V8 keeps the loop in registers.
#[inline(never)] // one wasm function per instance: V8 compiles a single huge one worse (see dwconv::blocks_kernel)
unsafe fn ring_kernel<V: crate::elementwise::MathLanes, const K: usize, const S: usize>(
    v: &ConvGeometry,
    h: &ConvGeometry,
    w: &PackedSpatial,
    input: &[f32],
    output: &mut [f32],
    ring: &mut [f32],
    act: Activation,
) {
    const CB: usize = FUSED_CHANNELS;
    let xs = K * CB;
    let c = w.channels;
    let (in_h, in_w, out_h, out_w) = (v.in_h, v.in_w, h.out_h, h.out_w);
    let left = h.pads.left;
    // Output columns [lo, hi) have every horizontal tap inside the row.
    let lo = left.div_ceil(S).min(out_w);
    let hi = if in_w + left >= K { ((in_w + left - K) / S + 1).clamp(lo, out_w) } else { lo };
    let cols = Columns { c, in_w, left, out_w, lo, hi };
    let rank = w.raw.len();
    // Sigmoid / swish kept out of the inner loop (their constants made V8 spill it): a pass per image.
    let ep_last = crate::activation::Epilogue::<V>::new(act);
    let ep_lin = crate::activation::Epilogue::<V>::new(Activation::Linear);
    // One block's ring, reused by every block in turn.
    let (inp, outp, block) = (input.as_ptr(), output.as_mut_ptr(), ring.as_mut_ptr());
    for (r, (wv, wh)) in w.raw.iter().enumerate() {
        let ep = if r + 1 == rank { &ep_last } else { &ep_lin };
        for n in 0..v.batch {
            let img = inp.add(n * in_h * in_w * c);
            let oimg = outp.add(n * out_h * out_w * c);
            let mut c0 = 0;
            while c0 < c {
                let nv = CB.min(c - c0) / 4;
                let mut next = isize::MIN;
                for oy in 0..out_h {
                    let top_row = (oy * v.stride_h) as isize - v.pads.top as isize;
                    let new_rows = next.max(top_row)..top_row + K as isize;
                    next = top_row + K as isize;
                    let orow = oimg.add(oy * out_w * c);
                    for iy in new_rows.clone() {
                        let slot = block.add(iy.rem_euclid(K as isize) as usize * CB);
                        if iy >= 0 && (iy as usize) < in_h {
                            horizontal_row::<V, K, S>(&cols, img.add(iy as usize * in_w * c + c0), wh.as_ptr().add(c0), nv, slot);
                        } else {
                            for x in 0..out_w {
                                for j in 0..nv {
                                    V::splat(0.0).store(slot.add(x * xs + 4 * j));
                                }
                            }
                        }
                    }
                    for j in 0..nv {
                        let ch = c0 + 4 * j;
                        let wk: [V; K] = core::array::from_fn(|s| {
                            let ky = (s as isize - top_row).rem_euclid(K as isize) as usize;
                            V::load(wv.as_ptr().add(ky * c + ch))
                        });
                        let mut t = block.add(4 * j) as *const f32;
                        let mut o = orow.add(ch);
                        macro_rules! vertical {
                            ($init:expr, $epi:expr) => {
                                for _ in 0..out_w {
                                    let mut acc = $init(o);
                                    for (s, wks) in wk.iter().enumerate() {
                                        acc = V::load(t.add(s * CB)).mul_add(*wks, acc);
                                    }
                                    $epi(acc).store(o);
                                    t = t.add(xs);
                                    o = o.add(c);
                                }
                            };
                        }
                        // The clamp-only epilogue (every activation but hard-swish) without its per-vector test.
                        let bias = V::load(w.bias.as_ptr().add(ch));
                        match (r == 0, ep.is_clamp()) {
                            (true, true) => vertical!(|_: *mut f32| bias, |a: V| ep.clamp(a)),
                            (false, true) => vertical!(|p: *mut f32| V::load(p), |a: V| ep.clamp(a)),
                            (true, false) => vertical!(|_: *mut f32| bias, |a: V| ep.apply(a)),
                            (false, false) => vertical!(|p: *mut f32| V::load(p), |a: V| ep.apply(a)),
                        }
                    }
                }
                c0 += CB;
            }
            if r + 1 == rank && !act.is_fusable() {
                crate::elementwise::activation_in_place_with::<V>(core::slice::from_raw_parts_mut(oimg, out_h * out_w * c), act);
            }
        }
    }
}

/// Column geometry of the horizontal pass.
struct Columns {
    c: usize,
    in_w: usize,
    left: usize,
    out_w: usize,
    lo: usize,
    hi: usize,
}

/// The 1 x K pass of one input row (`row` and `wh` at the block's first channel) for `nv` channel
/// vectors into ring slot `slot`: interior columns in blocks of 4 output pixels sharing the
/// (3 * S + K) input vectors they cover, border columns per pixel with the taps clipped once.
#[inline(always)]
unsafe fn horizontal_row<V: F32x4, const K: usize, const S: usize>(g: &Columns, row: *const f32, wh: *const f32, nv: usize, slot: *mut f32) {
    let xs = K * FUSED_CHANNELS;
    let c = g.c;
    for j in 0..nv {
        let wk: [V; K] = core::array::from_fn(|kx| V::load(wh.add(kx * c + 4 * j)));
        let src = row.add(4 * j);
        let dst = slot.add(4 * j);
        let border = |ox: usize| {
            let ix0 = (ox * S) as isize - g.left as isize;
            let k0 = (-ix0).max(0) as usize;
            let k1 = (g.in_w as isize - ix0).clamp(0, K as isize) as usize;
            let mut acc = V::splat(0.0);
            for (kx, wkx) in wk.iter().enumerate().take(k1).skip(k0) {
                acc = V::load(src.offset((ix0 + kx as isize) * c as isize)).mul_add(*wkx, acc);
            }
            acc.store(dst.add(ox * xs));
        };
        for ox in 0..g.lo {
            border(ox);
        }
        let mut ox = g.lo;
        while ox + 4 <= g.hi {
            let base = src.add((ox * S - g.left) * c);
            let mut acc = [V::splat(0.0); 4];
            for col in 0..3 * S + K {
                let x = V::load(base.add(col * c));
                for (p, a) in acc.iter_mut().enumerate() {
                    if col == p * S {
                        *a = x.mul(wk[0]);
                    } else if col > p * S && col - p * S < K {
                        *a = x.mul_add(wk[col - p * S], *a);
                    }
                }
            }
            for (p, a) in acc.iter().enumerate() {
                a.store(dst.add((ox + p) * xs));
            }
            ox += 4;
        }
        while ox < g.hi {
            let base = src.add((ox * S - g.left) * c);
            let mut a = V::load(base).mul(wk[0]);
            for (kx, wkx) in wk.iter().enumerate().skip(1) {
                a = V::load(base.add(kx * c)).mul_add(*wkx, a);
            }
            a.store(dst.add(ox * xs));
            ox += 1;
        }
        for ox in g.hi..g.out_w {
            border(ox);
        }
    }
}

fn add_into<V: F32x4>(acc: &mut [f32], part: &[f32]) {
    let n = acc.len();
    let body = n & !3;
    let mut i = 0;
    // SAFETY: i + 4 <= body <= both lengths.
    unsafe {
        while i < body {
            V::load(acc.as_ptr().add(i)).add(V::load(part.as_ptr().add(i))).store(acc.as_mut_ptr().add(i));
            i += 4;
        }
    }
    for i in body..n {
        acc[i] += part[i];
    }
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[
    // Fused, C % 4 == 0, square K: 1 x K per input row into a [x][K slots][16 ch] ring, K x 1 per output
    // row from it. Interleaved A/B against the vertical-first kernel it replaced (5x1+1x5 56x56x128):
    // x0.81 warm, x0.84 cold, now 1.85x (cold) - 1.99x (warm) faster than our 5x5 depthwise (theory 2.5x).
    // 16 channels per block beat 8 (x1.04) and 32 (x1.06); pixel-outer vertical order was x1.10 slower.
    // Channel-block-outer (each block walks the whole image; it was row-outer over all blocks, a 143 KiB ring at
    // 5x5 56x56x128): interleaved A/B on an AMD Zen 5 host (EPYC family 26, 2026-12-03) x0.84 warm (5x5, 7x7
    // 56x56x128), x0.79-0.95 with TF.js-wasm run between, x0.91-0.99 after a 64 MiB flush; on a Zen 3 host
    // (2026-11) it had lost. In it, software touches ahead (next row, next block, or whole rows): x0.94-1.23,
    // dropped; 8 / 32 channels per block: x1.09-1.12 / x0.95-1.05; two channel vectors per vertical step: x0.96
    // warm, x0.95-1.02 cold (V8 spills the weights); strips of 4 / 8 rows per block, the next strip touched
    // whole: x1.06-1.12 warm, x0.90-0.98 after a flush.
    // The vertical pass without hard-swish's per-vector test: x0.966 warm, x0.962 cold (in the depthwise
    // row kernels the same split was x0.99 and slower on 56x56 shapes, so they keep the test).
    KernelDescriptor { name: "spatial_ring_16c4w", op: "spatial", tile: (4, 16), summary: "K x 1 then 1 x K per channel, horizontal first into a ring of K rows per 16-channel block (square K = 3, 5, 7, horizontal stride 1)" },
    // Other cases (C % 4 != 0, non-square K, other K_w or strides) run two passes of the general
    // depthwise kernel (`dwconv_kxk_8c`). A K_h != K_w ring variant (runtime slot stride) cost the
    // square kernels x1.07 (warm A/B), so it was not kept.
];
