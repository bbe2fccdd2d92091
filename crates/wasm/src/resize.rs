//! Spatial resize (bilinear / nearest neighbour) of NHWC tensors.

use crate::{slice, slice_mut};
use sepconv_kernels::resize::{self, CoordMode, NearestMode, ResizeGeometry, ResizeMode};
use wasm_bindgen::prelude::*;

/// Resize `[batch, in_h, in_w, channels]` to `[batch, out_h, out_w, channels]`. `linear` 1 for bilinear,
/// 0 for nearest with `nearest_code` (`NearestMode`); `coord_code` a `CoordMode`; scales > 0 override
/// out / in in the coordinate transform (ONNX `scales`), 0 for none; `f32_coords` 1: ONNX Runtime's float32
/// coordinate arithmetic, 0: TF.js's float64.
///
/// # Safety
/// Buffers of `input_len` / `output_len` f32s.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn resize_run(
    input_ptr: *const f32,
    input_len: usize,
    output_ptr: *mut f32,
    output_len: usize,
    batch: usize,
    in_h: usize,
    in_w: usize,
    channels: usize,
    out_h: usize,
    out_w: usize,
    coord_code: u32,
    linear: u32,
    nearest_code: u32,
    scale_h: f64,
    scale_w: f64,
    f32_coords: u32,
) -> Result<(), String> {
    let coord = CoordMode::from_code(coord_code).ok_or_else(|| format!("resize: unknown coordinate mode code {coord_code}"))?;
    let mode = if linear != 0 {
        ResizeMode::Linear
    } else {
        ResizeMode::Nearest(NearestMode::from_code(nearest_code).ok_or_else(|| format!("resize: unknown nearest mode code {nearest_code}"))?)
    };
    let g = ResizeGeometry { batch, in_h, in_w, out_h, out_w, channels };
    let input = slice(input_ptr, input_len)?;
    let output = slice_mut(output_ptr, output_len)?;
    resize::resize(&g, input, output, coord, mode, (scale_h, scale_w), f32_coords != 0)
}
