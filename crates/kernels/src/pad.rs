//! Spatial padding of NHWC tensors with a constant (zero padding by default).

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
];
