//! The general elementwise ops, reductions and softmax on any axis (issue 25 item 3). Shapes arrive as
//! u32 arrays; outputs must not alias inputs, except `unary_run`, which works in place when both
//! pointers are equal.

use crate::{slice, slice_mut};
use sepconv_kernels::binary::{self, BinaryOp};
use sepconv_kernels::reduce::{self, ReduceOp};
use sepconv_kernels::softmax;
use sepconv_kernels::unary::{self, UnaryOp};
use wasm_bindgen::prelude::*;

fn dims(shape: &[u32]) -> Vec<usize> {
    shape.iter().map(|&d| d as usize).collect()
}

/// `op` (BinaryOp code) of `a` (`a_shape`) and `b` (`b_shape`) broadcast into `output` (`output_len` values).
///
/// # Safety
/// Buffers of the shapes' element counts and `output_len` f32s.
#[wasm_bindgen]
pub unsafe fn binary_run(op: u32, a_ptr: *const f32, a_shape: &[u32], b_ptr: *const f32, b_shape: &[u32], output_ptr: *mut f32, output_len: usize) -> Result<(), String> {
    let op = BinaryOp::from_code(op).ok_or_else(|| format!("binary: unknown op code {op}"))?;
    let (sa, sb) = (dims(a_shape), dims(b_shape));
    let (na, nb) = (crate::elements("binary a", &sa)?, crate::elements("binary b", &sb)?);
    binary::binary(op, slice(a_ptr, na)?, &sa, slice(b_ptr, nb)?, &sb, slice_mut(output_ptr, output_len)?)
}

/// `op` (UnaryOp code) over `len` values; `alpha` / `beta` for leaky ReLU and hard sigmoid.
///
/// # Safety
/// Buffers of `len` f32s (equal pointers: in place).
#[wasm_bindgen]
pub unsafe fn unary_run(op: u32, input_ptr: *const f32, output_ptr: *mut f32, len: usize, alpha: f32, beta: f32) -> Result<(), String> {
    let op = UnaryOp::from_code(op).ok_or_else(|| format!("unary: unknown op code {op}"))?;
    if input_ptr == output_ptr as *const f32 {
        unary::unary_in_place(op, slice_mut(output_ptr, len)?, alpha, beta);
        Ok(())
    } else {
        unary::unary(op, slice(input_ptr, len)?, slice_mut(output_ptr, len)?, alpha, beta)
    }
}

/// `op` (ReduceOp code) of `x` (`shape`) over `axes` into `output` (`output_len` values).
///
/// # Safety
/// Buffers of the shape's element count and `output_len` f32s.
#[wasm_bindgen]
pub unsafe fn reduce_run(op: u32, x_ptr: *const f32, shape: &[u32], axes: &[u32], output_ptr: *mut f32, output_len: usize) -> Result<(), String> {
    let op = ReduceOp::from_code(op).ok_or_else(|| format!("reduce: unknown op code {op}"))?;
    let (s, a) = (dims(shape), dims(axes));
    let n = crate::elements("reduce input", &s)?;
    reduce::reduce(op, slice(x_ptr, n)?, &s, &a, slice_mut(output_ptr, output_len)?)
}

/// Softmax (`log` 0) or log-softmax (`log` 1) of `x` (`shape`) over `axis`.
///
/// # Safety
/// Buffers of the shape's element count.
#[wasm_bindgen]
pub unsafe fn softmax_axis_run(x_ptr: *const f32, output_ptr: *mut f32, shape: &[u32], axis: u32, log: u32) -> Result<(), String> {
    let s = dims(shape);
    let n = crate::elements("softmax input", &s)?;
    softmax::softmax_axis(slice(x_ptr, n)?, slice_mut(output_ptr, n)?, &s, axis as usize, log != 0)
}
