//! Padding: spatial NHWC with a constant (`pad2d`, Keras ZeroPadding2D), and any axis of any rank with a
//! constant or mirrored values (`pad_nd`: TF Pad / PadV2 / MirrorPad REFLECT and SYMMETRIC, ONNX Pad).
//! Trailing axes without padding are merged into blocks, so the copies stay whole rows.

/// What fills the padding.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PadMode {
    Constant(f32),
    /// Mirror without the edge: [a b c] -> b [a b c] b (needs pads <= n - 1).
    Reflect,
    /// Mirror with the edge: [a b c] -> a [a b c] c (needs pads <= n).
    Symmetric,
}

/// Source index of output index `o` (with `before` padding) on an axis of `n`, or None for a constant.
#[inline]
fn source(o: usize, before: usize, n: usize, mode: PadMode) -> Option<usize> {
    let i = o as isize - before as isize;
    let n = n as isize;
    if (0..n).contains(&i) {
        return Some(i as usize);
    }
    match mode {
        PadMode::Constant(_) => None,
        PadMode::Reflect => Some(if i < 0 { -i } else { 2 * (n - 1) - i } as usize),
        PadMode::Symmetric => Some(if i < 0 { -i - 1 } else { 2 * n - 1 - i } as usize),
    }
}

/// Pads `x` of `shape` by `pads[axis] = (before, after)` into `out`; checks sizes, mirror widths and overflow.
pub fn pad_nd(x: &[f32], out: &mut [f32], shape: &[usize], pads: &[(usize, usize)], mode: PadMode) -> Result<(), String> {
    if shape.len() != pads.len() || shape.is_empty() {
        return Err(format!("pad: {} paddings for a tensor of rank {}", pads.len(), shape.len()));
    }
    let mut out_shape = Vec::with_capacity(shape.len());
    for (axis, (&n, &(b, a))) in shape.iter().zip(pads).enumerate() {
        let limit = match mode {
            PadMode::Constant(_) => usize::MAX,
            PadMode::Reflect => n.saturating_sub(1),
            PadMode::Symmetric => n,
        };
        if b > limit || a > limit {
            return Err(format!("pad: axis {axis} of size {n} cannot be mirror-padded by ({b}, {a}) (at most {limit} each)"));
        }
        out_shape.push(b.checked_add(a).and_then(|p| p.checked_add(n)).ok_or_else(|| format!("pad: axis {axis} padding ({b}, {a}) overflows"))?);
    }
    let count = |s: &[usize]| s.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let (Some(nin), Some(nout)) = (count(shape), count(&out_shape)) else {
        return Err(format!("pad: input {shape:?} or output {out_shape:?} is too large"));
    };
    if x.len() != nin || out.len() != nout {
        return Err(format!("pad: input has {} values (expected {nin} for {shape:?}) and output {} (expected {nout} for {out_shape:?})", x.len(), out.len()));
    }
    if nout == 0 {
        return Ok(());
    }
    // Merge trailing unpadded axes into a block; `last` is the innermost padded axis (or 0).
    let mut last = shape.len() - 1;
    while last > 0 && pads[last] == (0, 0) {
        last -= 1;
    }
    let block: usize = shape[last + 1..].iter().product();
    let (n_in, (before, _)) = (shape[last], pads[last]);
    let n_out = out_shape[last];
    let fill = if let PadMode::Constant(v) = mode { v } else { 0.0 };
    // Rows: every output index over the axes before `last`.
    let outer = &out_shape[..last];
    let rows: usize = outer.iter().product();
    let mut idx = vec![0usize; last];
    let (row_in, row_out) = (n_in * block, n_out * block);
    for r in 0..rows {
        let orow = &mut out[r * row_out..(r + 1) * row_out];
        // Source row offset, or a constant row.
        let mut src = Some(0usize);
        for (axis, &o) in idx.iter().enumerate() {
            src = src.and_then(|off| source(o, pads[axis].0, shape[axis], mode).map(|i| off * shape[axis] + i));
        }
        match src {
            None => orow.fill(fill),
            Some(off) => {
                let irow = &x[off * row_in..(off + 1) * row_in];
                orow[before * block..(before + n_in) * block].copy_from_slice(irow);
                for o in (0..before).chain(before + n_in..n_out) {
                    let dst = &mut orow[o * block..(o + 1) * block];
                    match source(o, before, n_in, mode) {
                        Some(i) => dst.copy_from_slice(&irow[i * block..(i + 1) * block]),
                        None => dst.fill(fill),
                    }
                }
            }
        }
        // Next outer index (row-major).
        for axis in (0..last).rev() {
            idx[axis] += 1;
            if idx[axis] < out_shape[axis] {
                break;
            }
            idx[axis] = 0;
        }
    }
    Ok(())
}

/// Pads `x` [N, H, W, C] to [N, top + H + bottom, left + W + right, C] with `value`.
#[allow(clippy::too_many_arguments)]
pub fn pad2d(x: &[f32], out: &mut [f32], n: usize, h: usize, w: usize, c: usize, pads: [usize; 4], value: f32) -> Result<(), String> {
    let [top, bottom, left, right] = pads;
    let too_large = || format!("pad: padded size {h} + {top} + {bottom} by {w} + {left} + {right} exceeds the limit of {}", crate::shape::MAX_DIM);
    let oh = h.checked_add(top).and_then(|v| v.checked_add(bottom)).filter(|&v| v <= crate::shape::MAX_DIM).ok_or_else(too_large)?;
    let ow = w.checked_add(left).and_then(|v| v.checked_add(right)).filter(|&v| v <= crate::shape::MAX_DIM).ok_or_else(too_large)?;
    let need_in = crate::shape::elements("pad input", &[n, h, w, c])?;
    let need_out = crate::shape::elements("pad output", &[n, oh, ow, c])?;
    if x.len() != need_in || out.len() != need_out {
        return Err(format!(
            "pad: input has {} values (expected {n}x{h}x{w}x{c}) and output {} (expected {n}x{oh}x{ow}x{c})",
            x.len(),
            out.len()
        ));
    }
    let row_in = w * c;
    let row_out = ow * c;
    for b in 0..n {
        let o = &mut out[b * oh * row_out..(b + 1) * oh * row_out];
        o[..top * row_out].fill(value);
        o[(top + h) * row_out..].fill(value);
        for y in 0..h {
            let orow = &mut o[(top + y) * row_out..(top + y + 1) * row_out];
            orow[..left * c].fill(value);
            orow[(left + w) * c..].fill(value);
            let src = &x[(b * h + y) * row_in..(b * h + y + 1) * row_in];
            orow[left * c..(left + w) * c].copy_from_slice(src);
        }
    }
    Ok(())
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[
    // Row copies (memcpy / fill): nothing to tile.
    KernelDescriptor { name: "pad2d_rows", op: "pad", tile: (1, 1), summary: "constant spatial padding, one row copy per input row" },
    KernelDescriptor { name: "pad_nd_rows", op: "pad", tile: (1, 1), summary: "constant / reflect / symmetric padding of any axes: trailing unpadded axes merged, one copy per row and mirrored block" },
];
