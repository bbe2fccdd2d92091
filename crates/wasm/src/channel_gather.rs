//! Channel gather of NHWC tensors (ONNX Split / Slice of channels, the channel shuffle).

use crate::{slice, slice_mut};
use sepconv_kernels::channel_gather;
use wasm_bindgen::prelude::*;

/// `output[p, j] = input[p, idx[j]]` over `pixels` pixels of `channels` input channels; `idx.len()` output
/// channels. An index out of range, or buffer lengths that do not match, are errors.
///
/// # Safety
/// Buffers of `input_len` / `output_len` f32s.
#[wasm_bindgen]
pub unsafe fn channel_gather_run(input_ptr: *const f32, input_len: usize, output_ptr: *mut f32, output_len: usize, pixels: usize, channels: usize, idx: &[u32]) -> Result<(), String> {
    let input = slice(input_ptr, input_len)?;
    let output = slice_mut(output_ptr, output_len)?;
    channel_gather::channel_gather(input, pixels, channels, idx, output)
}
