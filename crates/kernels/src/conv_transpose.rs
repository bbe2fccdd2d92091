//! Transposed 2-D convolution (TF `Conv2DBackpropInput`, Keras `Conv2DTranspose`, ONNX `ConvTranspose`),
//! NHWC f32: `out[n, iy*sh + ky*dh - pt, ix*sw + kx*dw - pl, co] += x[n, iy, ix, ci] * w[ky, kx, co, ci]`,
//! taps landing outside the output dropped, then bias and activation.
//!
//! Weights (TF layout `[KH, KW, Cout, Cin]`) are packed once as one GEMM B of K = Cin rows and
//! N = KH*KW*Cout columns. A block of input pixels (rows of NHWC read in place) times B gives each
//! pixel's KH*KW contributions into a small reused column buffer (~`COL_BYTES`), which a col2im
//! step scatter-adds, Cout channels at a time in vectors, into the output (pre-filled with the bias).
//!
//! Why GEMM + col2im and not a gather per output pixel (sub-pixel phases): the GEMM runs the FLOPs at
//! the packed-GEMM rate over K = Cin with no padding waste, whatever the stride / kernel / pads; the
//! scatter-add costs one vector add per output value per tap, reading the L1/L2-resident column block.
// Measured (x86_64 SSE lanes, native release, `cargo test --release --test conv_transpose -- --ignored bench`,
// 2 cores shared with other jobs): 3x3/s2 16x16x64->32x32x32, GEMM + col2im 7.8 GFLOP/s against
// 1.7 GFLOP/s for the plain scatter loop over (pixel, tap, Cout) dot products over Cin.

use crate::activation::{Activation, Epilogue};
use crate::conv::COL_BYTES;
use crate::elementwise::MathLanes;
use crate::gemm::{gemm_strided, PackedGemm, GEMM_MR};
use crate::lanes::{F32x4, NativeLanes};
use crate::shape::tap_range;

/// Geometry of a transposed conv: input and output sizes are both given (TF passes the output shape;
/// ONNX's pads and output_padding resolve to one); `pad_top` / `pad_left` shift the output window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvTransposeGeometry {
    pub batch: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub out_h: usize,
    pub out_w: usize,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub dilation_h: usize,
    pub dilation_w: usize,
    pub pad_top: usize,
    pub pad_left: usize,
}

impl ConvTransposeGeometry {
    /// Validates sizes; the error names the offending value.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        batch: usize,
        (in_h, in_w): (usize, usize),
        (out_h, out_w): (usize, usize),
        (kernel_h, kernel_w): (usize, usize),
        (stride_h, stride_w): (usize, usize),
        (dilation_h, dilation_w): (usize, usize),
        (pad_top, pad_left): (usize, usize),
    ) -> Result<Self, String> {
        if batch == 0 || in_h == 0 || in_w == 0 {
            return Err(format!("conv_transpose: input batch/height/width must be positive, got {batch}x{in_h}x{in_w}"));
        }
        if out_h == 0 || out_w == 0 {
            return Err(format!("conv_transpose: output height/width must be positive, got {out_h}x{out_w}"));
        }
        if kernel_h == 0 || kernel_w == 0 {
            return Err(format!("conv_transpose: kernel size must be positive, got {kernel_h}x{kernel_w}"));
        }
        if stride_h == 0 || stride_w == 0 || dilation_h == 0 || dilation_w == 0 {
            return Err(format!(
                "conv_transpose: stride and dilation must be positive, got stride {stride_h}x{stride_w} dilation {dilation_h}x{dilation_w}"
            ));
        }
        // Every output coordinate iy*sh + (k-1)*dh must be representable.
        for (name, i, s, k, d, p) in [("height", in_h, stride_h, kernel_h, dilation_h, pad_top), ("width", in_w, stride_w, kernel_w, dilation_w, pad_left)] {
            let reach = (i - 1).checked_mul(s).and_then(|a| (k - 1).checked_mul(d).and_then(|b| a.checked_add(b))).and_then(|a| a.checked_add(p));
            if reach.is_none_or(|r| r > isize::MAX as usize) {
                return Err(format!("conv_transpose: input {name} {i} with stride {s}, kernel {k}, dilation {d}, pad {p} overflows"));
            }
        }
        Ok(Self { batch, in_h, in_w, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left })
    }

    /// Kernel rows `lo..hi` whose output row lies inside the output, for input row `iy`.
    #[inline(always)]
    pub fn rows(&self, iy: usize) -> (usize, usize) {
        tap_range(iy, self.stride_h, self.pad_top, self.dilation_h, self.kernel_h, self.out_h)
    }

    #[inline(always)]
    pub fn cols(&self, ix: usize) -> (usize, usize) {
        tap_range(ix, self.stride_w, self.pad_left, self.dilation_w, self.kernel_w, self.out_w)
    }
}

/// Transposed-conv weights packed for the GEMM (no bias in the panels: it pre-fills the output).
#[derive(Clone, Debug)]
pub struct PackedConvTranspose {
    /// K = Cin, N = KH*KW*Cout, column `(ky*KW + kx)*Cout + co`.
    pub gemm: PackedGemm,
    pub bias: Vec<f32>,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub in_channels: usize,
    pub out_channels: usize,
}

impl PackedConvTranspose {
    /// Packs TensorFlow-layout weights `[KH, KW, Cout, Cin]` and an optional bias of Cout.
    pub fn pack(weights: &[f32], bias: Option<&[f32]>, kernel_h: usize, kernel_w: usize, in_channels: usize, out_channels: usize) -> Result<Self, String> {
        if kernel_h == 0 || kernel_w == 0 || in_channels == 0 || out_channels == 0 {
            return Err(format!(
                "conv_transpose weights need positive sizes, got kernel {kernel_h}x{kernel_w}, {out_channels} output channels, {in_channels} input channels"
            ));
        }
        let n = [kernel_w, out_channels].iter().try_fold(kernel_h, |a, &d| a.checked_mul(d));
        let expected = n.and_then(|n| n.checked_mul(in_channels));
        let (Some(n), Some(expected)) = (n, expected) else {
            return Err(format!("conv_transpose weights {kernel_h}x{kernel_w}x{out_channels}x{in_channels} are too large"));
        };
        if weights.len() != expected {
            return Err(format!(
                "conv_transpose weights have {} values, expected {kernel_h}x{kernel_w}x{out_channels}x{in_channels} = {expected}",
                weights.len()
            ));
        }
        if let Some(b) = bias {
            if b.len() != out_channels {
                return Err(format!("conv_transpose bias has {} values, expected {out_channels}", b.len()));
            }
        }
        // B[ci, j] with j = (ky*KW + kx)*Cout + co is TF's w[j*Cin + ci].
        let gemm = PackedGemm::from_fn(in_channels, n, None, |ci, j| weights[j * in_channels + ci]);
        let bias = bias.map_or_else(|| vec![0.0; out_channels], |b| b.to_vec());
        Ok(Self { gemm, bias, kernel_h, kernel_w, in_channels, out_channels })
    }
}

/// Checks that buffers and geometry agree; the message names what is wrong.
pub fn check_conv_transpose(g: &ConvTransposeGeometry, w: &PackedConvTranspose, input: &[f32], output: &[f32]) -> Result<(), String> {
    if (g.kernel_h, g.kernel_w) != (w.kernel_h, w.kernel_w) {
        return Err(format!("conv_transpose: geometry kernel {}x{} differs from packed weights {}x{}", g.kernel_h, g.kernel_w, w.kernel_h, w.kernel_w));
    }
    let need_in = [g.in_h, g.in_w, w.in_channels].iter().try_fold(g.batch, |a, &d| a.checked_mul(d));
    let need_out = [g.out_h, g.out_w, w.out_channels].iter().try_fold(g.batch, |a, &d| a.checked_mul(d));
    let (Some(need_in), Some(need_out)) = (need_in, need_out) else {
        return Err(format!(
            "conv_transpose: input {}x{}x{}x{} or output {}x{}x{}x{} is too large",
            g.batch, g.in_h, g.in_w, w.in_channels, g.batch, g.out_h, g.out_w, w.out_channels
        ));
    };
    if input.len() != need_in {
        return Err(format!("conv_transpose input has {} values, expected {need_in}", input.len()));
    }
    if output.len() != need_out {
        return Err(format!("conv_transpose output has {} values, expected {need_out}", output.len()));
    }
    Ok(())
}

/// Transposed conv over NHWC `input` into NHWC `output`, generic over the lane type.
pub fn conv_transpose_with<V: MathLanes>(g: &ConvTransposeGeometry, w: &PackedConvTranspose, input: &[f32], output: &mut [f32], act: Activation) {
    crate::shape::expect_ok(check_conv_transpose(g, w, input, output), "conv_transpose_with");
    let cin = w.in_channels;
    let cout = w.out_channels;
    let n_cols = w.gemm.n;
    for px in output.chunks_exact_mut(cout) {
        px.copy_from_slice(&w.bias);
    }
    let block = ((COL_BYTES / 4 / n_cols) / GEMM_MR * GEMM_MR).max(GEMM_MR);
    let total = g.batch * g.in_h * g.in_w;
    let block = block.min(total);
    let mut col = crate::pack::AlignedF32::zeros(block * n_cols);
    let linear = Epilogue::<V>::new(Activation::Linear);
    let mut q0 = 0;
    while q0 < total {
        let rows = block.min(total - q0);
        // SAFETY: input holds total x cin (checked), q0 + rows <= total; col holds block x n_cols.
        unsafe { gemm_strided::<V>(rows, input.as_ptr().add(q0 * cin), cin, &w.gemm, col.as_mut_ptr(), n_cols, &linear) };
        for r in 0..rows {
            let q = q0 + r;
            let (n, rest) = (q / (g.in_h * g.in_w), q % (g.in_h * g.in_w));
            let (iy, ix) = (rest / g.in_w, rest % g.in_w);
            let (ky0, ky1) = g.rows(iy);
            let (kx0, kx1) = g.cols(ix);
            let src = &col[r * n_cols..(r + 1) * n_cols];
            for ky in ky0..ky1 {
                let oy = iy * g.stride_h + ky * g.dilation_h - g.pad_top;
                let row = (n * g.out_h + oy) * g.out_w;
                for kx in kx0..kx1 {
                    let ox = ix * g.stride_w + kx * g.dilation_w - g.pad_left;
                    let t = (ky * g.kernel_w + kx) * cout;
                    add_into::<V>(&mut output[(row + ox) * cout..(row + ox + 1) * cout], &src[t..t + cout]);
                }
            }
        }
        q0 += rows;
    }
    crate::elementwise::activation_in_place_with::<V>(output, act);
}

/// dst += src, vectors of 4 then a scalar tail.
#[inline(always)]
fn add_into<V: F32x4>(dst: &mut [f32], src: &[f32]) {
    let n = dst.len().min(src.len());
    let body = n & !3;
    let (d, s) = (dst.as_mut_ptr(), src.as_ptr());
    let mut i = 0;
    // SAFETY: i + 4 <= body <= both lengths.
    unsafe {
        while i < body {
            V::load(d.add(i)).add(V::load(s.add(i))).store(d.add(i));
            i += 4;
        }
    }
    for j in body..n {
        dst[j] += src[j];
    }
}

/// Transposed conv with this build's lanes.
pub fn conv_transpose(g: &ConvTransposeGeometry, w: &PackedConvTranspose, input: &[f32], output: &mut [f32], act: Activation) {
    conv_transpose_with::<NativeLanes>(g, w, input, output, act)
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[KernelDescriptor {
    name: "conv_transpose_gemm_col2im_4x8",
    op: "conv_transpose",
    tile: (GEMM_MR, crate::gemm::GEMM_NR),
    summary: "transposed conv: input pixels x packed [Cin, KH*KW*Cout] on the GEMM into a reused column block, then a vector col2im scatter-add",
}];
