//! Elementwise ops, activations (fast sigmoid / swish), batch norm, softmax and padding against
//! float64 references, with every lane type.

use sepconv_kernels::activation::Activation;
use sepconv_kernels::elementwise::{activation_with, add_with, batch_norm_params, channel_affine_with, mul_with, ExpConsts, MathLanes};
use sepconv_kernels::lanes::ScalarLanes;
use sepconv_kernels::pad::pad2d;
use sepconv_kernels::reference::elementwise::*;
use sepconv_kernels::softmax::softmax_with;
use sepconv_kernels::testing::{first_mismatch, Rng};

fn check(what: &str, got: &[f32], want: &[f64], scale: f64) {
    if let Some((i, g, w)) = first_mismatch(got, want, scale) {
        panic!("{what}: output[{i}] = {g}, reference {w}");
    }
}

fn exp_accuracy<V: MathLanes>() {
    // Relative error over the whole clamped range, on a dense grid.
    let mut worst = 0.0f64;
    let mut x = -87.0f32;
    while x < 88.0 {
        let got = ExpConsts::<V>::new().exp(V::from_array([x, x + 0.001, x + 0.002, x + 0.003])).to_array();
        for (k, g) in got.iter().enumerate() {
            let xv = (x + 0.001 * k as f32) as f64;
            worst = worst.max((*g as f64 - xv.exp()).abs() / xv.exp());
        }
        x += 0.0137;
    }
    assert!(worst < 1e-6, "exp relative error {worst}");
    // Sigmoid and swish relative accuracy where they are not tiny.
    let xs: Vec<f32> = (0..4000).map(|i| -20.0 + i as f32 * 0.01).collect();
    for act in [Activation::Sigmoid, Activation::Swish] {
        let mut out = vec![0.0; xs.len()];
        activation_with::<V>(&xs, &mut out, act).unwrap();
        for (i, &x) in xs.iter().enumerate() {
            let want = act.apply_f64(x as f64);
            assert!((out[i] as f64 - want).abs() <= 1e-6 * want.abs() + 1e-12, "{act:?}({x}) = {}, want {want}", out[i]);
        }
    }
}

fn sweep<V: MathLanes>() {
    let mut rng = Rng::new(5);
    for &n in &[1, 3, 4, 5, 8, 17, 64, 103] {
        let a: Vec<f32> = rng.vec(n).into_iter().map(|x| x * 8.0).collect();
        let b = rng.vec(n);
        for act in Activation::ALL {
            let mut out = vec![f32::NAN; n];
            activation_with::<V>(&a, &mut out, act).unwrap();
            check(&format!("{act:?} n {n}"), &out, &activation_f64(&a, act), 1.0);
            add_with::<V>(&a, &b, &mut out, act).unwrap();
            check(&format!("add {act:?} n {n}"), &out, &add_f64(&a, &b, act), 1.0);
        }
        let mut out = vec![f32::NAN; n];
        mul_with::<V>(&a, &b, &mut out).unwrap();
        let want: Vec<f64> = a.iter().zip(&b).map(|(&x, &y)| x as f64 * y as f64).collect();
        check("mul", &out, &want, 1.0);
        softmax_with::<V>(&a, &mut out, n).unwrap();
        check(&format!("softmax n {n}"), &out, &softmax_f64(&a, n), 1.0);
        if n % 4 == 0 {
            softmax_with::<V>(&a, &mut out, 4).unwrap();
            check("softmax rows of 4", &out, &softmax_f64(&a, 4), 1.0);
        }
    }
    // Per-channel ops: channels around the vector width, broadcast per image or shared.
    // (c % 4 != 0 up to 64 streams whole periods of lcm(c, 4) values; 37 pixels leave a tail.)
    for &c in &[1, 3, 4, 5, 6, 8, 13, 32, 66] {
        for &(n, hw) in &[(1, 1), (2, 5), (3, 4), (1, 37)] {
            let x = rng.vec(n * hw * c);
            for groups in [1, n] {
                let s = rng.vec(groups * c);
                let mut out = vec![f32::NAN; x.len()];
                channel_affine_with::<V>(&x, &mut out, c, &s, None, groups, Activation::Linear).unwrap();
                check(&format!("mul broadcast c {c} groups {groups}"), &out, &mul_channels_f64(&x, &s, c, groups), 1.0);
            }
            let mean = rng.vec(c);
            let var: Vec<f32> = rng.vec(c).into_iter().map(|v| v.abs() + 0.1).collect();
            let gamma = rng.vec(c);
            let beta = rng.vec(c);
            for (g, b) in [(Some(&gamma[..]), Some(&beta[..])), (None, None)] {
                let (scale, shift) = batch_norm_params(&mean, &var, g, b, 1e-3).unwrap();
                for act in [Activation::Linear, Activation::Relu6, Activation::Swish] {
                    let mut out = vec![f32::NAN; x.len()];
                    channel_affine_with::<V>(&x, &mut out, c, &scale, Some(&shift), 1, act).unwrap();
                    check(&format!("batchNorm c {c} {act:?}"), &out, &batch_norm_f64(&x, &mean, &var, g, b, 1e-3, act), 4.0);
                }
            }
        }
    }
}

#[test]
fn exp_sigmoid_swish_accuracy_scalar_lanes() {
    exp_accuracy::<ScalarLanes>();
}

#[cfg(target_arch = "x86_64")]
#[test]
fn exp_sigmoid_swish_accuracy_sse_lanes() {
    exp_accuracy::<sepconv_kernels::lanes::SseLanes>();
}

#[test]
fn elementwise_matches_reference_scalar_lanes() {
    sweep::<ScalarLanes>();
}

#[cfg(target_arch = "x86_64")]
#[test]
fn elementwise_matches_reference_sse_lanes() {
    sweep::<sepconv_kernels::lanes::SseLanes>();
}

#[test]
fn pad_matches_reference() {
    let mut rng = Rng::new(9);
    for &(n, h, w, c) in &[(1, 1, 1, 1), (2, 3, 4, 5), (1, 5, 2, 8)] {
        for pads in [[0, 0, 0, 0], [1, 1, 1, 1], [0, 2, 3, 0], [2, 0, 0, 1]] {
            let x = rng.vec(n * h * w * c);
            let out_len = n * (h + pads[0] + pads[1]) * (w + pads[2] + pads[3]) * c;
            for value in [0.0, -1.5] {
                let mut out = vec![f32::NAN; out_len];
                pad2d(&x, &mut out, n, h, w, c, pads, value).unwrap();
                check("pad", &out, &pad_f64(&x, n, h, w, c, pads, value), 1.0);
            }
        }
    }
    assert!(pad2d(&[0.0; 3], &mut [0.0; 3], 1, 1, 1, 4, [0; 4], 0.0).is_err());
}

#[test]
fn shape_errors_are_reported() {
    assert!(add_with::<ScalarLanes>(&[0.0; 3], &[0.0; 4], &mut [0.0; 3], Activation::Linear).is_err());
    assert!(channel_affine_with::<ScalarLanes>(&[0.0; 6], &mut [0.0; 6], 4, &[0.0; 4], None, 1, Activation::Linear).is_err());
    assert!(softmax_with::<ScalarLanes>(&[0.0; 6], &mut [0.0; 6], 4).is_err());
    assert!(batch_norm_params(&[0.0; 3], &[0.0; 2], None, None, 1e-3).is_err());
}
