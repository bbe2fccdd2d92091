//! Plain float64 references: the slow, obvious definitions every kernel is tested against.
//! One file per op family.

pub mod conv;
pub mod conv_transpose;
pub mod deform;
pub mod depthwise;
pub mod elementwise;
pub mod gemm;
pub mod pool;
pub mod spatial;

pub use conv::conv_f64;
pub use deform::deform_depthwise_f64;
pub use depthwise::depthwise_f64;
pub use gemm::gemm_f64;
