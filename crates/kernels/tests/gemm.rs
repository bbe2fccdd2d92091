//! GEMM (pointwise / dense) against the float64 reference, sizes swept around MR, NR and the
//! unroll, with every lane implementation. Tolerance: testing::{ATOL, RTOL} scaled by sqrt(K).

use sepconv_kernels::activation::{Activation, Epilogue};
use sepconv_kernels::gemm::{gemm_strided_mr, gemm_with, PackedGemm, GEMM_MR, GEMM_NR};
use sepconv_kernels::elementwise::MathLanes;
use sepconv_kernels::lanes::ScalarLanes;
use sepconv_kernels::reference::gemm_f64;
use sepconv_kernels::testing::{first_mismatch, Rng};

fn scale(k: usize) -> f64 {
    (k as f64).sqrt().max(1.0)
}

fn run_case<V: MathLanes>(m: usize, k: usize, n: usize, bias: bool, act: Activation, seed: u64) {
    let mut rng = Rng::new(seed);
    let a = rng.vec(m * k);
    let b = rng.vec(k * n);
    let bias = bias.then(|| rng.vec(n));
    let w = PackedGemm::pack(&b, k, n, bias.as_deref()).unwrap();
    let mut c = vec![f32::NAN; m * n];
    gemm_with::<V>(m, &w, &a, &mut c, act);
    let want = gemm_f64(m, k, n, &a, &b, bias.as_deref(), act);
    if let Some((i, got, exp)) = first_mismatch(&c, &want, scale(k)) {
        panic!("gemm m {m} k {k} n {n} {act:?}: c[{i}] = {got}, reference {exp}");
    }
}

fn around(t: usize) -> Vec<usize> {
    let mut v = vec![1, t.saturating_sub(1).max(1), t, t + 1, 2 * t + 1, 3 * t];
    v.dedup();
    v
}

fn sweep<V: MathLanes>() {
    let mut seed = 0;
    // Around the microkernel's 8-step trip: every remainder of K mod 8, and whole trips.
    let ks = [1usize, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 24, 33, 64, 100];
    for &m in &around(GEMM_MR) {
        for &n in &around(GEMM_NR) {
            for &k in &ks {
                seed += 1;
                let act = Activation::ALL[seed as usize % Activation::ALL.len()];
                run_case::<V>(m, k, n, seed % 3 != 0, act, seed);
            }
        }
    }
    // Larger: several panel groups / row blocks, MobileNet-like channel counts.
    for &(m, k, n) in &[(37, 96, 24), (50, 300, 130), (9, 1024, 40), (64, 32, 64)] {
        seed += 1;
        run_case::<V>(m, k, n, true, Activation::Relu6, seed);
    }
    // Long K (ResNet / Xception pointwise and dense): K mod 8 = 1 and 0, edge panels, row remainders.
    for &(m, k, n, act) in &[(7, 1025, 11, Activation::Relu6), (5, 2048, 24, Activation::HardSwish), (6, 1537, 9, Activation::Relu), (3, 1100, 8, Activation::Swish)] {
        seed += 1;
        run_case::<V>(m, k, n, true, act, seed);
    }
    // Sigmoid / swish run per block of 64 KiB of output rows: several blocks and a ragged last one.
    for &(m, k, n, act) in &[(2051, 5, 9, Activation::Swish), (1500, 3, 24, Activation::Sigmoid)] {
        seed += 1;
        run_case::<V>(m, k, n, true, act, seed);
    }
}

#[test]
fn gemm_matches_reference_scalar_lanes() {
    sweep::<ScalarLanes>();
}

#[cfg(target_arch = "x86_64")]
#[test]
fn gemm_matches_reference_sse_lanes() {
    sweep::<sepconv_kernels::lanes::SseLanes>();
}

/// Every row tile the driver can instantiate, with strided A and C (as the conv paths use them).
#[test]
fn strided_gemm_every_mr_leaves_other_columns_alone() {
    let (m, k, n, lda, ldc) = (23, 13, 11, 17, 15);
    let mut rng = Rng::new(99);
    let a = rng.vec((m - 1) * lda + k);
    let b = rng.vec(k * n);
    let bias = rng.vec(n);
    let w = PackedGemm::pack(&b, k, n, Some(&bias)).unwrap();
    let dense_a: Vec<f32> = (0..m).flat_map(|i| a[i * lda..i * lda + k].to_vec()).collect();
    let want = gemm_f64(m, k, n, &dense_a, &b, Some(&bias), Activation::Relu);
    type L = ScalarLanes;
    let ep = Epilogue::<L>::new(Activation::Relu);
    for mr in 1..=8 {
        let mut c = vec![-7.0f32; (m - 1) * ldc + n + 3];
        unsafe {
            match mr {
                1 => gemm_strided_mr::<L, 1>(m, a.as_ptr(), lda, &w, c.as_mut_ptr(), ldc, &ep),
                2 => gemm_strided_mr::<L, 2>(m, a.as_ptr(), lda, &w, c.as_mut_ptr(), ldc, &ep),
                3 => gemm_strided_mr::<L, 3>(m, a.as_ptr(), lda, &w, c.as_mut_ptr(), ldc, &ep),
                4 => gemm_strided_mr::<L, 4>(m, a.as_ptr(), lda, &w, c.as_mut_ptr(), ldc, &ep),
                5 => gemm_strided_mr::<L, 5>(m, a.as_ptr(), lda, &w, c.as_mut_ptr(), ldc, &ep),
                6 => gemm_strided_mr::<L, 6>(m, a.as_ptr(), lda, &w, c.as_mut_ptr(), ldc, &ep),
                7 => gemm_strided_mr::<L, 7>(m, a.as_ptr(), lda, &w, c.as_mut_ptr(), ldc, &ep),
                _ => gemm_strided_mr::<L, 8>(m, a.as_ptr(), lda, &w, c.as_mut_ptr(), ldc, &ep),
            }
        }
        for i in 0..m {
            let got = &c[i * ldc..i * ldc + n];
            if let Some((j, g, e)) = first_mismatch(got, &want[i * n..(i + 1) * n], scale(k)) {
                panic!("MR {mr}: row {i} col {j}: {g} vs {e}");
            }
            if i + 1 < m {
                assert!(c[i * ldc + n..(i + 1) * ldc].iter().all(|&v| v == -7.0), "MR {mr}: wrote between rows");
            }
        }
        assert!(c[(m - 1) * ldc + n..].iter().all(|&v| v == -7.0), "MR {mr}: wrote past the end");
    }
}

#[test]
fn pack_rejects_wrong_sizes() {
    let err = PackedGemm::pack(&[0.0; 5], 2, 3, None).unwrap_err();
    assert!(err.contains("expected K x N = 2x3 = 6"), "{err}");
    let err = PackedGemm::pack(&[0.0; 6], 2, 3, Some(&[0.0; 2])).unwrap_err();
    assert!(err.contains("bias"), "{err}");
    assert!(PackedGemm::pack(&[], 0, 3, None).is_err());
}
