//! Fused expand -> depthwise against the float64 reference of the two convs, with every lane implementation.

use sepconv_kernels::activation::Activation;
use sepconv_kernels::dwconv::PackedDepthwise;
use sepconv_kernels::elementwise::MathLanes;
use sepconv_kernels::fused::{expand_depthwise_applies, expand_depthwise_ring_len, expand_depthwise_with};
use sepconv_kernels::gemm::PackedGemm;
use sepconv_kernels::lanes::ScalarLanes;
use sepconv_kernels::reference::{depthwise_f64, gemm_f64};
use sepconv_kernels::shape::{ConvGeometry, Padding};
use sepconv_kernels::testing::{first_mismatch, Rng};

#[allow(clippy::too_many_arguments)]
fn run_case<V: MathLanes>(h: usize, w: usize, cin: usize, c: usize, k: usize, stride: usize, padding: Padding, acts: (Activation, Activation), seed: u64) -> bool {
    let mut rng = Rng::new(seed);
    let Ok(g) = ConvGeometry::new(2, h, w, (k, k), (stride, stride), (1, 1), padding) else { return false };
    let input = rng.vec(g.batch * h * w * cin);
    let (pw_w, pw_b) = (rng.vec(cin * c), rng.vec(c));
    let (dw_w, dw_b) = (rng.vec(k * k * c), rng.vec(c));
    let pw = PackedGemm::pack(&pw_w, cin, c, Some(&pw_b)).unwrap();
    let dw = PackedDepthwise::pack(&dw_w, (seed % 2 == 0).then_some(&dw_b[..]), k, k, c, 1).unwrap();
    if !expand_depthwise_applies(&g, &pw, &dw) {
        return false;
    }
    let mut ring = vec![f32::NAN; expand_depthwise_ring_len(&g, &dw)];
    let mut out = vec![f32::NAN; g.batch * g.out_h * g.out_w * c];
    expand_depthwise_with::<V>(&g, &pw, acts.0, &dw, acts.1, &input, &mut out, &mut ring).unwrap();
    let mid: Vec<f32> = gemm_f64(g.batch * h * w, cin, c, &input, &pw_w, Some(&pw_b), acts.0).iter().map(|&x| x as f32).collect();
    let want = depthwise_f64(&g, c, 1, &mid, &dw_w, (seed % 2 == 0).then_some(&dw_b[..]), acts.1);
    if let Some((i, got, exp)) = first_mismatch(&out, &want, (cin * k * k) as f64) {
        panic!("{h}x{w} cin {cin} -> {c}, {k}x{k} s{stride} {padding:?} {acts:?}: output[{i}] = {got}, reference {exp}");
    }
    true
}

fn sweep<V: MathLanes>() {
    let paddings = [Padding::Same, Padding::Valid, Padding::Explicit { top: 2, bottom: 0, left: 1, right: 2 }];
    let (mut seed, mut ran) = (0u64, 0);
    for &(h, w) in &[(1, 1), (2, 9), (5, 7), (8, 9), (13, 4)] {
        for &(cin, c) in &[(1, 4), (3, 5), (8, 8), (16, 12), (5, 24), (9, 36)] {
            for k in [3, 5] {
                for stride in [1, 2] {
                    for &padding in &paddings {
                        seed += 1;
                        let all = Activation::ALL;
                        let acts = (all[seed as usize % all.len()], all[(seed as usize / 3) % all.len()]);
                        ran += run_case::<V>(h, w, cin, c, k, stride, padding, acts, seed) as usize;
                    }
                }
            }
        }
    }
    // C % 512 == 0: the 3x3 rows then run one pixel x all channels at stride 1 too.
    for &(h, w) in &[(2, 9), (5, 7)] {
        for stride in [1, 2] {
            seed += 1;
            ran += run_case::<V>(h, w, 7, 512, 3, stride, paddings[seed as usize % paddings.len()], (Activation::Relu6, Activation::Relu6), seed) as usize;
        }
    }
    assert!(ran > 250, "only {ran} cases ran");
}

#[test]
fn expand_depthwise_matches_reference_native_lanes() {
    sweep::<sepconv_kernels::lanes::NativeLanes>();
}

#[test]
fn expand_depthwise_matches_reference_scalar_lanes() {
    sweep::<ScalarLanes>();
}

#[test]
fn expand_depthwise_refuses_what_it_cannot_fuse() {
    let g = ConvGeometry::new(1, 8, 8, (3, 3), (1, 1), (2, 2), Padding::Same).unwrap();
    let pw = PackedGemm::pack(&[0.0; 32], 4, 8, None).unwrap();
    let dw = PackedDepthwise::pack(&[0.0; 72], None, 3, 3, 8, 1).unwrap();
    assert!(!expand_depthwise_applies(&g, &pw, &dw), "dilation 2 has no row kernel");
    let g1 = ConvGeometry::new(1, 8, 8, (3, 3), (1, 1), (1, 1), Padding::Same).unwrap();
    let mut out = vec![0.0; 8 * 8 * 8];
    let err = expand_depthwise_with::<ScalarLanes>(&g1, &pw, Activation::Linear, &dw, Activation::Linear, &[0.0; 10], &mut out, &mut [0.0; 1000]).unwrap_err();
    assert!(err.contains("input has 10 values"), "{err}");
}
