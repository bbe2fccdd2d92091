//! Fused depthwise -> pointwise against the chained float64 references (and against the two
//! separate kernels), over strides, paddings, dilations and band boundaries, with every lane type.
//! Tolerance: testing::{ATOL, RTOL} scaled by taps * sqrt(K).

use sepconv_kernels::activation::Activation;
use sepconv_kernels::dwconv::PackedDepthwise;
use sepconv_kernels::fused::{dw_pw_band_with, dw_pw_with};
use sepconv_kernels::gemm::PackedGemm;
use sepconv_kernels::lanes::{F32x4, ScalarLanes};
use sepconv_kernels::reference::{depthwise_f64, gemm_f64};
use sepconv_kernels::shape::{ConvGeometry, Padding};
use sepconv_kernels::testing::{first_mismatch, Rng};

#[allow(clippy::too_many_arguments)]
fn run_case<V: F32x4>(batch: usize, h: usize, w: usize, c: usize, m: usize, n_out: usize, k: usize, stride: usize, dilation: usize, padding: Padding, seed: u64) {
    let Ok(g) = ConvGeometry::new(batch, h, w, (k, k), (stride, stride), (dilation, dilation), padding) else { return };
    let mut rng = Rng::new(seed);
    let kk = c * m;
    let input = rng.vec(batch * h * w * c);
    let dw_w = rng.vec(k * k * kk);
    let dw_b = rng.vec(kk);
    let pw_w = rng.vec(kk * n_out);
    let pw_b = rng.vec(n_out);
    let dw = PackedDepthwise::pack(&dw_w, Some(&dw_b), k, k, c, m).unwrap();
    let pw = PackedGemm::pack(&pw_w, kk, n_out, Some(&pw_b)).unwrap();
    let mid: Vec<f32> = depthwise_f64(&g, c, m, &input, &dw_w, Some(&dw_b), Activation::Relu6).iter().map(|&v| v as f32).collect();
    let want = gemm_f64(batch * g.out_h * g.out_w, kk, n_out, &mid, &pw_w, Some(&pw_b), Activation::HardSwish);
    let scale = (k * k) as f64 * (kk as f64).sqrt();
    for band in [0, 1, 2, 3] {
        let mut out = vec![f32::NAN; batch * g.out_h * g.out_w * n_out];
        if band == 0 {
            dw_pw_with::<V>(&g, &dw, Activation::Relu6, &pw, Activation::HardSwish, &input, &mut out);
        } else {
            dw_pw_band_with::<V>(&g, &dw, Activation::Relu6, &pw, Activation::HardSwish, &input, &mut out, band);
        }
        if let Some((i, got, exp)) = first_mismatch(&out, &want, scale) {
            panic!("fused {batch}x{h}x{w}x{c} m{m} -> {n_out}, k{k} s{stride} d{dilation} {padding:?} band {band}: out[{i}] = {got}, reference {exp}");
        }
    }
}

fn sweep<V: F32x4>() {
    let paddings = [Padding::Same, Padding::Valid, Padding::Explicit { top: 3, bottom: 0, left: 1, right: 2 }];
    let mut seed = 0;
    for &(h, w) in &[(1, 1), (5, 7), (12, 9), (40, 3)] {
        for &k in &[1, 3, 5] {
            for &stride in &[1, 2] {
                for &padding in &paddings {
                    for &(c, m, n_out) in &[(8, 1, 16), (5, 1, 9), (3, 2, 4)] {
                        seed += 1;
                        run_case::<V>(1 + seed as usize % 2, h, w, c, m, n_out, k, stride, 1, padding, seed);
                    }
                }
            }
        }
    }
    // Dilation, and pads so large that whole bands read only padding.
    run_case::<V>(1, 9, 8, 4, 1, 8, 3, 1, 2, Padding::Same, 900);
    run_case::<V>(1, 2, 3, 4, 1, 8, 3, 1, 1, Padding::Explicit { top: 9, bottom: 7, left: 0, right: 0 }, 901);
    // Big enough for several bands.
    run_case::<V>(1, 40, 40, 64, 1, 24, 3, 1, 1, Padding::Same, 902);
}

#[test]
fn fused_matches_reference_scalar_lanes() {
    sweep::<ScalarLanes>();
}

#[cfg(target_arch = "x86_64")]
#[test]
fn fused_matches_reference_sse_lanes() {
    sweep::<sepconv_kernels::lanes::SseLanes>();
}
