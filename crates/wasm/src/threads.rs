//! The threaded builds only (feature `threads`): the shared handle registry and one `*_part` export per
//! splittable op. Each takes the whole op's arguments plus `part` / `parts`; every thread calls it with
//! its own `part`, and `sepconv_kernels::split` picks the output block and runs the unchanged kernel on
//! it, so the result is bit-identical for any `parts`. No logic here beyond argument plumbing.

use crate::{activation, slice, slice_mut};
use sepconv_kernels::dwconv::PackedDepthwise;
use sepconv_kernels::gemm::PackedGemm;
use sepconv_kernels::pool::PoolKind;
use sepconv_kernels::{elementwise, split};
use std::cell::{RefCell, UnsafeCell};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use wasm_bindgen::prelude::*;

type Entries = Vec<(usize, &'static str)>;

/// The live-handle list behind a spin lock. Not `std::sync::Mutex`: a contended one parks with
/// `memory.atomic.wait32`, which traps on a browser's main thread; the sections here are a few
/// compares long, so spinning is cheaper anyway.
pub(crate) struct Registry {
    locked: AtomicBool,
    entries: UnsafeCell<Entries>,
}

// SAFETY: `entries` is only reached through a `Guard`, which holds the lock.
unsafe impl Sync for Registry {}

pub(crate) struct Guard<'a>(&'a Registry);

impl Registry {
    pub(crate) const fn new() -> Self {
        Self { locked: AtomicBool::new(false), entries: UnsafeCell::new(Vec::new()) }
    }
    /// The shape of `LocalKey::with`, so lib.rs reads the same for both registries.
    pub(crate) fn with<R>(&'static self, f: impl FnOnce(&'static Self) -> R) -> R {
        f(self)
    }
    fn lock(&self) -> Guard<'_> {
        while self.locked.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            std::hint::spin_loop();
        }
        Guard(self)
    }
    pub(crate) fn borrow(&self) -> Guard<'_> {
        self.lock()
    }
    pub(crate) fn borrow_mut(&self) -> Guard<'_> {
        self.lock()
    }
}

impl Deref for Guard<'_> {
    type Target = Entries;
    fn deref(&self) -> &Entries {
        // SAFETY: this guard holds the lock.
        unsafe { &*self.0.entries.get() }
    }
}

impl DerefMut for Guard<'_> {
    fn deref_mut(&mut self) -> &mut Entries {
        // SAFETY: this guard holds the lock.
        unsafe { &mut *self.0.entries.get() }
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        self.0.locked.store(false, Ordering::Release);
    }
}

thread_local! {
    /// This thread's ring for the fused expand + depthwise kernel (each thread its own).
    static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

fn with_scratch<R>(f: impl FnOnce(&mut Vec<f32>) -> R) -> R {
    SCRATCH.with(|s| f(&mut s.borrow_mut()))
}

/// The number of parts this build can split an op into.
#[wasm_bindgen]
pub fn max_parts() -> usize {
    split::MAX_PARTS
}

/// Part `part` of `parts` of `gemm_run`.
///
/// # Safety
/// As `gemm_run`; the parts of one op run at the same time on different threads, each writing its rows.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn gemm_run_part(
    handle: *const PackedGemm,
    input_ptr: *const f32,
    input_len: usize,
    output_ptr: *mut f32,
    output_len: usize,
    rows: usize,
    activation_code: u32,
    part: usize,
    parts: usize,
) -> Result<(), String> {
    let w = crate::handle_ref(handle, crate::gemm::HANDLE)?;
    split::gemm_part(rows, w, slice(input_ptr, input_len)?, slice_mut(output_ptr, output_len)?, activation(activation_code)?, part, parts)
}

/// Part `part` of `parts` of `depthwise_conv2d`.
///
/// # Safety
/// As `depthwise_conv2d`.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn depthwise_conv2d_part(
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
    part: usize,
    parts: usize,
) -> Result<(), String> {
    let w = crate::handle_ref(handle, crate::depthwise::HANDLE)?;
    let pads = [pad_top, pad_bottom, pad_left, pad_right];
    let g = crate::explicit_geometry(batch, in_h, in_w, (w.kernel_h, w.kernel_w), (stride_h, stride_w), (dilation_h, dilation_w), pads)?;
    split::depthwise_part(&g, w, slice(input_ptr, input_len)?, slice_mut(output_ptr, output_len)?, activation(activation_code)?, part, parts)
}

/// Part `part` of `parts` of `conv2d`.
///
/// # Safety
/// As `conv2d`.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn conv2d_part(
    handle: *const sepconv_kernels::conv::PackedConv,
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
    part: usize,
    parts: usize,
) -> Result<(), String> {
    let w = crate::handle_ref(handle, crate::conv::HANDLE)?;
    let pads = [pad_top, pad_bottom, pad_left, pad_right];
    let g = crate::explicit_geometry(batch, in_h, in_w, (w.kernel_h, w.kernel_w), (stride_h, stride_w), (dilation_h, dilation_w), pads)?;
    split::conv_part(&g, w, slice(input_ptr, input_len)?, slice_mut(output_ptr, output_len)?, activation(activation_code)?, part, parts)
}

/// Part `part` of `parts` of `pool2d`.
///
/// # Safety
/// As `pool2d`.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn pool2d_part(
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
    part: usize,
    parts: usize,
) -> Result<(), String> {
    let kind = match kind {
        0 => PoolKind::Avg,
        1 => PoolKind::Max,
        k => return Err(format!("unknown pool kind {k}")),
    };
    let g = crate::explicit_geometry(batch, in_h, in_w, (pool_h, pool_w), (stride_h, stride_w), (1, 1), [pad_top, pad_bottom, pad_left, pad_right])?;
    split::pool_part(&g, channels, slice(input_ptr, input_len)?, slice_mut(output_ptr, output_len)?, kind, part, parts)
}

/// Part `part` of `parts` of `expand_depthwise` (this thread's own ring; `ring_ptr` is not used).
///
/// # Safety
/// As `expand_depthwise`.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn expand_depthwise_part(
    pw_handle: *const PackedGemm,
    pw_activation: u32,
    dw_handle: *const PackedDepthwise,
    input_ptr: *const f32,
    input_len: usize,
    output_ptr: *mut f32,
    output_len: usize,
    _ring_ptr: *mut f32,
    _ring_len: usize,
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
    part: usize,
    parts: usize,
) -> Result<(), String> {
    let pw = crate::handle_ref(pw_handle, crate::gemm::HANDLE)?;
    let dw = crate::handle_ref(dw_handle, crate::depthwise::HANDLE)?;
    let pads = [pad_top, pad_bottom, pad_left, pad_right];
    let g = crate::explicit_geometry(batch, in_h, in_w, (dw.kernel_h, dw.kernel_w), (stride_h, stride_w), (1, 1), pads)?;
    let (pa, da) = (activation(pw_activation)?, activation(dw_activation)?);
    let (input, output) = (slice(input_ptr, input_len)?, slice_mut(output_ptr, output_len)?);
    with_scratch(|ring| split::expand_depthwise_part(&g, pw, pa, dw, da, input, output, ring, part, parts))
}

/// Part `part` of `parts` of `add_run` (a block of elements).
///
/// # Safety
/// As `add_run`.
#[wasm_bindgen]
pub unsafe fn add_run_part(a_ptr: *const f32, b_ptr: *const f32, output_ptr: *mut f32, len: usize, activation_code: u32, part: usize, parts: usize) -> Result<(), String> {
    let (s, e) = split::flat_part(len, part, parts)?;
    let (a, b, o) = (slice(a_ptr, len)?, slice(b_ptr, len)?, slice_mut(output_ptr, len)?);
    elementwise::add(&a[s..e], &b[s..e], &mut o[s..e], activation(activation_code)?)
}

/// Part `part` of `parts` of `mul_run`.
///
/// # Safety
/// As `mul_run`.
#[wasm_bindgen]
pub unsafe fn mul_run_part(a_ptr: *const f32, b_ptr: *const f32, output_ptr: *mut f32, len: usize, part: usize, parts: usize) -> Result<(), String> {
    let (s, e) = split::flat_part(len, part, parts)?;
    let (a, b, o) = (slice(a_ptr, len)?, slice(b_ptr, len)?, slice_mut(output_ptr, len)?);
    elementwise::mul(&a[s..e], &b[s..e], &mut o[s..e])
}

/// Part `part` of `parts` of `mul_channels_run` (the squeeze-excite scale).
///
/// # Safety
/// As `mul_channels_run`.
#[wasm_bindgen]
pub unsafe fn mul_channels_run_part(a_ptr: *const f32, b_ptr: *const f32, output_ptr: *mut f32, len: usize, channels: usize, groups: usize, part: usize, parts: usize) -> Result<(), String> {
    let b = slice(b_ptr, crate::elements("channel scale", &[groups, channels])?)?;
    split::mul_channels_part(slice(a_ptr, len)?, b, slice_mut(output_ptr, len)?, channels, groups, part, parts)
}

/// Part `part` of `parts` of `activation_run` (in place when the pointers are equal).
///
/// # Safety
/// As `activation_run`.
#[wasm_bindgen]
pub unsafe fn activation_run_part(input_ptr: *const f32, output_ptr: *mut f32, len: usize, activation_code: u32, part: usize, parts: usize) -> Result<(), String> {
    let act = activation(activation_code)?;
    let (s, e) = split::flat_part(len, part, parts)?;
    if input_ptr == output_ptr as *const f32 {
        elementwise::activation_in_place(&mut slice_mut(output_ptr, len)?[s..e], act);
        Ok(())
    } else {
        elementwise::activation(&slice(input_ptr, len)?[s..e], &mut slice_mut(output_ptr, len)?[s..e], act)
    }
}
