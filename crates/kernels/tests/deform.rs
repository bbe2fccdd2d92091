//! Deformable depthwise kernel against the float64 reference over swept shapes, with every lane implementation:
//! channels around the 4-lane vector and the 8-channel tile, multipliers 1-3, offset groups whose channel
//! count is and is not a multiple of 4, every padding mode, strides, dilations, K in {1, 2x3, 3, 5}, with and
//! without a mask; offsets fractional, integral (samples on grid points) and large (samples off the image).

use sepconv_kernels::activation::Activation;
use sepconv_kernels::deform::{check_deform_depthwise, deform_depthwise_with};
use sepconv_kernels::dwconv::PackedDepthwise;
use sepconv_kernels::elementwise::MathLanes;
use sepconv_kernels::lanes::ScalarLanes;
use sepconv_kernels::reference::deform_depthwise_f64;
use sepconv_kernels::shape::{ConvGeometry, Padding};
use sepconv_kernels::testing::{first_mismatch, Rng};

#[derive(Clone, Copy, Debug)]
struct Case {
    h: usize,
    w: usize,
    c: usize,
    m: usize,
    groups: usize,
    k: (usize, usize),
    stride: usize,
    dilation: usize,
    padding: Padding,
    mask: bool,
    /// Offsets uniform in [-spread, spread); rounded to integers when `integral`.
    spread: f32,
    integral: bool,
    act: Activation,
}

fn run_case<V: MathLanes>(case: Case, seed: u64) -> bool {
    let mut rng = Rng::new(seed);
    let Ok(g) = ConvGeometry::new(2, case.h, case.w, case.k, (case.stride, case.stride), (case.dilation, case.dilation), case.padding) else {
        return false;
    };
    let oc = case.c * case.m;
    let taps = case.k.0 * case.k.1;
    let pixels = g.batch * g.out_h * g.out_w;
    let input = rng.vec(g.batch * case.h * case.w * case.c);
    let offsets: Vec<f32> = (0..pixels * case.groups * taps * 2)
        .map(|_| {
            let v = rng.uniform() * case.spread;
            if case.integral { v.round() } else { v }
        })
        .collect();
    let mask = case.mask.then(|| (0..pixels * case.groups * taps).map(|_| rng.uniform() * 0.5 + 0.5).collect::<Vec<f32>>());
    let weights = rng.vec(taps * oc);
    let bias = rng.vec(oc);
    let packed = PackedDepthwise::pack(&weights, Some(&bias), case.k.0, case.k.1, case.c, case.m).unwrap();
    let mut out = vec![f32::NAN; pixels * oc];
    deform_depthwise_with::<V>(&g, &packed, case.groups, &input, &offsets, mask.as_deref(), &mut out, case.act);
    let want = deform_depthwise_f64(&g, case.c, case.m, case.groups, &input, &offsets, mask.as_deref(), &weights, Some(&bias), case.act);
    if let Some((i, got, exp)) = first_mismatch(&out, &want, (4 * taps) as f64) {
        panic!("{case:?}: output[{i}] = {got}, reference {exp}");
    }
    true
}

fn sweep<V: MathLanes>() {
    let mut seed = 7;
    let mut ran = 0;
    let paddings = [Padding::Same, Padding::Valid, Padding::Explicit { top: 0, bottom: 2, left: 1, right: 0 }];
    for &(c, groups) in &[(1, 1), (3, 1), (3, 3), (4, 1), (4, 2), (5, 1), (8, 1), (8, 2), (9, 3), (12, 3), (16, 4), (20, 1), (24, 2)] {
        for &m in &[1, 2, 3] {
            for &k in &[(3, 3), (1, 1), (2, 3), (5, 5)] {
                for &stride in &[1, 2] {
                    seed += 1;
                    let padding = paddings[seed as usize % 3];
                    let dilation = 1 + (seed as usize / 3) % 2;
                    let (spread, integral) = [(1.5, false), (0.0, false), (2.0, true), (6.0, false)][seed as usize % 4];
                    let act = Activation::ALL[seed as usize % Activation::ALL.len()];
                    let (h, w) = [(5, 7), (8, 9), (1, 4), (11, 6)][(seed as usize / 5) % 4];
                    let case = Case { h, w, c, m, groups, k, stride, dilation, padding, mask: seed % 2 == 0, spread, integral, act };
                    ran += run_case::<V>(case, seed) as usize;
                }
            }
        }
    }
    assert!(ran > 250, "only {ran} cases had an output");
}

#[test]
fn deform_depthwise_matches_reference_scalar_lanes() {
    sweep::<ScalarLanes>();
}

#[cfg(target_arch = "x86_64")]
#[test]
fn deform_depthwise_matches_reference_sse_lanes() {
    sweep::<sepconv_kernels::lanes::SseLanes>();
}

/// Zero offsets and a mask of ones are the plain depthwise conv.
#[test]
fn zero_offsets_are_the_plain_depthwise_conv() {
    let g = ConvGeometry::new(1, 9, 7, (3, 3), (2, 1), (1, 2), Padding::Same).unwrap();
    let (c, m) = (12, 2);
    let mut rng = Rng::new(3);
    let input = rng.vec(9 * 7 * c);
    let weights = rng.vec(9 * c * m);
    let packed = PackedDepthwise::pack(&weights, None, 3, 3, c, m).unwrap();
    let taps = 9;
    let pixels = g.out_h * g.out_w;
    let mut plain = vec![0.0; pixels * c * m];
    sepconv_kernels::dwconv::depthwise(&g, &packed, &input, &mut plain, Activation::Linear);
    let mut deform = vec![0.0; pixels * c * m];
    let ones = vec![1.0; pixels * 3 * taps];
    sepconv_kernels::deform::deform_depthwise(&g, &packed, 3, &input, &vec![0.0; pixels * 3 * taps * 2], Some(&ones), &mut deform, Activation::Linear);
    for (i, (a, b)) in plain.iter().zip(&deform).enumerate() {
        assert!((a - b).abs() <= 1e-5 * (1.0 + a.abs()), "output[{i}]: plain {a}, deformable {b}");
    }
}

#[test]
fn bad_sizes_are_reported() {
    let g = ConvGeometry::new(1, 4, 4, (3, 3), (1, 1), (1, 1), Padding::Same).unwrap();
    let packed = PackedDepthwise::pack(&[0.0; 9 * 6], None, 3, 3, 6, 1).unwrap();
    let (input, output) = (vec![0.0; 16 * 6], vec![0.0; 16 * 6]);
    let offsets = vec![0.0; 16 * 9 * 2];
    let err = check_deform_depthwise(&g, &packed, 4, &input, &offsets, None, &output).unwrap_err();
    assert!(err.contains("4 offset groups do not divide 6"), "{err}");
    let err = check_deform_depthwise(&g, &packed, 1, &input, &offsets[1..], None, &output).unwrap_err();
    assert!(err.contains("offsets have 287 values, expected"), "{err}");
    let err = check_deform_depthwise(&g, &packed, 1, &input, &offsets, Some(&[1.0; 3]), &output).unwrap_err();
    assert!(err.contains("mask has 3 values"), "{err}");
    assert!(check_deform_depthwise(&g, &packed, 2, &input, &vec![0.0; 16 * 18 * 2], Some(&[1.0; 16 * 18]), &output).is_ok());
}
