//! Plain float64 references: the slow, obvious definitions every kernel is tested against.
//! One file per op family.

pub mod depthwise;

pub use depthwise::depthwise_f64;
