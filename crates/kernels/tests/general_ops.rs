//! The general elementwise ops (binary with broadcasting, unary), reductions over any axes and softmax /
//! log-softmax on any axis, against float64 references over swept shapes (odd sizes, broadcasting on every
//! axis, empty tensors and reductions), with every lane type; NaN / +-Inf as TF.js CPU.

use sepconv_kernels::binary::{binary_with, broadcast_shape, BinaryOp, BroadcastPlan};
use sepconv_kernels::lanes::ScalarLanes;
use sepconv_kernels::reduce::{reduce_with, ReduceOp};
use sepconv_kernels::softmax::softmax_axis_with;
use sepconv_kernels::testing::Rng;
use sepconv_kernels::unary::{unary_in_place_with, unary_with, UnaryOp};
use sepconv_kernels::vmath::{erf_f64, VMath};

/// NaN where the reference is NaN, the same infinity where it is infinite as a float32 (TF.js computes in
/// float64 and stores float32), else |got - want| <= atol + rtol |want|.
#[track_caller]
fn check(what: &str, got: &[f32], want: &[f64], atol: f64, rtol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = if w.is_nan() {
            g.is_nan()
        } else if (w as f32).is_infinite() {
            g == w as f32
        } else {
            (g as f64 - w).abs() <= atol + rtol * w.abs()
        };
        assert!(ok, "{what}: output[{i}] = {g}, reference {w}");
    }
}

fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// numpy broadcasting, the obvious way: every output index mapped back to each operand.
fn binary_f64(op: BinaryOp, a: &[f32], sa: &[usize], b: &[f32], sb: &[usize]) -> Vec<f64> {
    let out = broadcast_shape(sa, sb).unwrap();
    let n: usize = out.iter().product();
    let r = out.len();
    let (ta, tb, to) = (strides(sa), strides(sb), strides(&out));
    (0..n)
        .map(|i| {
            let (mut ia, mut ib) = (0, 0);
            for ax in 0..r {
                let c = i / to[ax] % out[ax];
                if ax + sa.len() >= r {
                    let k = ax + sa.len() - r;
                    ia += if sa[k] == 1 { 0 } else { c * ta[k] };
                }
                if ax + sb.len() >= r {
                    let k = ax + sb.len() - r;
                    ib += if sb[k] == 1 { 0 } else { c * tb[k] };
                }
            }
            op.apply_f64(a[ia] as f64, b[ib] as f64)
        })
        .collect()
}

/// Every way of broadcasting `b` against `shape`: each axis kept or set to 1, and leading axes dropped.
fn broadcast_patterns(shape: &[usize]) -> Vec<Vec<usize>> {
    let r = shape.len();
    let mut v = Vec::new();
    for mask in 0..(1u32 << r) {
        let s: Vec<usize> = (0..r).map(|i| if mask >> i & 1 == 1 { 1 } else { shape[i] }).collect();
        for drop in 0..=r {
            if s[..drop].iter().all(|&d| d == 1) {
                v.push(s[drop..].to_vec());
            }
        }
    }
    v.sort();
    v.dedup();
    v
}

fn values(rng: &mut Rng, n: usize, scale: f32) -> Vec<f32> {
    rng.vec(n).into_iter().map(|x| x * scale).collect()
}

fn binary_sweep<V: VMath>() {
    let mut rng = Rng::new(11);
    let shapes: &[&[usize]] = &[&[], &[1], &[5], &[4], &[2, 3], &[3, 1, 5], &[2, 3, 4, 5], &[1, 7, 2, 3], &[2, 1, 3, 2, 1, 3], &[2, 2, 2, 2, 2, 2], &[2, 3, 9], &[3, 5, 40]];
    let mut cases = 0;
    for &shape in shapes {
        for bs in broadcast_patterns(shape) {
            for swap in [false, true] {
                let (sa, sb): (&[usize], &[usize]) = if swap { (&bs, shape) } else { (shape, &bs) };
                let a = values(&mut rng, sa.iter().product(), 3.0);
                let b = values(&mut rng, sb.iter().product(), 3.0);
                for op in BinaryOp::ALL {
                    // Pow: positive bases (negative ones with fractional exponents are NaN on both sides, tested below).
                    let a: Vec<f32> = if op == BinaryOp::Pow { a.iter().map(|v| v.abs() + 0.1).collect() } else { a.clone() };
                    let want = binary_f64(op, &a, sa, &b, sb);
                    let mut out = vec![f32::NAN; want.len()];
                    binary_with::<V>(op, &a, sa, &b, sb, &mut out).unwrap();
                    check(&format!("{op:?} {sa:?} {sb:?}"), &out, &want, 1e-6, 2e-6);
                    cases += 1;
                }
            }
        }
    }
    assert!(cases > 1000, "{cases} cases");
    // Per-channel tiling with offsets that move ([N, H, W, C] x [N, 1, 1, C]), long rows past one tile.
    for c in [1, 3, 5, 8, 13, 32, 33] {
        for (sa, sb) in [(vec![3, 4, 70, c], vec![3, 1, 1, c]), (vec![2, 9, c], vec![c]), (vec![2, 300, c], vec![2, 1, c])] {
            for (x, y) in [(&sa, &sb), (&sb, &sa)] {
                let a = values(&mut rng, x.iter().product(), 2.0);
                let b = values(&mut rng, y.iter().product(), 2.0);
                let want = binary_f64(BinaryOp::Sub, &a, x, &b, y);
                let mut out = vec![f32::NAN; want.len()];
                binary_with::<V>(BinaryOp::Sub, &a, x, &b, y, &mut out).unwrap();
                check(&format!("sub {x:?} {y:?}"), &out, &want, 1e-6, 1e-6);
            }
        }
    }
    // NaN and infinities: max / min propagate NaN from either side (Math.max), pow of negative bases.
    let sp = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 0.5];
    let (a, b): (Vec<f32>, Vec<f32>) = sp.iter().flat_map(|&x| sp.iter().map(move |&y| (x, y))).unzip();
    for op in BinaryOp::ALL {
        let want = binary_f64(op, &a, &[a.len()], &b, &[b.len()]);
        let mut out = vec![0.0; a.len()];
        binary_with::<V>(op, &a, &[a.len()], &b, &[b.len()], &mut out).unwrap();
        check(&format!("{op:?} specials"), &out, &want, 1e-6, 1e-6);
    }
    // Empty tensors broadcast to empty outputs; incompatible shapes are refused.
    let mut none: [f32; 0] = [];
    binary_with::<V>(BinaryOp::Add, &[], &[0, 3], &[1.0, 2.0, 3.0], &[3], &mut none).unwrap();
    binary_with::<V>(BinaryOp::Add, &[], &[2, 0], &[1.0], &[1, 1], &mut none).unwrap();
    assert!(binary_with::<V>(BinaryOp::Add, &[0.0; 6], &[2, 3], &[0.0; 2], &[2], &mut [0.0; 6]).is_err());
    assert!(binary_with::<V>(BinaryOp::Add, &[0.0; 6], &[2, 3], &[0.0; 3], &[3], &mut [0.0; 5]).is_err());
    assert!(binary_with::<V>(BinaryOp::Add, &[0.0; 6], &[2, 3], &[0.0; 4], &[3], &mut [0.0; 6]).is_err());
    assert!(binary_with::<V>(BinaryOp::Add, &[0.0], &[1; 7], &[0.0], &[1], &mut [0.0]).is_err());
}

#[test]
fn broadcast_plans_merge_axes() {
    let p = BroadcastPlan::new(&[2, 3, 4, 5], &[2, 3, 4, 5]).unwrap();
    assert_eq!((p.rank, p.dims[0], p.a_strides[0], p.b_strides[0]), (1, 120, 1, 1));
    let p = BroadcastPlan::new(&[2, 3, 4, 5], &[5]).unwrap();
    assert_eq!((p.rank, &p.dims[..2], &p.b_strides[..2]), (2, &[24, 5][..], &[0, 1][..]));
    let p = BroadcastPlan::new(&[2, 3, 4, 5], &[1]).unwrap();
    assert_eq!((p.rank, p.dims[0], p.b_strides[0]), (1, 120, 0));
    // NCHW bias: [N, C, H, W] + [1, C, 1, 1] -> (N, a 60, b 0), (C, 20, 1), (HW, 1, 0).
    let p = BroadcastPlan::new(&[2, 3, 4, 5], &[1, 3, 1, 1]).unwrap();
    assert_eq!((p.rank, &p.dims[..3], &p.b_strides[..3]), (3, &[2, 3, 20][..], &[0, 1, 0][..]));
    assert!(broadcast_shape(&[1 << 16, 1], &[1, 1 << 15]).is_err(), "2^31 outputs exceed MAX_ELEMENTS");
    assert!(broadcast_shape(&[3], &[4]).is_err());
}

fn unary_sweep<V: VMath>() {
    let mut rng = Rng::new(12);
    for n in [0, 1, 3, 4, 5, 17, 64, 101] {
        let x = values(&mut rng, n, 6.0);
        for op in UnaryOp::ALL {
            let x: Vec<f32> = match op {
                UnaryOp::Sqrt | UnaryOp::Rsqrt | UnaryOp::Log => x.iter().map(|v| v.abs() + 1e-3).collect(),
                _ => x.clone(),
            };
            let (alpha, beta) = if op == UnaryOp::HardSigmoid { (0.2, 0.5) } else { (0.1, 0.0) };
            let want: Vec<f64> = x.iter().map(|&v| op.apply_f64(v as f64, alpha as f64, beta as f64)).collect();
            let mut out = vec![f32::NAN; n];
            unary_with::<V>(op, &x, &mut out, alpha, beta).unwrap();
            check(&format!("{op:?} n {n}"), &out, &want, 1e-6, 1e-6);
            let mut inplace = x.clone();
            unary_in_place_with::<V>(op, &mut inplace, alpha, beta);
            assert_eq!(inplace.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), "{op:?} in place");
        }
    }
    // Specials and halves (round half to even, floor / ceil of negatives, sign of zeros).
    let sp: Vec<f32> = vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1e-40, -1e-40, 1e30, -1e30, 88.0, -88.0, 100.0, -100.0, 3.99, 4.01, -3.99];
    for op in UnaryOp::ALL {
        let want: Vec<f64> = sp.iter().map(|&v| op.apply_f64(v as f64, 0.1, 0.0)).collect();
        let mut out = vec![0.0; sp.len()];
        unary_with::<V>(op, &sp, &mut out, 0.1, 0.0).unwrap();
        // exp / sigmoid / elu clamp at e^-87 (~1.6e-38, the reference gives subnormals): absolute 1e-37.
        check(&format!("{op:?} specials"), &out, &want, 1e-37, 2e-6);
    }
    assert!(unary_with::<V>(UnaryOp::Exp, &[0.0; 3], &mut [0.0; 4], 0.0, 0.0).is_err());
}

/// Worst relative error in ulps of the result (the float32 spacing at the reference value) over a dense grid.
fn worst_ulps<V: VMath>(op: UnaryOp, lo: f32, hi: f32) -> f64 {
    let n = 200_000;
    let x: Vec<f32> = (0..n).map(|i| lo + (hi - lo) * i as f32 / n as f32).collect();
    let mut out = vec![0.0; n];
    unary_with::<V>(op, &x, &mut out, 0.0, 0.0).unwrap();
    let mut worst = 0.0f64;
    for (&v, &g) in x.iter().zip(&out) {
        let w = op.apply_f64(v as f64, 0.0, 0.0);
        let ulp = ((w.abs() as f32).max(f32::MIN_POSITIVE) as f64) * f32::EPSILON as f64;
        worst = worst.max((g as f64 - w).abs() / ulp);
    }
    worst
}

fn transcendental_accuracy<V: VMath>() {
    for (op, lo, hi, limit) in [
        (UnaryOp::Exp, -87.0, 88.0, 1.5),
        (UnaryOp::Log, 1e-30, 10.0, 1.5),
        (UnaryOp::Log, 0.5, 2.0, 1.5),
        (UnaryOp::Log, 10.0, 3e38, 1.5),
        (UnaryOp::Tanh, -10.0, 10.0, 2.0),
        (UnaryOp::Tanh, -0.7, 0.7, 2.0),
        (UnaryOp::Erf, -5.0, 5.0, 2.0),
        (UnaryOp::Erf, -1.2, 1.2, 2.0),
        (UnaryOp::Sigmoid, -20.0, 20.0, 2.0),
    ] {
        let u = worst_ulps::<V>(op, lo, hi);
        eprintln!("{op:?} on [{lo}, {hi}]: worst {u:.2} ulp");
        assert!(u <= limit, "{op:?} on [{lo}, {hi}]: {u:.2} ulp");
    }
    // The float64 erf reference against known values.
    for (x, e) in [(0.5, 0.520_499_877_813_046_5), (1.0, 0.842_700_792_949_714_9), (2.0, 0.995_322_265_018_952_7), (3.5, 0.999_999_256_901_627_7)] {
        assert!((erf_f64(x) - e).abs() < 1e-10 && (erf_f64(-x) + e).abs() < 1e-10, "erf_f64({x})");
    }
}

fn reduce_f64(op: ReduceOp, x: &[f32], shape: &[usize], axes: &[usize]) -> Vec<f64> {
    let r = shape.len();
    let kept: Vec<usize> = (0..r).map(|i| if axes.contains(&i) { 1 } else { shape[i] }).collect();
    let n_out: usize = kept.iter().product();
    let (st, so) = (strides(shape), strides(&kept));
    let mut acc: Vec<Vec<f64>> = vec![Vec::new(); n_out];
    for (i, &v) in x.iter().enumerate() {
        let o: usize = (0..r).map(|ax| if axes.contains(&ax) { 0 } else { i / st[ax] % shape[ax] * so[ax] }).sum();
        acc[o].push(v as f64);
    }
    acc.iter()
        .map(|vals| match op {
            ReduceOp::Sum => vals.iter().sum(),
            ReduceOp::Mean => vals.iter().sum::<f64>() / vals.len() as f64,
            ReduceOp::Prod => vals.iter().product(),
            ReduceOp::Max => vals.iter().fold(f64::NEG_INFINITY, |m, &v| if m.is_nan() || v.is_nan() { f64::NAN } else { m.max(v) }),
            ReduceOp::Min => vals.iter().fold(f64::INFINITY, |m, &v| if m.is_nan() || v.is_nan() { f64::NAN } else { m.min(v) }),
        })
        .collect()
}

fn reduce_sweep<V: VMath>() {
    let mut rng = Rng::new(13);
    let shapes: &[&[usize]] = &[&[], &[1], &[7], &[33], &[2, 3], &[5, 1, 6], &[2, 3, 4, 5], &[3, 1, 2, 7, 1, 2], &[2, 2, 3, 2, 2, 3], &[4, 37], &[37, 4], &[3, 130, 5]];
    let mut cases = 0;
    for &shape in shapes {
        let r = shape.len();
        for mask in 0..(1u32 << r) {
            let axes: Vec<usize> = (0..r).filter(|i| mask >> i & 1 == 1).collect();
            let n: usize = shape.iter().product();
            let x = values(&mut rng, n, 2.0);
            for op in ReduceOp::ALL {
                // Prod: values near 1 in magnitude, so long products stay in range.
                let x: Vec<f32> = if op == ReduceOp::Prod { x.iter().map(|v| 1.0 + v * 0.05).collect() } else { x.clone() };
                let want = reduce_f64(op, &x, shape, &axes);
                let count: usize = axes.iter().map(|&a| shape[a]).product();
                let mut out = vec![f32::NAN; want.len()];
                reduce_with::<V>(op, &x, shape, &axes, &mut out).unwrap();
                let tol = 1e-6 * (count as f64).sqrt().max(1.0) * 4.0;
                check(&format!("{op:?} {shape:?} axes {axes:?}"), &out, &want, tol, tol);
                cases += 1;
            }
        }
    }
    assert!(cases > 500, "{cases} cases");
    // NaN propagates through every reduction; infinities as IEEE.
    let x = [1.0, f32::NAN, 3.0, 4.0, f32::INFINITY, 2.0, -1.0, f32::NEG_INFINITY, 5.0, 6.0, 7.0, 8.0];
    for op in ReduceOp::ALL {
        for axes in [vec![0], vec![1], vec![0, 1]] {
            let want = reduce_f64(op, &x, &[3, 4], &axes);
            let mut out = vec![0.0; want.len()];
            reduce_with::<V>(op, &x, &[3, 4], &axes, &mut out).unwrap();
            check(&format!("{op:?} specials axes {axes:?}"), &out, &want, 1e-6, 1e-6);
        }
    }
    // Empty reductions: sum 0, prod 1, mean NaN, max / min refused; empty kept axes give empty outputs.
    for (op, v) in [(ReduceOp::Sum, 0.0), (ReduceOp::Prod, 1.0)] {
        let mut out = [9.0; 3];
        reduce_with::<V>(op, &[], &[3, 0], &[1], &mut out).unwrap();
        assert_eq!(out, [v; 3]);
    }
    let mut out = [0.0; 3];
    reduce_with::<V>(ReduceOp::Mean, &[], &[3, 0], &[1], &mut out).unwrap();
    assert!(out.iter().all(|v| v.is_nan()));
    assert!(reduce_with::<V>(ReduceOp::Max, &[], &[3, 0], &[1], &mut out).is_err());
    reduce_with::<V>(ReduceOp::Max, &[], &[0, 3], &[1], &mut []).unwrap();
    // Bad axes and buffers.
    assert!(reduce_with::<V>(ReduceOp::Sum, &[0.0; 6], &[2, 3], &[2], &mut [0.0; 2]).is_err());
    assert!(reduce_with::<V>(ReduceOp::Sum, &[0.0; 6], &[2, 3], &[1, 1], &mut [0.0; 2]).is_err());
    assert!(reduce_with::<V>(ReduceOp::Sum, &[0.0; 6], &[2, 3], &[1], &mut [0.0; 3]).is_err());
}

fn softmax_f64(x: &[f32], shape: &[usize], axis: usize, log: bool) -> Vec<f64> {
    let len = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let outer: usize = shape[..axis].iter().product();
    let mut out = vec![0.0; x.len()];
    for o in 0..outer {
        for i in 0..inner {
            let at = |k: usize| (o * len + k) * inner + i;
            let m = (0..len).fold(f64::NEG_INFINITY, |m, k| m.max(x[at(k)] as f64));
            let s: f64 = (0..len).map(|k| (x[at(k)] as f64 - m).exp()).sum();
            for k in 0..len {
                let v = x[at(k)] as f64 - m;
                out[at(k)] = if log { v - s.ln() } else { v.exp() / s };
            }
        }
    }
    out
}

fn softmax_sweep<V: VMath>() {
    let mut rng = Rng::new(14);
    let shapes: &[&[usize]] = &[&[1], &[7], &[2, 3], &[3, 5, 4], &[2, 3, 4, 5], &[1, 2, 1, 3, 2, 5], &[4, 1000], &[3, 9, 7], &[2, 0, 3], &[2, 3, 600], &[3, 2, 259]];
    for &shape in shapes {
        let x = values(&mut rng, shape.iter().product(), 8.0);
        for axis in 0..shape.len() {
            for log in [false, true] {
                let want = softmax_f64(&x, shape, axis, log);
                let mut out = vec![f32::NAN; x.len()];
                softmax_axis_with::<V>(&x, &mut out, shape, axis, log).unwrap();
                check(&format!("{} {shape:?} axis {axis}", if log { "log_softmax" } else { "softmax" }), &out, &want, 2e-6, 2e-6);
            }
        }
    }
    // A NaN or +Inf makes its whole slice NaN (e^(x - max) with x - max NaN), as TF.js.
    let x = [1.0, f32::NAN, 2.0, 3.0, 4.0, 5.0, f32::INFINITY, 1.0, 0.5];
    for axis in 0..2 {
        for log in [false, true] {
            let want = softmax_f64(&x, &[3, 3], axis, log);
            let mut out = vec![0.0; 9];
            softmax_axis_with::<V>(&x, &mut out, &[3, 3], axis, log).unwrap();
            check(&format!("softmax specials axis {axis} log {log}"), &out, &want, 2e-6, 2e-6);
        }
    }
    assert!(softmax_axis_with::<V>(&[0.0; 6], &mut [0.0; 6], &[2, 3], 2, false).is_err());
    assert!(softmax_axis_with::<V>(&[0.0; 6], &mut [0.0; 5], &[2, 3], 1, true).is_err());
}

#[test]
fn binary_matches_reference_scalar_lanes() {
    binary_sweep::<ScalarLanes>();
}
#[cfg(target_arch = "x86_64")]
#[test]
fn binary_matches_reference_sse_lanes() {
    binary_sweep::<sepconv_kernels::lanes::SseLanes>();
}
#[test]
fn unary_matches_reference_scalar_lanes() {
    unary_sweep::<ScalarLanes>();
}
#[cfg(target_arch = "x86_64")]
#[test]
fn unary_matches_reference_sse_lanes() {
    unary_sweep::<sepconv_kernels::lanes::SseLanes>();
}
#[test]
fn transcendentals_accuracy_scalar_lanes() {
    transcendental_accuracy::<ScalarLanes>();
}
#[cfg(target_arch = "x86_64")]
#[test]
fn transcendentals_accuracy_sse_lanes() {
    transcendental_accuracy::<sepconv_kernels::lanes::SseLanes>();
}
#[test]
fn reduce_matches_reference_scalar_lanes() {
    reduce_sweep::<ScalarLanes>();
}
#[cfg(target_arch = "x86_64")]
#[test]
fn reduce_matches_reference_sse_lanes() {
    reduce_sweep::<sepconv_kernels::lanes::SseLanes>();
}
#[test]
fn softmax_axis_matches_reference_scalar_lanes() {
    softmax_sweep::<ScalarLanes>();
}
#[cfg(target_arch = "x86_64")]
#[test]
fn softmax_axis_matches_reference_sse_lanes() {
    softmax_sweep::<sepconv_kernels::lanes::SseLanes>();
}
