//! Depthwise convolution, NHWC f32, with packed weights and a fused epilogue.
//!
//! Packed layout (built once per layer): per tile of `DW_CHANNEL_TILE` output channels,
//! `[bias; TILE]` then `[tap weights; TILE]` for each of the KH*KW taps, zero-padded past the
//! last channel. The kernel walks one output pixel at a time, keeps a tile of accumulators in
//! registers, and clips the tap range once per pixel so the tap loop has no border branch.

use crate::activation::{Activation, Epilogue};
use crate::lanes::{F32x4, NativeLanes};
use crate::shape::ConvGeometry;

/// Output channels per packed tile: two 128-bit vectors of accumulators.
// 8 beat 4 (fewer loop trips per pixel) and 16 (register spills on x86 hosts under wasm) on MobileNet shapes.
pub const DW_CHANNEL_TILE: usize = 8;

/// Weights of a depthwise conv, packed for the kernel.
#[derive(Clone, Debug)]
pub struct PackedDepthwise {
    pub data: Vec<f32>,
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
        let oc = channels * multiplier;
        let taps = kernel_h * kernel_w;
        if kernel_h == 0 || kernel_w == 0 || channels == 0 || multiplier == 0 {
            return Err(format!(
                "depthwise weights need positive sizes, got kernel {kernel_h}x{kernel_w}, {channels} channels, multiplier {multiplier}"
            ));
        }
        if weights.len() != taps * oc {
            return Err(format!(
                "depthwise weights have {} values, expected {kernel_h}x{kernel_w}x{channels}x{multiplier} = {}",
                weights.len(),
                taps * oc
            ));
        }
        if let Some(b) = bias {
            if b.len() != oc {
                return Err(format!("depthwise bias has {} values, expected {oc}", b.len()));
            }
        }
        let tiles = oc.div_ceil(DW_CHANNEL_TILE);
        let stride = (1 + taps) * DW_CHANNEL_TILE;
        let mut data = vec![0.0f32; tiles * stride];
        for ch in 0..oc {
            let base = (ch / DW_CHANNEL_TILE) * stride + ch % DW_CHANNEL_TILE;
            data[base] = bias.map_or(0.0, |b| b[ch]);
            for t in 0..taps {
                data[base + (1 + t) * DW_CHANNEL_TILE] = weights[t * oc + ch];
            }
        }
        Ok(Self { data, kernel_h, kernel_w, channels, multiplier })
    }

    #[inline(always)]
    fn tile(&self, t: usize) -> &[f32] {
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
    let need_in = g.batch * g.in_h * g.in_w * w.channels;
    let need_out = g.batch * g.out_h * g.out_w * w.out_channels();
    if input.len() != need_in {
        return Err(format!("depthwise input has {} values, expected {need_in}", input.len()));
    }
    if output.len() != need_out {
        return Err(format!("depthwise output has {} values, expected {need_out}", output.len()));
    }
    Ok(())
}

/// Depthwise conv over NHWC `input` into NHWC `output`, generic over the lane type.
pub fn depthwise_with<V: F32x4>(g: &ConvGeometry, w: &PackedDepthwise, input: &[f32], output: &mut [f32], act: Activation) {
    check_depthwise(g, w, input, output).expect("depthwise_with: bad arguments");
    let ep = Epilogue::<V>::new(act);
    if w.multiplier == 1 {
        depthwise_m1::<V>(g, w, input, output, &ep);
    } else {
        depthwise_multiplier::<V>(g, w, input, output, &ep);
    }
    if !act.is_fusable() {
        crate::activation::apply_in_place(output, act);
    }
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

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[KernelDescriptor {
    name: "dwconv_kxk_8c",
    op: "dwconv",
    tile: (1, DW_CHANNEL_TILE),
    summary: "depthwise, any kernel/stride/dilation/padding/multiplier, one pixel x 8 channels per step",
}];
