//! Standard (grouped) convolution: pack weights into a handle, run, free.

use crate::{activation, slice, slice_mut};
use sepconv_kernels::conv::{self, PackedConv};
use wasm_bindgen::prelude::*;

pub(crate) const HANDLE: &str = "conv";

/// Packs conv weights `[KH, KW, Cin/groups, Cout]` (+ optional bias of Cout, `bias_ptr` 0 for none).
///
/// # Safety
/// Pointers must address `KH*KW*(Cin/groups)*Cout` (and `Cout`) f32s in this memory.
#[wasm_bindgen]
pub unsafe fn conv_pack(
    weights_ptr: *const f32,
    bias_ptr: *const f32,
    kernel_h: usize,
    kernel_w: usize,
    in_channels: usize,
    out_channels: usize,
    groups: usize,
) -> Result<*mut PackedConv, String> {
    if groups == 0 || in_channels % groups != 0 {
        return Err(format!("groups {groups} must divide the {in_channels} input channels"));
    }
    let len = crate::elements("conv weights", &[kernel_h, kernel_w, in_channels / groups, out_channels])?;
    let weights = slice(weights_ptr, len)?;
    let bias = if bias_ptr.is_null() { None } else { Some(slice(bias_ptr, out_channels)?) };
    let packed = PackedConv::pack(weights, bias, kernel_h, kernel_w, in_channels, out_channels, groups)?;
    Ok(crate::new_handle(HANDLE, packed))
}

/// # Safety
/// `handle` must come from `conv_pack` and not be freed twice.
#[wasm_bindgen]
pub unsafe fn conv_free(handle: *mut PackedConv) {
    crate::free_handle(handle, HANDLE);
}

/// Conv with explicit pads (TypeScript resolves 'same'/'valid').
///
/// # Safety
/// `handle` from `conv_pack`; buffers of `input_len` / `output_len` f32s.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn conv2d(
    handle: *const PackedConv,
    input_ptr: *const f32,
    input_len: usize,
    output_ptr: *mut f32,
    output_len: usize,
    batch: usize,
    in_h: usize,
    in_w: usize,
    stride_h: usize,
    stride_w: usize,
    dilation_h: usize,
    dilation_w: usize,
    pad_top: usize,
    pad_bottom: usize,
    pad_left: usize,
    pad_right: usize,
    activation_code: u32,
) -> Result<(), String> {
    let w = crate::handle_ref(handle, HANDLE)?;
    let pads = [pad_top, pad_bottom, pad_left, pad_right];
    let g = crate::explicit_geometry(batch, in_h, in_w, (w.kernel_h, w.kernel_w), (stride_h, stride_w), (dilation_h, dilation_w), pads)?;
    let act = activation(activation_code)?;
    let input = slice(input_ptr, input_len)?;
    let output = slice_mut(output_ptr, output_len)?;
    conv::check_conv(&g, w, input, output)?;
    conv::conv2d(&g, w, input, output, act);
    Ok(())
}
