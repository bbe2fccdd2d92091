//! DepthToSpace / SpaceToDepth of NHWC tensors.

use crate::{slice, slice_mut};
use sepconv_kernels::depth_space::{self, DepthSpaceGeometry, DepthToSpaceMode};
use wasm_bindgen::prelude::*;

/// `to_space` 1: DepthToSpace of `[batch, h, w, c]` (mode 0 DCR / TF, 1 CRD) into `[batch, h*b, w*b, c/(b*b)]`;
/// 0: SpaceToDepth of `[batch, h*b, w*b, c/(b*b)]` into `[batch, h, w, c]`. `h, w, c` are the depth side's.
///
/// # Safety
/// Buffers of `input_len` / `output_len` f32s.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn depth_space_run(
    input_ptr: *const f32,
    input_len: usize,
    output_ptr: *mut f32,
    output_len: usize,
    batch: usize,
    h: usize,
    w: usize,
    c: usize,
    block: usize,
    to_space: u32,
    mode: u32,
) -> Result<(), String> {
    let g = DepthSpaceGeometry { batch, h, w, c, block };
    let input = slice(input_ptr, input_len)?;
    let output = slice_mut(output_ptr, output_len)?;
    if to_space == 0 {
        return depth_space::space_to_depth(&g, input, output);
    }
    let mode = match mode {
        0 => DepthToSpaceMode::Dcr,
        1 => DepthToSpaceMode::Crd,
        _ => return Err(format!("depth_to_space: unknown mode code {mode}")),
    };
    depth_space::depth_to_space(&g, input, output, mode)
}
