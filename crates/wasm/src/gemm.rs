//! GEMM (pointwise 1x1 conv and dense): pack weights into a handle, run, free.

use crate::{activation, slice, slice_mut};
use sepconv_kernels::gemm::{self, PackedGemm};
use wasm_bindgen::prelude::*;

pub(crate) const HANDLE: &str = "gemm";

/// Packs row-major weights `[K, N]` (+ optional bias of N, `bias_ptr` 0 for none); returns a handle.
///
/// # Safety
/// Pointers must address `K*N` (and `N`) f32s in this memory.
#[wasm_bindgen]
pub unsafe fn gemm_pack(weights_ptr: *const f32, bias_ptr: *const f32, k: usize, n: usize) -> Result<*mut PackedGemm, String> {
    let weights = slice(weights_ptr, crate::elements("gemm weights", &[k, n])?)?;
    let bias = if bias_ptr.is_null() { None } else { Some(slice(bias_ptr, n)?) };
    let packed = PackedGemm::pack(weights, k, n, bias)?;
    Ok(crate::new_handle(HANDLE, packed))
}

/// # Safety
/// `handle` must come from `gemm_pack` and not be freed twice.
#[wasm_bindgen]
pub unsafe fn gemm_free(handle: *mut PackedGemm) {
    crate::free_handle(handle, HANDLE);
}

/// `rows` x K input (NHWC pixels for pointwise, batch rows for dense) times the packed weights.
///
/// # Safety
/// `handle` from `gemm_pack`; buffers of `input_len` / `output_len` f32s.
#[wasm_bindgen]
pub unsafe fn gemm_run(
    handle: *const PackedGemm,
    input_ptr: *const f32,
    input_len: usize,
    output_ptr: *mut f32,
    output_len: usize,
    rows: usize,
    activation_code: u32,
) -> Result<(), String> {
    let w = crate::handle_ref(handle, HANDLE)?;
    let act = activation(activation_code)?;
    let input = slice(input_ptr, input_len)?;
    let output = slice_mut(output_ptr, output_len)?;
    gemm::check_gemm(rows, w, input, output)?;
    gemm::gemm(rows, w, input, output, act);
    Ok(())
}
