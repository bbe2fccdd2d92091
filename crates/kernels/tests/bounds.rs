//! Size limits and checked geometry (issue 23, part 1): every geometry constructor and kernel entry
//! refuses zero, overflowing and out-of-limit sizes with an error instead of wrapping, and handles
//! whose sizes disagree with their data or with the call are refused before a kernel runs.
//! Natively `usize` is 64 bits, so the wrap-around cases use products of 2^64 (what 2^32 is on wasm32);
//! the 2^32 ones run through the wasm in packages/sepconv/test/kernels/bounds.test.ts.
//! The sweeps check that what stays valid still matches the float64 references.

use sepconv_kernels::activation::Activation;
use sepconv_kernels::conv::{check_conv, conv2d_with, PackedConv};
use sepconv_kernels::deform::check_deform_depthwise;
use sepconv_kernels::dwconv::{check_depthwise, depthwise_with, PackedDepthwise};
use sepconv_kernels::elementwise::{channel_affine_with, mul_channels};
use sepconv_kernels::fused::{check_expand_depthwise, expand_depthwise};
use sepconv_kernels::gemm::{check_gemm, PackedGemm};
use sepconv_kernels::lanes::{NativeLanes, ScalarLanes};
use sepconv_kernels::pad::pad2d;
use sepconv_kernels::pool::{global_avg_pool, pool, pool_with, PoolKind};
use sepconv_kernels::reference::{conv_f64, depthwise_f64, pool::pool_f64};
use sepconv_kernels::shape::{axis_pads, dilated, elements, out_len, tap_range, ConvGeometry, Padding, Pads, MAX_DIM, MAX_ELEMENTS};
use sepconv_kernels::spatial::{check_spatial, pass_geometries, spatial, PackedSpatial};
use sepconv_kernels::testing::{first_mismatch, Rng};

const P32: usize = 1 << 32;

fn valid() -> Padding {
    Padding::Valid
}

fn geometry(n: usize, h: usize, w: usize, k: usize, s: usize, d: usize, padding: Padding) -> Result<ConvGeometry, String> {
    ConvGeometry::new(n, h, w, (k, k), (s, s), (d, d), padding)
}

/// Asserts `r` is an error whose message contains `needle`.
#[track_caller]
fn expect_err<T: std::fmt::Debug>(r: Result<T, String>, needle: &str) {
    match r {
        Err(e) => assert!(e.contains(needle), "error {e:?} does not mention {needle:?}"),
        Ok(v) => panic!("expected an error mentioning {needle:?}, got Ok({v:?})"),
    }
}

#[test]
fn limits_are_the_shared_numbers() {
    assert_eq!(MAX_ELEMENTS, (1 << 30) - 1);
    assert_eq!(MAX_DIM, (1 << 31) - 1);
    assert!(MAX_ELEMENTS.checked_mul(4).unwrap() < 1 << 32, "bytes of the largest buffer fit a wasm32 memory");
}

#[test]
fn elements_is_a_checked_product_within_the_limit() {
    assert_eq!(elements("x", &[2, 3, 4]), Ok(24));
    assert_eq!(elements("x", &[MAX_ELEMENTS]), Ok(MAX_ELEMENTS));
    expect_err(elements("x", &[1 << 15, 1 << 15]), "exceeds"); // 2^30: one past the limit
    expect_err(elements("input", &[MAX_ELEMENTS + 1]), "input of 1073741824 values exceeds the limit");
    expect_err(elements("input", &[1, 32768, 32769, 4]), "1 x 32768 x 32769 x 4");
    expect_err(elements("x", &[P32, P32]), "exceeds");
    expect_err(elements("x", &[usize::MAX, 2]), "exceeds");
    // A zero dimension is an empty buffer, but an out-of-limit dimension is refused even then.
    assert_eq!(elements("x", &[0, 1 << 20, 1 << 20]), Ok(0));
    expect_err(elements("x", &[0, P32]), "exceeds");
}

#[test]
fn dilated_and_out_len_do_not_wrap() {
    assert_eq!(dilated(3, 2), Some(5));
    assert_eq!(dilated(0, 1), None);
    assert_eq!(dilated(3, usize::MAX), None);
    assert_eq!(dilated(usize::MAX, 2), None);
    assert_eq!(out_len(usize::MAX, 1, 0, 1, 1, 1), None);
    assert_eq!(out_len(8, 0, 0, 3, usize::MAX, 1), Some(1));
    assert_eq!(out_len(8, 0, 0, 2, 1, usize::MAX), None);
    assert_eq!(out_len(8, 0, 0, 3, 0, 1), None);
}

#[test]
fn geometry_refuses_zero_sizes() {
    expect_err(geometry(1, 8, 8, 0, 1, 1, valid()), "kernel size must be positive");
    expect_err(geometry(1, 8, 8, 3, 0, 1, valid()), "stride and dilation must be positive");
    expect_err(geometry(1, 8, 8, 3, 1, 0, valid()), "stride and dilation must be positive");
    expect_err(geometry(0, 8, 8, 3, 1, 1, valid()), "must be positive");
    expect_err(geometry(1, 0, 8, 3, 1, 1, Padding::Same), "must be positive");
}

#[test]
fn geometry_refuses_sizes_past_max_dim() {
    let big = MAX_DIM + 1; // 2^31: what `dilations: 2**31` reaches the kernels as
    expect_err(geometry(1, 8, 8, 3, 1, big, Padding::Same), "dilation height 2147483648 exceeds");
    expect_err(geometry(1, 8, 8, 3, big, 1, Padding::Same), "stride height 2147483648 exceeds");
    expect_err(geometry(1, 8, 8, big, 1, 1, Padding::Same), "kernel height 2147483648 exceeds");
    expect_err(geometry(big, 8, 8, 3, 1, 1, Padding::Same), "batch 2147483648 exceeds");
    expect_err(geometry(1, usize::MAX, 8, 3, 1, 1, Padding::Same), "input height");
    expect_err(geometry(1, 8, 8, 3, usize::MAX, usize::MAX, Padding::Same), "exceeds");
    let pads = Padding::Explicit { top: 0, bottom: 0, left: big, right: 0 };
    expect_err(geometry(1, 8, 8, 3, 1, 1, pads), "pad left 2147483648 exceeds");
    // Each within MAX_DIM, but the dilated span or the padded extent past it.
    expect_err(geometry(1, 8, 8, 3, 1, 1 << 30, Padding::Same), "dilated kernel height");
    let pads = Padding::Explicit { top: MAX_DIM, bottom: MAX_DIM, left: 0, right: 0 };
    expect_err(geometry(1, 8, 8, 3, 1, 1, pads), "padded input height");
    // Just inside: a 3-tap kernel dilated to span MAX_ELEMENTS over a 1-pixel input padded that wide.
    let half = (MAX_ELEMENTS - 1) / 2;
    let pads = Padding::Explicit { top: 0, bottom: 0, left: half, right: half };
    let g = ConvGeometry::new(1, 1, 1, (1, 3), (1, 1), (1, half), pads).unwrap();
    assert_eq!((g.out_h, g.out_w, g.cols(0)), (1, 1, (1, 2)));
}

#[test]
fn geometry_refuses_pixel_counts_past_the_limit() {
    // The tensor, [1, 32768, 32769, C]: 2^30 + 2^15 pixels.
    expect_err(geometry(1, 32768, 32769, 3, 1, 1, Padding::Same), "input of 1 x 32768 x 32769 x 1 values exceeds");
    // The input fits, the padded input does not.
    let pads = Padding::Explicit { top: 0, bottom: 32768, left: 0, right: 0 };
    expect_err(geometry(1, 32768, 32767, 1, 32768, 1, pads), "padded input");
}

/// The geometry as plain integer arithmetic in u128: Some((out_h, out_w)) exactly when every limit holds.
fn model(n: u128, h: u128, w: u128, k: (u128, u128), s: (u128, u128), d: (u128, u128), p: [u128; 4]) -> Option<(u128, u128)> {
    let (max_dim, max_el) = (MAX_DIM as u128, MAX_ELEMENTS as u128);
    let sizes = [n, h, w, k.0, k.1, s.0, s.1, d.0, d.1];
    if sizes.iter().any(|&v| v == 0 || v > max_dim) || p.iter().any(|&v| v > max_dim) {
        return None;
    }
    let axis = |i: u128, k: u128, s: u128, d: u128, a: u128, b: u128| {
        let span = (k - 1) * d + 1;
        let padded = i + a + b;
        (span <= max_dim && padded <= max_dim && span <= padded).then(|| ((padded - span) / s + 1, padded))
    };
    let (oh, ph) = axis(h, k.0, s.0, d.0, p[0], p[1])?;
    let (ow, pw) = axis(w, k.1, s.1, d.1, p[2], p[3])?;
    (n * h * w <= max_el && n * oh * ow <= max_el && n * ph * pw <= max_el).then_some((oh, ow))
}

/// A size around one of the interesting magnitudes: small, near the limits, near 2^32, huge.
fn size(rng: &mut Rng) -> usize {
    let around = [1, 2, 3, 7, 1 << 15, 1 << 16, MAX_ELEMENTS, MAX_DIM, P32, usize::MAX / 2][(rng.next_u64() % 10) as usize];
    let jitter = (rng.next_u64() % 5) as usize;
    if rng.next_u64() % 2 == 0 { around.saturating_add(jitter) } else { around.saturating_sub(jitter) }
}

#[test]
fn geometry_matches_an_exact_model_across_magnitudes() {
    let mut rng = Rng::new(23);
    let (mut ok, mut err) = (0, 0);
    for _ in 0..200_000 {
        let small = |rng: &mut Rng| 1 + (rng.next_u64() % 9) as usize;
        // Mostly one or two large values among small ones, so both outcomes occur.
        let mut v: Vec<usize> = (0..13).map(|_| small(&mut rng)).collect();
        for _ in 0..1 + rng.next_u64() % 2 {
            let i = (rng.next_u64() % 13) as usize;
            v[i] = size(&mut rng);
        }
        for p in &mut v[9..] {
            *p -= 1; // pads may be 0
        }
        let got = ConvGeometry::new(v[0], v[1], v[2], (v[3], v[4]), (v[5], v[6]), (v[7], v[8]), Padding::Explicit { top: v[9], bottom: v[10], left: v[11], right: v[12] });
        let u: Vec<u128> = v.iter().map(|&x| x as u128).collect();
        let want = model(u[0], u[1], u[2], (u[3], u[4]), (u[5], u[6]), (u[7], u[8]), [u[9], u[10], u[11], u[12]]);
        match (&got, want) {
            (Ok(g), Some((oh, ow))) => {
                assert_eq!((g.out_h as u128, g.out_w as u128), (oh, ow), "{v:?}");
                ok += 1;
            }
            (Err(_), None) => err += 1,
            _ => panic!("sizes {v:?}: geometry {got:?}, model {want:?}"),
        }
    }
    assert!(ok > 10_000 && err > 10_000, "both outcomes exercised: {ok} valid, {err} refused");
}

#[test]
fn same_padding_overflow_is_an_error_not_a_wrap() {
    expect_err(ConvGeometry::new(1, 8, 8, (3, 3), (1, 1), (1, MAX_DIM), Padding::Same), "dilated kernel width");
    expect_err(ConvGeometry::new(1, 8, 8, (3, 3), (1, 1), (1, usize::MAX), Padding::Same), "dilation width 18446744073709551615 exceeds");
    // The resolution itself returns an error where its arithmetic overflows (reachable on wasm32 within MAX_DIM).
    assert_eq!(axis_pads(8, 3, 1, usize::MAX, true), None);
    assert_eq!(axis_pads(usize::MAX, 3, 1, 1, true), None);
    assert_eq!(axis_pads(8, 3, 2, 1, true), Some((0, 1)));
    let r = Padding::Same.resolve(8, 8, (3, 3), (1, 1), (1, usize::MAX));
    expect_err(r, "'same' padding of the width axis overflows");
}

#[test]
fn tap_range_matches_brute_force_with_large_pads_and_dilations() {
    let mut rng = Rng::new(7);
    for _ in 0..20_000 {
        let input = 1 + (rng.next_u64() % 9) as usize;
        let k = 1 + (rng.next_u64() % 4) as usize;
        let big = rng.next_u64() % 2 == 0;
        let d = if big { MAX_DIM / 4 - (rng.next_u64() % 3) as usize } else { 1 + (rng.next_u64() % 3) as usize };
        let pad = if rng.next_u64() % 2 == 0 { MAX_DIM / 2 - (rng.next_u64() % 3) as usize } else { (rng.next_u64() % 4) as usize };
        let stride = 1 + (rng.next_u64() % 3) as usize;
        let Ok(g) = ConvGeometry::new(1, 1, input, (1, k), (1, stride), (1, d), Padding::Explicit { top: 0, bottom: 0, left: pad, right: pad }) else { continue };
        for o in [0, 1, g.out_w / 2, g.out_w - 1].into_iter().filter(|&o| o < g.out_w && o < 64) {
            let inside: Vec<usize> = (0..k).filter(|&t| {
                let pos = (o * stride + t * d) as i128 - pad as i128;
                pos >= 0 && pos < input as i128
            }).collect();
            let (lo, hi) = tap_range(o, stride, pad, d, k, input);
            let want = inside.first().map_or((lo, lo), |&f| (f, inside.last().unwrap() + 1));
            assert_eq!((lo, hi), want, "o {o} stride {stride} pad {pad} dilation {d} k {k} input {input}");
            assert_eq!(inside.len(), hi - lo, "taps inside are contiguous");
        }
    }
}

fn dw(c: usize, k: usize) -> PackedDepthwise {
    PackedDepthwise::pack(&vec![0.5; k * k * c], None, k, k, c, 1).unwrap()
}

#[test]
fn depthwise_refuses_element_counts_past_the_limit() {
    // [1, 16384, 32769, 4]: pixels fit, elements (2^31 + 2^16) do not.
    let g = geometry(1, 16384, 32769, 3, 1, 1, Padding::Same).unwrap();
    expect_err(check_depthwise(&g, &dw(4, 3), &[0.0; 16], &mut [0.0; 16]), "input of 1 x 16384 x 32769 x 4 values exceeds");
    // Multiplier: the output passes the limit while the input does not.
    let g = geometry(1, 8192, 8192, 1, 1, 1, valid()).unwrap();
    let w = PackedDepthwise::pack(&[1.0; 32], None, 1, 1, 4, 8).unwrap();
    expect_err(check_depthwise(&g, &w, &[0.0; 4], &[0.0; 4]), "output of 1 x 8192 x 8192 x 32 values exceeds");
}

#[test]
fn depthwise_refuses_a_geometry_whose_sizes_wrap() {
    // A hand-built geometry whose input count is 2^32 x 2^32 x 1 = 2^64: 0 after a wrap, as 2^32 is on wasm32.
    let g = ConvGeometry { batch: P32, in_h: P32, in_w: 1, kernel_h: 1, kernel_w: 1, stride_h: 1, stride_w: 1, dilation_h: 1, dilation_w: 1, pads: Pads::default(), out_h: P32, out_w: 1 };
    expect_err(check_depthwise(&g, &dw(1, 1), &[], &[]), "exceeds");
    // One whose output size disagrees with its sizes: the kernel would write rows that are not there.
    let mut g = geometry(1, 4, 4, 3, 1, 1, valid()).unwrap();
    g.out_h = 4;
    expect_err(check_depthwise(&g, &dw(8, 3), &[0.0; 128], &[0.0; 128]), "inconsistent geometry");
}

#[test]
fn depthwise_handle_for_other_channels_is_refused() {
    let g = geometry(1, 5, 5, 3, 1, 1, Padding::Same).unwrap();
    let w8 = dw(8, 3);
    // A handle packed for C = 8 with an input of C = 16.
    expect_err(check_depthwise(&g, &w8, &[0.0; 400], &mut [0.0; 400]), "depthwise input has 400 values, expected 200");
    // A handle whose channel count was changed after packing: sizes agree with the buffers, not with its data.
    let mut w = w8.clone();
    w.channels = 16;
    expect_err(check_depthwise(&g, &w, &[0.0; 400], &[0.0; 400]), "packed depthwise weights have 80 values");
    let mut w = w8.clone();
    w.kernel_h = 5;
    w.kernel_w = 5;
    let g5 = geometry(1, 5, 5, 5, 1, 1, Padding::Same).unwrap();
    expect_err(check_depthwise(&g5, &w, &[0.0; 200], &[0.0; 200]), "packed depthwise weights");
    // A geometry with another kernel than the handle.
    expect_err(check_depthwise(&g5, &w8, &[0.0; 200], &[0.0; 200]), "differs from packed weights");
}

#[test]
fn packing_refuses_sizes_whose_product_wraps() {
    // 2^32 x 2^32 x 1 x 1 = 2^64 wraps to 0, which an empty buffer would match.
    expect_err(PackedDepthwise::pack(&[], None, P32, P32, 1, 1), "depthwise weights of 4294967296 x 4294967296 x 1 x 1 values exceeds");
    expect_err(PackedDepthwise::pack(&[], None, 1, 1, 1 << 16, 1 << 15), "exceeds");
    expect_err(PackedGemm::pack(&[], P32, P32, None), "gemm weights of");
    expect_err(PackedConv::pack(&[], None, P32, P32, 1, 1, 1), "conv weights of");
    expect_err(PackedSpatial::pack(&[], &[], None, P32, P32, P32, 1), "spatially separable vertical weights");
    // Inside the element limit, but the packed layout (a bias row per tile, channels padded to 8) passes it.
    expect_err(PackedGemm::pack(&vec![0.0; 1 << 27], 1 << 27, 1, None), "packed gemm weights");
}

#[test]
fn gemm_refuses_rows_past_the_limit_and_mismatched_handles() {
    let w = PackedGemm::pack(&[1.0; 32], 4, 8, None).unwrap();
    expect_err(check_gemm(1 << 28, &w, &[], &[]), "gemm input of 268435456 x 4 values exceeds");
    expect_err(check_gemm(1 << 62, &w, &[], &[]), "exceeds"); // 2^62 x 4 = 2^64: 0 after a wrap
    let mut bad = w.clone();
    bad.k = 400;
    expect_err(check_gemm(2, &bad, &[0.0; 800], &[0.0; 16]), "packed gemm weights have");
    assert_eq!(check_gemm(2, &w, &[0.0; 8], &[0.0; 16]), Ok(()));
}

#[test]
fn conv_refuses_limits_and_mismatched_handles() {
    let w = PackedConv::pack(&[0.1; 3 * 3 * 4 * 8], None, 3, 3, 4, 8, 1).unwrap();
    let g = geometry(1, 16384, 32769, 3, 1, 1, Padding::Same).unwrap();
    expect_err(check_conv(&g, &w, &[], &[]), "input of 1 x 16384 x 32769 x 4 values exceeds");
    let g = geometry(1, 5, 5, 3, 1, 1, Padding::Same).unwrap();
    let mut bad = w.clone();
    bad.in_channels = 8;
    expect_err(check_conv(&g, &bad, &[0.0; 200], &[0.0; 200]), "packed GEMMs do not match");
    let mut bad = w.clone();
    bad.groups = 2;
    expect_err(check_conv(&g, &bad, &[0.0; 100], &[0.0; 200]), "packed GEMMs do not match");
}

#[test]
fn pool_refuses_limits_and_wrapping_channels() {
    let g = geometry(1, 16384, 32769, 2, 2, 1, valid()).unwrap();
    expect_err(pool(&g, 4, &[], &mut [], PoolKind::Max), "pool: input of 1 x 16384 x 32769 x 4 values exceeds");
    // 2 x 2 pixels x 2^62 channels = 2^64: 0 after a wrap.
    let g = geometry(1, 2, 2, 2, 2, 1, valid()).unwrap();
    expect_err(pool(&g, 1 << 62, &[], &mut [], PoolKind::Avg), "exceeds");
    expect_err(global_avg_pool(&[], &mut [], P32, P32, P32), "exceeds");
    expect_err(global_avg_pool(&[], &mut [], 1, 1 << 28, 8), "globalAvgPool input of 1 x 268435456 x 8 values exceeds");
}

#[test]
fn pad_refuses_sizes_that_wrap() {
    expect_err(pad2d(&[], &mut [], 1, P32, P32, 1, [0; 4], 0.0), "pad: padded size 4294967296 + 0 + 0 by 4294967296 + 0 + 0 exceeds");
    expect_err(pad2d(&[], &mut [], P32, 1 << 16, 1 << 16, 1, [0; 4], 0.0), "pad input of 4294967296 x 65536 x 65536 x 1 values exceeds");
    expect_err(pad2d(&[0.0; 4], &mut [], 1, 2, 2, 1, [usize::MAX, 1, 0, 0], 0.0), "pad: padded size");
    expect_err(pad2d(&[0.0; 4], &mut [], 1, 2, 2, 1, [1 << 30, 0, 1 << 30, 0], 0.0), "pad output of");
}

#[test]
fn channel_ops_refuse_a_scale_count_that_wraps() {
    // 2^32 channels x 2^32 groups = 2^64: 0 after a wrap (a division by zero further on).
    expect_err(mul_channels(&[], &[], &mut [], P32, P32), "channel op scale of 4294967296 x 4294967296 values exceeds");
    expect_err(channel_affine_with::<ScalarLanes>(&[1.0; 4], &mut [0.0; 4], 1 << 31, &[], None, 1 << 31, Activation::Linear), "exceeds");
}

#[test]
fn deform_refuses_limits_and_mismatched_offsets() {
    let g = geometry(1, 16384, 32769, 3, 1, 1, Padding::Same).unwrap();
    expect_err(check_deform_depthwise(&g, &dw(4, 3), 1, &[], &[], None, &[]), "input of 1 x 16384 x 32769 x 4 values exceeds");
    let g = geometry(1, 4, 4, 3, 1, 1, Padding::Same).unwrap();
    let (input, out) = (vec![0.0; 128], vec![0.0; 128]);
    expect_err(check_deform_depthwise(&g, &dw(8, 3), 3, &input, &[0.0; 288], None, &out), "3 offset groups do not divide 8");
    expect_err(check_deform_depthwise(&g, &dw(8, 3), 1, &input, &[0.0; 287], None, &out), "deformable offsets have 287 values");
    expect_err(check_deform_depthwise(&g, &dw(8, 3), 1, &input, &[0.0; 288], Some(&[0.0; 145]), &out), "deformable mask has 145 values, expected");
    assert_eq!(check_deform_depthwise(&g, &dw(8, 3), 1, &input, &[0.0; 288], Some(&[0.0; 144]), &out), Ok(()));
}

#[test]
fn expand_depthwise_refuses_a_kernel_other_than_the_handles() {
    let pw = PackedGemm::pack(&[0.5; 4 * 8], 4, 8, None).unwrap();
    let dw3 = dw(8, 3);
    let g5 = geometry(1, 6, 6, 5, 1, 1, Padding::Same).unwrap();
    let mut out = vec![0.0; 6 * 6 * 8];
    let mut ring = vec![0.0; 5 * 6 * 8];
    expect_err(check_expand_depthwise(&g5, &pw, &dw3, &[0.0; 144], &out, &ring), "differs from packed weights");
    expect_err(expand_depthwise(&g5, &pw, Activation::Linear, &dw3, Activation::Linear, &[0.0; 144], &mut out, &mut ring), "differs");
    // The right kernel runs.
    let g3 = geometry(1, 6, 6, 3, 1, 1, Padding::Same).unwrap();
    assert_eq!(expand_depthwise(&g3, &pw, Activation::Linear, &dw3, Activation::Linear, &[0.0; 144], &mut out, &mut ring[..3 * 6 * 8]), Ok(()));
}

#[test]
fn spatial_refuses_pass_geometries_that_do_not_keep_their_axis() {
    let w = PackedSpatial::pack(&[0.5; 3 * 4], &[0.5; 3 * 4], None, 3, 3, 4, 1).unwrap();
    let pads = Pads { top: 1, bottom: 1, left: 1, right: 1 };
    let (v, h) = pass_geometries(1, 6, 6, (3, 3), (1, 1), (1, 1), pads).unwrap();
    let input = vec![0.0; 6 * 6 * 4];
    let mut out = vec![0.0; 6 * 6 * 4];
    let mut scratch = vec![0.0; w.scratch_len(&v, &h)];
    assert_eq!(spatial(&v, &h, &w, &input, &mut out, &mut scratch, Activation::Linear), Ok(()));
    // A vertical pass that also strides across: the two passes no longer compose to the conv.
    let v2 = ConvGeometry::new(1, 6, 12, (3, 1), (1, 2), (1, 1), Padding::Explicit { top: 1, bottom: 1, left: 0, right: 0 }).unwrap();
    expect_err(check_spatial(&v2, &h, &w, &vec![0.0; 6 * 12 * 4], &out, &scratch), "do not chain");
    // Weights whose pairs were swapped for another channel count.
    let mut bad = w.clone();
    bad.pairs[0].0 = dw(8, 1);
    expect_err(check_spatial(&v, &h, &bad, &input, &out, &scratch), "do not match");
}

/// Random valid geometries with edge-heavy sizes (pads past the input, dilations and strides larger than
/// it, 1-pixel inputs), through depthwise, pooling and conv, against the float64 references.
#[test]
fn valid_edge_geometries_still_match_the_references() {
    let mut rng = Rng::new(2023);
    let mut ran = 0;
    for case in 0..1500u64 {
        let r = |rng: &mut Rng, n: u64| (rng.next_u64() % n) as usize;
        let (h, w) = (1 + r(&mut rng, 9), 1 + r(&mut rng, 11));
        let k = (1 + r(&mut rng, 5), 1 + r(&mut rng, 5));
        let s = (1 + r(&mut rng, 4), 1 + r(&mut rng, 4));
        let d = (1 + r(&mut rng, 4), 1 + r(&mut rng, 4));
        let padding = match case % 3 {
            0 => Padding::Same,
            1 => Padding::Valid,
            _ => Padding::Explicit { top: r(&mut rng, 7), bottom: r(&mut rng, 7), left: r(&mut rng, 7), right: r(&mut rng, 7) },
        };
        let Ok(g) = ConvGeometry::new(1 + r(&mut rng, 2), h, w, k, s, d, padding) else { continue };
        let c = 1 + r(&mut rng, 19);
        let input = rng.vec(g.batch * h * w * c);
        let act = [Activation::Linear, Activation::Relu6][case as usize % 2];

        // Depthwise (multiplier 1 or 2).
        let m = 1 + r(&mut rng, 2);
        let weights = rng.vec(k.0 * k.1 * c * m);
        let bias = rng.vec(c * m);
        let packed = PackedDepthwise::pack(&weights, Some(&bias), k.0, k.1, c, m).unwrap();
        let mut out = vec![f32::NAN; g.batch * g.out_h * g.out_w * c * m];
        check_depthwise(&g, &packed, &input, &out).unwrap();
        depthwise_with::<NativeLanes>(&g, &packed, &input, &mut out, act);
        let want = depthwise_f64(&g, c, m, &input, &weights, Some(&bias), act);
        if let Some((i, got, exp)) = first_mismatch(&out, &want, (k.0 * k.1) as f64) {
            panic!("depthwise {g:?} c {c} m {m}: output[{i}] = {got}, reference {exp}");
        }

        // Pooling (dilation 1; a window that sees only padding is outside TF's rules, skip those).
        if let Ok(gp) = ConvGeometry::new(g.batch, h, w, k, s, (1, 1), padding) {
            let all_in = (0..gp.out_h).all(|oy| gp.rows(oy).0 < gp.rows(oy).1) && (0..gp.out_w).all(|ox| gp.cols(ox).0 < gp.cols(ox).1);
            if all_in {
                for (kind, max) in [(PoolKind::Avg, false), (PoolKind::Max, true)] {
                    let mut out = vec![f32::NAN; gp.batch * gp.out_h * gp.out_w * c];
                    pool_with::<NativeLanes>(&gp, c, &input, &mut out, kind).unwrap();
                    let want = pool_f64(&gp, c, &input, max);
                    if let Some((i, got, exp)) = first_mismatch(&out, &want, (k.0 * k.1) as f64) {
                        panic!("pool {kind:?} {gp:?} c {c}: output[{i}] = {got}, reference {exp}");
                    }
                }
            }
        }

        // Conv (1 or 2 groups).
        let groups = if c % 2 == 0 { 1 + r(&mut rng, 2) } else { 1 };
        let cout = groups * (1 + r(&mut rng, 9));
        let weights = rng.vec(k.0 * k.1 * (c / groups) * cout);
        let packed = PackedConv::pack(&weights, None, k.0, k.1, c, cout, groups).unwrap();
        let mut out = vec![f32::NAN; g.batch * g.out_h * g.out_w * cout];
        check_conv(&g, &packed, &input, &out).unwrap();
        conv2d_with::<NativeLanes>(&g, &packed, &input, &mut out, act);
        let want = conv_f64(&g, c, cout, groups, &input, &weights, None, act);
        if let Some((i, got, exp)) = first_mismatch(&out, &want, (k.0 * k.1 * c) as f64) {
            panic!("conv {g:?} c {c} -> {cout} groups {groups}: output[{i}] = {got}, reference {exp}");
        }
        ran += 1;
    }
    assert!(ran > 500, "only {ran} valid cases");
}
