//! The table of kernels this crate provides, with their tiles: it drives the tests and the benches.

/// One kernel and the tile it computes per inner step.
#[derive(Clone, Copy, Debug)]
pub struct KernelDescriptor {
    /// Name with its tile, e.g. `dwconv_8c` or `gemm_4x8`.
    pub name: &'static str,
    /// Operation family: "dwconv", "gemm", "conv", ...
    pub op: &'static str,
    /// Output rows x columns (or channels) computed per inner step.
    pub tile: (usize, usize),
    pub summary: &'static str,
}

pub const KERNELS: &[KernelDescriptor] = &[KernelDescriptor {
    name: "dwconv_kxk_8c",
    op: "dwconv",
    tile: (1, crate::dwconv::DW_CHANNEL_TILE),
    summary: "depthwise, any kernel/stride/dilation/padding/multiplier, one pixel x 8 channels per step",
}];
