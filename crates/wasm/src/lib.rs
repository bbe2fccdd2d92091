//! wasm-bindgen exports of `sepconv-kernels`: memory, weight handles and kernel calls, no logic.
//! Pointers and lengths come from the TypeScript side, which validates shapes first; every call
//! still re-checks through the kernels crate and returns an error string instead of trapping.

use sepconv_kernels::activation::Activation;
use sepconv_kernels::shape::{ConvGeometry, Padding};
use std::alloc::{alloc_zeroed, dealloc, Layout};
use wasm_bindgen::prelude::*;

mod conv;
mod conv_transpose;
mod depth_space;
mod depthwise;
mod elementwise;
mod gemm;
mod pool;
mod resize;
mod spatial;

/// Alignment of every buffer handed out: one 128-bit vector.
const ALIGN: usize = 16;

fn layout(len: usize) -> Option<Layout> {
    Layout::from_size_align(len.max(1).checked_mul(4)?, ALIGN).ok()
}

/// Allocates `len` zeroed f32s in wasm memory; returns 0 when memory cannot grow.
#[wasm_bindgen]
pub fn alloc_f32(len: usize) -> *mut f32 {
    match layout(len) {
        Some(l) => unsafe { alloc_zeroed(l) as *mut f32 },
        None => std::ptr::null_mut(),
    }
}

/// Frees a buffer from `alloc_f32` (same `len`).
///
/// # Safety
/// `ptr` must come from `alloc_f32(len)` and not be freed twice.
#[wasm_bindgen]
pub unsafe fn free_f32(ptr: *mut f32, len: usize) {
    if let (false, Some(l)) = (ptr.is_null(), layout(len)) {
        dealloc(ptr as *mut u8, l);
    }
}

/// The lane implementation compiled into this build: "simd128" or "scalar".
#[wasm_bindgen]
pub fn lanes_name() -> String {
    sepconv_kernels::lanes::NATIVE_LANES_NAME.to_string()
}

pub(crate) unsafe fn slice<'a>(ptr: *const f32, len: usize) -> &'a [f32] {
    if len == 0 { &[] } else { std::slice::from_raw_parts(ptr, len) }
}

pub(crate) unsafe fn slice_mut<'a>(ptr: *mut f32, len: usize) -> &'a mut [f32] {
    if len == 0 { &mut [] } else { std::slice::from_raw_parts_mut(ptr, len) }
}

/// Drops a handle made by `Box::into_raw` (null: nothing to do).
///
/// # Safety
/// `handle` must come from `Box::into_raw` and not be freed twice.
pub(crate) unsafe fn free_handle<T>(handle: *mut T) {
    if !handle.is_null() {
        drop(Box::from_raw(handle));
    }
}

/// A window geometry with explicit pads `[top, bottom, left, right]` (TypeScript resolves 'same' / 'valid').
pub(crate) fn explicit_geometry(
    batch: usize,
    in_h: usize,
    in_w: usize,
    kernel: (usize, usize),
    stride: (usize, usize),
    dilation: (usize, usize),
    [top, bottom, left, right]: [usize; 4],
) -> Result<ConvGeometry, String> {
    ConvGeometry::new(batch, in_h, in_w, kernel, stride, dilation, Padding::Explicit { top, bottom, left, right })
}

pub(crate) fn activation(code: u32) -> Result<Activation, String> {
    Activation::from_code(code).ok_or_else(|| format!("unknown activation code {code}"))
}

