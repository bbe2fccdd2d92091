//! Pooling against float64 references (TensorFlow semantics) over swept shapes, every lane type.

use sepconv_kernels::lanes::{F32x4, ScalarLanes};
use sepconv_kernels::pool::{global_avg_pool_with, pool_with, PoolKind};
use sepconv_kernels::reference::pool::{global_avg_pool_f64, pool_f64};
use sepconv_kernels::shape::{ConvGeometry, Padding};
use sepconv_kernels::testing::{first_mismatch, Rng};

fn sweep<V: F32x4>() {
    let mut seed = 1;
    let paddings = [Padding::Same, Padding::Valid, Padding::Explicit { top: 1, bottom: 0, left: 0, right: 1 }];
    for &c in &[1, 3, 4, 5, 8, 13] {
        for &(h, w) in &[(1, 1), (4, 5), (7, 7), (8, 3)] {
            for &k in &[(1, 1), (2, 2), (3, 3), (2, 3), (7, 7)] {
                for &s in &[1, 2, 3, 4] {
                    for &padding in &paddings {
                        seed += 1;
                        let Ok(g) = ConvGeometry::new(2, h, w, k, (s, s), (1, 1), padding) else { continue };
                        // Explicit pads as wide as the window can leave windows with no tap: skip those.
                        if (0..g.out_h).any(|y| g.rows(y).0 == g.rows(y).1) || (0..g.out_w).any(|x| g.cols(x).0 == g.cols(x).1) {
                            continue;
                        }
                        let mut rng = Rng::new(seed);
                        let input = rng.vec(2 * h * w * c);
                        for (kind, max) in [(PoolKind::Avg, false), (PoolKind::Max, true)] {
                            let mut out = vec![f32::NAN; 2 * g.out_h * g.out_w * c];
                            pool_with::<V>(&g, c, &input, &mut out, kind).unwrap();
                            let want = pool_f64(&g, c, &input, max);
                            if let Some((i, got, exp)) = first_mismatch(&out, &want, 1.0) {
                                panic!("{kind:?} {h}x{w}x{c} k {k:?} s {s} {padding:?}: output[{i}] = {got}, reference {exp}");
                            }
                        }
                    }
                }
            }
        }
    }
    for &c in &[1, 4, 7, 16, 19, 32, 35] {
        for &hw in &[1, 5, 49] {
            let mut rng = Rng::new(seed + c as u64 * 100 + hw as u64);
            let input = rng.vec(3 * hw * c);
            let mut out = vec![f32::NAN; 3 * c];
            global_avg_pool_with::<V>(&input, &mut out, 3, hw, c).unwrap();
            let want = global_avg_pool_f64(&input, 3, hw, c);
            if let Some((i, got, exp)) = first_mismatch(&out, &want, hw as f64) {
                panic!("global avg {hw}x{c}: output[{i}] = {got}, reference {exp}");
            }
        }
    }
}

#[test]
fn pooling_matches_reference_scalar_lanes() {
    sweep::<ScalarLanes>();
}

#[cfg(target_arch = "x86_64")]
#[test]
fn pooling_matches_reference_sse_lanes() {
    sweep::<sepconv_kernels::lanes::SseLanes>();
}

#[test]
fn pool_rejects_bad_buffers() {
    let g = ConvGeometry::new(1, 4, 4, (2, 2), (2, 2), (1, 1), Padding::Valid).unwrap();
    let err = pool_with::<ScalarLanes>(&g, 3, &[0.0; 47], &mut [0.0; 12], PoolKind::Max).unwrap_err();
    assert!(err.contains("expected 48"), "{err}");
    assert!(global_avg_pool_with::<ScalarLanes>(&[0.0; 10], &mut [0.0; 2], 1, 5, 3).is_err());
}
