//! Keras ReLU / LeakyReLU / PReLU in their general form (slope per channel or per element, threshold,
//! max value): `sepconv_kernels::prelu`.

use crate::{slice, slice_mut};
use sepconv_kernels::prelu;
use wasm_bindgen::prelude::*;

/// y = x >= threshold ? min(x, max_value) : slope[i % slope_len] * (x - threshold) over `len` values
/// (`len` a multiple of `slope_len`).
///
/// # Safety
/// Buffers of `len` f32s (equal pointers: in place) and `slope_len` f32s.
#[wasm_bindgen]
pub unsafe fn prelu_run(input_ptr: *const f32, output_ptr: *mut f32, len: usize, slope_ptr: *const f32, slope_len: usize, threshold: f64, max_value: f64) -> Result<(), String> {
    let slope = slice(slope_ptr, slope_len)?;
    if input_ptr == output_ptr as *const f32 {
        prelu::prelu_in_place(slice_mut(output_ptr, len)?, slope, threshold, max_value)
    } else {
        prelu::prelu(slice(input_ptr, len)?, slope, threshold, max_value, slice_mut(output_ptr, len)?)
    }
}
