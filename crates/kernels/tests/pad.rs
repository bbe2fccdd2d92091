//! pad_nd (constant / reflect / symmetric on any axes) against a per-element reference from the TF
//! definitions, over ranks 1-5, every axis padded or not, widths up to the mirror limits; and its errors.

use sepconv_kernels::pad::{pad_nd, PadMode};
use sepconv_kernels::testing::Rng;

fn reference(x: &[f32], shape: &[usize], pads: &[(usize, usize)], mode: PadMode) -> Vec<f32> {
    let out_shape: Vec<usize> = shape.iter().zip(pads).map(|(n, (b, a))| n + b + a).collect();
    let total: usize = out_shape.iter().product();
    let mut out = Vec::with_capacity(total);
    for flat in 0..total {
        let mut rem = flat;
        let mut coords = vec![0usize; shape.len()];
        for axis in (0..shape.len()).rev() {
            coords[axis] = rem % out_shape[axis];
            rem /= out_shape[axis];
        }
        let mut src = 0usize;
        let mut constant = false;
        for axis in 0..shape.len() {
            let (n, i) = (shape[axis] as isize, coords[axis] as isize - pads[axis].0 as isize);
            let j = if (0..n).contains(&i) {
                i
            } else {
                match mode {
                    PadMode::Constant(_) => {
                        constant = true;
                        0
                    }
                    PadMode::Reflect => if i < 0 { -i } else { 2 * (n - 1) - i },
                    PadMode::Symmetric => if i < 0 { -i - 1 } else { 2 * n - 1 - i },
                }
            };
            src = src * shape[axis] + j as usize;
        }
        out.push(if constant { if let PadMode::Constant(v) = mode { v } else { unreachable!() } } else { x[src] });
    }
    out
}

#[test]
fn pad_nd_matches_the_definitions() {
    let mut rng = Rng::new(3);
    let mut ran = 0;
    for shape in [vec![5usize], vec![3, 4], vec![2, 3, 4], vec![2, 3, 1, 5], vec![1, 2, 3, 2, 3], vec![2, 4, 4, 3]] {
        for mode in [PadMode::Constant(0.0), PadMode::Constant(-2.5), PadMode::Reflect, PadMode::Symmetric] {
            for trial in 0..6 {
                let pads: Vec<(usize, usize)> = shape
                    .iter()
                    .map(|&n| {
                        let lim = match mode { PadMode::Reflect => n - 1, PadMode::Symmetric => n, _ => 3 };
                        if (rng.next_u64() % 3 == 0) && trial > 0 { (0, 0) } else { ((rng.next_u64() as usize) % (lim + 1), (rng.next_u64() as usize) % (lim + 1)) }
                    })
                    .collect();
                let x = rng.vec(shape.iter().product());
                let want = reference(&x, &shape, &pads, mode);
                let mut out = vec![f32::NAN; want.len()];
                pad_nd(&x, &mut out, &shape, &pads, mode).unwrap();
                assert_eq!(out, want, "{shape:?} {pads:?} {mode:?}");
                ran += 1;
            }
        }
    }
    assert_eq!(ran, 144);
}

#[test]
fn pad_nd_rejects_bad_input_with_the_value() {
    let e = pad_nd(&[0.0; 3], &mut [0.0; 7], &[3], &[(3, 1)], PadMode::Reflect).unwrap_err();
    assert!(e.contains("axis 0 of size 3") && e.contains("(3, 1)") && e.contains("at most 2"), "{e}");
    assert!(pad_nd(&[0.0; 3], &mut [0.0; 9], &[3], &[(3, 3)], PadMode::Symmetric).is_ok());
    let e = pad_nd(&[0.0; 3], &mut [0.0; 3], &[3], &[(0, 0), (1, 1)], PadMode::Reflect).unwrap_err();
    assert!(e.contains("2 paddings") && e.contains("rank 1"), "{e}");
    let e = pad_nd(&[0.0; 3], &mut [0.0; 3], &[3], &[(usize::MAX, 1)], PadMode::Constant(0.0)).unwrap_err();
    assert!(e.contains("overflows"), "{e}");
    let e = pad_nd(&[0.0; 4], &mut [0.0; 3], &[2, 2], &[(usize::MAX / 2, 0), (0, 0)], PadMode::Constant(0.0)).unwrap_err();
    assert!(e.contains("too large"), "{e}");
    let e = pad_nd(&[0.0; 4], &mut [0.0; 5], &[2, 2], &[(1, 0), (0, 0)], PadMode::Constant(0.0)).unwrap_err();
    assert!(e.contains("output 5") && e.contains("expected 6"), "{e}");
}
