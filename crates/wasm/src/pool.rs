//! Average / max pooling and global average pooling.

use crate::{slice, slice_mut};
use sepconv_kernels::pool::{self, PoolKind};
use wasm_bindgen::prelude::*;

/// Pools NHWC input with explicit pads; `kind` 0 = average (excluding padding), 1 = max.
///
/// # Safety
/// Buffers of `input_len` / `output_len` f32s.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn pool2d(
    input_ptr: *const f32,
    input_len: usize,
    output_ptr: *mut f32,
    output_len: usize,
    batch: usize,
    in_h: usize,
    in_w: usize,
    channels: usize,
    pool_h: usize,
    pool_w: usize,
    stride_h: usize,
    stride_w: usize,
    pad_top: usize,
    pad_bottom: usize,
    pad_left: usize,
    pad_right: usize,
    kind: u32,
) -> Result<(), String> {
    let kind = match kind {
        0 => PoolKind::Avg,
        1 => PoolKind::Max,
        k => return Err(format!("unknown pool kind {k}")),
    };
    let g = crate::explicit_geometry(batch, in_h, in_w, (pool_h, pool_w), (stride_h, stride_w), (1, 1), [pad_top, pad_bottom, pad_left, pad_right])?;
    pool::pool(&g, channels, slice(input_ptr, input_len)?, slice_mut(output_ptr, output_len)?, kind)
}

/// Mean over H*W: [N, H, W, C] -> [N, C].
///
/// # Safety
/// Buffers of `input_len` / `output_len` f32s.
#[wasm_bindgen]
pub unsafe fn global_avg_pool(input_ptr: *const f32, input_len: usize, output_ptr: *mut f32, output_len: usize, batch: usize, hw: usize, channels: usize) -> Result<(), String> {
    pool::global_avg_pool(slice(input_ptr, input_len)?, slice_mut(output_ptr, output_len)?, batch, hw, channels)
}
