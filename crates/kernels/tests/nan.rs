//! NaN and +-Inf: every lane implementation follows one min / max rule, and every kernel family, on every
//! lane type, gives the float64 reference's NaN / Inf results (TF.js CPU's rules, checked op by op in
//! test/ops/nan.test.ts): NaN and Inf propagate through linear ops, ReLU / ReLU6 / hard-swish / sigmoid /
//! swish and softmax as IEEE arithmetic does, and max pooling skips NaN.
//! Checked elementwise: NaN where the reference is NaN, the same infinity, finite values within tolerance.

use sepconv_kernels::activation::{Activation, Epilogue};
use sepconv_kernels::conv::{conv2d_path_with, ConvPath, PackedConv};
use sepconv_kernels::deform::deform_depthwise_with;
use sepconv_kernels::dwconv::{depthwise_with, PackedDepthwise};
use sepconv_kernels::elementwise::{activation_with, add_with, channel_affine_with, mul_with, MathLanes};
use sepconv_kernels::fused::{expand_depthwise_applies, expand_depthwise_ring_len, expand_depthwise_with};
use sepconv_kernels::gemm::{gemm_with, PackedGemm};
use sepconv_kernels::lanes::{F32x4, ScalarLanes};
use sepconv_kernels::pool::{global_avg_pool_with, pool_with, PoolKind};
use sepconv_kernels::reference::elementwise::{activation_f64, add_f64, batch_norm_f64, softmax_f64};
use sepconv_kernels::reference::pool::{global_avg_pool_f64, pool_f64};
use sepconv_kernels::reference::spatial::spatial_f64;
use sepconv_kernels::reference::{conv_f64, deform_depthwise_f64, depthwise_f64, gemm_f64};
use sepconv_kernels::shape::{ConvGeometry, Padding};
use sepconv_kernels::softmax::softmax_with;
use sepconv_kernels::spatial::{pass_geometries, spatial_with, PackedSpatial};
use sepconv_kernels::testing::{Rng, ATOL, RTOL};

const SPECIAL: [f32; 3] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY];

/// Uniform values in [-1, 1) with about one in `every` replaced by NaN, +Inf or -Inf (seeded positions).
fn with_specials(rng: &mut Rng, n: usize, every: u64) -> Vec<f32> {
    (0..n)
        .map(|_| {
            let v = rng.uniform();
            let r = rng.next_u64();
            if r % every == 0 { SPECIAL[(r / every % 3) as usize] } else { v }
        })
        .collect()
}

/// NaN exactly where the reference is NaN, the same infinity where it is infinite, finite values close.
/// Counts the NaN / Inf outputs per op family in `SEEN`, which `assert_seen` checks.
fn check(what: &str, got: &[f32], want: &[f64], scale: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let (mut nan, mut inf) = (0, 0);
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = if w.is_nan() {
            nan += 1;
            g.is_nan()
        } else if w.is_infinite() {
            inf += 1;
            g as f64 == w
        } else {
            g.is_finite() && (g as f64 - w).abs() <= (ATOL + RTOL * w.abs()) * scale
        };
        assert!(ok, "{what}: output[{i}] = {g}, reference {w}");
    }
    let family = what.split(' ').next().unwrap().to_string();
    SEEN.with(|m| *m.borrow_mut().entry(family).or_default() += nan + inf);
}

thread_local! {
    static SEEN: std::cell::RefCell<std::collections::BTreeMap<String, usize>> = Default::default();
}

/// The specials must have reached the outputs of every family checked, or the test shows nothing.
fn assert_seen() {
    SEEN.with(|m| {
        let m = m.borrow();
        assert!(!m.is_empty());
        for (family, n) in m.iter() {
            assert!(*n > 0, "{family}: no NaN / Inf output was checked");
        }
    });
}

/// The lane rule itself: `a.max(b)` = `if a < b { b } else { a }`, `a.min(b)` = `if b < a { b } else { a }`.
fn lane_rule<V: F32x4>() {
    let vals = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -1.5, 0.0, 2.0, 6.0, 7.0];
    for &a in &vals {
        for &b in &vals {
            let mx = V::splat(a).max(V::splat(b)).to_array();
            let mn = V::splat(a).min(V::splat(b)).to_array();
            let (want_mx, want_mn) = (if a < b { b } else { a }, if b < a { b } else { a });
            for l in 0..4 {
                assert!(mx[l].to_bits() == want_mx.to_bits() || (mx[l].is_nan() && want_mx.is_nan()), "max({a}, {b}) = {}", mx[l]);
                assert!(mn[l].to_bits() == want_mn.to_bits() || (mn[l].is_nan() && want_mn.is_nan()), "min({a}, {b}) = {}", mn[l]);
            }
        }
    }
    // Clamps against a bound that is never NaN keep a NaN value and clamp everything else.
    for &a in &vals {
        for &bound in &vals[1..] {
            let (mx, mn) = (V::splat(a).max_bound(V::splat(bound)).to_array()[0], V::splat(a).min_bound(V::splat(bound)).to_array()[0]);
            assert!(if a.is_nan() { mx.is_nan() } else { mx == a.max(bound) }, "max_bound({a}, {bound}) = {mx}");
            assert!(if a.is_nan() { mn.is_nan() } else { mn == a.min(bound) }, "min_bound({a}, {bound}) = {mn}");
        }
    }
    // The fused epilogues (clamps, hard-swish) keep the reference's NaN / Inf results.
    for act in [Activation::Linear, Activation::Relu, Activation::Relu6, Activation::HardSwish] {
        let ep = Epilogue::<V>::new(act);
        for &x in &vals {
            let (got, want) = (ep.apply_scalar(x), act.apply_f64(x as f64));
            assert!(if want.is_nan() { got.is_nan() } else { got as f64 == want || (got as f64 - want).abs() < 1e-6 }, "{act:?}({x}) = {got}, reference {want}");
            let clamped = if ep.is_clamp() { ep.clamp(V::splat(x)).to_array()[0] } else { got };
            assert!(clamped.to_bits() == got.to_bits() || (clamped.is_nan() && got.is_nan()), "{act:?} clamp({x}) = {clamped}, apply = {got}");
        }
    }
}

fn elementwise<V: MathLanes>() {
    let mut rng = Rng::new(11);
    for &n in &[3, 4, 17, 64, 103] {
        let mut a: Vec<f32> = with_specials(&mut rng, n, 5).into_iter().map(|x| x * 8.0).collect();
        let mut b = with_specials(&mut rng, n, 7);
        // At least one NaN, in the tail for odd n (the scalar tail path), and one +Inf.
        a[n - 1] = f32::NAN;
        b[0] = f32::INFINITY;
        for act in Activation::ALL {
            let mut out = vec![0.0; n];
            activation_with::<V>(&a, &mut out, act).unwrap();
            check(&format!("{act:?} n {n}"), &out, &activation_f64(&a, act), 1.0);
            add_with::<V>(&a, &b, &mut out, act).unwrap();
            check(&format!("add {act:?} n {n}"), &out, &add_f64(&a, &b, act), 1.0);
        }
        let mut out = vec![0.0; n];
        mul_with::<V>(&a, &b, &mut out).unwrap();
        let want: Vec<f64> = a.iter().zip(&b).map(|(&x, &y)| x as f64 * y as f64).collect();
        check("mul", &out, &want, 1.0);
        // Softmax: a row with a NaN or +Inf is NaN throughout (x - max is NaN there); -Inf gives 0.
        for len in [n, 1].into_iter().chain((n % 4 == 0).then_some(4)) {
            softmax_with::<V>(&a, &mut out, len).unwrap();
            check(&format!("softmax n {n} rows of {len}"), &out, &softmax_f64(&a, len), 1.0);
        }
    }
    // Only -Inf and finite values in a row: finite probabilities, 0 for -Inf.
    let x: Vec<f32> = (0..24).map(|i| if i % 5 == 1 { f32::NEG_INFINITY } else { (i as f32 * 0.37).sin() }).collect();
    let mut out = vec![0.0; x.len()];
    softmax_with::<V>(&x, &mut out, 12).unwrap();
    let want = softmax_f64(&x, 12);
    for (i, (&g, &w)) in out.iter().zip(&want).enumerate() {
        assert!(g.is_finite() && (g as f64 - w).abs() <= 1e-6, "softmax with -Inf: output[{i}] = {g}, reference {w}");
    }
    // Batch norm: NaN / Inf in x, mean, variance and beta; NaN in gamma (folded into scale and shift. An
    // infinite gamma is not covered: folded, x * inf + (beta - mean * inf) can be inf - inf where
    // (x - mean) * inf is not).
    for &c in &[3, 8, 13] {
        let x = with_specials(&mut rng, 5 * c, 9);
        let mean = with_specials(&mut rng, c, 6);
        let var: Vec<f32> = with_specials(&mut rng, c, 6).into_iter().map(|v| v.abs() + 0.1).collect();
        let gamma: Vec<f32> = with_specials(&mut rng, c, 6).into_iter().map(|v| if v.is_infinite() { f32::NAN } else { v }).collect();
        let beta = with_specials(&mut rng, c, 6);
        let (scale, shift) = sepconv_kernels::elementwise::batch_norm_params(&mean, &var, Some(&gamma), Some(&beta), 1e-3).unwrap();
        for act in Activation::ALL {
            let mut out = vec![0.0; x.len()];
            channel_affine_with::<V>(&x, &mut out, c, &scale, Some(&shift), 1, act).unwrap();
            check(&format!("batchNorm c {c} {act:?}"), &out, &batch_norm_f64(&x, &mean, &var, Some(&gamma), Some(&beta), 1e-3, act), 4.0);
        }
    }
}

fn pools<V: F32x4>() {
    // Max pooling skips NaN (TF.js: a window [NaN, 1, 3, -Inf] gives 3; only NaN gives -Inf); avg propagates it.
    let g = ConvGeometry::new(1, 2, 2, (2, 2), (2, 2), (1, 1), Padding::Valid).unwrap();
    for c in [1, 4, 5] {
        let px = [f32::NAN, 1.0, 3.0, f32::NEG_INFINITY];
        let input: Vec<f32> = px.iter().flat_map(|&v| std::iter::repeat_n(v, c)).collect();
        let mut out = vec![0.0; c];
        pool_with::<V>(&g, c, &input, &mut out, PoolKind::Max).unwrap();
        assert!(out.iter().all(|&v| v == 3.0), "max pool of [NaN, 1, 3, -Inf] x {c} channels = {out:?}");
        let all_nan = vec![f32::NAN; 4 * c];
        pool_with::<V>(&g, c, &all_nan, &mut out, PoolKind::Max).unwrap();
        assert!(out.iter().all(|&v| v == f32::NEG_INFINITY), "max pool of NaNs = {out:?}");
        pool_with::<V>(&g, c, &input, &mut out, PoolKind::Avg).unwrap();
        assert!(out.iter().all(|v| v.is_nan()), "avg pool of [NaN, 1, 3, -Inf] = {out:?}");
    }
    let mut rng = Rng::new(3);
    for &c in &[1, 4, 5, 13] {
        for &padding in &[Padding::Same, Padding::Valid] {
            for &(k, s) in &[(2, 2), (3, 1), (3, 2)] {
                let g = ConvGeometry::new(2, 7, 6, (k, k), (s, s), (1, 1), padding).unwrap();
                let input = with_specials(&mut rng, 2 * 7 * 6 * c, 6);
                for max in [false, true] {
                    let mut out = vec![0.0; 2 * g.out_h * g.out_w * c];
                    pool_with::<V>(&g, c, &input, &mut out, if max { PoolKind::Max } else { PoolKind::Avg }).unwrap();
                    check(&format!("pool max {max} c {c} k {k} s {s} {padding:?}"), &out, &pool_f64(&g, c, &input, max), 1.0);
                }
            }
        }
        let input = with_specials(&mut rng, 3 * 9 * c, 20);
        let mut out = vec![0.0; 3 * c];
        global_avg_pool_with::<V>(&input, &mut out, 3, 9, c).unwrap();
        check(&format!("global avg c {c}"), &out, &global_avg_pool_f64(&input, 3, 9, c), 9.0);
    }
}

/// Which operand carries the specials: the input, or the weights and bias.
#[derive(Clone, Copy, Debug)]
enum In {
    X,
    Weights,
}

fn convs<V: MathLanes>() {
    let mut rng = Rng::new(17);
    let mut seed = 0;
    for where_ in [In::X, In::Weights] {
        // NaN / Inf weights reach only the outputs whose window has that tap inside the image (TF.js skips
        // padding taps): 'valid' padding for them, 'same' for inputs.
        let padding = match where_ {
            In::X => Padding::Same,
            In::Weights => Padding::Valid,
        };
        let (xe, we) = match where_ {
            In::X => (40, u64::MAX),
            In::Weights => (u64::MAX, 25),
        };
        for act in Activation::ALL {
            seed += 1;
            // Pointwise / dense (GEMM).
            let (m, k, n) = (13, 9, 11);
            let a = with_specials(&mut rng, m * k, xe / 4);
            let b = with_specials(&mut rng, k * n, we);
            let bias = with_specials(&mut rng, n, we / 4 + 1);
            let w = PackedGemm::pack(&b, k, n, Some(&bias)).unwrap();
            let mut out = vec![0.0; m * n];
            gemm_with::<V>(m, &w, &a, &mut out, act);
            check(&format!("gemm {where_:?} {act:?}"), &out, &gemm_f64(m, k, n, &a, &b, Some(&bias), act), 3.0);

            // Depthwise, multipliers 1 and 2, 3x3 and 5x5.
            for &(kk, c, mult, s) in &[(3, 8, 1, 1), (3, 5, 2, 2), (5, 12, 1, 1), (3, 16, 1, 2)] {
                let g = ConvGeometry::new(2, 9, 10, (kk, kk), (s, s), (1, 1), padding).unwrap();
                let input = with_specials(&mut rng, 2 * 9 * 10 * c, xe);
                let wts = with_specials(&mut rng, kk * kk * c * mult, we);
                let bias = with_specials(&mut rng, c * mult, we / 4 + 1);
                let p = PackedDepthwise::pack(&wts, Some(&bias), kk, kk, c, mult).unwrap();
                let mut out = vec![0.0; 2 * g.out_h * g.out_w * c * mult];
                depthwise_with::<V>(&g, &p, &input, &mut out, act);
                let want = depthwise_f64(&g, c, mult, &input, &wts, Some(&bias), act);
                check(&format!("depthwise {where_:?} {act:?} k {kk} c {c} m {mult} s {s}"), &out, &want, kk as f64);

                // The deformable conv over the same weights, with small fractional offsets.
                let taps = kk * kk;
                let offsets: Vec<f32> = (0..2 * g.out_h * g.out_w * taps * 2).map(|_| rng.uniform() * 0.7).collect();
                let mut out = vec![0.0; 2 * g.out_h * g.out_w * c * mult];
                deform_depthwise_with::<V>(&g, &p, 1, &input, &offsets, None, &mut out, act);
                let want = deform_depthwise_f64(&g, c, mult, 1, &input, &offsets, None, &wts, Some(&bias), act);
                check(&format!("deformable {where_:?} {act:?} k {kk} c {c} m {mult} s {s}"), &out, &want, 4.0 * kk as f64);
            }

            // Standard conv, every path.
            for path in [ConvPath::Direct, ConvPath::Im2col] {
                let (cin, cout, kk) = (5, 9, 3);
                let g = ConvGeometry::new(2, 7, 8, (kk, kk), (1, 1), (1, 1), padding).unwrap();
                let input = with_specials(&mut rng, 2 * 7 * 8 * cin, xe);
                let wts = with_specials(&mut rng, kk * kk * cin * cout, we);
                let bias = with_specials(&mut rng, cout, we / 4 + 1);
                let p = PackedConv::pack(&wts, Some(&bias), kk, kk, cin, cout, 1).unwrap();
                let mut out = vec![0.0; 2 * g.out_h * g.out_w * cout];
                conv2d_path_with::<V>(&g, &p, &input, &mut out, act, path);
                check(&format!("conv {where_:?} {act:?} {path:?}"), &out, &conv_f64(&g, cin, cout, 1, &input, &wts, Some(&bias), act), 7.0);
            }
            let g = ConvGeometry::new(2, 5, 6, (1, 1), (1, 1), (1, 1), Padding::Valid).unwrap();
            let input = with_specials(&mut rng, 2 * 5 * 6 * 7, xe / 2);
            let wts = with_specials(&mut rng, 7 * 10, we / 2 + 1);
            let p = PackedConv::pack(&wts, None, 1, 1, 7, 10, 1).unwrap();
            let mut out = vec![0.0; 2 * 5 * 6 * 10];
            conv2d_path_with::<V>(&g, &p, &input, &mut out, act, ConvPath::Gemm);
            check(&format!("conv 1x1 {where_:?} {act:?}"), &out, &conv_f64(&g, 7, 10, 1, &input, &wts, None, act), 3.0);

            // Spatially separable (one k x 1 then 1 x k pair; with rank >= 2 an infinite input meets two pairs
            // separately and can give inf - inf = NaN where the summed K x K kernel gives one infinity).
            for &(kk, c) in &[(3, 8), (5, 13)] {
                let g = ConvGeometry::new(2, 9, 11, (kk, kk), (1, 1), (1, 1), padding).unwrap();
                let (gv, gh) = pass_geometries(2, 9, 11, (kk, kk), (1, 1), (1, 1), g.pads).unwrap();
                let input = with_specials(&mut rng, 2 * 9 * 11 * c, xe);
                // Weights: NaN only. An infinite vertical weight times a finite horizontal sum is one infinity
                // (v * sum(h x)); the reference's K x K kernel sums v h x terms of both signs (NaN).
                let nan_only = |v: Vec<f32>| -> Vec<f32> { v.into_iter().map(|x| if x.is_infinite() { f32::NAN } else { x }).collect() };
                let vertical = nan_only(with_specials(&mut rng, kk * c, we / 2 + 1));
                let horizontal = nan_only(with_specials(&mut rng, kk * c, we / 2 + 1));
                let bias = with_specials(&mut rng, c, we / 4 + 1);
                let p = PackedSpatial::pack(&vertical, &horizontal, Some(&bias), kk, kk, c, 1).unwrap();
                let mut scratch = vec![0.0; p.scratch_len(&gv, &gh)];
                let mut out = vec![0.0; 2 * g.out_h * g.out_w * c];
                spatial_with::<V>(&gv, &gh, &p, &input, &mut out, &mut scratch, act).unwrap();
                let want = spatial_f64(&g, c, 1, &input, &vertical, &horizontal, Some(&bias), act);
                check(&format!("spatial {where_:?} {act:?} k {kk} c {c}"), &out, &want, 4.0 * kk as f64);
            }

            // Fused expand 1x1 -> depthwise 3x3.
            let (h, w, cin, c) = (6, 7, 5, 12);
            let g = ConvGeometry::new(2, h, w, (3, 3), (1, 1), (1, 1), padding).unwrap();
            let input = with_specials(&mut rng, 2 * h * w * cin, xe);
            let (pw_w, pw_b) = (with_specials(&mut rng, cin * c, we), with_specials(&mut rng, c, we / 4 + 1));
            let (dw_w, dw_b) = (with_specials(&mut rng, 9 * c, we), with_specials(&mut rng, c, we / 4 + 1));
            let pw = PackedGemm::pack(&pw_w, cin, c, Some(&pw_b)).unwrap();
            let dw = PackedDepthwise::pack(&dw_w, Some(&dw_b), 3, 3, c, 1).unwrap();
            assert!(expand_depthwise_applies(&g, &pw, &dw));
            let mut ring = vec![0.0; expand_depthwise_ring_len(&g, &dw)];
            let mut out = vec![0.0; 2 * g.out_h * g.out_w * c];
            let pw_act = Activation::ALL[seed % 6];
            expand_depthwise_with::<V>(&g, &pw, pw_act, &dw, act, &input, &mut out, &mut ring).unwrap();
            let mid: Vec<f32> = gemm_f64(2 * h * w, cin, c, &input, &pw_w, Some(&pw_b), pw_act).iter().map(|&x| x as f32).collect();
            let want = depthwise_f64(&g, c, 1, &mid, &dw_w, Some(&dw_b), act);
            check(&format!("expand-depthwise {where_:?} {pw_act:?} -> {act:?}"), &out, &want, 3.0 * cin as f64);
        }
    }
}

#[test]
fn lane_min_max_rule_scalar_lanes() {
    lane_rule::<ScalarLanes>();
}

#[test]
fn elementwise_softmax_batchnorm_scalar_lanes() {
    elementwise::<ScalarLanes>();
    assert_seen();
}

#[test]
fn pools_scalar_lanes() {
    pools::<ScalarLanes>();
    assert_seen();
}

#[test]
fn convs_scalar_lanes() {
    convs::<ScalarLanes>();
    assert_seen();
}

#[cfg(target_arch = "x86_64")]
mod sse {
    use super::*;
    use sepconv_kernels::lanes::SseLanes;

    #[test]
    fn lane_min_max_rule_sse_lanes() {
        lane_rule::<SseLanes>();
    }

    #[test]
    fn elementwise_softmax_batchnorm_sse_lanes() {
        elementwise::<SseLanes>();
        assert_seen();
    }

    #[test]
    fn pools_sse_lanes() {
        pools::<SseLanes>();
        assert_seen();
    }

    #[test]
    fn convs_sse_lanes() {
        convs::<SseLanes>();
        assert_seen();
    }
}
