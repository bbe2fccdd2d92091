//! Reductions (sum, mean, max, min, prod) over any set of axes of a rank <= 6 tensor.
//!
//! Axes of size 1 are dropped and adjacent axes of the same kind (kept / reduced) merged, leaving
//! alternating groups; the innermost reduced group is reduced as (outer, reduced, inner) into a scratch
//! buffer (or the output, on the last pass), then the next, until none is left. A pass with inner 1
//! reduces contiguous rows with 2 vectors of partial results; otherwise it accumulates whole inner rows
//! vector by vector. Max / min are `Math.max` / `Math.min` (NaN propagates, as TF.js CPU); mean is a sum
//! divided by the count at the end. Empty reductions: sum 0, prod 1, mean NaN (0 / 0); max / min refuse.

use crate::lanes::NativeLanes;
use crate::shape::elements;
use crate::vmath::VMath;

pub const MAX_RANK: usize = 6;

/// The ops, with the codes the bindings and the TypeScript side use.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    Sum = 0,
    Mean = 1,
    Max = 2,
    Min = 3,
    Prod = 4,
}

impl ReduceOp {
    pub const ALL: [ReduceOp; 5] = [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min, ReduceOp::Prod];

    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }

    fn identity(self) -> f32 {
        match self {
            ReduceOp::Sum | ReduceOp::Mean => 0.0,
            ReduceOp::Max => f32::NEG_INFINITY,
            ReduceOp::Min => f32::INFINITY,
            ReduceOp::Prod => 1.0,
        }
    }

    /// The pass op: mean sums.
    fn code(self) -> u32 {
        match self {
            ReduceOp::Mean => 0,
            o => o as u32,
        }
    }
}

#[inline(always)]
fn combine<V: VMath, const OP: u32>(a: V, b: V) -> V {
    match OP {
        0 => a.add(b),
        2 => a.max_nan(b),
        3 => a.min_nan(b),
        _ => a.mul(b),
    }
}

#[inline(always)]
fn combine_f32<const OP: u32>(a: f32, b: f32) -> f32 {
    match OP {
        0 => a + b,
        2 => crate::vmath::max_nan_f32(a, b),
        3 => crate::vmath::min_nan_f32(a, b),
        _ => a * b,
    }
}

/// dst[o, i] = op over k of src[o, k, i], for `outer` x `r` x `inner` (r >= 1).
///
/// # Safety
/// `src` readable for outer * r * inner values, `dst` writable for outer * inner.
unsafe fn pass<V: VMath, const OP: u32>(src: *const f32, dst: *mut f32, outer: usize, r: usize, inner: usize, identity: f32) {
    let id = V::splat(identity);
    if inner == 1 {
        // Two vectors of partial results (8 chains), then the tail as a padded vector, then across lanes.
        let body = r & !7;
        for o in 0..outer {
            let row = src.add(o * r);
            let (mut a0, mut a1) = (id, id);
            let mut k = 0;
            while k < body {
                a0 = combine::<V, OP>(a0, V::load(row.add(k)));
                a1 = combine::<V, OP>(a1, V::load(row.add(k + 4)));
                k += 8;
            }
            while k < r {
                let mut t = [identity; 4];
                let m = (r - k).min(4);
                core::ptr::copy_nonoverlapping(row.add(k), t.as_mut_ptr(), m);
                a1 = combine::<V, OP>(a1, V::from_array(t));
                k += m;
            }
            let v = combine::<V, OP>(a0, a1).to_array();
            *dst.add(o) = combine_f32::<OP>(combine_f32::<OP>(v[0], v[1]), combine_f32::<OP>(v[2], v[3]));
        }
        return;
    }
    let body = inner & !3;
    for o in 0..outer {
        let d = dst.add(o * inner);
        let s0 = src.add(o * r * inner);
        core::ptr::copy_nonoverlapping(s0, d, inner);
        for k in 1..r {
            let s = s0.add(k * inner);
            let mut i = 0;
            while i < body {
                combine::<V, OP>(V::load(d.add(i)), V::load(s.add(i))).store(d.add(i));
                i += 4;
            }
            while i < inner {
                *d.add(i) = combine_f32::<OP>(*d.add(i), *s.add(i));
                i += 1;
            }
        }
    }
}

type Pass = unsafe fn(*const f32, *mut f32, usize, usize, usize, f32);

fn pass_for<V: VMath>(code: u32) -> Pass {
    match code {
        0 => pass::<V, 0>,
        2 => pass::<V, 2>,
        3 => pass::<V, 3>,
        _ => pass::<V, 4>,
    }
}

/// The output element count of reducing `axes` of `shape` (the kept dims' product), after checking the
/// shape (rank, limits) and the axes (in range, no repeats).
pub fn reduce_out_len(shape: &[usize], axes: &[usize]) -> Result<usize, String> {
    if shape.len() > MAX_RANK {
        return Err(format!("reduce: rank {} (at most {MAX_RANK})", shape.len()));
    }
    elements("reduce input", shape)?;
    let mut seen = [false; MAX_RANK];
    for &a in axes {
        if a >= shape.len() {
            return Err(format!("reduce: axis {a} is out of range for rank {}", shape.len()));
        }
        if seen[a] {
            return Err(format!("reduce: axis {a} is given twice"));
        }
        seen[a] = true;
    }
    let mut kept = [1usize; MAX_RANK];
    for (i, &d) in shape.iter().enumerate() {
        if !seen[i] {
            kept[i] = d;
        }
    }
    elements("reduce output", &kept[..shape.len()])
}

/// out = op of `x` (`shape`, row-major) over `axes`; `out` holds the kept dims' product of values.
pub fn reduce_with<V: VMath>(op: ReduceOp, x: &[f32], shape: &[usize], axes: &[usize], out: &mut [f32]) -> Result<(), String> {
    let out_len = reduce_out_len(shape, axes)?;
    let n = elements("reduce input", shape)?;
    if x.len() != n || out.len() != out_len {
        return Err(format!("reduce: buffers of {} and {} values for shape {shape:?} reduced over {axes:?} ({n} and {out_len} values)", x.len(), out.len()));
    }
    let mut reduced = [false; MAX_RANK];
    for &a in axes {
        reduced[a] = true;
    }
    let count: usize = shape.iter().zip(&reduced).filter(|p| *p.1).map(|p| *p.0).product();
    if out_len == 0 {
        return Ok(());
    }
    if count == 0 {
        let v = match op {
            ReduceOp::Max | ReduceOp::Min => return Err(format!("reduce: {op:?} over axes {axes:?} of shape {shape:?} has no values (and no identity)")),
            ReduceOp::Mean => f32::NAN,
            _ => op.identity(),
        };
        out.fill(v);
        return Ok(());
    }
    // Merged groups (size, reduced), outermost first; size-1 axes dropped.
    let mut groups: Vec<(usize, bool)> = Vec::with_capacity(MAX_RANK);
    for (&d, &r) in shape.iter().zip(&reduced) {
        if d == 1 {
            continue;
        }
        match groups.last_mut() {
            Some(g) if g.1 == r => g.0 *= d,
            _ => groups.push((d, r)),
        }
    }
    let f = pass_for::<V>(op.code());
    let mut scratch: Vec<f32> = Vec::new();
    let mut from_x = true;
    loop {
        let Some(j) = groups.iter().rposition(|g| g.1) else { break };
        let outer: usize = groups[..j].iter().map(|g| g.0).product();
        let inner: usize = groups[j + 1..].iter().map(|g| g.0).product();
        let rlen = groups[j].0;
        groups.remove(j);
        // Merge the kept neighbours.
        if j > 0 && j < groups.len() && !groups[j - 1].1 && !groups[j].1 {
            groups[j - 1].0 *= groups[j].0;
            groups.remove(j);
        }
        let last = !groups.iter().any(|g| g.1);
        let src_ptr = if from_x { x.as_ptr() } else { scratch.as_ptr() };
        // SAFETY: src holds outer * rlen * inner values (the current buffer), dst outer * inner.
        unsafe {
            if last {
                f(src_ptr, out.as_mut_ptr(), outer, rlen, inner, op.identity());
            } else {
                // Scratch for the partial reduction: refused with an error (not an allocation trap) when memory is short.
                let mut next: Vec<f32> = Vec::new();
                next.try_reserve_exact(outer * inner).map_err(|_| format!("reduce: no memory for {} values of scratch", outer * inner))?;
                next.resize(outer * inner, 0.0);
                f(src_ptr, next.as_mut_ptr(), outer, rlen, inner, op.identity());
                scratch = next;
            }
        }
        from_x = false;
        if last {
            break;
        }
    }
    if from_x {
        // Nothing to reduce (every reduced axis has size 1).
        out.copy_from_slice(x);
    }
    if op == ReduceOp::Mean && count > 1 {
        let (c, body) = (V::splat(count as f32), out.len() & !3);
        let p = out.as_mut_ptr();
        // SAFETY: i + 4 <= body <= out.len().
        unsafe {
            let mut i = 0;
            while i < body {
                V::load(p.add(i)).div(c).store(p.add(i));
                i += 4;
            }
        }
        for v in &mut out[body..] {
            *v /= count as f32;
        }
    }
    Ok(())
}

pub fn reduce(op: ReduceOp, x: &[f32], shape: &[usize], axes: &[usize], out: &mut [f32]) -> Result<(), String> {
    reduce_with::<NativeLanes>(op, x, shape, axes, out)
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[
    // Rows (inner 1): 4 vectors of partial results per step; strided: one vector of whole inner rows.
    KernelDescriptor { name: "reduce_rows_8", op: "reduce", tile: (1, 8), summary: "sum/mean/max/min/prod over contiguous rows, 2 vector accumulators" },
    KernelDescriptor { name: "reduce_strided_4", op: "reduce", tile: (1, 4), summary: "the same over (outer, reduced, inner) with inner > 1" },
];
