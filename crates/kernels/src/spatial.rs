//! Spatially separable depthwise convolution (the seed's section 3): a K x 1 pass then a 1 x K
//! pass per channel. With C % 4 == 0 and K_w in 3, 5, 7 both passes are fused per output row and
//! block of channels (the intermediate row stays in L1); otherwise each pass runs through the
//! depthwise row kernels (`dwconv` fast paths cover K x 1 and 1 x K for K in 3, 5, 7) with the
//! intermediate in a scratch buffer.
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
        if vertical.len() != rank * kernel_h * channels || horizontal.len() != rank * kernel_w * channels {
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

    /// Floats of scratch `run` needs: the vertical pass output, plus a partial sum when rank > 1.
    pub fn scratch_len(&self, v: &ConvGeometry, h: &ConvGeometry) -> usize {
        if fused_applies(v, h, self) {
            return (h.in_w + h.pads.left + h.pads.right) * FUSED_CHANNELS;
        }
        let mid = v.batch * v.out_h * v.out_w * self.channels;
        let out = h.batch * h.out_h * h.out_w * self.channels;
        mid + if self.pairs.len() > 1 { out } else { 0 }
    }
}

pub fn check_spatial(v: &ConvGeometry, h: &ConvGeometry, w: &PackedSpatial, input: &[f32], output: &[f32], scratch: &[f32]) -> Result<(), String> {
    if (v.kernel_h, v.kernel_w, h.kernel_h, h.kernel_w) != (w.kernel_h, 1, 1, w.kernel_w) || v.out_h != h.in_h || v.out_w != h.in_w || v.batch != h.batch {
        return Err("spatially separable: the two pass geometries do not chain or do not match the weights".into());
    }
    let need_in = v.batch * v.in_h * v.in_w * w.channels;
    let need_out = h.batch * h.out_h * h.out_w * w.channels;
    if input.len() != need_in || output.len() != need_out {
        return Err(format!("spatially separable: input has {} values (expected {need_in}), output {} (expected {need_out})", input.len(), output.len()));
    }
    if scratch.len() < w.scratch_len(v, h) {
        return Err(format!("spatially separable: scratch has {} values, needs {}", scratch.len(), w.scratch_len(v, h)));
    }
    Ok(())
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

/// Channels per block of the fused kernel: the padded intermediate row of one block
/// ((W + pads) x 32 floats, 7.4 KiB at W = 56) stays in L1 between the two passes.
// 5x1+1x5 on 56x56x128: 32 channels 0.66-0.69 ms, 64 0.66-0.70, 128 0.73-0.78 (Node 20 simd128, CPU-time medians).
pub const FUSED_CHANNELS: usize = 32;

/// The fused row kernel covers C % 4 == 0, K_w in 3, 5, 7, horizontal stride 1 / 2, dilation 1.
fn fused_applies(v: &ConvGeometry, h: &ConvGeometry, w: &PackedSpatial) -> bool {
    w.channels % 4 == 0 && matches!(w.kernel_w, 3 | 5 | 7) && matches!(h.stride_w, 1 | 2) && v.dilation_h == 1 && h.dilation_w == 1
}

/// Both passes fused per output row and block of 64 channels: the K x 1 pass writes one padded
/// intermediate row (zero columns in the horizontal padding, so the 1 x K pass has no border),
/// then the 1 x K pass runs blocks of 4 output pixels over it while it is in L1.
unsafe fn fused<V: crate::elementwise::MathLanes>(v: &ConvGeometry, h: &ConvGeometry, w: &PackedSpatial, input: &[f32], output: &mut [f32], tmp: &mut [f32], act: Activation) {
    macro_rules! go {
        ($kw:literal, $s:literal) => {
            fused_kw::<V, $kw, $s>(v, h, w, input, output, tmp, act)
        };
    }
    match (w.kernel_w, h.stride_w) {
        (3, 1) => go!(3, 1),
        (5, 1) => go!(5, 1),
        (7, 1) => go!(7, 1),
        (3, 2) => go!(3, 2),
        (5, 2) => go!(5, 2),
        (7, 2) => go!(7, 2),
        _ => unreachable!("fused_applies"),
    }
}

#[inline(never)] // one wasm function per instance: V8 compiles a single huge one worse (see dwconv::blocks_kernel)
unsafe fn fused_kw<V: crate::elementwise::MathLanes, const KW: usize, const S: usize>(
    v: &ConvGeometry,
    h: &ConvGeometry,
    w: &PackedSpatial,
    input: &[f32],
    output: &mut [f32],
    tmp: &mut [f32],
    act: Activation,
) {
    use crate::elementwise::AnyEpilogue;
    let c = w.channels;
    let kh = w.kernel_h;
    let (in_h, in_w) = (v.in_h, v.in_w);
    let left = h.pads.left;
    let cb_max = FUSED_CHANNELS;
    tmp.fill(0.0);
    let zero = crate::pack::AlignedF32::zeros(in_w * c);
    let rank = w.raw.len();
    let ep_last = AnyEpilogue::<V>::new(act);
    let ep_lin = AnyEpilogue::<V>::new(Activation::Linear);
    let inp = input.as_ptr();
    let outp = output.as_mut_ptr();
    let tp = tmp.as_mut_ptr();
    let mut rows = vec![zero.as_ptr(); kh];
    for (r, (wv, wh)) in w.raw.iter().enumerate() {
        let last = r + 1 == rank;
        let ep = if last { &ep_last } else { &ep_lin };
        for n in 0..v.batch {
            for oy in 0..h.out_h {
                for (ky, row) in rows.iter_mut().enumerate() {
                    let iy = (oy * v.stride_h + ky) as isize - v.pads.top as isize;
                    *row = if iy >= 0 && (iy as usize) < in_h { inp.add((n * in_h + iy as usize) * in_w * c) } else { zero.as_ptr() };
                }
                let orow = outp.add((n * h.out_h + oy) * h.out_w * c);
                // The input rows the next output row adds and the next output row, touched ahead of use:
                // -5% and -4% on a cold cache.
                let ahead = crate::dwconv::RowsAhead::new(v, c, n, oy, inp, outp, h.out_w * c);
                ahead.touch(0, in_w * c, 0, h.out_w * c);
                let mut c0 = 0;
                while c0 < c {
                    let cb = cb_max.min(c - c0);
                    // K x 1: tmp[(x + left) * 64 + j] = sum_ky wv[ky, c0 + j] * in[row ky][x, c0 + j].
                    if kh == KW {
                        // Square kernels: K_h known, two channel vectors per pass over the row with their
                        // 2 K weights in registers, x innermost.
                        let mut j = 0;
                        while j + 8 <= cb {
                            let mut wk = [[V::splat(0.0); 2]; KW];
                            for (ky, x) in wk.iter_mut().enumerate() {
                                x[0] = V::load(wv.as_ptr().add(ky * c + c0 + j));
                                x[1] = V::load(wv.as_ptr().add(ky * c + c0 + j + 4));
                            }
                            let mut rp = [core::ptr::null::<f32>(); KW];
                            for (ky, p) in rp.iter_mut().enumerate() {
                                *p = rows.get_unchecked(ky).add(c0 + j);
                            }
                            let mut t = tp.add(left * cb_max + j);
                            for _ in 0..in_w {
                                let mut a0 = V::load(rp[0]).mul(wk[0][0]);
                                let mut a1 = V::load(rp[0].add(4)).mul(wk[0][1]);
                                for ky in 1..KW {
                                    a0 = V::load(rp[ky]).mul_add(wk[ky][0], a0);
                                    a1 = V::load(rp[ky].add(4)).mul_add(wk[ky][1], a1);
                                }
                                a0.store(t);
                                a1.store(t.add(4));
                                for p in rp.iter_mut() {
                                    *p = p.add(c);
                                }
                                t = t.add(cb_max);
                            }
                            j += 8;
                        }
                        while j < cb {
                            for x in 0..in_w {
                                let off = x * c + c0 + j;
                                let mut acc = V::splat(0.0);
                                for ky in 0..KW {
                                    acc = V::load(rows.get_unchecked(ky).add(off)).mul_add(V::load(wv.as_ptr().add(ky * c + c0 + j)), acc);
                                }
                                acc.store(tp.add((x + left) * cb_max + j));
                            }
                            j += 4;
                        }
                    } else {
                    for x in 0..in_w {
                        let t = tp.add((x + left) * cb_max);
                        let mut j = 0;
                        // Four vectors per kernel-row step (the rolled ky loop costs less per multiply-add).
                        while j + 16 <= cb {
                            let off = x * c + c0 + j;
                            let mut acc = [V::splat(0.0); 4];
                            for ky in 0..kh {
                                let r = rows.get_unchecked(ky).add(off);
                                let wr = wv.as_ptr().add(ky * c + c0 + j);
                                for (q, a) in acc.iter_mut().enumerate() {
                                    *a = V::load(r.add(4 * q)).mul_add(V::load(wr.add(4 * q)), *a);
                                }
                            }
                            for (q, a) in acc.iter().enumerate() {
                                a.store(t.add(j + 4 * q));
                            }
                            j += 16;
                        }
                        while j < cb {
                            let off = x * c + c0 + j;
                            let mut acc = V::splat(0.0);
                            for ky in 0..kh {
                                acc = V::load(rows.get_unchecked(ky).add(off)).mul_add(V::load(wv.as_ptr().add(ky * c + c0 + j)), acc);
                            }
                            acc.store(t.add(j));
                            j += 4;
                        }
                    }
                    }
                    // 1 x K, per channel vector: its K weights in registers, then blocks of 4 output
                    // pixels sharing the (3 * S + K_w) intermediate vectors they cover.
                    let mut j = 0;
                    while j < cb {
                        let ch = c0 + j;
                        let mut wk = [V::splat(0.0); KW];
                        for (kx, x) in wk.iter_mut().enumerate() {
                            *x = V::load(wh.as_ptr().add(kx * c + ch));
                        }
                        let bias = V::load(w.bias.as_ptr().add(ch));
                        let mut ox = 0;
                        while ox + 4 <= h.out_w {
                            let o = orow.add(ox * c + ch);
                            let base = tp.add(ox * S * cb_max + j);
                            let mut acc = if r == 0 { [bias; 4] } else { [V::load(o), V::load(o.add(c)), V::load(o.add(2 * c)), V::load(o.add(3 * c))] };
                            for col in 0..3 * S + KW {
                                let x = V::load(base.add(col * cb_max));
                                for (p, a) in acc.iter_mut().enumerate() {
                                    if col >= p * S && col - p * S < KW {
                                        *a = x.mul_add(wk[col - p * S], *a);
                                    }
                                }
                            }
                            for (p, a) in acc.iter().enumerate() {
                                ep.apply(*a).store(o.add(p * c));
                            }
                            ox += 4;
                        }
                        while ox < h.out_w {
                            let o = orow.add(ox * c + ch);
                            let base = tp.add(ox * S * cb_max + j);
                            let mut a = if r == 0 { bias } else { V::load(o) };
                            for (kx, wkx) in wk.iter().enumerate() {
                                a = V::load(base.add(kx * cb_max)).mul_add(*wkx, a);
                            }
                            ep.apply(a).store(o);
                            ox += 1;
                        }
                        j += 4;
                    }
                    c0 += cb;
                }
            }
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
    // Fused, C % 4 == 0: per output row and 32-channel block, K x 1 into an L1 row (2 vectors x K_h
    // weights in registers), then 1 x K in blocks of 4 pixels. 5x1+1x5 56x56x128: 0.66-0.70 ms vs the
    // two-pass form 1.27-1.55 ms and our 5x5 depthwise 1.03-1.05 ms (1.5-1.6x; theory 2.5x).
    KernelDescriptor { name: "spatial_fused_32c4w", op: "spatial", tile: (4, 32), summary: "K x 1 then 1 x K per channel, fused per row and 32-channel block (K_w = 3, 5, 7, stride 1 / 2)" },
    // Fallback passes (C % 4 != 0, other K_w) through the depthwise row kernels: K x 1 and 1 x K at 1 vector x 4 pixels.
    KernelDescriptor { name: "dwconv_kx1_4c4w", op: "spatial", tile: (4, 4), summary: "K x 1 depthwise (K = 3, 5, 7), horizontal stride 1 / 2, any vertical stride" },
    KernelDescriptor { name: "dwconv_1xk_4c4w", op: "spatial", tile: (4, 4), summary: "1 x K depthwise (K = 3, 5, 7), horizontal stride 1 / 2" },
];
