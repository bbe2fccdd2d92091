//! im2col for the conv GEMM: one output pixel's receptive field as a row of `KH*KW*Cg` values,
//! in `(ky, kx, ci)` order (the order of the packed conv weights), zeros where the taps fall in
//! the padding. Rows are built a small block at a time into reused scratch (see `conv.rs`).

use crate::shape::ConvGeometry;

/// Fills `row` (`KH*KW*cg` values) for output pixel `(n, oy, ox)`, input channels `c0..c0+cg`
/// of an NHWC input with `cin` channels.
#[inline]
#[allow(clippy::too_many_arguments)]
pub fn im2col_row(g: &ConvGeometry, input: &[f32], cin: usize, c0: usize, cg: usize, n: usize, oy: usize, ox: usize, row: &mut [f32]) {
    let kw = g.kernel_w;
    debug_assert_eq!(row.len(), g.kernel_h * kw * cg);
    let (ky0, ky1) = g.rows(oy);
    let (kx0, kx1) = g.cols(ox);
    if ky0 != 0 || ky1 != g.kernel_h || kx0 != 0 || kx1 != kw {
        row.fill(0.0);
    }
    if kx0 >= kx1 {
        return;
    }
    let image = n * g.in_h * g.in_w;
    for ky in ky0..ky1 {
        let iy = g.in_y(oy, ky);
        let pix = (image + iy * g.in_w + g.in_x(ox, kx0)) * cin;
        if g.dilation_w == 1 && cg == cin {
            // Whole channel runs of neighbouring taps are contiguous in NHWC: one copy per kernel row.
            let len = (kx1 - kx0) * cin;
            let dst = (ky * kw + kx0) * cg;
            row[dst..dst + len].copy_from_slice(&input[pix..pix + len]);
        } else {
            for kx in kx0..kx1 {
                let src = pix + (kx - kx0) * g.dilation_w * cin + c0;
                let dst = (ky * kw + kx) * cg;
                row[dst..dst + cg].copy_from_slice(&input[src..src + cg]);
            }
        }
    }
}
