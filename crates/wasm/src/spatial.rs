//! Spatially separable depthwise conv (K x 1 then 1 x K per channel, rank-r sums) and the kernel
//! factorisation (SVD) behind `factorizeKernel`.

use crate::{activation, slice, slice_mut};
use sepconv_kernels::shape::Pads;
use sepconv_kernels::spatial::{self, PackedSpatial};
use sepconv_kernels::svd;
use wasm_bindgen::prelude::*;

const HANDLE: &str = "spatially separable";

/// Packed pairs plus the scratch the two passes share, grown on demand and reused across calls.
pub struct SpatialHandle {
    packed: PackedSpatial,
    scratch: Vec<f32>,
}

/// Packs `rank` x [K_h, 1, C, 1] vertical and `rank` x [1, K_w, C, 1] horizontal weights (+ bias of C).
///
/// # Safety
/// Pointers must address `rank*K_h*C`, `rank*K_w*C` (and `C`) f32s in this memory.
#[wasm_bindgen]
pub unsafe fn spatial_pack(
    vertical_ptr: *const f32,
    horizontal_ptr: *const f32,
    bias_ptr: *const f32,
    kernel_h: usize,
    kernel_w: usize,
    channels: usize,
    rank: usize,
) -> Result<*mut SpatialHandle, String> {
    let v = slice(vertical_ptr, crate::elements("spatially separable vertical weights", &[rank, kernel_h, channels])?)?;
    let h = slice(horizontal_ptr, crate::elements("spatially separable horizontal weights", &[rank, kernel_w, channels])?)?;
    let bias = if bias_ptr.is_null() { None } else { Some(slice(bias_ptr, channels)?) };
    let packed = PackedSpatial::pack(v, h, bias, kernel_h, kernel_w, channels, rank)?;
    Ok(crate::new_handle(HANDLE, SpatialHandle { packed, scratch: Vec::new() }))
}

/// # Safety
/// `handle` must come from `spatial_pack` and not be freed twice.
#[wasm_bindgen]
pub unsafe fn spatial_free(handle: *mut SpatialHandle) {
    crate::free_handle(handle, HANDLE);
}

/// Runs the separable conv with explicit 2-D pads (TypeScript resolves 'same' / 'valid').
///
/// # Safety
/// `handle` from `spatial_pack`; buffers of `input_len` / `output_len` f32s.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub unsafe fn spatial_conv2d(
    handle: *mut SpatialHandle,
    input_ptr: *const f32,
    input_len: usize,
    output_ptr: *mut f32,
    output_len: usize,
    batch: usize,
    in_h: usize,
    in_w: usize,
    stride_h: usize,
    stride_w: usize,
    pad_top: usize,
    pad_bottom: usize,
    pad_left: usize,
    pad_right: usize,
    activation_code: u32,
) -> Result<(), String> {
    let hd = crate::handle_mut(handle, HANDLE)?;
    let act = activation(activation_code)?;
    let w = &hd.packed;
    let pads = Pads { top: pad_top, bottom: pad_bottom, left: pad_left, right: pad_right };
    let (gv, gh) = spatial::pass_geometries(batch, in_h, in_w, (w.kernel_h, w.kernel_w), (stride_h, stride_w), (1, 1), pads)?;
    let input = slice(input_ptr, input_len)?;
    let output = slice_mut(output_ptr, output_len)?;
    // Checked (and within MAX_ELEMENTS) before any scratch grows; spatial() checks it all again.
    let need = spatial::check_spatial_io(&gv, &gh, w, input, output)?;
    if hd.scratch.len() < need {
        hd.scratch.try_reserve_exact(need - hd.scratch.len()).map_err(|_| format!("out of memory growing the scratch to {need} values"))?;
        hd.scratch.resize(need, 0.0);
    }
    spatial::spatial(&gv, &gh, &hd.packed, input, output, &mut hd.scratch[..need], act)
}

/// Factorises a K_h x K_w kernel (row-major). `rank` 0 picks the smallest rank within `tolerance`.
/// Returns [separable (0/1), rank, relative error, min(K_h, K_w) singular values..., then per pair
/// K_h vertical and K_w horizontal values].
///
/// # Safety
/// `kernel_ptr` must address `K_h*K_w` f32s.
#[wasm_bindgen]
pub unsafe fn factorize_kernel(kernel_ptr: *const f32, kernel_h: usize, kernel_w: usize, rank: usize, tolerance: f64) -> Result<Vec<f32>, String> {
    let kernel = slice(kernel_ptr, crate::elements("factorizeKernel: kernel", &[kernel_h, kernel_w])?)?;
    let f = svd::factorize(kernel, kernel_h, kernel_w, (rank > 0).then_some(rank), tolerance)?;
    let mut out = vec![f.separable as u8 as f32, f.rank as f32, f.relative_error as f32];
    out.extend(f.singular_values.iter().map(|&s| s as f32));
    for (v, h) in &f.factors {
        out.extend_from_slice(v);
        out.extend_from_slice(h);
    }
    Ok(out)
}
