//! Standard conv (direct, im2col and 1x1 GEMM paths) against the float64 reference over kernel
//! sizes, strides, dilations, paddings and groups, with every lane implementation.
//! Tolerance: testing::{ATOL, RTOL} scaled by sqrt(KH*KW*Cin/groups).

use sepconv_kernels::activation::Activation;
use sepconv_kernels::conv::{conv2d_path_with, conv_path, ConvPath, PackedConv};
use sepconv_kernels::elementwise::MathLanes;
use sepconv_kernels::lanes::ScalarLanes;
use sepconv_kernels::reference::conv_f64;
use sepconv_kernels::shape::{ConvGeometry, Padding};
use sepconv_kernels::testing::{first_mismatch, Rng};

#[derive(Clone, Copy, Debug)]
struct Case {
    batch: usize,
    h: usize,
    w: usize,
    cin: usize,
    cout: usize,
    groups: usize,
    k: (usize, usize),
    stride: (usize, usize),
    dilation: (usize, usize),
    padding: Padding,
    bias: bool,
    act: Activation,
}

fn run_case<V: MathLanes>(cs: Case, seed: u64, path: ConvPath) -> bool {
    let g = match ConvGeometry::new(cs.batch, cs.h, cs.w, cs.k, cs.stride, cs.dilation, cs.padding) {
        Ok(g) => g,
        Err(_) => return false,
    };
    let mut rng = Rng::new(seed);
    let input = rng.vec(cs.batch * cs.h * cs.w * cs.cin);
    let cg = cs.cin / cs.groups;
    let weights = rng.vec(cs.k.0 * cs.k.1 * cg * cs.cout);
    let bias = cs.bias.then(|| rng.vec(cs.cout));
    let packed = PackedConv::pack(&weights, bias.as_deref(), cs.k.0, cs.k.1, cs.cin, cs.cout, cs.groups).unwrap();
    let mut out = vec![f32::NAN; cs.batch * g.out_h * g.out_w * cs.cout];
    conv2d_path_with::<V>(&g, &packed, &input, &mut out, cs.act, path);
    let want = conv_f64(&g, cs.cin, cs.cout, cs.groups, &input, &weights, bias.as_deref(), cs.act);
    let scale = ((cs.k.0 * cs.k.1 * cg) as f64).sqrt().max(1.0);
    if let Some((i, got, exp)) = first_mismatch(&out, &want, scale) {
        panic!("{cs:?} via {path:?}: output[{i}] = {got}, reference {exp}");
    }
    true
}

fn sweep<V: MathLanes>() {
    let paddings = [
        Padding::Same,
        Padding::Valid,
        Padding::Explicit { top: 2, bottom: 0, left: 1, right: 3 },
    ];
    let mut seed = 0u64;
    let mut ran = 0;
    for &k in &[1usize, 2, 3, 5, 7] {
        for &stride in &[1usize, 2, 3, 4] {
            for &padding in &paddings {
                for &(cin, cout, groups) in &[(3, 8, 1), (5, 9, 1), (4, 6, 2), (6, 6, 6), (8, 17, 1)] {
                    seed += 1;
                    let act = Activation::ALL[seed as usize % Activation::ALL.len()];
                    let cs = Case {
                        batch: 1 + seed as usize % 2,
                        h: 9,
                        w: 11,
                        cin,
                        cout,
                        groups,
                        k: (k, k),
                        stride: (stride, stride),
                        dilation: (1, 1),
                        padding,
                        bias: seed % 4 != 0,
                        act,
                    };
                    for path in [ConvPath::Direct, ConvPath::Im2col] {
                        ran += run_case::<V>(cs, seed, path) as usize;
                    }
                }
            }
        }
    }
    for &dilation in &[2usize, 3, 4] {
        for &k in &[2usize, 3, 5] {
            for &padding in &paddings {
                seed += 1;
                let cs = Case {
                    batch: 1,
                    h: 17,
                    w: 14,
                    cin: 4,
                    cout: 10,
                    groups: if seed % 2 == 0 { 2 } else { 1 },
                    k: (k, k),
                    stride: (1 + seed as usize % 2, 1 + seed as usize % 3),
                    dilation: (dilation, if seed % 3 == 0 { 1 } else { dilation }),
                    padding,
                    bias: true,
                    act: Activation::Relu6,
                };
                for path in [ConvPath::Direct, ConvPath::Im2col] {
                    ran += run_case::<V>(cs, seed, path) as usize;
                }
            }
        }
    }
    // Odd shapes: rectangular kernels and strides, widths around the tile, tiny inputs, big pads.
    for &(h, w, k, s) in &[(1, 1, (1, 1), (1, 1)), (1, 13, (1, 3), (1, 2)), (7, 5, (3, 1), (2, 1)), (6, 30, (2, 5), (1, 3)), (3, 3, (3, 3), (1, 1))] {
        for &padding in &[Padding::Same, Padding::Explicit { top: 4, bottom: 3, left: 5, right: 4 }] {
            seed += 1;
            let cs = Case { batch: 2, h, w, cin: 7, cout: 12, groups: 1, k, stride: s, dilation: (1, 1), padding, bias: true, act: Activation::HardSwish };
            for path in [ConvPath::Direct, ConvPath::Im2col] {
                ran += run_case::<V>(cs, seed, path) as usize;
            }
        }
    }
    // Weights past LARGE_B_BYTES (4.7 MB packed): im2col blocks of 64 pixels, a ragged last block.
    seed += 1;
    let big = Case { batch: 1, h: 9, w: 9, cin: 256, cout: 512, groups: 1, k: (3, 3), stride: (1, 1), dilation: (1, 1), padding: Padding::Same, bias: true, act: Activation::Relu6 };
    ran += run_case::<V>(big, seed, ConvPath::Im2col) as usize;
    assert!(ran > 300, "only {ran} cases ran");
}

#[test]
fn conv_matches_reference_scalar_lanes() {
    sweep::<ScalarLanes>();
}

#[cfg(target_arch = "x86_64")]
#[test]
fn conv_matches_reference_sse_lanes() {
    sweep::<sepconv_kernels::lanes::SseLanes>();
}

#[test]
fn stem_and_pointwise_take_their_paths() {
    type L = ScalarLanes;
    // The MobileNet stem: 3x3 stride 2 over 3 channels, 'same' padding, direct path.
    let stem = Case { batch: 1, h: 33, w: 32, cin: 3, cout: 32, groups: 1, k: (3, 3), stride: (2, 2), dilation: (1, 1), padding: Padding::Same, bias: true, act: Activation::Relu6 };
    let g = ConvGeometry::new(1, 33, 32, (3, 3), (2, 2), (1, 1), Padding::Same).unwrap();
    let p = PackedConv::pack(&vec![0.0; 27 * 32], None, 3, 3, 3, 32, 1).unwrap();
    assert_eq!(conv_path(&g, &p), ConvPath::Direct);
    assert!(run_case::<L>(stem, 5, ConvPath::Direct));
    // 1x1 stride 1 valid: the plain GEMM.
    let pw = Case { batch: 2, h: 5, w: 7, cin: 19, cout: 21, groups: 1, k: (1, 1), stride: (1, 1), dilation: (1, 1), padding: Padding::Valid, bias: true, act: Activation::Swish };
    let g = ConvGeometry::new(2, 5, 7, (1, 1), (1, 1), (1, 1), Padding::Valid).unwrap();
    let p = PackedConv::pack(&vec![0.0; 19 * 21], None, 1, 1, 19, 21, 1).unwrap();
    assert_eq!(conv_path(&g, &p), ConvPath::Gemm);
    assert!(run_case::<L>(pw, 6, ConvPath::Gemm));
}

#[test]
fn pack_rejects_bad_groups_and_sizes() {
    let err = PackedConv::pack(&[0.0; 9], None, 3, 3, 3, 4, 2).unwrap_err();
    assert!(err.contains("groups 2 must divide"), "{err}");
    let err = PackedConv::pack(&[0.0; 10], None, 3, 3, 1, 1, 1).unwrap_err();
    assert!(err.contains("expected 3x3x1x1 = 9"), "{err}");
    let err = PackedConv::pack(&[0.0; 9], Some(&[0.0; 2]), 3, 3, 1, 1, 1).unwrap_err();
    assert!(err.contains("bias"), "{err}");
}
