//! The table of kernels this crate provides, with their tiles: it drives the tests and the benches.
//! Each op module declares its own `KERNELS`; `all()` lists them together.

/// One kernel and the tile it computes per inner step.
#[derive(Clone, Copy, Debug)]
pub struct KernelDescriptor {
    /// Name with its tile, e.g. `dwconv_3x3_8c` or `gemm_4x8`.
    pub name: &'static str,
    /// Operation family: "dwconv", "gemm", "conv", ...
    pub op: &'static str,
    /// Output rows x columns (or pixels x channels) computed per inner step.
    pub tile: (usize, usize),
    pub summary: &'static str,
}

/// Every kernel of every op module.
pub fn all() -> Vec<KernelDescriptor> {
    [crate::dwconv::KERNELS, crate::deform::KERNELS, crate::gemm::KERNELS, crate::conv::KERNELS, crate::conv_transpose::KERNELS, crate::spatial::KERNELS, crate::fused::KERNELS, crate::svd::KERNELS, crate::pool::KERNELS, crate::elementwise::KERNELS, crate::softmax::KERNELS, crate::pad::KERNELS, crate::resize::KERNELS, crate::depth_space::KERNELS, crate::channel_gather::KERNELS, crate::binary::KERNELS, crate::unary::KERNELS, crate::reduce::KERNELS, crate::prelu::KERNELS].concat()
}
