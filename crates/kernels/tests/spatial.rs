//! K x 1 / 1 x K depthwise passes (the row kernels' separable fast paths) and the spatially
//! separable conv (one pair and rank-r sums) against float64 references, with every lane type.

use sepconv_kernels::activation::Activation;
use sepconv_kernels::dwconv::{depthwise_with, PackedDepthwise};
use sepconv_kernels::elementwise::MathLanes;
use sepconv_kernels::lanes::ScalarLanes;
use sepconv_kernels::reference::depthwise_f64;
use sepconv_kernels::reference::spatial::spatial_f64;
use sepconv_kernels::shape::{ConvGeometry, Padding};
use sepconv_kernels::spatial::{pass_geometries, spatial_with, PackedSpatial};
use sepconv_kernels::testing::{first_mismatch, Rng};

/// One K x 1 or 1 x K depthwise pass with separate vertical / horizontal strides.
fn one_pass<V: MathLanes>(k: (usize, usize), stride: (usize, usize), h: usize, w: usize, c: usize, padding: Padding, seed: u64) {
    let Ok(g) = ConvGeometry::new(2, h, w, k, stride, (1, 1), padding) else { return };
    let mut rng = Rng::new(seed);
    let input = rng.vec(2 * h * w * c);
    let weights = rng.vec(k.0 * k.1 * c);
    let bias = rng.vec(c);
    let packed = PackedDepthwise::pack(&weights, Some(&bias), k.0, k.1, c, 1).unwrap();
    let mut out = vec![f32::NAN; 2 * g.out_h * g.out_w * c];
    depthwise_with::<V>(&g, &packed, &input, &mut out, Activation::Relu6);
    let want = depthwise_f64(&g, c, 1, &input, &weights, Some(&bias), Activation::Relu6);
    if let Some((i, got, exp)) = first_mismatch(&out, &want, (k.0 * k.1) as f64) {
        panic!("k {k:?} stride {stride:?} {h}x{w}x{c} {padding:?}: output[{i}] = {got}, reference {exp}");
    }
}

fn pass_sweep<V: MathLanes>() {
    let mut seed = 1;
    let paddings = [Padding::Same, Padding::Valid, Padding::Explicit { top: 2, bottom: 0, left: 0, right: 4 }];
    for &kk in &[3, 5, 7] {
        for &k in &[(kk, 1), (1, kk)] {
            for &stride in &[(1, 1), (2, 2), (2, 1), (1, 2), (3, 1)] {
                for &c in &[4, 5, 8, 9, 16] {
                    for w in [1, 2, 4, 5, 6, 9] {
                        for &padding in &paddings {
                            seed += 1;
                            one_pass::<V>(k, stride, 1 + seed as usize % 8, w, c, padding, seed);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn kx1_and_1xk_passes_scalar_lanes() {
    pass_sweep::<ScalarLanes>();
}

#[cfg(target_arch = "x86_64")]
#[test]
fn kx1_and_1xk_passes_sse_lanes() {
    pass_sweep::<sepconv_kernels::lanes::SseLanes>();
}

fn separable_case<V: MathLanes>(k: (usize, usize), rank: usize, stride: (usize, usize), padding: Padding, c: usize, act: Activation, seed: u64) {
    // Sizes around the fused kernel's 4-pixel blocks and border columns, channels across its 16-channel blocks.
    let (h, w) = [(9, 11), (5, 23), (12, 3), (1, 1), (7, 2), (3, 8)][seed as usize % 6];
    let Ok(g) = ConvGeometry::new(2, h, w, k, stride, (1, 1), padding) else { return };
    let (gv, gh) = pass_geometries(2, h, w, k, stride, (1, 1), g.pads).unwrap();
    assert_eq!((gh.out_h, gh.out_w), (g.out_h, g.out_w));
    let mut rng = Rng::new(seed);
    let input = rng.vec(2 * h * w * c);
    let vertical = rng.vec(rank * k.0 * c);
    let horizontal = rng.vec(rank * k.1 * c);
    let bias = rng.vec(c);
    let packed = PackedSpatial::pack(&vertical, &horizontal, Some(&bias), k.0, k.1, c, rank).unwrap();
    let mut scratch = vec![0.0; packed.scratch_len(&gv, &gh)];
    let mut out = vec![f32::NAN; 2 * g.out_h * g.out_w * c];
    spatial_with::<V>(&gv, &gh, &packed, &input, &mut out, &mut scratch, act).unwrap();
    let want = spatial_f64(&g, c, rank, &input, &vertical, &horizontal, Some(&bias), act);
    if let Some((i, got, exp)) = first_mismatch(&out, &want, (k.0 * k.1 * rank) as f64) {
        panic!("k {k:?} rank {rank} stride {stride:?} {padding:?} c {c} {act:?}: output[{i}] = {got}, reference {exp}");
    }
}

fn separable_sweep<V: MathLanes>() {
    let mut seed = 500;
    for &k in &[(3, 3), (5, 5), (7, 7), (3, 5), (1, 3)] {
        for &rank in &[1, 2, 3] {
            for &stride in &[(1, 1), (2, 2), (1, 2), (2, 1), (3, 3)] {
                for &padding in &[Padding::Same, Padding::Valid, Padding::Explicit { top: 1, bottom: 3, left: 2, right: 0 }] {
                    seed += 1;
                    let act = Activation::ALL[seed as usize % Activation::ALL.len()];
                    separable_case::<V>(k, rank, stride, padding, [4, 7, 12, 20, 36][seed as usize % 5], act, seed);
                }
            }
        }
    }
}

#[test]
fn separable_conv_matches_full_kernel_scalar_lanes() {
    separable_sweep::<ScalarLanes>();
}

#[cfg(target_arch = "x86_64")]
#[test]
fn separable_conv_matches_full_kernel_sse_lanes() {
    separable_sweep::<sepconv_kernels::lanes::SseLanes>();
}

#[test]
fn pack_rejects_wrong_sizes() {
    let err = PackedSpatial::pack(&[0.0; 5], &[0.0; 6], None, 3, 3, 2, 1).unwrap_err();
    assert!(err.contains("expected 1 x 3 x 2"), "{err}");
    assert!(PackedSpatial::pack(&[], &[], None, 3, 3, 2, 0).is_err());
}
