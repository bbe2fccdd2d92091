//! sepconv kernels: depthwise-separable convolution building blocks over NHWC f32,
//! written once over 4-lane vectors (`lanes::F32x4`) with simd128, SSE and scalar implementations.
//! Pure Rust: `cargo test` runs natively; the `sepconv-wasm` crate exports these to JavaScript.

pub mod activation;
pub mod binary;
pub mod conv;
pub mod channel_gather;
pub mod conv_transpose;
pub mod deform;
pub mod depth_space;
pub mod dwconv;
pub mod elementwise;
pub mod fused;
pub mod gemm;
pub mod im2col;
pub mod kernels;
pub mod lanes;
pub mod pack;
pub mod pad;
pub mod pool;
pub mod prelu;
pub mod reduce;
pub mod reference;
pub mod resize;
pub mod shape;
pub mod softmax;
pub mod spatial;
pub mod split;
pub mod svd;
pub mod testing;
pub mod unary;
pub mod vmath;

pub use activation::Activation;
pub use shape::{ConvGeometry, Padding, Pads};
