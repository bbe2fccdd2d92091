//! Transposed conv against the float64 reference over kernel sizes, strides, dilations, pads,
//! output paddings (ONNX) and channel counts, with every lane implementation.
//! Tolerance: testing::{ATOL, RTOL} scaled by sqrt(KH*KW*Cin).

use sepconv_kernels::activation::Activation;
use sepconv_kernels::conv_transpose::{conv_transpose_with, ConvTransposeGeometry, PackedConvTranspose};
use sepconv_kernels::elementwise::MathLanes;
use sepconv_kernels::lanes::ScalarLanes;
use sepconv_kernels::reference::conv_transpose::conv_transpose_f64;
use sepconv_kernels::testing::{first_mismatch, Rng};

#[allow(clippy::too_many_arguments)]
fn run_case<V: MathLanes>(batch: usize, (h, w): (usize, usize), (cin, cout): (usize, usize), k: (usize, usize), s: (usize, usize), d: (usize, usize), pads: [usize; 4], out_pad: (usize, usize), bias: bool, act: Activation, seed: u64) -> bool {
    let span = |k: usize, d: usize| (k - 1) * d + 1;
    let oh = (s.0 * (h - 1) + span(k.0, d.0) + out_pad.0) as isize - (pads[0] + pads[1]) as isize;
    let ow = (s.1 * (w - 1) + span(k.1, d.1) + out_pad.1) as isize - (pads[2] + pads[3]) as isize;
    if oh < 1 || ow < 1 {
        return false;
    }
    let g = ConvTransposeGeometry::new(batch, (h, w), (oh as usize, ow as usize), k, s, d, (pads[0], pads[2])).unwrap();
    let mut rng = Rng::new(seed);
    let input = rng.vec(batch * h * w * cin);
    let weights = rng.vec(k.0 * k.1 * cout * cin);
    let b = bias.then(|| rng.vec(cout));
    let packed = PackedConvTranspose::pack(&weights, b.as_deref(), k.0, k.1, cin, cout).unwrap();
    let mut out = vec![f32::NAN; batch * g.out_h * g.out_w * cout];
    conv_transpose_with::<V>(&g, &packed, &input, &mut out, act);
    let want = conv_transpose_f64(&g, cin, cout, &input, &weights, b.as_deref(), act);
    let scale = ((k.0 * k.1 * cin) as f64).sqrt().max(1.0);
    if let Some((i, got, exp)) = first_mismatch(&out, &want, scale) {
        panic!("{g:?} cin {cin} cout {cout} {act:?}: output[{i}] = {got}, reference {exp}");
    }
    true
}

fn sweep<V: MathLanes>() {
    let mut seed = 0u64;
    let mut ran = 0;
    for &k in &[(1usize, 1usize), (2, 2), (3, 3), (4, 4), (3, 5), (5, 2)] {
        for &s in &[(1usize, 1usize), (2, 2), (3, 2), (4, 4)] {
            for &(pads, out_pad) in &[([0usize; 4], (0usize, 0usize)), ([1, 1, 1, 1], (1, 0)), ([0, 1, 2, 0], (0, 1)), ([3, 2, 0, 4], (1, 1))] {
                for &(cin, cout) in &[(1usize, 1usize), (3, 8), (8, 5), (16, 17), (7, 36)] {
                    seed += 1;
                    let act = Activation::ALL[seed as usize % Activation::ALL.len()];
                    let out_pad = (out_pad.0.min(s.0 - 1), out_pad.1.min(s.1 - 1));
                    let size = (3 + seed as usize % 5, 2 + seed as usize % 7);
                    ran += run_case::<V>(1 + seed as usize % 2, size, (cin, cout), k, s, (1, 1), pads, out_pad, seed % 3 != 0, act, seed) as usize;
                }
            }
        }
    }
    // Dilations (ONNX ConvTranspose has them).
    for &d in &[(2usize, 2usize), (1, 3), (3, 1)] {
        for &s in &[(1usize, 1usize), (2, 3)] {
            seed += 1;
            ran += run_case::<V>(1, (5, 6), (5, 9), (3, 2), s, d, [1, 0, 2, 1], (0, 0), true, Activation::Relu, seed) as usize;
        }
    }
    // Many pixels: several GEMM row blocks and a wide N (KH*KW*Cout > the column block).
    ran += run_case::<V>(2, (13, 17), (24, 40), (4, 4), (2, 2), (1, 1), [1, 1, 1, 1], (0, 0), true, Activation::Relu6, 99) as usize;
    ran += run_case::<V>(1, (9, 9), (32, 200), (3, 3), (2, 2), (1, 1), [1, 1, 1, 1], (1, 1), true, Activation::Swish, 100) as usize;
    assert!(ran > 400, "only {ran} cases ran");
}

#[test]
fn conv_transpose_matches_reference_scalar() {
    sweep::<ScalarLanes>();
}

#[test]
fn conv_transpose_matches_reference_native() {
    sweep::<sepconv_kernels::lanes::NativeLanes>();
}

#[test]
fn conv_transpose_rejects_bad_sizes_with_the_value() {
    let e = ConvTransposeGeometry::new(1, (4, 4), (0, 8), (3, 3), (2, 2), (1, 1), (0, 0)).unwrap_err();
    assert!(e.contains("0x8"), "{e}");
    let e = ConvTransposeGeometry::new(1, (4, 4), (8, 8), (3, 3), (0, 2), (1, 1), (0, 0)).unwrap_err();
    assert!(e.contains("stride 0x2"), "{e}");
    let e = ConvTransposeGeometry::new(1, (usize::MAX / 2, 4), (8, 8), (3, 3), (4, 2), (1, 1), (0, 0)).unwrap_err();
    assert!(e.contains("overflows"), "{e}");
    let e = PackedConvTranspose::pack(&[0.0; 10], None, 3, 3, 2, 2).unwrap_err();
    assert!(e.contains("10 values") && e.contains("3x3x2x2"), "{e}");
    let e = PackedConvTranspose::pack(&[0.0; 4], Some(&[0.0; 3]), 1, 1, 2, 2).unwrap_err();
    assert!(e.contains("bias has 3"), "{e}");
    let e = PackedConvTranspose::pack(&[], None, usize::MAX, 2, 2, 2).unwrap_err();
    assert!(e.contains("too large"), "{e}");
    // Output buffer of the wrong size, and sizes whose product wraps.
    let w = PackedConvTranspose::pack(&[0.5; 4], None, 1, 1, 2, 2).unwrap();
    let g = ConvTransposeGeometry::new(1, (2, 2), (2, 2), (1, 1), (1, 1), (1, 1), (0, 0)).unwrap();
    let e = sepconv_kernels::conv_transpose::check_conv_transpose(&g, &w, &[0.0; 8], &[0.0; 7]).unwrap_err();
    assert!(e.contains("output has 7"), "{e}");
    let g = ConvTransposeGeometry::new(1, (2, 2), (usize::MAX / 2, 4), (1, 1), (1, 1), (1, 1), (0, 0)).unwrap();
    let e = sepconv_kernels::conv_transpose::check_conv_transpose(&g, &w, &[0.0; 8], &[0.0; 8]).unwrap_err();
    assert!(e.contains("too large"), "{e}");
}

/// `cargo test --release --test conv_transpose -- --ignored --nocapture bench`: GFLOP/s of the kernel
/// against a plain scatter loop (the measurement behind the design, see conv_transpose.rs).
#[test]
#[ignore]
fn bench_conv_transpose() {
    use std::time::Instant;
    let (h, w, cin, cout, k, s) = (16usize, 16usize, 64usize, 32usize, 3usize, 2usize);
    let (oh, ow) = (h * s, w * s);
    let pt = (((h - 1) * s + k).saturating_sub(oh)) / 2;
    let g = ConvTransposeGeometry::new(1, (h, w), (oh, ow), (k, k), (s, s), (1, 1), (pt, pt)).unwrap();
    let mut rng = Rng::new(1);
    let input = rng.vec(h * w * cin);
    let weights = rng.vec(k * k * cout * cin);
    let packed = PackedConvTranspose::pack(&weights, None, k, k, cin, cout).unwrap();
    let mut out = vec![0.0f32; oh * ow * cout];
    let flops = 2.0 * (h * w * cin * k * k * cout) as f64;
    let reps = 200;
    let t = Instant::now();
    for _ in 0..reps {
        conv_transpose_with::<sepconv_kernels::lanes::NativeLanes>(&g, &packed, &input, &mut out, Activation::Linear);
    }
    let gemm = flops * reps as f64 / t.elapsed().as_secs_f64() / 1e9;
    let t = Instant::now();
    for _ in 0..reps {
        out.fill(0.0);
        for iy in 0..h {
            for ix in 0..w {
                let (ky0, ky1) = g.rows(iy);
                let (kx0, kx1) = g.cols(ix);
                for ky in ky0..ky1 {
                    for kx in kx0..kx1 {
                        let o = ((iy * s + ky - pt) * ow + ix * s + kx - pt) * cout;
                        for co in 0..cout {
                            let wr = &weights[((ky * k + kx) * cout + co) * cin..][..cin];
                            let xr = &input[(iy * w + ix) * cin..][..cin];
                            out[o + co] += xr.iter().zip(wr).map(|(a, b)| a * b).sum::<f32>();
                        }
                    }
                }
            }
        }
    }
    let naive = flops * reps as f64 / t.elapsed().as_secs_f64() / 1e9;
    println!("conv_transpose 3x3/s2 16x16x64->32x32x32: gemm+col2im {gemm:.1} GFLOP/s, scatter loop {naive:.1} GFLOP/s");
}
