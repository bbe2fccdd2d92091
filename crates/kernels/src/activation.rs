//! Fused epilogues: what a kernel applies to each output vector before it stores it.

use crate::lanes::F32x4;

/// Activation codes shared with the bindings and the TypeScript side.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Linear = 0,
    Relu = 1,
    Relu6 = 2,
    HardSwish = 3,
    Sigmoid = 4,
    Swish = 5,
}

impl Activation {
    pub const ALL: [Activation; 6] = [
        Activation::Linear,
        Activation::Relu,
        Activation::Relu6,
        Activation::HardSwish,
        Activation::Sigmoid,
        Activation::Swish,
    ];

    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }

    /// The plain f64 definition, used by the references. NaN and +-Inf as TF.js CPU: ReLU / ReLU6 keep NaN
    /// (`f64::max` would drop it), sigmoid(-Inf) = 0, swish(-Inf) = -Inf / Inf = NaN (TF.js: x * sigmoid(x)).
    pub fn apply_f64(self, x: f64) -> f64 {
        match self {
            Activation::Linear => x,
            Activation::Relu => if x < 0.0 { 0.0 } else { x },
            Activation::Relu6 => x.clamp(0.0, 6.0),
            Activation::HardSwish => x * (x + 3.0).clamp(0.0, 6.0) / 6.0,
            Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Activation::Swish => x / (1.0 + (-x).exp()),
        }
    }

    /// True for the activations a kernel can fuse into its store at no cost (clamps and hard-swish).
    pub fn is_fusable(self) -> bool {
        !matches!(self, Activation::Sigmoid | Activation::Swish)
    }
}

/// The vector form of a fusable activation, built once per kernel call.
#[derive(Clone, Copy)]
pub struct Epilogue<V: F32x4> {
    min: V,
    max: V,
    hard_swish: bool,
}

impl<V: F32x4> Epilogue<V> {
    /// Sigmoid and swish are applied by a separate pass (`crate::elementwise`); here they are linear.
    #[inline(always)]
    pub fn new(act: Activation) -> Self {
        let (lo, hi) = match act {
            Activation::Relu => (0.0, f32::INFINITY),
            Activation::Relu6 => (0.0, 6.0),
            _ => (f32::NEG_INFINITY, f32::INFINITY),
        };
        Self { min: V::splat(lo), max: V::splat(hi), hard_swish: act == Activation::HardSwish }
    }

    #[inline(always)]
    pub fn apply(&self, v: V) -> V {
        let v = self.clamp(v);
        if self.hard_swish {
            let gate = v.add(V::splat(3.0)).max_bound(V::splat(0.0)).min_bound(V::splat(6.0));
            v.mul(gate).mul(V::splat(1.0 / 6.0))
        } else {
            v
        }
    }

    /// True when `apply` is a clamp only (not hard-swish): kernels can run `clamp` in a loop without the test.
    #[inline(always)]
    pub fn is_clamp(&self) -> bool {
        !self.hard_swish
    }

    /// `v` clamped to the activation's range; NaN stays NaN (`F32x4::max_bound` / `min_bound`), as TF.js's
    /// relu(NaN) and relu6(NaN) are NaN, and linear's [-Inf, Inf] leaves every value as it is. (A branch that
    /// skips the linear clamp grew the wasm builds by 8-20 KiB and measured no faster.)
    #[inline(always)]
    pub fn clamp(&self, v: V) -> V {
        v.max_bound(self.min).min_bound(self.max)
    }

    #[inline(always)]
    pub fn apply_scalar(&self, x: f32) -> f32 {
        self.apply(V::splat(x)).to_array()[0]
    }
}
