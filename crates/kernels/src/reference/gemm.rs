//! Float64 reference of the GEMM (pointwise conv and dense are the same product).

use crate::activation::Activation;

/// C[m, n] = act(sum_k A[m, k] * B[k, n] + bias[n]); A `[M, K]`, B `[K, N]` row-major.
pub fn gemm_f64(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], bias: Option<&[f32]>, act: Activation) -> Vec<f64> {
    let mut out = vec![0.0f64; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut acc = bias.map_or(0.0, |b| b[j] as f64);
            for kk in 0..k {
                acc += a[i * k + kk] as f64 * b[kk * n + j] as f64;
            }
            out[i * n + j] = act.apply_f64(acc);
        }
    }
    out
}
