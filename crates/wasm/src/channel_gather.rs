//! Channel gather of NHWC tensors (ONNX Split / Slice of channels, the channel shuffle).

use crate::{slice, slice_mut};
use sepconv_kernels::channel_gather;
use wasm_bindgen::prelude::*;

/// `output[p, offset + j] = input[p, idx[j]]` over `pixels` pixels of `channels` input channels, into an
/// output of `out_channels` channels (`idx.len()` and offset 0 for a plain gather; a channel concat writes
/// each input at its offset). An index out of range, or buffer lengths that do not match, are errors.
///
/// # Safety
/// Buffers of `input_len` / `output_len` f32s.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn channel_gather_run(
    input_ptr: *const f32,
    input_len: usize,
    output_ptr: *mut f32,
    output_len: usize,
    pixels: usize,
    channels: usize,
    idx: &[u32],
    out_channels: usize,
    offset: usize,
) -> Result<(), String> {
    let input = slice(input_ptr, input_len)?;
    let output = slice_mut(output_ptr, output_len)?;
    channel_gather::channel_gather_into(input, pixels, channels, idx, output, out_channels, offset)
}
