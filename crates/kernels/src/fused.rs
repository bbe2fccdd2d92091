//! Expand (pointwise 1x1) then depthwise, fused over rows: the expanded tensor (an inverted
//! residual's widest, C_in x expansion channels) never leaves a ring of K_h rows, so it is written and
//! read in L2 instead of through memory. Each output row of the depthwise conv first expands the input
//! rows it adds (the GEMM over one image row: M = W pixels), then runs the depthwise row kernel on the ring.

use crate::activation::{Activation, Epilogue};
use crate::dwconv::{depthwise_rows, has_row_kernel, PackedDepthwise, RingRows};
use crate::elementwise::MathLanes;
use crate::gemm::{gemm_strided, PackedGemm, GEMM_MR, GEMM_NR};
use crate::lanes::NativeLanes;
use crate::shape::ConvGeometry;

/// Whether `expand_depthwise` covers this pair: `g` is the depthwise geometry over the expanded tensor.
pub fn expand_depthwise_applies(g: &ConvGeometry, pw: &PackedGemm, dw: &PackedDepthwise) -> bool {
    pw.n == dw.channels && has_row_kernel(g, dw)
}

/// Floats of ring scratch `expand_depthwise` needs.
/// Saturates past `MAX_ELEMENTS` (no ring that large exists, so `check_expand_depthwise` refuses it).
pub fn expand_depthwise_ring_len(g: &ConvGeometry, dw: &PackedDepthwise) -> usize {
    crate::shape::elements("ring", &[g.kernel_h, g.in_w, dw.channels]).unwrap_or(usize::MAX)
}

pub fn check_expand_depthwise(g: &ConvGeometry, pw: &PackedGemm, dw: &PackedDepthwise, input: &[f32], output: &[f32], ring: &[f32]) -> Result<(), String> {
    if !expand_depthwise_applies(g, pw, dw) {
        return Err(format!("expand + depthwise: no fused kernel for {}x{} stride {}x{} over {} -> {} channels", g.kernel_h, g.kernel_w, g.stride_h, g.stride_w, pw.k, pw.n));
    }
    if (g.kernel_h, g.kernel_w) != (dw.kernel_h, dw.kernel_w) {
        return Err(format!("expand + depthwise: geometry kernel {}x{} differs from packed weights {}x{}", g.kernel_h, g.kernel_w, dw.kernel_h, dw.kernel_w));
    }
    pw.validate()?;
    dw.validate()?;
    let (need_in, _) = g.tensor_elements(pw.k, pw.n)?;
    let (_, need_out) = g.tensor_elements(dw.channels, dw.out_channels())?;
    crate::shape::elements("expand + depthwise ring", &[g.kernel_h, g.in_w, dw.channels])?;
    if input.len() != need_in || output.len() != need_out {
        return Err(format!("expand + depthwise: input has {} values (expected {need_in}), output {} (expected {need_out})", input.len(), output.len()));
    }
    if ring.len() < expand_depthwise_ring_len(g, dw) {
        return Err(format!("expand + depthwise: ring has {} values, needs {}", ring.len(), expand_depthwise_ring_len(g, dw)));
    }
    Ok(())
}

/// output = depthwise(act_dw, act_pw(input x pw)), NHWC, with the expanded rows in `ring`.
pub fn expand_depthwise_with<V: MathLanes>(g: &ConvGeometry, pw: &PackedGemm, pw_act: Activation, dw: &PackedDepthwise, dw_act: Activation, input: &[f32], output: &mut [f32], ring: &mut [f32]) -> Result<(), String> {
    check_expand_depthwise(g, pw, dw, input, output, ring)?;
    let (kh, w, cin, c) = (g.kernel_h, g.in_w, pw.k, dw.channels);
    let ep = Epilogue::<V>::new(pw_act);
    let rp = ring.as_mut_ptr();
    let inp = input.as_ptr();
    let mut next = (usize::MAX, 0isize);
    let mut fill = |n: usize, oy: usize| {
        let top = (oy * g.stride_h) as isize - g.pads.top as isize;
        let from = if next.0 == n { next.1.max(top) } else { top }.max(0);
        let to = (top + kh as isize).min(g.in_h as isize);
        for iy in from..to {
            let iy = iy as usize;
            // SAFETY: row iy of image n lies in the checked input; its slot in the checked ring.
            unsafe {
                let slot = rp.add((iy % kh) * w * c);
                gemm_strided::<V>(w, inp.add((n * g.in_h + iy) * w * cin), cin, pw, slot, c, &ep);
                if !pw_act.is_fusable() {
                    crate::elementwise::activation_in_place_with::<V>(core::slice::from_raw_parts_mut(slot, w * c), pw_act);
                }
            }
        }
        next = (n, to.max(from));
    };
    let mut rows = RingRows { ring: rp, fill: &mut fill };
    depthwise_rows::<V>(g, dw, output, dw_act, &mut rows);
    Ok(())
}

pub fn expand_depthwise(g: &ConvGeometry, pw: &PackedGemm, pw_act: Activation, dw: &PackedDepthwise, dw_act: Activation, input: &[f32], output: &mut [f32], ring: &mut [f32]) -> Result<(), String> {
    expand_depthwise_with::<NativeLanes>(g, pw, pw_act, dw, dw_act, input, output, ring)
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[
    // Interleaved A/B against gemm_4x8 + the depthwise row kernel (TF.js-wasm run between pairs): 112x112x16->96
    // s2 x0.61, 56x56x24->144 x0.80, 28x28x32->192 s2 x0.83; x1.03 at 14x14x384 and 7x7x960 (not fused there).
    KernelDescriptor { name: "expand_dwconv_ring", op: "fused", tile: (GEMM_MR, GEMM_NR), summary: "1x1 expand (gemm_4x8 over one image row) into a ring of K_h rows, read by the 3x3 / 5x5 depthwise row kernels" },
];
