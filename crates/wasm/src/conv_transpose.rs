//! Transposed convolution: pack weights into a handle, run, free.

use crate::{activation, slice, slice_mut};
use sepconv_kernels::conv_transpose::{self, ConvTransposeGeometry, PackedConvTranspose};
use wasm_bindgen::prelude::*;

const HANDLE: &str = "conv_transpose";

/// Packs transposed-conv weights `[KH, KW, Cout, Cin]` (+ optional bias of Cout, `bias_ptr` 0 for none).
///
/// # Safety
/// Pointers must address `KH*KW*Cout*Cin` (and `Cout`) f32s in this memory.
#[wasm_bindgen]
pub unsafe fn conv_transpose_pack(
    weights_ptr: *const f32,
    bias_ptr: *const f32,
    kernel_h: usize,
    kernel_w: usize,
    in_channels: usize,
    out_channels: usize,
) -> Result<*mut PackedConvTranspose, String> {
    let len = crate::elements("conv_transpose weights", &[kernel_h, kernel_w, out_channels, in_channels])?;
    if len == 0 {
        return Err(format!("conv_transpose weights need positive sizes, got {kernel_h}x{kernel_w}x{out_channels}x{in_channels}"));
    }
    let weights = slice(weights_ptr, len)?;
    let bias = if bias_ptr.is_null() { None } else { Some(slice(bias_ptr, out_channels)?) };
    let packed = PackedConvTranspose::pack(weights, bias, kernel_h, kernel_w, in_channels, out_channels)?;
    Ok(crate::new_handle(HANDLE, packed))
}

/// # Safety
/// `handle` must come from `conv_transpose_pack` and not be freed twice.
#[wasm_bindgen]
pub unsafe fn conv_transpose_free(handle: *mut PackedConvTranspose) {
    crate::free_handle(handle, HANDLE);
}

/// Transposed conv: output `[batch, out_h, out_w, Cout]`, output row of input row `iy`, tap `ky`:
/// `iy*stride_h + ky*dilation_h - pad_top` (TypeScript resolves TF / ONNX padding to `pad_top` / `pad_left`).
///
/// # Safety
/// `handle` from `conv_transpose_pack`; buffers of `input_len` / `output_len` f32s.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn conv_transpose2d(
    handle: *const PackedConvTranspose,
    input_ptr: *const f32,
    input_len: usize,
    output_ptr: *mut f32,
    output_len: usize,
    batch: usize,
    in_h: usize,
    in_w: usize,
    out_h: usize,
    out_w: usize,
    stride_h: usize,
    stride_w: usize,
    dilation_h: usize,
    dilation_w: usize,
    pad_top: usize,
    pad_left: usize,
    activation_code: u32,
) -> Result<(), String> {
    let w = crate::handle_ref(handle, HANDLE)?;
    let g = ConvTransposeGeometry::new(batch, (in_h, in_w), (out_h, out_w), (w.kernel_h, w.kernel_w), (stride_h, stride_w), (dilation_h, dilation_w), (pad_top, pad_left))?;
    let act = activation(activation_code)?;
    let input = slice(input_ptr, input_len)?;
    let output = slice_mut(output_ptr, output_len)?;
    conv_transpose::check_conv_transpose(&g, w, input, output)?;
    conv_transpose::conv_transpose(&g, w, input, output, act);
    Ok(())
}
