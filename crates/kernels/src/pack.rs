//! Weight packing for the GEMM: B `[K, N]` cut into panels of `GEMM_NR` columns, each panel
//! `[bias; NR]` then K rows of NR values, zero-padded past the last column. Built once per layer.

use crate::gemm::GEMM_NR;

/// Packs a `k x n` matrix given by `b(kk, j)` (and an optional bias of `n`) into NR-column panels.
pub fn pack_panels(k: usize, n: usize, bias: Option<&[f32]>, b: impl Fn(usize, usize) -> f32) -> Vec<f32> {
    let panels = n.div_ceil(GEMM_NR);
    let stride = (1 + k) * GEMM_NR;
    let mut data = vec![0.0f32; panels * stride];
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
