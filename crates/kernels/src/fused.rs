//! Fused depthwise -> pointwise (the seed's operator fusion): a band of depthwise output rows is
//! computed into a small buffer and consumed at once by the pointwise GEMM, so the intermediate
//! tensor never makes a round trip through memory beyond L2.
//!
//! The band's depthwise runs the ordinary `dwconv` kernel on a sub-geometry: the input rows the
//! band needs, with explicit top/bottom pads standing for the rows outside the image.

use crate::activation::{apply_in_place, Activation, Epilogue};
use crate::dwconv::{depthwise_with, PackedDepthwise};
use crate::gemm::{gemm_strided, PackedGemm};
use crate::lanes::{F32x4, NativeLanes};
use crate::shape::{ConvGeometry, Padding};

/// Bytes of depthwise output per band (the buffer the GEMM reads).
pub const FUSED_BAND_BYTES: usize = 64 * 1024;

/// Checks that the two packed layers chain and the buffers fit the geometry.
pub fn check_dw_pw(g: &ConvGeometry, dw: &PackedDepthwise, pw: &PackedGemm, input: &[f32], output: &[f32]) -> Result<(), String> {
    if (g.kernel_h, g.kernel_w) != (dw.kernel_h, dw.kernel_w) {
        return Err(format!("geometry kernel {}x{} differs from the depthwise weights {}x{}", g.kernel_h, g.kernel_w, dw.kernel_h, dw.kernel_w));
    }
    let need_in = g.batch * g.in_h * g.in_w * dw.channels;
    if input.len() != need_in {
        return Err(format!("fused input has {} values, expected {need_in}", input.len()));
    }
    if dw.out_channels() != pw.k {
        return Err(format!("depthwise gives {} channels but the pointwise weights take K = {}", dw.out_channels(), pw.k));
    }
    let need_out = g.batch * g.out_h * g.out_w * pw.n;
    if output.len() != need_out {
        return Err(format!("fused output has {} values, expected {need_out}", output.len()));
    }
    Ok(())
}

/// Depthwise (`dw_act`) then pointwise (`pw_act`), band by band, generic over the lanes.
pub fn dw_pw_with<V: F32x4>(
    g: &ConvGeometry,
    dw: &PackedDepthwise,
    dw_act: Activation,
    pw: &PackedGemm,
    pw_act: Activation,
    input: &[f32],
    output: &mut [f32],
) {
    let band = FUSED_BAND_BYTES / 4 / (g.out_w * pw.k);
    dw_pw_band_with::<V>(g, dw, dw_act, pw, pw_act, input, output, band)
}

/// As `dw_pw_with` with `band` output rows per band (tests sweep it).
#[allow(clippy::too_many_arguments)]
pub fn dw_pw_band_with<V: F32x4>(
    g: &ConvGeometry,
    dw: &PackedDepthwise,
    dw_act: Activation,
    pw: &PackedGemm,
    pw_act: Activation,
    input: &[f32],
    output: &mut [f32],
    band: usize,
) {
    check_dw_pw(g, dw, pw, input, output).expect("dw_pw_with: bad arguments");
    let c = dw.channels;
    let k = pw.k;
    let row_px = g.out_w;
    let band = band.clamp(1, g.out_h);
    let mut buf = vec![0.0f32; band * row_px * k];
    let ep = Epilogue::<V>::new(pw_act);
    let span = (g.kernel_h - 1) * g.dilation_h + 1;
    let image = g.in_h * g.in_w * c;
    let mut zero_row: Vec<f32> = Vec::new();
    for n in 0..g.batch {
        let mut oy0 = 0;
        while oy0 < g.out_h {
            let oy1 = (oy0 + band).min(g.out_h);
            // Input rows this band reads, as signed indices (negative / >= H are padding).
            let r0 = (oy0 * g.stride_h) as isize - g.pads.top as isize;
            let r1 = ((oy1 - 1) * g.stride_h + span) as isize - g.pads.top as isize; // exclusive
            let lo = r0.max(0) as usize;
            let hi = (r1.min(g.in_h as isize)).max(lo as isize) as usize;
            let px = (oy1 - oy0) * row_px;
            let dw_out = &mut buf[..px * k];
            // A band wholly in the padding reads one row of zeros standing at row r0 (same result).
            let (src, rows, top, bottom): (&[f32], usize, usize, usize) = if hi > lo {
                (&input[n * image + lo * g.in_w * c..n * image + hi * g.in_w * c], hi - lo, (lo as isize - r0) as usize, (r1 - hi as isize) as usize)
            } else {
                zero_row.resize(g.in_w * c, 0.0);
                (&zero_row[..], 1, 0, (r1 - r0 - 1) as usize)
            };
            let sub = ConvGeometry::new(
                1,
                rows,
                g.in_w,
                (g.kernel_h, g.kernel_w),
                (g.stride_h, g.stride_w),
                (g.dilation_h, g.dilation_w),
                Padding::Explicit { top, bottom, left: g.pads.left, right: g.pads.right },
            )
            .expect("band geometry");
            debug_assert_eq!((sub.out_h, sub.out_w), (oy1 - oy0, g.out_w));
            depthwise_with::<V>(&sub, dw, src, dw_out, dw_act);
            let out_off = ((n * g.out_h + oy0) * g.out_w) * pw.n;
            // SAFETY: dw_out holds px rows of K; the output holds px rows of N from out_off.
            unsafe { gemm_strided::<V>(px, dw_out.as_ptr(), k, pw, output.as_mut_ptr().add(out_off), pw.n, &ep) };
            if !pw_act.is_fusable() {
                apply_in_place(&mut output[out_off..out_off + px * pw.n], pw_act);
            }
            oy0 = oy1;
        }
    }
}

/// Fused depthwise -> pointwise with this build's lanes.
pub fn dw_pw(g: &ConvGeometry, dw: &PackedDepthwise, dw_act: Activation, pw: &PackedGemm, pw_act: Activation, input: &[f32], output: &mut [f32]) {
    dw_pw_with::<NativeLanes>(g, dw, dw_act, pw, pw_act, input, output)
}
