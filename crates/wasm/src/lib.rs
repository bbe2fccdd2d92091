//! wasm-bindgen exports of `sepconv-kernels`: memory, weight handles and kernel calls, no logic.
//! Pointers and lengths come from the TypeScript side, which validates shapes first; every call
//! still re-checks through the kernels crate and returns an error string instead of trapping.

use sepconv_kernels::activation::Activation;
use sepconv_kernels::dwconv::{self, PackedDepthwise};
use sepconv_kernels::shape::{ConvGeometry, Padding};
use std::alloc::{alloc_zeroed, dealloc, Layout};
use wasm_bindgen::prelude::*;

/// Alignment of every buffer handed out: one 128-bit vector.
const ALIGN: usize = 16;

fn layout(len: usize) -> Layout {
    Layout::from_size_align(len.max(1) * 4, ALIGN).expect("buffer too large")
}

/// Allocates `len` zeroed f32s in wasm memory; returns 0 when memory cannot grow.
#[wasm_bindgen]
pub fn alloc_f32(len: usize) -> *mut f32 {
    unsafe { alloc_zeroed(layout(len)) as *mut f32 }
}

/// Frees a buffer from `alloc_f32` (same `len`).
///
/// # Safety
/// `ptr` must come from `alloc_f32(len)` and not be freed twice.
#[wasm_bindgen]
pub unsafe fn free_f32(ptr: *mut f32, len: usize) {
    if !ptr.is_null() {
        dealloc(ptr as *mut u8, layout(len));
    }
}

/// The lane implementation compiled into this build: "simd128" or "scalar".
#[wasm_bindgen]
pub fn lanes_name() -> String {
    sepconv_kernels::lanes::NATIVE_LANES_NAME.to_string()
}

unsafe fn slice<'a>(ptr: *const f32, len: usize) -> &'a [f32] {
    if len == 0 { &[] } else { std::slice::from_raw_parts(ptr, len) }
}

unsafe fn slice_mut<'a>(ptr: *mut f32, len: usize) -> &'a mut [f32] {
    if len == 0 { &mut [] } else { std::slice::from_raw_parts_mut(ptr, len) }
}

fn activation(code: u32) -> Result<Activation, String> {
    Activation::from_code(code).ok_or_else(|| format!("unknown activation code {code}"))
}

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
    let oc = channels * multiplier;
    let weights = slice(weights_ptr, kernel_h * kernel_w * oc);
    let bias = (!bias_ptr.is_null()).then(|| slice(bias_ptr, oc));
    let packed = PackedDepthwise::pack(weights, bias, kernel_h, kernel_w, channels, multiplier)?;
    Ok(Box::into_raw(Box::new(packed)))
}

/// # Safety
/// `handle` must come from `depthwise_pack` and not be freed twice.
#[wasm_bindgen]
pub unsafe fn depthwise_free(handle: *mut PackedDepthwise) {
    if !handle.is_null() {
        drop(Box::from_raw(handle));
    }
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
    let w = handle.as_ref().ok_or("depthwise handle is null (disposed layer?)")?;
    let padding = Padding::Explicit { top: pad_top, bottom: pad_bottom, left: pad_left, right: pad_right };
    let g = ConvGeometry::new(batch, in_h, in_w, (w.kernel_h, w.kernel_w), (stride_h, stride_w), (dilation_h, dilation_w), padding)?;
    let input = slice(input_ptr, input_len);
    let output = slice_mut(output_ptr, output_len);
    dwconv::check_depthwise(&g, w, input, output)?;
    dwconv::depthwise(&g, w, input, output, activation(activation_code)?);
    Ok(())
}
