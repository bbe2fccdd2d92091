//! Elementwise ops, activations, batch norm, softmax and padding. Outputs must not alias inputs,
//! except `activation_run`, which works in place when both pointers are equal.

use crate::{activation, slice, slice_mut};
use sepconv_kernels::{elementwise, pad, softmax};
use wasm_bindgen::prelude::*;

/// # Safety
/// Buffers of `len` f32s.
#[wasm_bindgen]
pub unsafe fn activation_run(input_ptr: *const f32, output_ptr: *mut f32, len: usize, activation_code: u32) -> Result<(), String> {
    let act = activation(activation_code)?;
    if input_ptr == output_ptr as *const f32 {
        elementwise::activation_in_place(slice_mut(output_ptr, len)?, act);
        Ok(())
    } else {
        elementwise::activation(slice(input_ptr, len)?, slice_mut(output_ptr, len)?, act)
    }
}

/// # Safety
/// Buffers of `len` f32s.
#[wasm_bindgen]
pub unsafe fn add_run(a_ptr: *const f32, b_ptr: *const f32, output_ptr: *mut f32, len: usize, activation_code: u32) -> Result<(), String> {
    elementwise::add(slice(a_ptr, len)?, slice(b_ptr, len)?, slice_mut(output_ptr, len)?, activation(activation_code)?)
}

/// # Safety
/// Buffers of `len` f32s.
#[wasm_bindgen]
pub unsafe fn mul_run(a_ptr: *const f32, b_ptr: *const f32, output_ptr: *mut f32, len: usize) -> Result<(), String> {
    elementwise::mul(slice(a_ptr, len)?, slice(b_ptr, len)?, slice_mut(output_ptr, len)?)
}

/// `a` (len values) times `b` broadcast per channel: `groups` rows of `channels` values.
///
/// # Safety
/// `a` / output of `len` f32s, `b` of `groups*channels`.
#[wasm_bindgen]
pub unsafe fn mul_channels_run(a_ptr: *const f32, b_ptr: *const f32, output_ptr: *mut f32, len: usize, channels: usize, groups: usize) -> Result<(), String> {
    let b = slice(b_ptr, crate::elements("channel scale", &[groups, channels])?)?;
    elementwise::mul_channels(slice(a_ptr, len)?, b, slice_mut(output_ptr, len)?, channels, groups)
}

/// Batch-norm inference over NHWC with `channels` channels (gamma / beta pointers 0 for none).
///
/// # Safety
/// `x` / output of `len` f32s; the statistics of `channels` f32s.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn batch_norm_run(
    x_ptr: *const f32,
    output_ptr: *mut f32,
    len: usize,
    channels: usize,
    mean_ptr: *const f32,
    variance_ptr: *const f32,
    gamma_ptr: *const f32,
    beta_ptr: *const f32,
    epsilon: f32,
    activation_code: u32,
) -> Result<(), String> {
    let act = activation(activation_code)?;
    let gamma = if gamma_ptr.is_null() { None } else { Some(slice(gamma_ptr, channels)?) };
    let beta = if beta_ptr.is_null() { None } else { Some(slice(beta_ptr, channels)?) };
    let (scale, shift) = elementwise::batch_norm_params(slice(mean_ptr, channels)?, slice(variance_ptr, channels)?, gamma, beta, epsilon)?;
    elementwise::batch_norm(slice(x_ptr, len)?, slice_mut(output_ptr, len)?, &scale, &shift, act)
}

/// Softmax over rows of `axis_len` values.
///
/// # Safety
/// Buffers of `len` f32s.
#[wasm_bindgen]
pub unsafe fn softmax_run(x_ptr: *const f32, output_ptr: *mut f32, len: usize, axis_len: usize) -> Result<(), String> {
    softmax::softmax(slice(x_ptr, len)?, slice_mut(output_ptr, len)?, axis_len)
}

/// Constant spatial padding of NHWC `x`.
///
/// # Safety
/// Buffers of `input_len` / `output_len` f32s.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn pad_run(
    x_ptr: *const f32,
    input_len: usize,
    output_ptr: *mut f32,
    output_len: usize,
    batch: usize,
    h: usize,
    w: usize,
    channels: usize,
    pad_top: usize,
    pad_bottom: usize,
    pad_left: usize,
    pad_right: usize,
    value: f32,
) -> Result<(), String> {
    pad::pad2d(slice(x_ptr, input_len)?, slice_mut(output_ptr, output_len)?, batch, h, w, channels, [pad_top, pad_bottom, pad_left, pad_right], value)
}

/// Padding of any axes of `x` (`shape`, `pads` = [before0, after0, before1, ...]): `mode` 0 constant
/// `value`, 1 reflect, 2 symmetric (TF Pad / PadV2 / MirrorPad, ONNX Pad).
///
/// # Safety
/// Buffers of `input_len` / `output_len` f32s.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn pad_nd_run(x_ptr: *const f32, input_len: usize, output_ptr: *mut f32, output_len: usize, shape: &[u32], pads: &[u32], mode: u32, value: f32) -> Result<(), String> {
    let mode = match mode {
        0 => pad::PadMode::Constant(value),
        1 => pad::PadMode::Reflect,
        2 => pad::PadMode::Symmetric,
        _ => return Err(format!("pad: unknown mode code {mode}")),
    };
    if pads.len() != 2 * shape.len() {
        return Err(format!("pad: {} pad values for a tensor of rank {}", pads.len(), shape.len()));
    }
    let shape: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
    let pads: Vec<(usize, usize)> = pads.chunks_exact(2).map(|p| (p[0] as usize, p[1] as usize)).collect();
    pad::pad_nd(slice(x_ptr, input_len)?, slice_mut(output_ptr, output_len)?, &shape, &pads, mode)
}
