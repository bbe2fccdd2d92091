//! Spatially separable depthwise convolution (the seed's section 3): a K x 1 pass then a 1 x K
//! pass per channel, each through the depthwise row kernels (`dwconv` fast paths cover K x 1 and
//! 1 x K for K in 3, 5, 7 at horizontal stride 1 or 2), with the intermediate in a scratch buffer.
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
        for r in 0..rank {
            let v = &vertical[r * kernel_h * channels..(r + 1) * kernel_h * channels];
            let h = &horizontal[r * kernel_w * channels..(r + 1) * kernel_w * channels];
            let b = if r + 1 == rank { bias } else { None };
            pairs.push((PackedDepthwise::pack(v, None, kernel_h, 1, channels, 1)?, PackedDepthwise::pack(h, b, 1, kernel_w, channels, 1)?));
        }
        Ok(Self { pairs, channels, kernel_h, kernel_w })
    }

    /// Floats of scratch `run` needs: the vertical pass output, plus a partial sum when rank > 1.
    pub fn scratch_len(&self, v: &ConvGeometry, h: &ConvGeometry) -> usize {
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
    // Vertical pass: 1 vector x 4 pixels per block (K loads + 1 weight per kernel row, no column reuse).
    KernelDescriptor { name: "dwconv_kx1_4c4w", op: "spatial", tile: (4, 4), summary: "K x 1 depthwise (K = 3, 5, 7), horizontal stride 1 / 2, any vertical stride" },
    // Horizontal pass: 1 vector x 4 pixels, (OW - 1) * S + K loads shared by the block.
    KernelDescriptor { name: "dwconv_1xk_4c4w", op: "spatial", tile: (4, 4), summary: "1 x K depthwise (K = 3, 5, 7), horizontal stride 1 / 2" },
];
