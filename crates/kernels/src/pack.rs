//! Weight packing for the GEMM: B `[K, N]` cut into panels of `GEMM_NR` columns, each panel
//! `[bias; NR]` then K rows of NR values, zero-padded past the last column. Built once per layer.

use crate::gemm::GEMM_NR;
use core::ops::{Deref, DerefMut};

#[repr(C, align(16))]
#[derive(Clone, Copy, Debug)]
struct Vector([f32; 4]);

/// Zero-initialised f32 storage aligned to 16 bytes (the allocator gives 8 on wasm32): packed weights
/// and scratch rows, so no 128-bit load of them straddles a cache line.
#[derive(Clone, Debug)]
pub struct AlignedF32 {
    vectors: Vec<Vector>,
    len: usize,
}

impl AlignedF32 {
    pub fn zeros(len: usize) -> Self {
        Self { vectors: vec![Vector([0.0; 4]); len.div_ceil(4)], len }
    }
}

impl Deref for AlignedF32 {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        // SAFETY: `vectors` holds at least `len` contiguous f32s (repr(C) arrays of 4).
        unsafe { core::slice::from_raw_parts(self.vectors.as_ptr() as *const f32, self.len) }
    }
}

impl DerefMut for AlignedF32 {
    fn deref_mut(&mut self) -> &mut [f32] {
        // SAFETY: as in `deref`, uniquely borrowed.
        unsafe { core::slice::from_raw_parts_mut(self.vectors.as_mut_ptr() as *mut f32, self.len) }
    }
}

/// Packs a `k x n` matrix given by `b(kk, j)` (and an optional bias of `n`) into NR-column panels.
pub fn pack_panels(k: usize, n: usize, bias: Option<&[f32]>, b: impl Fn(usize, usize) -> f32) -> AlignedF32 {
    let panels = n.div_ceil(GEMM_NR);
    let stride = (1 + k) * GEMM_NR;
    let mut data = AlignedF32::zeros(panels * stride);
    for p in 0..panels {
        let panel = &mut data[p * stride..(p + 1) * stride];
        let cols = GEMM_NR.min(n - p * GEMM_NR);
        for j in 0..cols {
            let col = p * GEMM_NR + j;
            panel[j] = bias.map_or(0.0, |b| b[col]);
            for kk in 0..k {
                panel[(1 + kk) * GEMM_NR + j] = b(kk, col);
            }
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_put_bias_first_and_pad_with_zeros() {
        let n = GEMM_NR + 1;
        let k = 2;
        let data = pack_panels(k, n, Some(&vec![7.0; n]), |kk, j| (kk * 100 + j) as f32);
        assert_eq!(data.len(), 2 * (1 + k) * GEMM_NR);
        assert_eq!(data.as_ptr() as usize % 16, 0);
        assert_eq!(data[0], 7.0);
        assert_eq!(data[GEMM_NR + 1], 1.0); // k 0, column 1
        assert_eq!(data[2 * GEMM_NR + 3], 103.0); // k 1, column 3
        let second = &data[(1 + k) * GEMM_NR..];
        assert_eq!(second[0], 7.0);
        assert_eq!(second[1], 0.0); // bias padding
        assert_eq!(second[GEMM_NR], GEMM_NR as f32); // k 0, column NR
        assert!(second[GEMM_NR + 1..2 * GEMM_NR].iter().all(|&v| v == 0.0));
    }
}

/// Floats per 64-byte cache line.
pub const LINE_F32: usize = 16;

/// Reads one float of every cache line of `p[..len]`: a software prefetch (wasm has none). Kernels
/// call it on the rows they need next while they compute on the current ones, so the misses of a
/// cold input (another engine or layer ran in between) overlap the arithmetic instead of stalling it.
///
/// # Safety
/// `p[..len]` must be readable.
// Not inlined: one small function instead of an unrolled copy in each of the ~20 row kernels.
#[inline(never)]
pub unsafe fn touch(p: *const f32, len: usize) {
    let mut i = 0;
    while i < len {
        // Volatile: the value is unused, the load must stay.
        core::ptr::read_volatile(p.add(i));
        i += LINE_F32;
    }
}
