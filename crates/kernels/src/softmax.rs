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
        // Four vectors per step through `exp_n` (their exp chains overlap), then single vectors.
        // (Not in the scalar wasm build, which keeps one chain per step for size, as elementwise.rs's INTERLEAVE.)
        let body16 = if cfg!(all(target_arch = "wasm32", not(target_feature = "simd128"))) { 0 } else { len & !15 };
        unsafe {
            let mut i = 0;
            while i < body16 {
                let e = k.exp_n(core::array::from_fn::<V, 4, _>(|j| V::load(row.as_ptr().add(i + 4 * j)).sub(mv)));
                for (j, e) in e.iter().enumerate() {
                    e.store(orow.as_mut_ptr().add(i + 4 * j));
                    sum = sum.add(*e);
                }
                i += 16;
            }
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

/// Softmax (or log-softmax, `log`) over axis `axis` of `x` (`shape`, row-major, rank <= 6): the tensor is
/// (outer, len, inner) with the axis in the middle. Inner 1 (the last axis) runs rows (`softmax_with` for
/// softmax); otherwise each step covers a vector of `inner` positions, with the running max and sum in
/// two scratch rows. Log-softmax is x - max - log(sum e^(x - max)), as TF.js.
pub fn softmax_axis_with<V: crate::vmath::VMath>(x: &[f32], out: &mut [f32], shape: &[usize], axis: usize, log: bool) -> Result<(), String> {
    if shape.len() > crate::binary::MAX_RANK || axis >= shape.len() {
        return Err(format!("softmax: axis {axis} of a tensor of rank {} (rank at most {})", shape.len(), crate::binary::MAX_RANK));
    }
    let n = crate::shape::elements("softmax input", shape)?;
    if x.len() != n || out.len() != n {
        return Err(format!("softmax: buffers of {} and {} values for shape {shape:?} ({n} values)", x.len(), out.len()));
    }
    if n == 0 {
        return Ok(());
    }
    let len = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let t = crate::vmath::Transcendentals::<V>::new();
    if inner == 1 && !log {
        return softmax_with::<V>(x, out, len);
    }
    if inner == 1 {
        let body = len & !3;
        for (row, orow) in x.chunks_exact(len).zip(out.chunks_exact_mut(len)) {
            let mut m = f32::NEG_INFINITY;
            for &v in row {
                m = if m < v { v } else { m };
            }
            let mv = V::splat(m);
            let mut sum = V::splat(0.0);
            // SAFETY: i + 4 <= body <= len.
            unsafe {
                let mut i = 0;
                while i < body {
                    sum = sum.add(t.exp.exp(V::load(row.as_ptr().add(i)).sub(mv)));
                    i += 4;
                }
            }
            let mut total: f32 = sum.to_array().iter().sum();
            for &v in &row[body..] {
                total += t.exp.exp(V::splat(v - m)).to_array()[0];
            }
            let shift = V::splat(m).add(t.log(V::splat(total)));
            unsafe {
                let mut i = 0;
                while i < body {
                    V::load(row.as_ptr().add(i)).sub(shift).store(orow.as_mut_ptr().add(i));
                    i += 4;
                }
            }
            let sh = shift.to_array()[0];
            for (o, &v) in orow[body..].iter_mut().zip(&row[body..]) {
                *o = v - sh;
            }
        }
        return Ok(());
    }
    // Strided: vectors along the inner axis, in blocks of `COLS` columns whose running max and sum live on
    // the stack (no scratch allocation, whatever the size); padded tail lanes compute values never stored.
    const COLS: usize = 256;
    let plane = len * inner;
    let mut m = [0.0f32; COLS + 4];
    let mut s = [0.0f32; COLS + 4];
    let ld = |p: &[f32], i: usize| -> V {
        let mut t = [0.0f32; 4];
        let k = (p.len() - i).min(4);
        t[..k].copy_from_slice(&p[i..i + k]);
        V::from_array(t)
    };
    for (xo, oo) in x.chunks_exact(plane).zip(out.chunks_exact_mut(plane)) {
        let mut c0 = 0;
        while c0 < inner {
            let w = COLS.min(inner - c0);
            let body = w & !3;
            let row = |k: usize| k * inner + c0..k * inner + c0 + w;
            m[..w].copy_from_slice(&xo[row(0)]);
            for k in 1..len {
                for (mi, &v) in m.iter_mut().zip(&xo[row(k)]) {
                    *mi = if *mi < v { v } else { *mi };
                }
            }
            s.fill(0.0);
            for k in 0..len {
                let (xr, or) = (&xo[row(k)], &mut oo[row(k)]);
                let mut i = 0;
                while i < w {
                    // SAFETY: m and s have COLS + 4 values, so i + 4 <= w + 3 < COLS + 4; row loads i + 4 <= body.
                    unsafe {
                        let xv = if i < body { V::load(xr.as_ptr().add(i)) } else { ld(xr, i) };
                        let mv = V::load(m.as_ptr().add(i));
                        let e = t.exp.exp(xv.sub(mv));
                        V::load(s.as_ptr().add(i)).add(e).store(s.as_mut_ptr().add(i));
                        let r = if log { xv.sub(mv) } else { e };
                        if i < body {
                            r.store(or.as_mut_ptr().add(i));
                        } else {
                            or[i..].copy_from_slice(&r.to_array()[..w - i]);
                        }
                    }
                    i += 4;
                }
            }
            // s <- 1 / s (softmax) or log(s) (log-softmax).
            let mut i = 0;
            while i < w {
                // SAFETY: as above.
                unsafe {
                    let sv = V::load(s.as_ptr().add(i));
                    let r = if log { t.log(sv) } else { V::splat(1.0).div(sv) };
                    r.store(s.as_mut_ptr().add(i));
                }
                i += 4;
            }
            for k in 0..len {
                for (o, &f) in oo[row(k)].iter_mut().zip(&s[..w]) {
                    *o = if log { *o - f } else { *o * f };
                }
            }
            c0 += w;
        }
    }
    Ok(())
}

pub fn softmax_axis(x: &[f32], out: &mut [f32], shape: &[usize], axis: usize, log: bool) -> Result<(), String> {
    softmax_axis_with::<NativeLanes>(x, out, shape, axis, log)
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[
    // Three passes per row (max, exp + sum, scale); rows are short (classes), one vector per step.
    KernelDescriptor { name: "softmax_4", op: "softmax", tile: (1, 4), summary: "softmax over the last axis, fast exp" },
    // Any axis: vectors along the inner stride, running max / sum rows; log-softmax through the vector log.
    KernelDescriptor { name: "softmax_axis_4", op: "softmax", tile: (1, 4), summary: "softmax / log-softmax over any axis (inner stride), fast exp / log" },
];
