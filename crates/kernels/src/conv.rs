//! Standard 2-D convolution, NHWC f32, any kernel / stride / padding / dilation / groups, on the GEMM.
//!
//! Weights (TensorFlow `[KH, KW, Cin/groups, Cout]`) are packed once per group as GEMM panels with
//! rows in `(ky, kx, ci)` order. Three paths:
//! - 1x1, stride 1, no padding, one group: the GEMM straight over the NHWC input.
//! - one group, horizontal dilation 1 and few inputs per kernel row (the stem 3x3/s2 over 3
//!   channels): a direct implicit GEMM. For an output row and kernel row `ky`, the
//!   `KW*Cin` inputs of neighbouring output pixels are contiguous and `stride_w*Cin` apart, so the
//!   microkernel reads them in place (A rows may overlap) and reduces over the kernel rows in
//!   registers; no column buffer. Only border pixels (taps in the left/right padding) go through im2col.
//! - otherwise (groups > 1, horizontal dilation > 1): im2col of a small block of output pixels into
//!   reused scratch (~`COL_BYTES`), then the GEMM on it, block after block.

use crate::activation::{Activation, Epilogue};
use crate::gemm::{accumulate, bias_acc, gemm_strided, store, PackedGemm, GEMM_MR, GEMM_NR, NV};
use crate::im2col::im2col_row;
use crate::elementwise::MathLanes;
use crate::lanes::{F32x4, NativeLanes};
use crate::shape::ConvGeometry;

/// Bytes of im2col scratch per block: small enough to stay in L1/L2 next to a B panel.
// Not tuned: sized to sit in L2 beside the B panels; with it im2col 3x3/1 56x56x64->64 runs 30-35 GFLOP/s.
pub const COL_BYTES: usize = 48 * 1024;

/// Weights past this size (they come from L3 or memory) are streamed once per block of at least
/// LARGE_B_ROWS pixels, whatever the column buffer then takes.
// 3x3 7x7x512->512 (9.4 MB packed): A/B x0.87 with 64-row blocks (12-row blocks x1.00). At 590 KB -
// 2.4 MB (3x3 over 128 / 256 channels) larger blocks were slower (x1.02-1.18), so they keep ~48 KB.
pub const LARGE_B_BYTES: usize = 4 << 20;
pub const LARGE_B_ROWS: usize = 64;

/// The direct path is taken when one kernel row spans at most this many inputs (KW * Cin).
// wasm simd128, Node 20: stem 3x3/2 224x224x3->32 direct 28 GFLOP/s vs im2col 18; but 3x3/1
// 56x56x64->64 direct 24 vs im2col 30 and 28x28x128->128 21 vs 25 (border pixels take 1-row tiles).
pub const DIRECT_MAX_ROW: usize = 32;

/// Conv weights packed per group for the GEMM.
#[derive(Clone, Debug)]
pub struct PackedConv {
    /// One GEMM (K = KH*KW*Cin/groups, N = Cout/groups) per group.
    pub gemms: Vec<PackedGemm>,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub in_channels: usize,
    pub out_channels: usize,
    pub groups: usize,
}

impl PackedConv {
    /// Packs TensorFlow-layout weights `[KH, KW, Cin/groups, Cout]` and an optional bias of Cout.
    pub fn pack(
        weights: &[f32],
        bias: Option<&[f32]>,
        kernel_h: usize,
        kernel_w: usize,
        in_channels: usize,
        out_channels: usize,
        groups: usize,
    ) -> Result<Self, String> {
        if kernel_h == 0 || kernel_w == 0 || in_channels == 0 || out_channels == 0 || groups == 0 {
            return Err(format!(
                "conv weights need positive sizes, got kernel {kernel_h}x{kernel_w}, {in_channels} input channels, {out_channels} output channels, {groups} groups"
            ));
        }
        if in_channels % groups != 0 || out_channels % groups != 0 {
            return Err(format!(
                "groups {groups} must divide both input channels {in_channels} and output channels {out_channels}"
            ));
        }
        let cg = in_channels / groups;
        let ng = out_channels / groups;
        let expected = crate::shape::elements("conv weights", &[kernel_h, kernel_w, cg, out_channels])?;
        if weights.len() != expected {
            return Err(format!(
                "conv weights have {} values, expected {kernel_h}x{kernel_w}x{cg}x{out_channels} = {expected}",
                weights.len()
            ));
        }
        if let Some(b) = bias {
            if b.len() != out_channels {
                return Err(format!("conv bias has {} values, expected {out_channels}", b.len()));
            }
        }
        let k = kernel_h * kernel_w * cg; // <= expected
        // Each group's packed panels: (1 + K) x NR per NR output channels.
        crate::shape::elements("packed conv weights", &[groups, ng.div_ceil(crate::gemm::GEMM_NR), k + 1, crate::gemm::GEMM_NR])?;
        let gemms = (0..groups)
            .map(|gi| {
                let gb = bias.map(|b| &b[gi * ng..(gi + 1) * ng]);
                // Row kk = (ky*KW + kx)*cg + ci is exactly the TF layout's leading index.
                PackedGemm::from_fn(k, ng, gb, |kk, j| weights[kk * out_channels + gi * ng + j])
            })
            .collect();
        Ok(Self { gemms, kernel_h, kernel_w, in_channels, out_channels, groups })
    }
}

impl PackedConv {
    /// Checks that the sizes, the groups and the packed GEMMs agree (the fields are public).
    pub fn validate(&self) -> Result<(), String> {
        let (kh, kw, cin, cout, groups) = (self.kernel_h, self.kernel_w, self.in_channels, self.out_channels, self.groups);
        if kh == 0 || kw == 0 || cin == 0 || cout == 0 || groups == 0 || cin % groups != 0 || cout % groups != 0 {
            return Err(format!("conv weights: kernel {kh}x{kw}, {cin} -> {cout} channels in {groups} groups do not agree"));
        }
        let k = crate::shape::elements("conv weights per group", &[kh, kw, cin / groups])?;
        if self.gemms.len() != groups || self.gemms.iter().any(|gw| gw.k != k || gw.n != cout / groups) {
            return Err(format!("conv weights: the packed GEMMs do not match kernel {kh}x{kw}, {cin} -> {cout} channels in {groups} groups"));
        }
        self.gemms.iter().try_for_each(|gw| gw.validate())
    }
}

/// Rows of im2col scratch per block and its floats (K = KH*KW*Cin/groups per row), checked.
fn im2col_block(g: &ConvGeometry, w: &PackedConv) -> Result<(usize, usize), String> {
    let k = g.kernel_h * g.kernel_w * (w.in_channels / w.groups);
    let b_bytes = w.gemms.iter().map(|gw| gw.data.len() * 4).max().unwrap_or(0);
    let min_rows = if b_bytes > LARGE_B_BYTES { LARGE_B_ROWS } else { GEMM_MR };
    let block = ((COL_BYTES / 4 / k) / GEMM_MR * GEMM_MR).max(min_rows);
    let total = g.batch * g.out_h * g.out_w;
    let len = crate::shape::elements("im2col scratch", &[block.min(total), k])?;
    Ok((block, len))
}

/// Checks that buffers and geometry agree; the message names what is wrong.
pub fn check_conv(g: &ConvGeometry, w: &PackedConv, input: &[f32], output: &[f32]) -> Result<(), String> {
    if (g.kernel_h, g.kernel_w) != (w.kernel_h, w.kernel_w) {
        return Err(format!(
            "geometry kernel {}x{} differs from packed weights {}x{}",
            g.kernel_h, g.kernel_w, w.kernel_h, w.kernel_w
        ));
    }
    w.validate()?;
    let (need_in, need_out) = g.tensor_elements(w.in_channels, w.out_channels)?;
    im2col_block(g, w)?;
    if input.len() != need_in {
        return Err(format!("conv input has {} values, expected {need_in}", input.len()));
    }
    if output.len() != need_out {
        return Err(format!("conv output has {} values, expected {need_out}", output.len()));
    }
    Ok(())
}

/// Which algorithm `conv2d_with` uses for a geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvPath {
    Gemm,
    Direct,
    Im2col,
}

pub fn conv_path(g: &ConvGeometry, w: &PackedConv) -> ConvPath {
    if gemm_ok(g, w) {
        ConvPath::Gemm
    } else if direct_ok(g, w) && w.in_channels * g.kernel_w <= DIRECT_MAX_ROW {
        ConvPath::Direct
    } else {
        ConvPath::Im2col
    }
}

fn gemm_ok(g: &ConvGeometry, w: &PackedConv) -> bool {
    let no_pads = g.pads == crate::shape::Pads::default();
    w.groups == 1 && g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && no_pads
}

fn direct_ok(g: &ConvGeometry, w: &PackedConv) -> bool {
    w.groups == 1 && g.dilation_w == 1
}

/// Conv over NHWC `input` into NHWC `output`, generic over the lane type.
pub fn conv2d_with<V: MathLanes>(g: &ConvGeometry, w: &PackedConv, input: &[f32], output: &mut [f32], act: Activation) {
    let path = conv_path(g, w);
    conv2d_path_with::<V>(g, w, input, output, act, path)
}

/// Conv with this build's lanes.
pub fn conv2d(g: &ConvGeometry, w: &PackedConv, input: &[f32], output: &mut [f32], act: Activation) {
    conv2d_with::<NativeLanes>(g, w, input, output, act)
}

/// Conv through a chosen path (tests and benches compare them). `Gemm` and `Direct` need one group;
/// `Gemm` also a 1x1 stride-1 unpadded kernel; `Direct` horizontal dilation 1. Others fall back to `Im2col`.
pub fn conv2d_path_with<V: MathLanes>(g: &ConvGeometry, w: &PackedConv, input: &[f32], output: &mut [f32], act: Activation, path: ConvPath) {
    crate::shape::expect_ok(check_conv(g, w, input, output), "conv2d_with");
    let ep = Epilogue::<V>::new(act);
    let path = match path {
        ConvPath::Gemm if gemm_ok(g, w) => ConvPath::Gemm,
        ConvPath::Direct if direct_ok(g, w) => ConvPath::Direct,
        _ => ConvPath::Im2col,
    };
    match path {
        ConvPath::Gemm => {
            let pixels = g.batch * g.in_h * g.in_w;
            let gw = &w.gemms[0];
            // SAFETY: check_conv sized both buffers for `pixels` rows of K = Cin and N = Cout.
            unsafe { gemm_strided::<V>(pixels, input.as_ptr(), gw.k, gw, output.as_mut_ptr(), gw.n, &ep) };
        }
        ConvPath::Direct => direct::<V>(g, w, input, output, &ep),
        ConvPath::Im2col => im2col_blocks::<V>(g, w, input, output, &ep),
    }
    if !act.is_fusable() {
        crate::elementwise::activation_in_place_with::<V>(output, act);
    }
}

/// im2col a block of pixels at a time into reused scratch, then the GEMM per group.
fn im2col_blocks<V: F32x4>(g: &ConvGeometry, w: &PackedConv, input: &[f32], output: &mut [f32], ep: &Epilogue<V>) {
    let cin = w.in_channels;
    let cout = w.out_channels;
    let cg = cin / w.groups;
    let ng = cout / w.groups;
    let k = g.kernel_h * g.kernel_w * cg;
    // check_conv checked the scratch size.
    let (block, col_len) = im2col_block(g, w).unwrap_or((GEMM_MR, 0));
    let total = g.batch * g.out_h * g.out_w;
    let mut col = crate::pack::AlignedF32::zeros(col_len);
    let mut q0 = 0;
    while q0 < total {
        let rows = block.min(total - q0);
        for (gi, gw) in w.gemms.iter().enumerate() {
            for r in 0..rows {
                let q = q0 + r;
                let (n, rest) = (q / (g.out_h * g.out_w), q % (g.out_h * g.out_w));
                im2col_row(g, input, cin, gi * cg, cg, n, rest / g.out_w, rest % g.out_w, &mut col[r * k..(r + 1) * k]);
            }
            // SAFETY: col holds rows x k; output holds total x cout, and q0 + rows <= total.
            unsafe { gemm_strided::<V>(rows, col.as_ptr(), k, gw, output.as_mut_ptr().add(q0 * cout + gi * ng), cout, ep) };
        }
        q0 += rows;
    }
}

/// The direct implicit GEMM (one group, horizontal dilation 1); border pixels via im2col.
fn direct<V: F32x4>(g: &ConvGeometry, w: &PackedConv, input: &[f32], output: &mut [f32], ep: &Epilogue<V>) {
    let cin = w.in_channels;
    let cout = w.out_channels;
    let gw = &w.gemms[0];
    let kw = g.kernel_w;
    let kc = kw * cin;
    let lda = g.stride_w * cin;
    let k = g.kernel_h * kc;
    // Interior columns: every horizontal tap inside the input.
    let pl = g.pads.left;
    let mut ox_lo = pl.div_ceil(g.stride_w).min(g.out_w);
    let reach = (kw - 1) * g.dilation_w;
    let mut ox_hi = if g.in_w + pl > reach { ((g.in_w - 1 + pl - reach) / g.stride_w + 1).min(g.out_w) } else { 0 };
    if ox_lo >= ox_hi {
        (ox_lo, ox_hi) = (g.out_w, g.out_w);
    }
    let border_block = ((COL_BYTES / 4 / k) / GEMM_MR * GEMM_MR).max(GEMM_MR);
    let border_max = ox_lo.max(g.out_w - ox_hi).min(border_block);
    let mut col = crate::pack::AlignedF32::zeros(border_max * k);
    let mut segs: Vec<(usize, usize)> = Vec::with_capacity(g.kernel_h);
    let inp = input.as_ptr();
    let out = output.as_mut_ptr();
    for n in 0..g.batch {
        for oy in 0..g.out_h {
            let out_row = ((n * g.out_h + oy) * g.out_w) * cout;
            // Border pixels, a few at a time through the column buffer.
            for (lo, hi) in [(0, ox_lo), (ox_hi, g.out_w)] {
                let mut ox0 = lo;
                while ox0 < hi {
                    let rows = border_max.min(hi - ox0);
                    for r in 0..rows {
                        im2col_row(g, input, cin, 0, cin, n, oy, ox0 + r, &mut col[r * k..(r + 1) * k]);
                    }
                    // SAFETY: col holds rows x k; the output row holds out_w x cout.
                    unsafe { gemm_strided::<V>(rows, col.as_ptr(), k, gw, out.add(out_row + ox0 * cout), cout, ep) };
                    ox0 += rows;
                }
            }
            if ox_lo >= ox_hi {
                continue;
            }
            // Interior: (input offset of the block's first pixel for kernel row ky, B row of ky).
            let (ky0, ky1) = g.rows(oy);
            segs.clear();
            for ky in ky0..ky1 {
                let iy = g.in_y(oy, ky);
                segs.push((((n * g.in_h + iy) * g.in_w + ox_lo * g.stride_w - pl) * cin, ky * kc));
            }
            let mut ox = ox_lo;
            // SAFETY: interior pixels read taps inside the image: pixel ox reads kc values at
            // ((n*H + iy)*W + ox*sw - pl)*cin, and ox*sw - pl + kw - 1 < in_w for ox < ox_hi.
            unsafe {
                while ox + GEMM_MR <= ox_hi {
                    direct_block::<V, GEMM_MR>(inp, (ox - ox_lo) * lda, lda, &segs, kc, gw, out.add(out_row + ox * cout), cout, ep);
                    ox += GEMM_MR;
                }
                let (a_off, c) = ((ox - ox_lo) * lda, out.add(out_row + ox * cout));
                // The remainder is below GEMM_MR: the guards drop the instances that cannot run.
                match ox_hi - ox {
                    0 => {}
                    1 => direct_block::<V, 1>(inp, a_off, lda, &segs, kc, gw, c, cout, ep),
                    2 => direct_block::<V, 2>(inp, a_off, lda, &segs, kc, gw, c, cout, ep),
                    3 => direct_block::<V, 3>(inp, a_off, lda, &segs, kc, gw, c, cout, ep),
                    4 if GEMM_MR > 4 => direct_block::<V, 4>(inp, a_off, lda, &segs, kc, gw, c, cout, ep),
                    5 if GEMM_MR > 5 => direct_block::<V, 5>(inp, a_off, lda, &segs, kc, gw, c, cout, ep),
                    6 if GEMM_MR > 6 => direct_block::<V, 6>(inp, a_off, lda, &segs, kc, gw, c, cout, ep),
                    7 if GEMM_MR > 7 => direct_block::<V, 7>(inp, a_off, lda, &segs, kc, gw, c, cout, ep),
                    _ => unreachable!("remainder of {} pixels with GEMM_MR {GEMM_MR}", ox_hi - ox),
                }
            }
        }
    }
}

/// R neighbouring output pixels x every panel, reducing over the kernel rows in `segs`.
///
/// # Safety
/// For each segment, R rows at `input + seg.0 + a_off + r*lda` readable for `kc` f32s;
/// R output rows at `c + r*ldc` writable for N f32s.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
unsafe fn direct_block<V: F32x4, const R: usize>(
    input: *const f32,
    a_off: usize,
    lda: usize,
    segs: &[(usize, usize)],
    kc: usize,
    w: &PackedGemm,
    c: *mut f32,
    ldc: usize,
    ep: &Epilogue<V>,
) {
    let ps = w.panel_stride();
    for p in 0..w.panels() {
        let cols = GEMM_NR.min(w.n - p * GEMM_NR);
        let bp = w.data.as_ptr().add(p * ps);
        let mut acc: [[V; NV]; R] = bias_acc::<V, R>(bp);
        for &(off, krow) in segs {
            accumulate::<V, R>(&mut acc, kc, input.add(off + a_off), lda, bp.add((1 + krow) * GEMM_NR));
        }
        store::<V, R>(&acc, c.add(p * GEMM_NR), ldc, cols, ep);
    }
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[
    KernelDescriptor {
        name: "conv_direct_4x8",
        op: "conv",
        tile: (GEMM_MR, GEMM_NR),
        summary: "conv, one group, dilation_w 1 (incl. the 3x3/s2 stem): implicit GEMM over kernel rows, input read in place",
    },
    KernelDescriptor {
        name: "conv_im2col_4x8",
        op: "conv",
        tile: (GEMM_MR, GEMM_NR),
        summary: "conv, any groups/dilation: im2col of a small pixel block into reused scratch, then the GEMM",
    },
];
