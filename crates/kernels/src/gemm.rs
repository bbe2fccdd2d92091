//! GEMM with register-blocked MR x NR microkernels: the core of pointwise (1x1) conv, dense and
//! im2col conv. C[m, n] = epilogue(A[m, k] * B[k, n] + bias[n]).
//!
//! A is read in place (NHWC rows: M = pixels, K = input channels; any row stride `lda`).
//! B is packed once (`PackedGemm`, see `pack.rs`): per NR-column panel, bias first, then K rows
//! of NR, zero-padded. The microkernel keeps MR x NR/4 accumulator vectors in registers, per k
//! step loads NR/4 B vectors and load-splats one A value per row. Bias is the accumulators'
//! initial value; clamp / hard-swish are applied in the store; sigmoid / swish in a second pass.

use crate::activation::{Activation, Epilogue};
use crate::elementwise::MathLanes;
use crate::lanes::{F32x4, NativeLanes};
use crate::pack::pack_panels;

/// Rows (pixels) per microkernel tile.
// wasm simd128, Node 20, EPYC Zen3 (roof 43 GFLOP/s): 4x8 36 GFLOP/s on 14x14x512->512; 6x8 25 and 5x8 21 (V8 spills), 3x12 30.
// 2x16 measured x0.95-1.06 of 4x8 on MobileNet pointwise shapes, though V8 emits 24 macro-ops per k step for it against 28.
// On an AMD Zen 5 host (roof 63.2, 2026-12-03) 4x8 runs 79-87% of the roof on K >= 256, 2x16 x0.96-1.01 of it.
pub const GEMM_MR: usize = 4;
/// Columns (output channels) per tile, a multiple of 4 lanes.
pub const GEMM_NR: usize = 8;
/// Accumulator vectors per tile row.
pub const NV: usize = GEMM_NR / 4;

/// B panels are grouped so one group of panels stays in L2 while all of A streams past it.
// K-blocking (partial sums through C, kc 256) measured 8% slower on every MobileNet shape: not used.
// BLIS order (one B panel in L1 down a 128 KB block of A rows) measured x0.97-1.13 of this order on MobileNet pointwise shapes: not used.
// Touching the next group's panels a slice per row block (Zen 5): x0.997-1.04 on the multi-group shapes: not used.
// Touching a group's whole B before it runs, and the next row block's A rows (Zen 4): x0.98-1.02, x0.92-1.01 after a 1 MiB flush: not used.
const L2_PANEL_BYTES: usize = 192 * 1024;

/// B `[K, N]` (+ bias) packed into NR-column panels.
#[derive(Clone, Debug)]
pub struct PackedGemm {
    pub data: crate::pack::AlignedF32,
    pub k: usize,
    pub n: usize,
}

impl PackedGemm {
    /// Packs row-major `weights [K, N]` and an optional bias of N values.
    pub fn pack(weights: &[f32], k: usize, n: usize, bias: Option<&[f32]>) -> Result<Self, String> {
        if k == 0 || n == 0 {
            return Err(format!("gemm weights need positive sizes, got K {k}, N {n}"));
        }
        let expected = crate::shape::elements("gemm weights", &[k, n])?;
        Self::packed_len(k, n)?;
        if weights.len() != expected {
            return Err(format!("gemm weights have {} values, expected K x N = {k}x{n} = {expected}", weights.len()));
        }
        if let Some(b) = bias {
            if b.len() != n {
                return Err(format!("gemm bias has {} values, expected N = {n}", b.len()));
            }
        }
        Ok(Self::from_fn(k, n, bias, |kk, j| weights[kk * n + j]))
    }

    /// Packs B given element-wise (`b(kk, j)`), e.g. from a conv filter layout.
    pub fn from_fn(k: usize, n: usize, bias: Option<&[f32]>, b: impl Fn(usize, usize) -> f32) -> Self {
        Self { data: pack_panels(k, n, bias, b), k, n }
    }

    /// Floats of the packed panels: (1 + K) x NR per panel of NR columns.
    fn packed_len(k: usize, n: usize) -> Result<usize, String> {
        crate::shape::elements("packed gemm weights", &[n.div_ceil(GEMM_NR), k.saturating_add(1), GEMM_NR])
    }

    /// Checks that K, N and the packed data agree (the fields are public).
    pub fn validate(&self) -> Result<(), String> {
        if self.k == 0 || self.n == 0 {
            return Err(format!("gemm weights have a zero size: K {}, N {}", self.k, self.n));
        }
        let need = Self::packed_len(self.k, self.n)?;
        if self.data.len() != need {
            return Err(format!("packed gemm weights have {} values, expected {need} for K {}, N {}", self.data.len(), self.k, self.n));
        }
        Ok(())
    }

    pub fn panels(&self) -> usize {
        self.n.div_ceil(GEMM_NR)
    }

    pub fn panel_stride(&self) -> usize {
        (1 + self.k) * GEMM_NR
    }
}

/// Checks buffers for `gemm`: `a` holds m x K, `c` holds m x N (dense rows).
pub fn check_gemm(m: usize, w: &PackedGemm, a: &[f32], c: &[f32]) -> Result<(), String> {
    w.validate()?;
    let need_a = crate::shape::elements("gemm input", &[m, w.k])?;
    let need_c = crate::shape::elements("gemm output", &[m, w.n])?;
    if a.len() != need_a {
        return Err(format!("gemm input has {} values, expected {m} rows x K {} = {need_a}", a.len(), w.k));
    }
    if c.len() != need_c {
        return Err(format!("gemm output has {} values, expected {m} rows x N {} = {need_c}", c.len(), w.n));
    }
    Ok(())
}

/// C = act(A * B + bias) over dense rows (`a`: m x K, `c`: m x N), generic over the lanes.
pub fn gemm_with<V: MathLanes>(m: usize, w: &PackedGemm, a: &[f32], c: &mut [f32], act: Activation) {
    crate::shape::expect_ok(check_gemm(m, w, a, c), "gemm_with");
    let ep = Epilogue::new(act);
    if act.is_fusable() {
        // SAFETY: sizes checked above; rows are dense (lda = K, ldc = N).
        unsafe { gemm_strided::<V>(m, a.as_ptr(), w.k, w, c.as_mut_ptr(), w.n, &ep) };
        return;
    }
    // Sigmoid / swish: row blocks of ~64 KiB of output, each run through the vectorised pass while in cache.
    let rows = (SEPARATE_PASS_BYTES / (4 * w.n.max(1))).max(GEMM_MR) / GEMM_MR * GEMM_MR;
    let mut i = 0;
    while i < m {
        let r = rows.min(m - i);
        // SAFETY: rows i..i + r of A and C lie inside the checked buffers.
        unsafe { gemm_strided::<V>(r, a.as_ptr().add(i * w.k), w.k, w, c.as_mut_ptr().add(i * w.n), w.n, &ep) };
        crate::elementwise::activation_in_place_with::<V>(&mut c[i * w.n..(i + r) * w.n], act);
        i += r;
    }
}

/// Output bytes a GEMM writes before a non-fused activation pass runs over them (L2-resident).
const SEPARATE_PASS_BYTES: usize = 64 * 1024;

/// GEMM with this build's lanes.
pub fn gemm(m: usize, w: &PackedGemm, a: &[f32], c: &mut [f32], act: Activation) {
    gemm_with::<NativeLanes>(m, w, a, c, act)
}

/// Pointwise (1x1, stride 1) conv over NHWC: the GEMM with M = N*H*W pixels, K = Cin, N = Cout.
pub fn pointwise_with<V: MathLanes>(pixels: usize, w: &PackedGemm, input: &[f32], output: &mut [f32], act: Activation) {
    gemm_with::<V>(pixels, w, input, output, act)
}

pub fn pointwise(pixels: usize, w: &PackedGemm, input: &[f32], output: &mut [f32], act: Activation) {
    gemm_with::<NativeLanes>(pixels, w, input, output, act)
}

/// Dense layer: the GEMM with M = batch, K = inputs, N = outputs.
pub fn dense(batch: usize, w: &PackedGemm, input: &[f32], output: &mut [f32], act: Activation) {
    gemm_with::<NativeLanes>(batch, w, input, output, act)
}

/// Strided GEMM: rows of A at `a + i*lda` (K values each), rows of C at `c + i*ldc` (N values).
/// Applies bias and the fusable part of the epilogue; the caller runs the sigmoid/swish pass.
///
/// # Safety
/// `a` must be readable for `(m-1)*lda + K` f32s and `c` writable for `(m-1)*ldc + N` f32s (m > 0).
pub unsafe fn gemm_strided<V: F32x4>(m: usize, a: *const f32, lda: usize, w: &PackedGemm, c: *mut f32, ldc: usize, ep: &Epilogue<V>) {
    gemm_strided_mr::<V, GEMM_MR>(m, a, lda, w, c, ldc, ep)
}

/// The driver for a given MR (MR <= 8), kept generic so benches can compare tiles.
///
/// # Safety
/// As `gemm_strided`.
#[inline(never)]
pub unsafe fn gemm_strided_mr<V: F32x4, const MR: usize>(
    m: usize,
    a: *const f32,
    lda: usize,
    w: &PackedGemm,
    c: *mut f32,
    ldc: usize,
    ep: &Epilogue<V>,
) {
    if m == 0 {
        return;
    }
    let panels = w.panels();
    let ps = w.panel_stride();
    let group = (L2_PANEL_BYTES / (ps * 4)).max(1);
    let mut p0 = 0;
    while p0 < panels {
        let p1 = (p0 + group).min(panels);
        let mut i = 0;
        while i + MR <= m {
            row_block::<V, MR>(a.add(i * lda), lda, w, p0, p1, c.add(i * ldc), ldc, ep);
            i += MR;
        }
        let (ai, ci) = (a.add(i * lda), c.add(i * ldc));
        // The remainder is below MR: the guards drop the instances that cannot run.
        match m - i {
            0 => {}
            1 => row_block::<V, 1>(ai, lda, w, p0, p1, ci, ldc, ep),
            2 => row_block::<V, 2>(ai, lda, w, p0, p1, ci, ldc, ep),
            3 => row_block::<V, 3>(ai, lda, w, p0, p1, ci, ldc, ep),
            4 if MR > 4 => row_block::<V, 4>(ai, lda, w, p0, p1, ci, ldc, ep),
            5 if MR > 5 => row_block::<V, 5>(ai, lda, w, p0, p1, ci, ldc, ep),
            6 if MR > 6 => row_block::<V, 6>(ai, lda, w, p0, p1, ci, ldc, ep),
            7 if MR > 7 => row_block::<V, 7>(ai, lda, w, p0, p1, ci, ldc, ep),
            _ => unreachable!("remainder of {} rows with MR {MR}", m - i),
        }
        p0 = p1;
    }
}

/// R rows of A against panels `p0..p1`: one R x NR tile per panel.
///
/// # Safety
/// As `gemm_strided`, for R rows.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
unsafe fn row_block<V: F32x4, const R: usize>(
    a: *const f32,
    lda: usize,
    w: &PackedGemm,
    p0: usize,
    p1: usize,
    c: *mut f32,
    ldc: usize,
    ep: &Epilogue<V>,
) {
    let ps = w.panel_stride();
    let b = w.data.as_ptr();
    for p in p0..p1 {
        let cols = GEMM_NR.min(w.n - p * GEMM_NR);
        tile::<V, R>(w.k, a, lda, b.add(p * ps), c.add(p * GEMM_NR), ldc, cols, ep);
    }
}

/// One R x NR output tile: bias, K steps, epilogue, store (`cols` <= NR valid columns).
///
/// # Safety
/// `a` rows readable for K values each at stride `lda`; `b` a full panel; `c` rows writable for `cols`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub unsafe fn tile<V: F32x4, const R: usize>(k: usize, a: *const f32, lda: usize, b: *const f32, c: *mut f32, ldc: usize, cols: usize, ep: &Epilogue<V>) {
    let mut acc = bias_acc::<V, R>(b);
    accumulate::<V, R>(&mut acc, k, a, lda, b.add(GEMM_NR));
    store::<V, R>(&acc, c, ldc, cols, ep);
}

/// Accumulators initialised from a panel's bias row.
///
/// # Safety
/// `b` readable for NR f32s.
#[inline(always)]
pub unsafe fn bias_acc<V: F32x4, const R: usize>(b: *const f32) -> [[V; NV]; R] {
    let bias: [V; NV] = core::array::from_fn(|v| V::load(b.add(4 * v)));
    [bias; R]
}

/// acc[r] += sum over k of A[r, k] * B[k, :], for `kc` steps from `b` (a panel's k rows).
///
/// # Safety
/// Each of the R rows `a + r*lda` readable for `kc` f32s; `b` readable for `kc * NR` f32s.
#[inline(always)]
pub unsafe fn accumulate<V: F32x4, const R: usize>(acc: &mut [[V; NV]; R], kc: usize, a: *const f32, lda: usize, b: *const f32) {
    // Eight k steps per trip, each ending in its own exit test on the B pointer (no counter): the
    // tests split basic blocks, so LLVM keeps each step's loads next to its mul/adds and V8 holds
    // 8 accumulators + 2 B vectors + 1 splat in xmm registers with no spills (~+4% over one step
    // per trip). A plain unroll by 2 or 4 made LLVM emit per-accumulator chains that V8 spilled (-30%).
    // Eight beat four once the build folds constant offsets into the loads (only the trip's first
    // step computes the row addresses): A/B x0.94-0.99 on MobileNet shapes (before folding, x1.07).
    if kc == 0 {
        return;
    }
    let end = b.add(kc * GEMM_NR);
    let mut bp = b;
    let mut ak = a;
    macro_rules! step {
        () => {{
            let bv: [V; NV] = core::array::from_fn(|v| V::load(bp.add(4 * v)));
            for r in 0..R {
                let s = V::splat(*ak.add(r * lda));
                for v in 0..NV {
                    acc[r][v] = s.mul_add(bv[v], acc[r][v]);
                }
            }
            ak = ak.add(1);
            bp = bp.add(GEMM_NR);
            if bp == end {
                break;
            }
        }};
    }
    loop {
        step!();
        step!();
        step!();
        step!();
        step!();
        step!();
        step!();
        step!();
    }
}

/// Applies the epilogue and stores R rows; only `cols` columns are written (edge panels).
///
/// # Safety
/// Rows `c + r*ldc` writable for `cols` f32s.
#[inline(always)]
pub unsafe fn store<V: F32x4, const R: usize>(acc: &[[V; NV]; R], c: *mut f32, ldc: usize, cols: usize, ep: &Epilogue<V>) {
    if cols == GEMM_NR {
        for r in 0..R {
            for v in 0..NV {
                ep.apply(acc[r][v]).store(c.add(r * ldc + 4 * v));
            }
        }
    } else {
        let mut tmp = [0.0f32; GEMM_NR];
        for r in 0..R {
            for v in 0..NV {
                ep.apply(acc[r][v]).store(tmp.as_mut_ptr().add(4 * v));
            }
            core::ptr::copy_nonoverlapping(tmp.as_ptr(), c.add(r * ldc), cols);
        }
    }
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[KernelDescriptor {
    name: "gemm_4x8",
    op: "gemm",
    tile: (GEMM_MR, GEMM_NR),
    summary: "GEMM / pointwise / dense: A rows in place, B packed in 8-column panels with bias, fused epilogue",
}];
