//! Depthwise kernel against the float64 reference over swept shapes, with every lane implementation.

use sepconv_kernels::activation::Activation;
use sepconv_kernels::dwconv::{depthwise_with, PackedDepthwise, DW_CHANNEL_TILE};
use sepconv_kernels::elementwise::MathLanes;
use sepconv_kernels::lanes::ScalarLanes;
use sepconv_kernels::reference::depthwise_f64;
use sepconv_kernels::shape::{ConvGeometry, Padding};
use sepconv_kernels::testing::{first_mismatch, Rng};

#[derive(Clone, Copy, Debug)]
struct Case {
    h: usize,
    w: usize,
    c: usize,
    m: usize,
    k: (usize, usize),
    stride: usize,
    dilation: usize,
    padding: Padding,
    bias: bool,
    act: Activation,
}

fn run_case<V: MathLanes>(case: Case, seed: u64) {
    let mut rng = Rng::new(seed);
    let g = match ConvGeometry::new(2, case.h, case.w, case.k, (case.stride, case.stride), (case.dilation, case.dilation), case.padding) {
        Ok(g) => g,
        Err(_) => return, // kernel larger than a 'valid' input: nothing to compute
    };
    let oc = case.c * case.m;
    let input = rng.vec(g.batch * case.h * case.w * case.c);
    let weights = rng.vec(case.k.0 * case.k.1 * oc);
    let bias = case.bias.then(|| rng.vec(oc));
    let packed = PackedDepthwise::pack(&weights, bias.as_deref(), case.k.0, case.k.1, case.c, case.m).unwrap();
    let mut out = vec![f32::NAN; g.batch * g.out_h * g.out_w * oc];
    depthwise_with::<V>(&g, &packed, &input, &mut out, case.act);
    let want = depthwise_f64(&g, case.c, case.m, &input, &weights, bias.as_deref(), case.act);
    let scale = (case.k.0 * case.k.1) as f64;
    if let Some((i, got, exp)) = first_mismatch(&out, &want, scale) {
        panic!("{case:?}: output[{i}] = {got}, reference {exp}");
    }
}

fn channel_sweep() -> Vec<usize> {
    let t = DW_CHANNEL_TILE;
    vec![1, 3, 4, 5, t - 1, t, t + 1, 2 * t, 2 * t + 3, 4 * t]
}

fn sweep<V: MathLanes>() {
    let mut seed = 1;
    let paddings = [
        Padding::Same,
        Padding::Valid,
        Padding::Explicit { top: 0, bottom: 2, left: 1, right: 0 },
    ];
    for &c in &channel_sweep() {
        for &(h, w) in &[(1, 1), (5, 7), (8, 9), (13, 4)] {
            for &stride in &[1, 2, 3] {
                for &padding in &paddings {
                    for &k in &[(3, 3), (1, 1), (5, 5), (2, 3), (7, 1)] {
                        seed += 1;
                        let act = Activation::ALL[(seed as usize) % Activation::ALL.len()];
                        run_case::<V>(Case { h, w, c, m: 1, k, stride, dilation: 1, padding, bias: seed % 3 != 0, act }, seed);
                    }
                }
            }
        }
    }
    for &m in &[2, 3] {
        for &c in &[1, 3, 5, 8] {
            for &dilation in &[1, 2, 4] {
                for &stride in &[1, 2, 4] {
                    seed += 1;
                    let padding = paddings[seed as usize % 3];
                    run_case::<V>(
                        Case { h: 9, w: 6, c, m, k: (3, 3), stride, dilation, padding, bias: true, act: Activation::Relu6 },
                        seed,
                    );
                }
            }
        }
    }
    for &dilation in &[2, 3, 4] {
        for &k in &[(3, 3), (5, 5), (7, 7)] {
            seed += 1;
            run_case::<V>(
                Case { h: 17, w: 15, c: 9, m: 1, k, stride: 1 + seed as usize % 2, dilation, padding: Padding::Same, bias: true, act: Activation::Linear },
                seed,
            );
        }
    }
}

#[test]
fn depthwise_matches_reference_scalar_lanes() {
    sweep::<ScalarLanes>();
}

#[cfg(target_arch = "x86_64")]
#[test]
fn depthwise_matches_reference_sse_lanes() {
    sweep::<sepconv_kernels::lanes::SseLanes>();
}

#[test]
fn pack_rejects_wrong_sizes() {
    let err = PackedDepthwise::pack(&[0.0; 10], None, 3, 3, 1, 1).unwrap_err();
    assert!(err.contains("expected 3x3x1x1 = 9"), "{err}");
    let err = PackedDepthwise::pack(&[0.0; 9], Some(&[0.0; 2]), 3, 3, 1, 1).unwrap_err();
    assert!(err.contains("bias"), "{err}");
}

/// The 3x3 / 5x5 stride 1 / 2 row kernels: widths 1..(block + 2), channels around the vector and
/// the 8-channel packing tile, C % 512 and C % 1024 == 0 (the L1-aliasing tiles), every padding mode
/// including pads wider than the kernel (outputs that see only padding) and batch 2.
fn fast_path_sweep<V: MathLanes>() {
    let mut seed = 50_000;
    let paddings = [
        Padding::Same,
        Padding::Valid,
        Padding::Explicit { top: 1, bottom: 0, left: 0, right: 2 },
        Padding::Explicit { top: 3, bottom: 6, left: 6, right: 3 },
    ];
    for &k in &[3, 5] {
        for &stride in &[1, 2] {
            for &c in &[4, 5, 7, 8, 12, 13, 16, 20] {
                for w in 1..=10 {
                    for &padding in &paddings {
                        seed += 1;
                        let h = 1 + (seed as usize % 7);
                        let act = Activation::ALL[(seed as usize) % Activation::ALL.len()];
                        run_case::<V>(Case { h, w, c, m: 1, k: (k, k), stride, dilation: 1, padding, bias: seed % 2 == 0, act }, seed);
                    }
                }
            }
            for &c in &[512, 516, 1024] {
                for &w in &[1, 3, 6, 9] {
                    seed += 1;
                    let padding = paddings[seed as usize % paddings.len()];
                    run_case::<V>(Case { h: 5, w, c, m: 1, k: (k, k), stride, dilation: 1, padding, bias: true, act: Activation::Relu6 }, seed);
                }
            }
        }
    }
}

#[test]
fn fast_paths_match_reference_scalar_lanes() {
    fast_path_sweep::<ScalarLanes>();
}

#[cfg(target_arch = "x86_64")]
#[test]
fn fast_paths_match_reference_sse_lanes() {
    fast_path_sweep::<sepconv_kernels::lanes::SseLanes>();
}

/// Stride 4 and dilation 3 / 4 (general kernel), every K the issue names, multipliers 1..3.
#[test]
fn strides_dilations_and_multipliers_sweep() {
    let mut seed = 90_000;
    for &k in &[1, 2, 3, 5, 7] {
        for &m in &[1, 2, 3] {
            for &(stride, dilation) in &[(4, 1), (1, 3), (1, 4), (2, 1)] {
                seed += 1;
                let padding = [Padding::Same, Padding::Valid, Padding::Explicit { top: 2, bottom: 1, left: 0, right: 3 }][seed as usize % 3];
                let case = Case { h: 11, w: 10, c: 5, m, k: (k, k), stride, dilation, padding, bias: true, act: Activation::Relu };
                run_case::<ScalarLanes>(case, seed);
                #[cfg(target_arch = "x86_64")]
                run_case::<sepconv_kernels::lanes::SseLanes>(case, seed);
            }
        }
    }
}
