//! Elementwise binary ops of two tensors with numpy broadcasting (rank <= 6): add, sub, mul, div, max,
//! min, squared difference, pow. NaN as TF.js CPU: IEEE arithmetic, and max / min are `Math.max` /
//! `Math.min` (NaN when either operand is NaN).
//!
//! One loop serves every broadcast: the shapes are aligned, axes of size 1 in the output dropped, and
//! adjacent axes merged wherever both operands step through them contiguously (or both broadcast), so
//! same-shape, scalar, per-channel and outer broadcasts become one to three axes of (size, a stride, b
//! stride). The innermost axis runs as a vector stream (both contiguous, or one splatted); when that axis
//! is short and one operand repeats it over the next axis (per-channel [N, H, W, C] x [C] with small C),
//! the repeated operand is tiled into a buffer so the stream runs over whole rows of the other.

use crate::lanes::NativeLanes;
use crate::shape::elements;
use crate::vmath::VMath;

/// Largest rank of the operands.
pub const MAX_RANK: usize = 6;

/// The ops, with the codes the bindings and the TypeScript side use.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add = 0,
    Sub = 1,
    Mul = 2,
    Div = 3,
    Max = 4,
    Min = 5,
    SquaredDifference = 6,
    Pow = 7,
}

impl BinaryOp {
    pub const ALL: [BinaryOp; 8] = [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Max, BinaryOp::Min, BinaryOp::SquaredDifference, BinaryOp::Pow];

    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }

    /// The float64 definition (the references), with TF.js CPU's NaN rules.
    pub fn apply_f64(self, a: f64, b: f64) -> f64 {
        match self {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
            BinaryOp::Max => if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) },
            BinaryOp::Min => if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) },
            BinaryOp::SquaredDifference => (a - b) * (a - b),
            BinaryOp::Pow => a.powf(b),
        }
    }
}

#[inline(always)]
fn apply<V: VMath, const OP: u32>(a: V, b: V) -> V {
    match OP {
        0 => a.add(b),
        1 => a.sub(b),
        2 => a.mul(b),
        3 => a.div(b),
        4 => a.max_nan(b),
        5 => a.min_nan(b),
        6 => {
            let d = a.sub(b);
            d.mul(d)
        }
        _ => {
            let (x, y) = (a.to_array(), b.to_array());
            V::from_array(core::array::from_fn(|i| x[i].powf(y[i])))
        }
    }
}

/// The broadcast output shape of `a` and `b` (numpy rules: aligned at the last axis, each pair of sizes
/// equal or one of them 1), checked against the rank and element limits.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>, String> {
    if a.len() > MAX_RANK || b.len() > MAX_RANK {
        return Err(format!("broadcast: ranks {} and {} (at most {MAX_RANK})", a.len(), b.len()));
    }
    elements("broadcast operand a", a)?;
    elements("broadcast operand b", b)?;
    let r = a.len().max(b.len());
    let mut out = vec![0; r];
    for (i, o) in out.iter_mut().enumerate() {
        let da = if i + a.len() >= r { a[i + a.len() - r] } else { 1 };
        let db = if i + b.len() >= r { b[i + b.len() - r] } else { 1 };
        *o = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(format!("broadcast: shapes {a:?} and {b:?} are incompatible at axis {i} of the output ({da} vs {db})"));
        };
    }
    elements("broadcast output", &out)?;
    Ok(out)
}

/// Merged axes, outermost first: (size, a stride, b stride); strides 0 where that operand broadcasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BroadcastPlan {
    pub rank: usize,
    pub dims: [usize; MAX_RANK],
    pub a_strides: [usize; MAX_RANK],
    pub b_strides: [usize; MAX_RANK],
    /// Output element count.
    pub len: usize,
}

impl BroadcastPlan {
    pub fn new(a: &[usize], b: &[usize]) -> Result<Self, String> {
        let out = broadcast_shape(a, b)?;
        let r = out.len();
        let mut p = BroadcastPlan { rank: 0, dims: [1; MAX_RANK], a_strides: [0; MAX_RANK], b_strides: [0; MAX_RANK], len: elements("broadcast output", &out)? };
        let (mut sa, mut sb) = (1usize, 1usize);
        // Innermost first, then reversed.
        let mut axes = [(0usize, 0usize, 0usize); MAX_RANK];
        let mut n = 0;
        for i in (0..r).rev() {
            let da = if i + a.len() >= r { a[i + a.len() - r] } else { 1 };
            let db = if i + b.len() >= r { b[i + b.len() - r] } else { 1 };
            let d = out[i];
            if d != 1 {
                let (ta, tb) = (if da == 1 { 0 } else { sa }, if db == 1 { 0 } else { sb });
                if n > 0 {
                    let (pd, pa, pb) = axes[n - 1];
                    // The inner axis continues into this one for both operands: merge.
                    if ta == pa * pd && tb == pb * pd {
                        axes[n - 1].0 = pd * d;
                        sa *= da;
                        sb *= db;
                        continue;
                    }
                }
                axes[n] = (d, ta, tb);
                n += 1;
            }
            sa *= da;
            sb *= db;
        }
        for (k, &(d, ta, tb)) in axes[..n].iter().rev().enumerate() {
            p.dims[k] = d;
            p.a_strides[k] = ta;
            p.b_strides[k] = tb;
        }
        p.rank = n;
        Ok(p)
    }
}

/// One stream of `n` outputs: `a` and `b` each either contiguous (step 1) or one value (step 0).
/// # Safety
/// `a` / `b` readable for `n` (step 1) or 1 (step 0) values, `out` writable for `n`.
type Stream = unsafe fn(*const f32, usize, *const f32, usize, *mut f32, usize);

#[inline(always)]
unsafe fn stream_loop<V: VMath, const OP: u32>(n: usize, la: impl Fn(usize) -> V, lb: impl Fn(usize) -> V, out: *mut f32) {
    let body = n & !3;
    let mut i = 0;
    while i < body {
        apply::<V, OP>(la(i), lb(i)).store(out.add(i));
        i += 4;
    }
}

unsafe fn stream<V: VMath, const OP: u32>(a: *const f32, sa: usize, b: *const f32, sb: usize, out: *mut f32, n: usize) {
    match (sa, sb) {
        (0, _) => {
            let av = V::splat(*a);
            stream_loop::<V, OP>(n, |_| av, |i| V::load(b.add(i)), out);
        }
        (_, 0) => {
            let bv = V::splat(*b);
            stream_loop::<V, OP>(n, |i| V::load(a.add(i)), |_| bv, out);
        }
        _ => stream_loop::<V, OP>(n, |i| V::load(a.add(i)), |i| V::load(b.add(i)), out),
    }
    let body = n & !3;
    if body < n {
        let (mut ta, mut tb) = ([0.0f32; 4], [0.0f32; 4]);
        for k in 0..n - body {
            ta[k] = *a.add((body + k) * sa);
            tb[k] = *b.add((body + k) * sb);
        }
        let r = apply::<V, OP>(V::from_array(ta), V::from_array(tb)).to_array();
        core::ptr::copy_nonoverlapping(r.as_ptr(), out.add(body), n - body);
    }
}

fn stream_for<V: VMath>(op: BinaryOp) -> Stream {
    match op {
        BinaryOp::Add => stream::<V, 0>,
        BinaryOp::Sub => stream::<V, 1>,
        BinaryOp::Mul => stream::<V, 2>,
        BinaryOp::Div => stream::<V, 3>,
        BinaryOp::Max => stream::<V, 4>,
        BinaryOp::Min => stream::<V, 5>,
        BinaryOp::SquaredDifference => stream::<V, 6>,
        BinaryOp::Pow => stream::<V, 7>,
    }
}

/// Innermost axes at most this long, repeated by one operand over the next axis, are tiled (see the module).
const SHORT_INNER: usize = 32;
/// Values in a tile of the repeated operand.
const TILE: usize = 256;

/// out = op(a, b) with `a` of `a_shape` and `b` of `b_shape` broadcast to the output (row-major).
pub fn binary_with<V: VMath>(op: BinaryOp, a: &[f32], a_shape: &[usize], b: &[f32], b_shape: &[usize], out: &mut [f32]) -> Result<(), String> {
    let p = BroadcastPlan::new(a_shape, b_shape)?;
    let (na, nb) = (elements("binary a", a_shape)?, elements("binary b", b_shape)?);
    if a.len() != na || b.len() != nb || out.len() != p.len {
        return Err(format!(
            "binary: buffers of {}, {} and {} values for shapes {a_shape:?}, {b_shape:?} and their broadcast ({} values)",
            a.len(),
            b.len(),
            out.len(),
            p.len
        ));
    }
    if p.len == 0 {
        return Ok(());
    }
    let f = stream_for::<V>(op);
    let r = p.rank;
    if r == 0 {
        // One value each.
        // SAFETY: a, b and out hold one value.
        unsafe { f(a.as_ptr(), 1, b.as_ptr(), 1, out.as_mut_ptr(), 1) };
        return Ok(());
    }
    let (mut inner, mut outer_rank) = (p.dims[r - 1], r - 1);
    let (mut sa, mut sb) = (p.a_strides[r - 1], p.b_strides[r - 1]);
    // Short rows repeated by one operand over the next axis: tile the repeated row so the stream covers
    // `TILE`-ish values of the other at a time.
    let mut tile: Vec<f32> = Vec::new();
    let mut tiled_a = false;
    let (mut period, mut tile_from) = (0usize, usize::MAX);
    if r >= 2 && inner <= SHORT_INNER && sa == 1 && sb == 1 {
        let (d, ta, tb) = (p.dims[r - 2], p.a_strides[r - 2], p.b_strides[r - 2]);
        if (ta == 0 && tb == inner) || (tb == 0 && ta == inner) {
            tiled_a = ta == 0;
            period = inner;
            tile = vec![0.0; (TILE / inner).max(1) * inner];
            inner *= d;
            outer_rank = r - 2;
            (sa, sb) = (1, 1);
        }
    }
    let mut idx = [0usize; MAX_RANK];
    let (mut oa, mut ob, mut oo) = (0usize, 0usize, 0usize);
    loop {
        // SAFETY: the offsets stay inside each operand (the plan's strides over its own shape), the stream
        // covers `inner` outputs from `oo`, and the tile chunks never pass its length.
        unsafe {
            if tile.is_empty() {
                f(a.as_ptr().add(oa), sa, b.as_ptr().add(ob), sb, out.as_mut_ptr().add(oo), inner);
            } else {
                // The repeated row starts where the tiled operand's offset is: refill when it moves.
                let (src, off) = if tiled_a { (a, oa) } else { (b, ob) };
                if off != tile_from {
                    for (i, t) in tile.iter_mut().enumerate() {
                        *t = src[off + i % period];
                    }
                    tile_from = off;
                }
                let mut k = 0;
                while k < inner {
                    let m = tile.len().min(inner - k);
                    let (pa, pb) = if tiled_a { (tile.as_ptr(), b.as_ptr().add(ob + k)) } else { (a.as_ptr().add(oa + k), tile.as_ptr()) };
                    f(pa, 1, pb, 1, out.as_mut_ptr().add(oo + k), m);
                    k += m;
                }
            }
        }
        oo += inner;
        // Odometer over the outer axes.
        let mut ax = outer_rank;
        loop {
            if ax == 0 {
                return Ok(());
            }
            ax -= 1;
            idx[ax] += 1;
            oa += p.a_strides[ax];
            ob += p.b_strides[ax];
            if idx[ax] < p.dims[ax] {
                break;
            }
            oa -= p.a_strides[ax] * p.dims[ax];
            ob -= p.b_strides[ax] * p.dims[ax];
            idx[ax] = 0;
        }
    }
}

pub fn binary(op: BinaryOp, a: &[f32], a_shape: &[usize], b: &[f32], b_shape: &[usize], out: &mut [f32]) -> Result<(), String> {
    binary_with::<NativeLanes>(op, a, a_shape, b, b_shape, out)
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[
    // Streaming: one vector per step over the merged innermost axis (both operands, or one splatted).
    KernelDescriptor { name: "binary_4", op: "binary", tile: (1, 4), summary: "add/sub/mul/div/max/min/sqdiff/pow, numpy broadcasting over merged axes" },
    KernelDescriptor { name: "binary_tiled_4", op: "binary", tile: (1, 4), summary: "short repeated rows (per-channel, C <= 32) tiled to 256 values" },
];
