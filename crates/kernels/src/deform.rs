//! Deformable depthwise convolution (the seed's section 9.2; DCN v1, and v2 with a modulation mask), NHWC f32.
//!
//! Each tap of each output pixel samples the input at its regular position plus a learned offset
//! `(dy, dx)`, bilinearly, zero outside the image (the definition of torchvision's `deform_conv2d` and
//! ONNX `DeformConv`). Offsets are NHWC `[N, OH, OW, G * KH * KW * 2]`: per offset group `g` and tap `t`
//! (row-major), `dy` then `dx`; input channels `g * C/G ..` use group `g`. The optional mask
//! `[N, OH, OW, G * KH * KW]` scales each tap's sample. Weights are a `PackedDepthwise` (bias first,
//! tiles of 8 output channels), so a layer packs them once as for a plain depthwise conv.
//!
//! Per output pixel the G x KH x KW bilinear samples are resolved once into four (pointer, weight)
//! pairs, then every channel vector reuses them: with multiplier 1 and a vector inside one offset group,
//! a tap is four loads and four multiply-adds over 4 channels; other vectors gather per lane.

use crate::activation::{Activation, Epilogue};
use crate::dwconv::{PackedDepthwise, DW_CHANNEL_TILE};
use crate::elementwise::MathLanes;
use crate::lanes::NativeLanes;
use crate::shape::ConvGeometry;

/// One tap's bilinear sample: the four neighbour pixels (or a zero pixel) and their weights (mask applied).
#[derive(Clone, Copy)]
struct Sample {
    px: [*const f32; 4],
    wt: [f32; 4],
}

/// Checks buffers and geometry; the message names what is wrong.
pub fn check_deform_depthwise(
    g: &ConvGeometry,
    w: &PackedDepthwise,
    offset_groups: usize,
    input: &[f32],
    offsets: &[f32],
    mask: Option<&[f32]>,
    output: &[f32],
) -> Result<(), String> {
    crate::dwconv::check_depthwise(g, w, input, output)?;
    if offset_groups == 0 || w.channels % offset_groups != 0 {
        return Err(format!("{} offset groups do not divide {} input channels", offset_groups, w.channels));
    }
    let taps = g.kernel_h * g.kernel_w; // <= the packed weights' size
    let need = crate::shape::elements("deformable offsets", &[g.batch, g.out_h, g.out_w, offset_groups, taps, 2])?;
    if offsets.len() != need {
        return Err(format!(
            "deformable offsets have {} values, expected N x OH x OW x (2 x {offset_groups} groups x {taps} taps) = {need}",
            offsets.len()
        ));
    }
    if let Some(m) = mask {
        let need = need / 2;
        if m.len() != need {
            return Err(format!("deformable mask has {} values, expected N x OH x OW x ({offset_groups} groups x {taps} taps) = {need}", m.len()));
        }
    }
    Ok(())
}

/// Deformable depthwise conv, generic over the lanes. Sigmoid / swish run as a pass after the kernel.
#[allow(clippy::too_many_arguments)]
pub fn deform_depthwise_with<V: MathLanes>(
    g: &ConvGeometry,
    w: &PackedDepthwise,
    offset_groups: usize,
    input: &[f32],
    offsets: &[f32],
    mask: Option<&[f32]>,
    output: &mut [f32],
    act: Activation,
) {
    crate::shape::expect_ok(check_deform_depthwise(g, w, offset_groups, input, offsets, mask, output), "deform_depthwise_with");
    let ep = Epilogue::<V>::new(act);
    let (c, m) = (w.channels, w.multiplier);
    let oc = c * m;
    let taps = g.kernel_h * g.kernel_w;
    let group_channels = c / offset_groups;
    let tiles = oc.div_ceil(DW_CHANNEL_TILE);
    // Multiplier 1 with whole vectors per offset group: taps outer, channel vectors inner, accumulating in the output.
    let vector_groups = m == 1 && group_channels % 4 == 0;
    let wp = w.data.as_ptr();
    let ts = (1 + taps) * DW_CHANNEL_TILE;
    let zero = crate::pack::AlignedF32::zeros(c);
    let mut samples = vec![Sample { px: [zero.as_ptr(); 4], wt: [0.0; 4] }; offset_groups * taps];
    let (h, wd) = (g.in_h as f32, g.in_w as f32);
    for n in 0..g.batch {
        let image = &input[n * g.in_h * g.in_w * c..(n + 1) * g.in_h * g.in_w * c];
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                let pixel = (n * g.out_h + oy) * g.out_w + ox;
                for (k, s) in samples.iter_mut().enumerate() {
                    let t = k % taps;
                    let (ky, kx) = (t / g.kernel_w, t % g.kernel_w);
                    let o = pixel * offset_groups * taps + k;
                    let y = (oy * g.stride_h + ky * g.dilation_h) as f32 - g.pads.top as f32 + offsets[2 * o];
                    let x = (ox * g.stride_w + kx * g.dilation_w) as f32 - g.pads.left as f32 + offsets[2 * o + 1];
                    let scale = mask.map_or(1.0, |mk| mk[o]);
                    *s = bilinear(image, c, g.in_h, g.in_w, y, x, h, wd, scale, zero.as_ptr());
                }
                let out_px = pixel * oc;
                if vector_groups {
                    // SAFETY: as below; `out_px .. out_px + c` is this pixel's output, c % 4 == 0.
                    unsafe { pixel_vectors::<V>(&samples, taps, group_channels, wp, ts, output[out_px..out_px + c].as_mut_ptr(), c, &ep) };
                    continue;
                }
                for tile in 0..tiles {
                    let o0 = tile * DW_CHANNEL_TILE;
                    let lanes = DW_CHANNEL_TILE.min(oc - o0);
                    let wt = w.tile(tile).as_ptr();
                    // SAFETY: `wt` is a whole packed tile ((1 + taps) x 8 floats); sample pointers address
                    // a pixel of `c` floats (of the image or the zero pixel), read at channels < c.
                    unsafe {
                        let mut acc = [V::load(wt), V::load(wt.add(4))];
                        for (half, a) in acc.iter_mut().enumerate() {
                            let v0 = o0 + 4 * half;
                            if v0 >= oc {
                                break;
                            }
                            let full = v0 + 4 <= oc;
                            let group = v0 / m / group_channels;
                            let one_group = full && (v0 + 3) / m / group_channels == group;
                            for t in 0..taps {
                                let wk = V::load(wt.add((1 + t) * DW_CHANNEL_TILE + 4 * half));
                                let v = if m == 1 && one_group {
                                    let s = &samples[group * taps + t];
                                    let mut v = V::load(s.px[0].add(v0)).mul(V::splat(s.wt[0]));
                                    for j in 1..4 {
                                        v = V::load(s.px[j].add(v0)).mul_add(V::splat(s.wt[j]), v);
                                    }
                                    v
                                } else {
                                    let mut pix = [0.0f32; 4];
                                    for (l, p) in pix.iter_mut().enumerate().take(oc - v0) {
                                        let ch = (v0 + l) / m;
                                        let s = &samples[(ch / group_channels) * taps + t];
                                        *p = s.wt[0] * *s.px[0].add(ch) + s.wt[1] * *s.px[1].add(ch) + s.wt[2] * *s.px[2].add(ch) + s.wt[3] * *s.px[3].add(ch);
                                    }
                                    V::load(pix.as_ptr())
                                };
                                *a = v.mul_add(wk, *a);
                            }
                        }
                        let mut res = [0.0f32; DW_CHANNEL_TILE];
                        ep.apply(acc[0]).store(res.as_mut_ptr());
                        ep.apply(acc[1]).store(res.as_mut_ptr().add(4));
                        output[out_px + o0..out_px + o0 + lanes].copy_from_slice(&res[..lanes]);
                    }
                }
            }
        }
    }
    if !act.is_fusable() {
        crate::elementwise::activation_in_place_with::<V>(output, act);
    }
}

/// One output pixel, multiplier 1, `group_channels % 4 == 0`: bias, then per group and tap its four
/// neighbours (pointers and splatted weights held across the channel loop) into every vector of the group.
///
/// # Safety
/// `out` holds `c` floats; sample pointers address `c` floats; `wp` is the packed depthwise data.
#[allow(clippy::too_many_arguments)]
unsafe fn pixel_vectors<V: MathLanes>(samples: &[Sample], taps: usize, group_channels: usize, wp: *const f32, ts: usize, out: *mut f32, c: usize, ep: &Epilogue<V>) {
    let wvec = |v0: usize, row: usize| wp.add((v0 / DW_CHANNEL_TILE) * ts + row * DW_CHANNEL_TILE + v0 % DW_CHANNEL_TILE);
    let mut v0 = 0;
    while v0 < c {
        V::load(wvec(v0, 0)).store(out.add(v0));
        v0 += 4;
    }
    for (k, s) in samples.iter().enumerate() {
        if s.wt == [0.0; 4] {
            continue; // off the image (or masked out)
        }
        let (grp, t) = (k / taps, k % taps);
        let [p0, p1, p2, p3] = s.px;
        let [w0, w1, w2, w3] = s.wt.map(V::splat);
        let mut v0 = grp * group_channels;
        let end = v0 + group_channels;
        while v0 < end {
            let x = V::load(p0.add(v0)).mul(w0);
            let x = V::load(p1.add(v0)).mul_add(w1, x);
            let x = V::load(p2.add(v0)).mul_add(w2, x);
            let x = V::load(p3.add(v0)).mul_add(w3, x);
            x.mul_add(V::load(wvec(v0, 1 + t)), V::load(out.add(v0))).store(out.add(v0));
            v0 += 4;
        }
    }
    let mut v0 = 0;
    while v0 < c {
        ep.apply(V::load(out.add(v0))).store(out.add(v0));
        v0 += 4;
    }
}

/// The four neighbours of `(y, x)` and their bilinear weights times `scale`; outside `(-1, H) x (-1, W)`
/// the sample is zero, and neighbours outside the image read the zero pixel.
#[allow(clippy::too_many_arguments)]
#[inline]
fn bilinear(image: &[f32], c: usize, in_h: usize, in_w: usize, y: f32, x: f32, h: f32, wd: f32, scale: f32, zero: *const f32) -> Sample {
    let mut s = Sample { px: [zero; 4], wt: [0.0; 4] };
    if !(y > -1.0 && x > -1.0 && y < h && x < wd) {
        return s;
    }
    let (y0, x0) = (y.floor(), x.floor());
    let (ly, lx) = (y - y0, x - x0);
    let (hy, hx) = (1.0 - ly, 1.0 - lx);
    let (y0, x0) = (y0 as isize, x0 as isize);
    let corners = [(y0, x0, hy * hx), (y0, x0 + 1, hy * lx), (y0 + 1, x0, ly * hx), (y0 + 1, x0 + 1, ly * lx)];
    for (j, &(yy, xx, wgt)) in corners.iter().enumerate() {
        if yy >= 0 && xx >= 0 && (yy as usize) < in_h && (xx as usize) < in_w {
            s.px[j] = image[(yy as usize * in_w + xx as usize) * c..].as_ptr();
            s.wt[j] = wgt * scale;
        }
    }
    s
}

/// Deformable depthwise conv with this build's lanes.
#[allow(clippy::too_many_arguments)]
pub fn deform_depthwise(
    g: &ConvGeometry,
    w: &PackedDepthwise,
    offset_groups: usize,
    input: &[f32],
    offsets: &[f32],
    mask: Option<&[f32]>,
    output: &mut [f32],
    act: Activation,
) {
    deform_depthwise_with::<NativeLanes>(g, w, offset_groups, input, offsets, mask, output, act)
}

use crate::kernels::KernelDescriptor;

// Zen 4, bench (ORT-web between runs): taps outer / channel vectors inner for multiplier 1 took 3.04 / 1.04 / 0.57 ms on
// 56x56x128 / 28x28x256 (mask) / 14x14x512 against 6.18 / 2.87 / 1.45 for 8-channel tiles outer (still the general path).
pub const KERNELS: &[KernelDescriptor] = &[KernelDescriptor {
    name: "deform_dwconv_8c",
    op: "deform_dwconv",
    tile: (1, DW_CHANNEL_TILE),
    summary: "deformable depthwise (DCN v1 / v2 mask), any kernel/stride/dilation/padding/multiplier/offset groups, one pixel x 8 channels per step",
}];
