//! Softmax over the last axis (rows of `len` contiguous values), with the fast vector exp.

use crate::elementwise::{ExpConsts, MathLanes};
use crate::lanes::NativeLanes;

/// out[r, i] = e^(x[r, i] - max_r) / sum_r, for every row r of `len` values.
pub fn softmax_with<V: MathLanes>(x: &[f32], out: &mut [f32], len: usize) -> Result<(), String> {
    let k = ExpConsts::<V>::new();
    if len == 0 || x.len() % len != 0 || out.len() != x.len() {
        return Err(format!("softmax: input has {} values and output {}; both must be equal and a multiple of the axis length {len}", x.len(), out.len()));
    }
    let body = len & !3;
    for (row, orow) in x.chunks_exact(len).zip(out.chunks_exact_mut(len)) {
        let mut mx = V::splat(f32::NEG_INFINITY);
        // SAFETY: i + 4 <= body <= len for every vector access below.
        unsafe {
            let mut i = 0;
            while i < body {
                mx = mx.max(V::load(row.as_ptr().add(i)));
                i += 4;
            }
        }
        let mut m = mx.to_array().into_iter().fold(f32::NEG_INFINITY, f32::max);
        for &v in &row[body..] {
            m = m.max(v);
        }
        let mv = V::splat(m);
        let mut sum = V::splat(0.0);
        unsafe {
            let mut i = 0;
            while i < body {
                let e = k.exp(V::load(row.as_ptr().add(i)).sub(mv));
                e.store(orow.as_mut_ptr().add(i));
                sum = sum.add(e);
                i += 4;
            }
        }
        let mut total: f32 = sum.to_array().iter().sum();
        if body < len {
            let mut t = [m; 4];
            t[..len - body].copy_from_slice(&row[body..]);
            let e = k.exp(V::from_array(t).sub(mv)).to_array();
            for (k, o) in orow[body..].iter_mut().enumerate() {
                *o = e[k];
                total += e[k];
            }
        }
        let inv = V::splat(1.0 / total);
        unsafe {
            let mut i = 0;
            while i < body {
                V::load(orow.as_ptr().add(i)).mul(inv).store(orow.as_mut_ptr().add(i));
                i += 4;
            }
        }
        for o in &mut orow[body..] {
            *o /= total;
        }
    }
    Ok(())
}

pub fn softmax(x: &[f32], out: &mut [f32], len: usize) -> Result<(), String> {
    softmax_with::<NativeLanes>(x, out, len)
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[
    // Three passes per row (max, exp + sum, scale); rows are short (classes), one vector per step.
    KernelDescriptor { name: "softmax_4", op: "softmax", tile: (1, 4), summary: "softmax over the last axis, fast exp" },
];
