//! DepthToSpace / SpaceToDepth over NHWC f32 (TF's ops; ONNX's DCR and CRD modes).
//!
//! DepthToSpace with block b: [N, H, W, C] -> [N, H*b, W*b, C/(b*b)].
//! - DCR (TF's order, ONNX default): `out[n, h*b + i, w*b + j, c] = in[n, h, w, (i*b + j)*C' + c]`. For a
//!   fixed (h, i, w) the b*C' source values are contiguous, and so are their destinations: one copy each.
//! - CRD (ONNX): `out[n, h*b + i, w*b + j, c] = in[n, h, w, c*b*b + i*b + j]`: a strided gather.
//!
//! SpaceToDepth is DCR's inverse (TF and ONNX agree): `out[n, h, w, (i*b + j)*C + c] = in[n, h*b + i, w*b + j, c]`.

/// Channel order of DepthToSpace.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepthToSpaceMode {
    /// depth-column-row: TensorFlow's order and ONNX's default.
    Dcr = 0,
    /// column-row-depth: ONNX mode "CRD" (PyTorch's pixel_shuffle).
    Crd = 1,
}

/// Sizes of the depth side `[n, h, w, c]` (the DepthToSpace input / SpaceToDepth output) and the block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepthSpaceGeometry {
    pub batch: usize,
    /// Height and width of the depth side (the small spatial side).
    pub h: usize,
    pub w: usize,
    /// Channels of the depth side (a multiple of block * block).
    pub c: usize,
    pub block: usize,
}

impl DepthSpaceGeometry {
    pub fn check(&self, depth: &[f32], space: &[f32]) -> Result<(), String> {
        let g = self;
        if [g.batch, g.h, g.w, g.c, g.block].contains(&0) {
            return Err(format!("depth_space: sizes must be positive, got {}x{}x{}x{} block {}", g.batch, g.h, g.w, g.c, g.block));
        }
        let bb = g.block.checked_mul(g.block).ok_or_else(|| format!("depth_space: block {} is too large", g.block))?;
        if g.c % bb != 0 {
            return Err(format!("depth_space: {} channels are not a multiple of block {} squared", g.c, g.block));
        }
        let need = [g.h, g.w, g.c].iter().try_fold(g.batch, |a, &d| a.checked_mul(d));
        let Some(need) = need else {
            return Err(format!("depth_space: {}x{}x{}x{} is too large", g.batch, g.h, g.w, g.c));
        };
        if depth.len() != need || space.len() != need {
            return Err(format!("depth_space: buffers have {} and {} values, expected {need}", depth.len(), space.len()));
        }
        Ok(())
    }
}

/// DepthToSpace: `input` is the depth side [N, H, W, C], `output` [N, H*b, W*b, C/(b*b)].
pub fn depth_to_space(g: &DepthSpaceGeometry, input: &[f32], output: &mut [f32], mode: DepthToSpaceMode) -> Result<(), String> {
    g.check(input, output)?;
    let b = g.block;
    let co = g.c / (b * b);
    let ow = g.w * b;
    for n in 0..g.batch {
        for h in 0..g.h {
            for i in 0..b {
                let orow = ((n * g.h + h) * b + i) * ow * co;
                for w in 0..g.w {
                    let src = ((n * g.h + h) * g.w + w) * g.c;
                    let dst = orow + w * b * co;
                    match mode {
                        DepthToSpaceMode::Dcr => output[dst..dst + b * co].copy_from_slice(&input[src + i * b * co..src + (i + 1) * b * co]),
                        DepthToSpaceMode::Crd => {
                            for j in 0..b {
                                for c in 0..co {
                                    output[dst + j * co + c] = input[src + c * b * b + i * b + j];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// SpaceToDepth: `input` [N, H*b, W*b, C/(b*b)], `output` the depth side [N, H, W, C].
pub fn space_to_depth(g: &DepthSpaceGeometry, input: &[f32], output: &mut [f32]) -> Result<(), String> {
    g.check(output, input)?;
    let b = g.block;
    let ci = g.c / (b * b);
    let iw = g.w * b;
    for n in 0..g.batch {
        for h in 0..g.h {
            for i in 0..b {
                let irow = ((n * g.h + h) * b + i) * iw * ci;
                for w in 0..g.w {
                    let dst = ((n * g.h + h) * g.w + w) * g.c + i * b * ci;
                    let src = irow + w * b * ci;
                    output[dst..dst + b * ci].copy_from_slice(&input[src..src + b * ci]);
                }
            }
        }
    }
    Ok(())
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[
    // Row copies: nothing to tile.
    KernelDescriptor { name: "depth_to_space_rows", op: "depth_space", tile: (1, 1), summary: "DepthToSpace DCR: one b*C' copy per (row, sub-row, pixel); CRD a strided gather" },
    KernelDescriptor { name: "space_to_depth_rows", op: "depth_space", tile: (1, 1), summary: "SpaceToDepth: one b*C copy per (row, sub-row, pixel)" },
];
