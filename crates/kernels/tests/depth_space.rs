//! DepthToSpace (DCR, CRD) and SpaceToDepth against per-element references written from the TF / ONNX
//! definitions (NCHW index formulas for CRD), over blocks, channel counts and odd sizes.

use sepconv_kernels::depth_space::{depth_to_space, space_to_depth, DepthSpaceGeometry, DepthToSpaceMode};
use sepconv_kernels::testing::Rng;

#[test]
fn depth_to_space_and_back_match_the_definitions() {
    let mut seed = 0;
    for &b in &[1usize, 2, 3, 4] {
        for &co in &[1usize, 3, 4, 5] {
            for &(h, w) in &[(1usize, 1usize), (2, 3), (5, 4)] {
                seed += 1;
                let n = 1 + seed % 2;
                let c = co * b * b;
                let g = DepthSpaceGeometry { batch: n, h, w, c, block: b };
                let x = Rng::new(seed as u64).vec(n * h * w * c);
                for mode in [DepthToSpaceMode::Dcr, DepthToSpaceMode::Crd] {
                    let mut y = vec![f32::NAN; x.len()];
                    depth_to_space(&g, &x, &mut y, mode).unwrap();
                    for bn in 0..n {
                        for oy in 0..h * b {
                            for ox in 0..w * b {
                                for k in 0..co {
                                    let (ih, i, iw, j) = (oy / b, oy % b, ox / b, ox % b);
                                    // TF: depth (i*b + j)*C' + k. ONNX CRD on NCHW: channel k*b*b + i*b + j.
                                    let ch = match mode {
                                        DepthToSpaceMode::Dcr => (i * b + j) * co + k,
                                        DepthToSpaceMode::Crd => k * b * b + i * b + j,
                                    };
                                    let want = x[((bn * h + ih) * w + iw) * c + ch];
                                    let got = y[((bn * h * b + oy) * w * b + ox) * co + k];
                                    assert_eq!(got.to_bits(), want.to_bits(), "{g:?} {mode:?} at [{bn}, {oy}, {ox}, {k}]");
                                }
                            }
                        }
                    }
                    if mode == DepthToSpaceMode::Dcr {
                        let mut back = vec![f32::NAN; x.len()];
                        space_to_depth(&g, &y, &mut back).unwrap();
                        assert_eq!(back, x, "{g:?}: SpaceToDepth(DepthToSpace(x)) != x");
                    }
                }
                // SpaceToDepth from its own definition on an independent input.
                let s = Rng::new(seed as u64 + 1000).vec(n * h * w * c);
                let mut d = vec![f32::NAN; s.len()];
                space_to_depth(&g, &s, &mut d).unwrap();
                for bn in 0..n {
                    for y in 0..h {
                        for xx in 0..w {
                            for ch in 0..c {
                                let (i, j, k) = (ch / (b * co), (ch / co) % b, ch % co);
                                let want = s[((bn * h * b + y * b + i) * w * b + xx * b + j) * co + k];
                                assert_eq!(d[((bn * h + y) * w + xx) * c + ch].to_bits(), want.to_bits());
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn depth_space_rejects_bad_sizes_with_the_value() {
    let g = DepthSpaceGeometry { batch: 1, h: 2, w: 2, c: 6, block: 2 };
    let e = depth_to_space(&g, &[0.0; 24], &mut [0.0; 24], DepthToSpaceMode::Dcr).unwrap_err();
    assert!(e.contains("6 channels") && e.contains("block 2"), "{e}");
    let g = DepthSpaceGeometry { batch: 1, h: 2, w: 2, c: 4, block: 0 };
    assert!(space_to_depth(&g, &[0.0; 16], &mut [0.0; 16]).unwrap_err().contains("block 0"));
    let g = DepthSpaceGeometry { batch: 1, h: 2, w: 2, c: 4, block: usize::MAX };
    assert!(depth_to_space(&g, &[0.0; 16], &mut [0.0; 16], DepthToSpaceMode::Dcr).unwrap_err().contains("too large"));
    let g = DepthSpaceGeometry { batch: 1, h: usize::MAX / 2, w: 2, c: 4, block: 2 };
    assert!(depth_to_space(&g, &[0.0; 16], &mut [0.0; 16], DepthToSpaceMode::Dcr).unwrap_err().contains("too large"));
    let g = DepthSpaceGeometry { batch: 1, h: 2, w: 2, c: 4, block: 2 };
    assert!(depth_to_space(&g, &[0.0; 16], &mut [0.0; 15], DepthToSpaceMode::Crd).unwrap_err().contains("16 and 15"));
}
