//! Resize (bilinear, nearest) against a float64 reference written from the TF / ONNX definitions,
//! per output pixel, over sizes (up, down, to 1), channel counts, every coordinate mode and rounding.

use sepconv_kernels::elementwise::MathLanes;
use sepconv_kernels::lanes::{NativeLanes, ScalarLanes};
use sepconv_kernels::resize::{resize_with, CoordMode, NearestMode, ResizeGeometry, ResizeMode};
use sepconv_kernels::testing::{first_mismatch, Rng};

fn src(mode: CoordMode, x: usize, i: usize, o: usize, scale: f64) -> f64 {
    let (x, fi, fo) = (x as f64, i as f64, o as f64);
    let r = if scale > 0.0 { 1.0 / scale } else { fi / fo };
    match mode {
        CoordMode::Asymmetric => x * r,
        CoordMode::HalfPixel => (x + 0.5) * r - 0.5,
        CoordMode::PytorchHalfPixel => if o > 1 { (x + 0.5) * r - 0.5 } else { 0.0 },
        CoordMode::AlignCorners => if o > 1 { x * (fi - 1.0) / (fo - 1.0) } else { 0.0 },
        CoordMode::TfHalfPixelForNn => (x + 0.5) * r,
    }
}

fn reference(g: &ResizeGeometry, x: &[f32], coord: CoordMode, mode: ResizeMode, scales: (f64, f64)) -> Vec<f64> {
    let c = g.channels;
    let at = |n: usize, y: usize, xx: usize, ch: usize| x[((n * g.in_h + y) * g.in_w + xx) * c + ch] as f64;
    let mut out = Vec::new();
    for n in 0..g.batch {
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                let sy = src(coord, oy, g.in_h, g.out_h, scales.0);
                let sx = src(coord, ox, g.in_w, g.out_w, scales.1);
                for ch in 0..c {
                    let v = match mode {
                        ResizeMode::Nearest(r) => {
                            let round = |v: f64| match r {
                                NearestMode::Floor => v.floor(),
                                NearestMode::Ceil => v.ceil(),
                                NearestMode::RoundPreferCeil => if v - v.floor() == 0.5 { v.ceil() } else { v.round() },
                                NearestMode::RoundPreferFloor => if v - v.floor() == 0.5 { v.floor() } else { v.round() },
                            };
                            let iy = round(sy).max(0.0).min((g.in_h - 1) as f64) as usize;
                            let ix = round(sx).max(0.0).min((g.in_w - 1) as f64) as usize;
                            at(n, iy, ix, ch)
                        }
                        ResizeMode::Linear => {
                            // TF's compute_interpolation_weights: lower = max(floor, 0), upper = min(ceil, in - 1).
                            let (fy, fx) = (sy.floor(), sx.floor());
                            let (y0, y1) = (fy.max(0.0) as usize, (sy.ceil().min((g.in_h - 1) as f64)).max(0.0) as usize);
                            let (x0, x1) = (fx.max(0.0) as usize, (sx.ceil().min((g.in_w - 1) as f64)).max(0.0) as usize);
                            let (y0, x0) = (y0.min(g.in_h - 1), x0.min(g.in_w - 1));
                            let (ly, lx) = (sy - fy, sx - fx);
                            let top = at(n, y0, x0, ch) * (1.0 - lx) + at(n, y0, x1, ch) * lx;
                            let bot = at(n, y1, x0, ch) * (1.0 - lx) + at(n, y1, x1, ch) * lx;
                            top * (1.0 - ly) + bot * ly
                        }
                    };
                    out.push(v);
                }
            }
        }
    }
    out
}

fn sweep<V: MathLanes>() {
    let coords = [CoordMode::Asymmetric, CoordMode::HalfPixel, CoordMode::PytorchHalfPixel, CoordMode::AlignCorners, CoordMode::TfHalfPixelForNn];
    let modes = [
        ResizeMode::Linear,
        ResizeMode::Nearest(NearestMode::RoundPreferFloor),
        ResizeMode::Nearest(NearestMode::RoundPreferCeil),
        ResizeMode::Nearest(NearestMode::Floor),
        ResizeMode::Nearest(NearestMode::Ceil),
    ];
    let mut seed = 0u64;
    let mut ran = 0;
    for &(ih, iw, oh, ow) in &[(4usize, 5usize, 8usize, 10usize), (5, 3, 11, 7), (7, 9, 3, 4), (1, 6, 3, 1), (6, 6, 1, 1), (3, 3, 3, 3), (2, 5, 7, 13)] {
        for &c in &[1usize, 3, 4, 8, 13] {
            for &coord in &coords {
                for &mode in &modes {
                    seed += 1;
                    let g = ResizeGeometry { batch: 1 + seed as usize % 2, in_h: ih, in_w: iw, out_h: oh, out_w: ow, channels: c };
                    let x = Rng::new(seed).vec(g.batch * ih * iw * c);
                    let scales = if seed % 5 == 0 { (oh as f64 / ih as f64 * 1.1, ow as f64 / iw as f64 * 0.9) } else { (0.0, 0.0) };
                    let mut out = vec![f32::NAN; g.batch * oh * ow * c];
                    resize_with::<V>(&g, &x, &mut out, coord, mode, scales, false).unwrap();
                    let want = reference(&g, &x, coord, mode, scales);
                    if let Some((i, got, exp)) = first_mismatch(&out, &want, 2.0) {
                        panic!("{g:?} {coord:?} {mode:?} scales {scales:?}: output[{i}] = {got}, reference {exp}");
                    }
                    ran += 1;
                }
            }
        }
    }
    assert!(ran > 800);
}

#[test]
fn resize_matches_reference_scalar() {
    sweep::<ScalarLanes>();
}

#[test]
fn resize_matches_reference_native() {
    sweep::<NativeLanes>();
}

#[test]
fn resize_rejects_bad_sizes_with_the_value() {
    let g = ResizeGeometry { batch: 1, in_h: 2, in_w: 2, out_h: 0, out_w: 3, channels: 1 };
    let e = resize_with::<ScalarLanes>(&g, &[0.0; 4], &mut [], CoordMode::Asymmetric, ResizeMode::Linear, (0.0, 0.0), false).unwrap_err();
    assert!(e.contains("output 0x3"), "{e}");
    let g = ResizeGeometry { batch: 1, in_h: 2, in_w: 2, out_h: usize::MAX / 2, out_w: 3, channels: 1 };
    let e = resize_with::<ScalarLanes>(&g, &[0.0; 4], &mut [], CoordMode::Asymmetric, ResizeMode::Linear, (0.0, 0.0), false).unwrap_err();
    assert!(e.contains("too large"), "{e}");
    let g = ResizeGeometry { batch: 1, in_h: 2, in_w: 2, out_h: 2, out_w: 3, channels: 1 };
    let e = resize_with::<ScalarLanes>(&g, &[0.0; 4], &mut [0.0; 5], CoordMode::Asymmetric, ResizeMode::Linear, (0.0, 0.0), false).unwrap_err();
    assert!(e.contains("output has 5"), "{e}");
}

#[test]
fn float32_coordinates_round_ties_as_onnx_runtime() {
    // 4 / 1.6f is 2.5 in float32 (ORT): round_prefer_ceil takes index 3; in float64, 4 / 1.6000000238 = 2.49999996 -> 2.
    let g = ResizeGeometry { batch: 1, in_h: 1, in_w: 5, out_h: 1, out_w: 8, channels: 1 };
    let x = [0.0, 1.0, 2.0, 3.0, 4.0];
    let scale = 1.6f32 as f64;
    let mode = ResizeMode::Nearest(NearestMode::RoundPreferCeil);
    let mut a = [0.0f32; 8];
    resize_with::<ScalarLanes>(&g, &x, &mut a, CoordMode::Asymmetric, mode, (1.0, scale), true).unwrap();
    let want: Vec<f32> = (0..8).map(|o| ((o as f32 / 1.6f32) + 0.5).floor().min(4.0)).collect();
    assert_eq!(a.to_vec(), want);
    assert_eq!(a[4], 3.0);
    let mut b = [0.0f32; 8];
    resize_with::<ScalarLanes>(&g, &x, &mut b, CoordMode::Asymmetric, mode, (1.0, scale), false).unwrap();
    assert_eq!(b[4], 2.0);
}

#[test]
fn float32_coordinates_copy_at_unit_scale_as_onnx_runtime() {
    // tf_half_pixel_for_nn + round_prefer_ceil at 3 -> 3 would read x + 1; ORT copies the input.
    let g = ResizeGeometry { batch: 1, in_h: 3, in_w: 3, out_h: 3, out_w: 3, channels: 2 };
    let x = Rng::new(4).vec(18);
    let mode = ResizeMode::Nearest(NearestMode::RoundPreferCeil);
    let mut y = vec![0.0; 18];
    resize_with::<ScalarLanes>(&g, &x, &mut y, CoordMode::TfHalfPixelForNn, mode, (0.0, 0.0), true).unwrap();
    assert_eq!(y, x);
    resize_with::<ScalarLanes>(&g, &x, &mut y, CoordMode::TfHalfPixelForNn, mode, (0.0, 0.0), false).unwrap();
    assert_ne!(y, x);
}
