//! wasm-bindgen exports of `sepconv-kernels`: memory, weight handles and kernel calls, no logic.
//! Pointers and lengths come from the TypeScript side, which validates shapes first; every call
//! still re-checks through the kernels crate and returns an error string instead of trapping.

use sepconv_kernels::activation::Activation;
use sepconv_kernels::shape::{ConvGeometry, Padding, MAX_ELEMENTS};
use std::alloc::{alloc_zeroed, dealloc, Layout};
#[cfg(not(feature = "threads"))]
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

mod channel_gather;
mod conv;
mod conv_transpose;
mod depth_space;
mod depthwise;
mod elementwise;
mod gemm;
mod general;
mod pool;
mod prelu;
mod resize;
mod spatial;
#[cfg(feature = "threads")]
mod threads;

/// Alignment of every buffer handed out: one 128-bit vector.
const ALIGN: usize = 16;

fn layout(len: usize) -> Option<Layout> {
    if len > MAX_ELEMENTS {
        return None;
    }
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

/// Bytes of this instance's linear memory (native builds: no bound beyond the address space).
fn memory_bytes() -> usize {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size::<0>().saturating_mul(65536)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        usize::MAX
    }
}

/// Checks that `len` f32s from `ptr` are a buffer this memory holds: non-null, 4-byte aligned, at
/// most `MAX_ELEMENTS`, and ending inside the linear memory, so no slice built from JavaScript's
/// (pointer, length) pairs reaches past it. Length 0 needs no pointer.
fn check_buffer(ptr: usize, len: usize) -> Result<(), String> {
    if len == 0 {
        return Ok(());
    }
    if len > MAX_ELEMENTS {
        return Err(format!("buffer of {len} values exceeds the limit of {MAX_ELEMENTS} float32 elements"));
    }
    if ptr == 0 || ptr % 4 != 0 {
        return Err(format!("buffer of {len} values at address {ptr}: not a float32 buffer"));
    }
    let end = len.checked_mul(4).and_then(|b| ptr.checked_add(b));
    match end {
        Some(end) if end <= memory_bytes() && len * 4 <= isize::MAX as usize => Ok(()),
        _ => Err(format!("buffer of {len} values at address {ptr} runs past the end of memory")),
    }
}

/// A slice of `len` f32s at `ptr`, checked by `check_buffer`.
///
/// # Safety
/// Within the checked range, the memory must hold this buffer and nothing else may write it meanwhile.
pub(crate) unsafe fn slice<'a>(ptr: *const f32, len: usize) -> Result<&'a [f32], String> {
    check_buffer(ptr as usize, len)?;
    Ok(if len == 0 { &[] } else { std::slice::from_raw_parts(ptr, len) })
}

/// # Safety
/// As for `slice`, and the buffer must not alias another slice of the call.
pub(crate) unsafe fn slice_mut<'a>(ptr: *mut f32, len: usize) -> Result<&'a mut [f32], String> {
    check_buffer(ptr as usize, len)?;
    Ok(if len == 0 { &mut [] } else { std::slice::from_raw_parts_mut(ptr, len) })
}

// Live weight handles of this instance, by address, with their kind: a call with a freed handle, a
// handle of another kind or another instance, or any other number, fails with an error instead of
// reading whatever lies at that address; freeing one twice is a no-op.
// A plain list (a model holds a few hundred handles; one scan per call costs nothing next to a
// kernel), smaller in the wasm than a map.
#[cfg(not(feature = "threads"))]
thread_local! {
    static HANDLES: RefCell<Vec<(usize, &'static str)>> = const { RefCell::new(Vec::new()) };
}

// The threaded builds share one registry between the instances of all threads (a `thread_local!`
// would give each worker an empty one); the same `with(|h| h.borrow())` shape as the cell above.
#[cfg(feature = "threads")]
static HANDLES: threads::Registry = threads::Registry::new();

fn live_kind(p: usize) -> Option<&'static str> {
    HANDLES.with(|h| h.borrow().iter().find(|e| e.0 == p).map(|e| e.1))
}

/// Boxes `value` as a live handle of `kind`.
pub(crate) fn new_handle<T>(kind: &'static str, value: T) -> *mut T {
    let p = Box::into_raw(Box::new(value));
    HANDLES.with(|h| h.borrow_mut().push((p as usize, kind)));
    p
}

fn check_handle(p: usize, kind: &'static str) -> Result<(), String> {
    if p == 0 {
        return Err(format!("{kind} handle is null (disposed layer?)"));
    }
    match live_kind(p) {
        Some(k) if k == kind => Ok(()),
        Some(k) => Err(format!("handle {p} is a {k} handle, not a {kind} handle")),
        None => Err(format!("{kind} handle {p} is not live (freed, or from another instance)")),
    }
}

/// The value behind a live handle of `kind`.
///
/// # Safety
/// Nothing else may hold a mutable reference to it meanwhile.
pub(crate) unsafe fn handle_ref<'a, T>(p: *const T, kind: &'static str) -> Result<&'a T, String> {
    check_handle(p as usize, kind)?;
    Ok(&*p)
}

/// # Safety
/// As for `handle_ref`, and no other reference to it may be alive.
pub(crate) unsafe fn handle_mut<'a, T>(p: *mut T, kind: &'static str) -> Result<&'a mut T, String> {
    check_handle(p as usize, kind)?;
    Ok(&mut *p)
}

/// Drops a live handle of `kind` (null, freed or another kind: nothing to do).
///
/// # Safety
/// `handle` must have been made by `new_handle::<T>(kind, ..)`.
pub(crate) unsafe fn free_handle<T>(handle: *mut T, kind: &'static str) {
    let live = HANDLES.with(|h| {
        let mut h = h.borrow_mut();
        match h.iter().position(|e| *e == (handle as usize, kind)) {
            Some(i) => {
                h.swap_remove(i);
                true
            }
            None => false,
        }
    });
    if live {
        drop(Box::from_raw(handle));
    }
}

/// Element count of `dims` within `MAX_ELEMENTS` (the crate's checked product).
pub(crate) fn elements(what: &str, dims: &[usize]) -> Result<usize, String> {
    sepconv_kernels::shape::elements(what, dims)
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

