//! Small SVD (one-sided Jacobi, f64, no crates) and the kernel factorisation built on it: is a
//! K x K kernel separable (rank 1), and otherwise its best rank-r approximation as a sum of r
//! separable (K x 1) x (1 x K) pairs, with the relative Frobenius error (Eckart-Young).

/// Singular value decomposition of an m x n row-major matrix (m >= 1, n >= 1):
/// `a = sum_i s[i] * u[i] (outer) v[i]`, singular values in decreasing order.
#[derive(Clone, Debug)]
pub struct Svd {
    /// Left singular vectors, `min(m, n)` of length m.
    pub u: Vec<Vec<f64>>,
    pub s: Vec<f64>,
    /// Right singular vectors, `min(m, n)` of length n.
    pub v: Vec<Vec<f64>>,
}

/// One-sided Jacobi (Hestenes): orthogonalises the columns of A by plane rotations accumulated in V.
pub fn svd(a: &[f64], m: usize, n: usize) -> Svd {
    assert!(m >= 1 && n >= 1 && a.len() == m * n, "svd: a must have m x n values");
    if m < n {
        // Work on the transpose so there are at least as many rows as columns.
        let at: Vec<f64> = (0..n * m).map(|i| a[(i % m) * n + i / m]).collect();
        let t = svd(&at, n, m);
        return Svd { u: t.v, s: t.s, v: t.u };
    }
    // Columns of A (length m) and of V (length n).
    let mut cols: Vec<Vec<f64>> = (0..n).map(|j| (0..m).map(|i| a[i * n + j]).collect()).collect();
    let mut vs: Vec<Vec<f64>> = (0..n).map(|j| (0..n).map(|i| if i == j { 1.0 } else { 0.0 }).collect()).collect();
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
    for _sweep in 0..60 {
        let mut rotated = false;
        for p in 0..n {
            for q in p + 1..n {
                let alpha = dot(&cols[p], &cols[p]);
                let beta = dot(&cols[q], &cols[q]);
                let gamma = dot(&cols[p], &cols[q]);
                if gamma == 0.0 || gamma.abs() <= 1e-15 * (alpha * beta).sqrt() {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let t = if zeta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                for i in 0..m {
                    let (x, y) = (cols[p][i], cols[q][i]);
                    cols[p][i] = c * x - s * y;
                    cols[q][i] = s * x + c * y;
                }
                for i in 0..n {
                    let (x, y) = (vs[p][i], vs[q][i]);
                    vs[p][i] = c * x - s * y;
                    vs[q][i] = s * x + c * y;
                }
            }
        }
        if !rotated {
            break;
        }
    }
    let mut order: Vec<(f64, usize)> = cols.iter().enumerate().map(|(j, c)| (dot(c, c).sqrt(), j)).collect();
    // Descending, stable. At most 7 values (a kernel side): an insertion sort, where the std sort adds ~6 KB of wasm.
    for i in 1..order.len() {
        let mut j = i;
        while j > 0 && order[j - 1].0.total_cmp(&order[j].0).is_lt() {
            order.swap(j - 1, j);
            j -= 1;
        }
    }
    let mut out = Svd { u: Vec::new(), s: Vec::new(), v: Vec::new() };
    for (sigma, j) in order {
        let u = if sigma > 0.0 { cols[j].iter().map(|x| x / sigma).collect() } else { vec![0.0; m] };
        out.u.push(u);
        out.s.push(sigma);
        out.v.push(vs[j].clone());
    }
    out
}

/// A kernel split into separable pairs: `kernel[ky][kx] ~= sum_i vertical[i][ky] * horizontal[i][kx]`.
#[derive(Clone, Debug)]
pub struct Factorization {
    /// True when the kernel is rank 1 within `tolerance` (relative Frobenius error).
    pub separable: bool,
    /// Number of pairs returned.
    pub rank: usize,
    /// (vertical K x 1, horizontal 1 x K) pairs, largest singular value first.
    pub factors: Vec<(Vec<f32>, Vec<f32>)>,
    /// ||kernel - sum of the pairs||_F / ||kernel||_F (0 for an all-zero kernel).
    pub relative_error: f64,
    pub singular_values: Vec<f64>,
}

/// Factorises a `kh` x `kw` row-major kernel. `rank` Some(r): the best rank-r approximation
/// (r clamped to 1..=min(kh, kw)); None: the smallest rank whose relative error is <= `tolerance`.
pub fn factorize(kernel: &[f32], kh: usize, kw: usize, rank: Option<usize>, tolerance: f64) -> Result<Factorization, String> {
    let need = crate::shape::elements("factorizeKernel: kernel", &[kh, kw])?;
    if kh == 0 || kw == 0 || kernel.len() != need {
        return Err(format!("factorizeKernel: kernel has {} values, expected {kh} x {kw}", kernel.len()));
    }
    if kernel.iter().any(|x| !x.is_finite()) {
        return Err("factorizeKernel: kernel has a non-finite value".into());
    }
    if !(tolerance >= 0.0) {
        return Err("factorizeKernel: tolerance must be a number >= 0".into());
    }
    let a: Vec<f64> = kernel.iter().map(|&x| x as f64).collect();
    let d = svd(&a, kh, kw);
    let total: f64 = d.s.iter().map(|s| s * s).sum();
    let err_at = |r: usize| -> f64 {
        if total == 0.0 {
            0.0
        } else {
            (d.s[r.min(d.s.len())..].iter().map(|s| s * s).sum::<f64>() / total).sqrt()
        }
    };
    let full = d.s.len();
    let separable = err_at(1) <= tolerance;
    let r = match rank {
        Some(r) => r.clamp(1, full),
        None => (1..=full).find(|&r| err_at(r) <= tolerance).unwrap_or(full),
    };
    let mut factors = Vec::with_capacity(r);
    for i in 0..r {
        let root = d.s[i].sqrt();
        let mut vert: Vec<f64> = d.u[i].iter().map(|x| x * root).collect();
        let mut horz: Vec<f64> = d.v[i].iter().map(|x| x * root).collect();
        // Sign convention: the horizontal factor's largest-magnitude entry is positive.
        let big = horz.iter().copied().fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
        if big < 0.0 {
            vert.iter_mut().for_each(|x| *x = -*x);
            horz.iter_mut().for_each(|x| *x = -*x);
        }
        factors.push((vert.iter().map(|&x| x as f32).collect(), horz.iter().map(|&x| x as f32).collect()));
    }
    Ok(Factorization { separable, rank: r, factors, relative_error: err_at(r), singular_values: d.s })
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[
    // Runs once per layer at build time on a K x K matrix: plain f64, no tiling.
    KernelDescriptor { name: "svd_jacobi", op: "svd", tile: (1, 1), summary: "one-sided Jacobi SVD and separable rank-r kernel factorisation" },
];
