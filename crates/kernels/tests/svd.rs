//! The small SVD and the kernel factorisation: rank-1 kernels are found separable with their
//! factors, full-rank ones are not, and the rank-r error falls with r to ~0 at r = K.

use sepconv_kernels::svd::{factorize, svd};
use sepconv_kernels::testing::Rng;

fn reconstruct(f: &sepconv_kernels::svd::Factorization, kh: usize, kw: usize) -> Vec<f64> {
    let mut out = vec![0.0; kh * kw];
    for (v, h) in &f.factors {
        for y in 0..kh {
            for x in 0..kw {
                out[y * kw + x] += v[y] as f64 * h[x] as f64;
            }
        }
    }
    out
}

#[test]
fn svd_reconstructs_rectangular_matrices() {
    let mut rng = Rng::new(3);
    for &(m, n) in &[(1, 1), (3, 3), (5, 2), (2, 5), (7, 7), (4, 6)] {
        let a: Vec<f64> = rng.vec(m * n).into_iter().map(|x| x as f64).collect();
        let d = svd(&a, m, n);
        assert!(d.s.windows(2).all(|w| w[0] >= w[1]), "sorted singular values");
        for i in 0..m {
            for j in 0..n {
                let r: f64 = (0..d.s.len()).map(|k| d.s[k] * d.u[k][i] * d.v[k][j]).sum();
                assert!((r - a[i * n + j]).abs() < 1e-10, "{m}x{n} [{i},{j}]: {r} vs {}", a[i * n + j]);
            }
        }
        // Orthonormal right vectors.
        for p in 0..d.v.len() {
            for q in 0..d.v.len() {
                let dot: f64 = d.v[p].iter().zip(&d.v[q]).map(|(a, b)| a * b).sum();
                assert!((dot - if p == q { 1.0 } else { 0.0 }).abs() < 1e-10);
            }
        }
    }
}

#[test]
fn recovers_factors_of_rank_one_kernels() {
    let mut rng = Rng::new(11);
    for &k in &[1, 2, 3, 5, 7] {
        for _ in 0..20 {
            let col = rng.vec(k);
            let row = rng.vec(k);
            let kernel: Vec<f32> = (0..k * k).map(|i| col[i / k] * row[i % k]).collect();
            let f = factorize(&kernel, k, k, None, 1e-5).unwrap();
            assert!(f.separable, "K {k}: rank-1 kernel reported non-separable (error {})", f.relative_error);
            assert_eq!(f.rank, 1);
            assert!(f.relative_error < 1e-5);
            let rec = reconstruct(&f, k, k);
            for (i, (&want, got)) in kernel.iter().zip(&rec).enumerate() {
                assert!((want as f64 - got).abs() < 1e-5, "K {k} [{i}]: {got} vs {want}");
            }
            // The factors are the given ones up to a scale.
            let (v, h) = &f.factors[0];
            let ratio = |a: &[f32], b: &[f32]| {
                let i = (0..k).max_by(|&x, &y| b[x].abs().total_cmp(&b[y].abs())).unwrap();
                a[i] / b[i]
            };
            let (sv, sh) = (ratio(v, &col), ratio(h, &row));
            for i in 0..k {
                assert!((v[i] - sv * col[i]).abs() < 1e-4 && (h[i] - sh * row[i]).abs() < 1e-4);
            }
            assert!((sv * sh - 1.0).abs() < 1e-3, "scales multiply to 1: {sv} * {sh}");
        }
    }
}

#[test]
fn full_rank_kernels_are_not_separable_and_error_falls_with_rank() {
    let mut rng = Rng::new(12);
    for &k in &[2, 3, 5, 7] {
        for _ in 0..10 {
            let kernel = rng.vec(k * k);
            let f1 = factorize(&kernel, k, k, Some(1), 1e-6).unwrap();
            assert!(!f1.separable);
            assert!(f1.relative_error > 1e-3, "K {k}: rank-1 error {}", f1.relative_error);
            let mut last = f64::INFINITY;
            for r in 1..=k {
                let f = factorize(&kernel, k, k, Some(r), 1e-6).unwrap();
                assert_eq!(f.rank, r);
                assert!(f.relative_error < last || r == k, "K {k}: error did not fall at r {r}");
                // The reported error is the real one.
                let rec = reconstruct(&f, k, k);
                let num: f64 = kernel.iter().zip(&rec).map(|(&a, b)| (a as f64 - b).powi(2)).sum::<f64>().sqrt();
                let den: f64 = kernel.iter().map(|&a| (a as f64).powi(2)).sum::<f64>().sqrt();
                assert!((num / den - f.relative_error).abs() < 1e-5, "K {k} r {r}: {} vs {}", num / den, f.relative_error);
                last = f.relative_error;
            }
            assert!(last < 1e-6, "K {k}: full-rank error {last}");
            // Automatic rank: the smallest that meets the tolerance.
            let auto = factorize(&kernel, k, k, None, 0.2).unwrap();
            assert!(auto.relative_error <= 0.2);
            if auto.rank > 1 {
                assert!(factorize(&kernel, k, k, Some(auto.rank - 1), 0.2).unwrap().relative_error > 0.2);
            }
        }
    }
}

#[test]
fn rejects_bad_input() {
    assert!(factorize(&[1.0; 8], 3, 3, None, 1e-6).is_err());
    assert!(factorize(&[f32::NAN; 9], 3, 3, None, 1e-6).is_err());
    assert!(factorize(&[1.0; 9], 3, 3, None, -1.0).is_err());
    let zero = factorize(&[0.0; 9], 3, 3, None, 1e-6).unwrap();
    assert!(zero.separable && zero.relative_error == 0.0);
}
