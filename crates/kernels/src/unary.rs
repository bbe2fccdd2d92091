//! Elementwise unary ops: one streaming loop per op over the lane trait (`vmath::VMath`), with the
//! transcendental ones (exp, log, tanh, sigmoid, erf, elu) over the crate's polynomial exp and the
//! vector log / tanh / erf of `vmath`. NaN and +-Inf as TF.js CPU (see `UnaryOp::apply_f64`).

use crate::activation::Epilogue;
use crate::activation::Activation;
use crate::lanes::{F32x4, NativeLanes};
use crate::vmath::{Transcendentals, VMath};

/// The ops, with the codes the bindings and the TypeScript side use.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Sqrt = 0,
    Rsqrt,
    Square,
    Abs,
    Neg,
    Exp,
    Log,
    Tanh,
    Sigmoid,
    Relu,
    Relu6,
    /// x < 0: alpha x.
    LeakyRelu,
    /// x < 0: e^x - 1 (TF's elu, alpha 1).
    Elu,
    Floor,
    Ceil,
    /// Half to even, as TF.
    Round,
    Sign,
    Reciprocal,
    Erf,
    /// clamp(alpha x + beta, 0, 1).
    HardSigmoid,
    HardSwish,
}

impl UnaryOp {
    pub const ALL: [UnaryOp; 21] = [
        UnaryOp::Sqrt,
        UnaryOp::Rsqrt,
        UnaryOp::Square,
        UnaryOp::Abs,
        UnaryOp::Neg,
        UnaryOp::Exp,
        UnaryOp::Log,
        UnaryOp::Tanh,
        UnaryOp::Sigmoid,
        UnaryOp::Relu,
        UnaryOp::Relu6,
        UnaryOp::LeakyRelu,
        UnaryOp::Elu,
        UnaryOp::Floor,
        UnaryOp::Ceil,
        UnaryOp::Round,
        UnaryOp::Sign,
        UnaryOp::Reciprocal,
        UnaryOp::Erf,
        UnaryOp::HardSigmoid,
        UnaryOp::HardSwish,
    ];

    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }

    /// The float64 definition (the references), NaN / Inf as TF.js CPU: relu / relu6 keep NaN, sign(NaN)
    /// is 0 (TF.js: `x < 0 ? -1 : x > 0 ? 1 : 0`), the rest is IEEE arithmetic.
    pub fn apply_f64(self, x: f64, alpha: f64, beta: f64) -> f64 {
        match self {
            UnaryOp::Sqrt => x.sqrt(),
            UnaryOp::Rsqrt => 1.0 / x.sqrt(),
            UnaryOp::Square => x * x,
            UnaryOp::Abs => x.abs(),
            UnaryOp::Neg => -x,
            UnaryOp::Exp => x.exp(),
            UnaryOp::Log => x.ln(),
            UnaryOp::Tanh => x.tanh(),
            UnaryOp::Sigmoid => Activation::Sigmoid.apply_f64(x),
            UnaryOp::Relu => Activation::Relu.apply_f64(x),
            UnaryOp::Relu6 => Activation::Relu6.apply_f64(x),
            UnaryOp::LeakyRelu => if x < 0.0 { alpha * x } else { x },
            UnaryOp::Elu => if x < 0.0 { x.exp_m1() } else { x },
            UnaryOp::Floor => x.floor(),
            UnaryOp::Ceil => x.ceil(),
            UnaryOp::Round => x.round_ties_even(),
            UnaryOp::Sign => if x < 0.0 { -1.0 } else if x > 0.0 { 1.0 } else { 0.0 },
            UnaryOp::Reciprocal => 1.0 / x,
            UnaryOp::Erf => crate::vmath::erf_f64(x),
            UnaryOp::HardSigmoid => (alpha * x + beta).clamp(0.0, 1.0),
            UnaryOp::HardSwish => Activation::HardSwish.apply_f64(x),
        }
    }
}

/// The constants of one call, built once.
#[derive(Clone, Copy)]
struct Ctx<V: F32x4> {
    t: Transcendentals<V>,
    alpha: V,
    beta: V,
}

#[inline(always)]
fn apply<V: VMath, const OP: u32>(c: &Ctx<V>, x: V) -> V {
    let s = V::splat;
    const fn code(op: UnaryOp) -> u32 {
        op as u32
    }
    match OP {
        x_ if x_ == code(UnaryOp::Sqrt) => x.sqrt(),
        x_ if x_ == code(UnaryOp::Rsqrt) => s(1.0).div(x.sqrt()),
        x_ if x_ == code(UnaryOp::Square) => x.mul(x),
        x_ if x_ == code(UnaryOp::Abs) => x.abs(),
        x_ if x_ == code(UnaryOp::Neg) => x.mul(s(-1.0)),
        x_ if x_ == code(UnaryOp::Exp) => c.t.exp.exp(x),
        x_ if x_ == code(UnaryOp::Log) => c.t.log(x),
        x_ if x_ == code(UnaryOp::Tanh) => c.t.tanh(x),
        x_ if x_ == code(UnaryOp::Sigmoid) => c.t.exp.sigmoid(x),
        x_ if x_ == code(UnaryOp::Relu) => x.max_bound(s(0.0)),
        x_ if x_ == code(UnaryOp::Relu6) => x.max_bound(s(0.0)).min_bound(s(6.0)),
        // x + (alpha - 1) min(x, 0): x for x >= 0, alpha x below; NaN kept.
        x_ if x_ == code(UnaryOp::LeakyRelu) => x.lt_select(s(0.0), x.mul(c.alpha), x),
        // max(x, 0) + e^min(x, 0) - 1: no select; NaN kept by min_bound.
        x_ if x_ == code(UnaryOp::Elu) => {
            let e = c.t.exp.exp(x.min_bound(s(0.0)));
            x.max_bound(s(0.0)).add(e.sub(s(1.0)))
        }
        x_ if x_ == code(UnaryOp::Floor) => x.floor(),
        x_ if x_ == code(UnaryOp::Ceil) => x.ceil(),
        x_ if x_ == code(UnaryOp::Round) => x.round_even(),
        x_ if x_ == code(UnaryOp::Sign) => x.lt_select(s(0.0), s(-1.0), s(0.0).lt_select(x, s(1.0), s(0.0))),
        x_ if x_ == code(UnaryOp::Reciprocal) => s(1.0).div(x),
        x_ if x_ == code(UnaryOp::Erf) => c.t.erf(x),
        x_ if x_ == code(UnaryOp::HardSigmoid) => x.mul_add(c.alpha, c.beta).max_bound(s(0.0)).min_bound(s(1.0)),
        _ => Epilogue::<V>::new(Activation::HardSwish).apply(x),
    }
}

/// `OP` over `n` values from `src` into `dst` (may be `src`: each vector is loaded before it is stored).
///
/// # Safety
/// `src` readable and `dst` writable for `n` f32s.
unsafe fn run<V: VMath, const OP: u32>(c: &Ctx<V>, src: *const f32, dst: *mut f32, n: usize) {
    let body = n & !3;
    let mut i = 0;
    while i < body {
        apply::<V, OP>(c, V::load(src.add(i))).store(dst.add(i));
        i += 4;
    }
    if body < n {
        let mut t = [0.0f32; 4];
        core::ptr::copy(src.add(body), t.as_mut_ptr(), n - body);
        let r = apply::<V, OP>(c, V::from_array(t)).to_array();
        core::ptr::copy(r.as_ptr(), dst.add(body), n - body);
    }
}

type Run<V> = unsafe fn(&Ctx<V>, *const f32, *mut f32, usize);

fn run_for<V: VMath>(op: UnaryOp) -> Run<V> {
    // One arm per op, in code order (the table is indexed by the code).
    const N: usize = UnaryOp::ALL.len();
    let table: [Run<V>; N] = [
        run::<V, 0>,
        run::<V, 1>,
        run::<V, 2>,
        run::<V, 3>,
        run::<V, 4>,
        run::<V, 5>,
        run::<V, 6>,
        run::<V, 7>,
        run::<V, 8>,
        run::<V, 9>,
        run::<V, 10>,
        run::<V, 11>,
        run::<V, 12>,
        run::<V, 13>,
        run::<V, 14>,
        run::<V, 15>,
        run::<V, 16>,
        run::<V, 17>,
        run::<V, 18>,
        run::<V, 19>,
        run::<V, 20>,
    ];
    table[op as usize]
}

/// # Safety
/// `src` readable and `dst` writable for `n` f32s (they may be equal).
unsafe fn unary_raw<V: VMath>(op: UnaryOp, src: *const f32, dst: *mut f32, n: usize, alpha: f32, beta: f32) {
    let c = Ctx { t: Transcendentals::<V>::new(), alpha: V::splat(alpha), beta: V::splat(beta) };
    run_for::<V>(op)(&c, src, dst, n)
}

/// out = op(x) elementwise; `alpha` / `beta` are leaky ReLU's slope and hard sigmoid's scale and shift.
pub fn unary_with<V: VMath>(op: UnaryOp, x: &[f32], out: &mut [f32], alpha: f32, beta: f32) -> Result<(), String> {
    if x.len() != out.len() {
        return Err(format!("unary: input has {} values and the output {}; they must be equal", x.len(), out.len()));
    }
    // SAFETY: both hold x.len() values.
    unsafe { unary_raw::<V>(op, x.as_ptr(), out.as_mut_ptr(), x.len(), alpha, beta) };
    Ok(())
}

/// `unary_with` in place.
pub fn unary_in_place_with<V: VMath>(op: UnaryOp, data: &mut [f32], alpha: f32, beta: f32) {
    let p = data.as_mut_ptr();
    // SAFETY: `p` addresses data.len() values, read then written vector by vector.
    unsafe { unary_raw::<V>(op, p, p, data.len(), alpha, beta) };
}

pub fn unary(op: UnaryOp, x: &[f32], out: &mut [f32], alpha: f32, beta: f32) -> Result<(), String> {
    unary_with::<NativeLanes>(op, x, out, alpha, beta)
}

pub fn unary_in_place(op: UnaryOp, data: &mut [f32], alpha: f32, beta: f32) {
    unary_in_place_with::<NativeLanes>(op, data, alpha, beta)
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[
    // Streaming, one vector per step; exp / log / tanh / erf / sigmoid / elu through polynomials.
    KernelDescriptor { name: "unary_4", op: "unary", tile: (1, 4), summary: "21 unary ops (sqrt ... erf, hard sigmoid), vector log / tanh / erf over the polynomial exp" },
];
