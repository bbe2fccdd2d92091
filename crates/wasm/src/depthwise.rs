//! Depthwise convolution: pack weights into a handle, run, free.

use crate::{activation, slice, slice_mut};
use sepconv_kernels::deform;
use sepconv_kernels::dwconv::{self, PackedDepthwise};
use wasm_bindgen::prelude::*;

pub(crate) const HANDLE: &str = "depthwise";

/// Packs depthwise weights `[KH, KW, C, M]` (+ optional bias, `bias_ptr` 0 for none); returns a handle.
///
/// # Safety
/// Pointers must address `KH*KW*C*M` (and `C*M`) f32s in this memory.
#[wasm_bindgen]
pub unsafe fn depthwise_pack(
    weights_ptr: *const f32,
    bias_ptr: *const f32,
    kernel_h: usize,
    kernel_w: usize,
    channels: usize,
    multiplier: usize,
) -> Result<*mut PackedDepthwise, String> {
    let weights = slice(weights_ptr, crate::elements("depthwise weights", &[kernel_h, kernel_w, channels, multiplier])?)?;
    let bias = if bias_ptr.is_null() { None } else { Some(slice(bias_ptr, crate::elements("depthwise bias", &[channels, multiplier])?)?) };
    let packed = PackedDepthwise::pack(weights, bias, kernel_h, kernel_w, channels, multiplier)?;
    Ok(crate::new_handle(HANDLE, packed))
}

/// # Safety
/// `handle` must come from `depthwise_pack` and not be freed twice.
#[wasm_bindgen]
pub unsafe fn depthwise_free(handle: *mut PackedDepthwise) {
    crate::free_handle(handle, HANDLE);
}

/// Depthwise conv with explicit pads (TypeScript resolves 'same'/'valid').
///
/// # Safety
/// `handle` from `depthwise_pack`; buffers of `input_len` / `output_len` f32s.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn depthwise_conv2d(
    handle: *const PackedDepthwise,
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
    let input = slice(input_ptr, input_len)?;
    let output = slice_mut(output_ptr, output_len)?;
    dwconv::check_depthwise(&g, w, input, output)?;
    dwconv::depthwise(&g, w, input, output, activation(activation_code)?);
    Ok(())
}

/// Expand (a pointwise GEMM handle) then depthwise (a depthwise handle), fused over a ring of rows
/// (`ring_ptr`, at least KH x W x C floats). Fails, computing nothing, where there is no fused kernel.
///
/// # Safety
/// Handles from `gemm_pack` / `depthwise_pack`; buffers of the given lengths.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn expand_depthwise(
    pw_handle: *const sepconv_kernels::gemm::PackedGemm,
    pw_activation: u32,
    dw_handle: *const PackedDepthwise,
    input_ptr: *const f32,
    input_len: usize,
    output_ptr: *mut f32,
    output_len: usize,
    ring_ptr: *mut f32,
    ring_len: usize,
    batch: usize,
    in_h: usize,
    in_w: usize,
    stride_h: usize,
    stride_w: usize,
    pad_top: usize,
    pad_bottom: usize,
    pad_left: usize,
    pad_right: usize,
    dw_activation: u32,
) -> Result<(), String> {
    let pw = crate::handle_ref(pw_handle, crate::gemm::HANDLE)?;
    let dw = crate::handle_ref(dw_handle, HANDLE)?;
    let pads = [pad_top, pad_bottom, pad_left, pad_right];
    let g = crate::explicit_geometry(batch, in_h, in_w, (dw.kernel_h, dw.kernel_w), (stride_h, stride_w), (1, 1), pads)?;
    let (input, output, ring) = (slice(input_ptr, input_len)?, slice_mut(output_ptr, output_len)?, slice_mut(ring_ptr, ring_len)?);
    sepconv_kernels::fused::expand_depthwise(&g, pw, activation(pw_activation)?, dw, activation(dw_activation)?, input, output, ring)
}

/// Deformable depthwise conv (`sepconv_kernels::deform`): offsets `[N, OH, OW, G*KH*KW*2]`, an optional
/// mask `[N, OH, OW, G*KH*KW]` (`mask_ptr` 0 for none), explicit pads.
///
/// # Safety
/// `handle` from `depthwise_pack`; buffers of the given lengths.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn deform_depthwise_conv2d(
    handle: *const PackedDepthwise,
    input_ptr: *const f32,
    input_len: usize,
    offsets_ptr: *const f32,
    offsets_len: usize,
    mask_ptr: *const f32,
    mask_len: usize,
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
    offset_groups: usize,
    activation_code: u32,
) -> Result<(), String> {
    let w = crate::handle_ref(handle, HANDLE)?;
    let pads = [pad_top, pad_bottom, pad_left, pad_right];
    let g = crate::explicit_geometry(batch, in_h, in_w, (w.kernel_h, w.kernel_w), (stride_h, stride_w), (dilation_h, dilation_w), pads)?;
    let input = slice(input_ptr, input_len)?;
    let offsets = slice(offsets_ptr, offsets_len)?;
    let mask = if mask_ptr.is_null() { None } else { Some(slice(mask_ptr, mask_len)?) };
    let output = slice_mut(output_ptr, output_len)?;
    deform::check_deform_depthwise(&g, w, offset_groups, input, offsets, mask, output)?;
    deform::deform_depthwise(&g, w, offset_groups, input, offsets, mask, output, activation(activation_code)?);
    Ok(())
}
