//! Average and max pooling over NHWC (TensorFlow semantics: the average excludes padding, the max
//! ignores it), and global average pooling. Tap ranges are clipped once per output pixel (no branch
//! per tap); channels go 4 lanes at a time, the tail through a padded vector.

use crate::lanes::{F32x4, NativeLanes};
use crate::shape::ConvGeometry;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    Avg,
    Max,
}

pub fn check_pool(g: &ConvGeometry, channels: usize, input: &[f32], output: &[f32]) -> Result<(), String> {
    if g.dilation_h != 1 || g.dilation_w != 1 {
        return Err("pool: dilation must be 1".into());
    }
    if channels == 0 {
        return Err("pool: channels must be positive".into());
    }
    let (need_in, need_out) = g.tensor_elements(channels, channels).map_err(|e| format!("pool: {e}"))?;
    if input.len() != need_in || output.len() != need_out {
        return Err(format!(
            "pool: input has {} values (expected {need_in}) and output {} (expected {need_out})",
            input.len(),
            output.len()
        ));
    }
    Ok(())
}

/// Pools `input` into `output`; a window that sees only padding yields 0 (avg) or -inf (max) —
/// TensorFlow's shape rules make that impossible for 'same' / 'valid'.
pub fn pool_with<V: F32x4>(g: &ConvGeometry, channels: usize, input: &[f32], output: &mut [f32], kind: PoolKind) -> Result<(), String> {
    check_pool(g, channels, input, output)?;
    let c = channels;
    let c4 = c & !3;
    let ip = input.as_ptr();
    for n in 0..g.batch {
        for oy in 0..g.out_h {
            let (ky0, ky1) = g.rows(oy);
            for ox in 0..g.out_w {
                let (kx0, kx1) = g.cols(ox);
                let count = (ky1 - ky0) * (kx1 - kx0);
                let inv = V::splat(if count == 0 { 0.0 } else { 1.0 / count as f32 });
                let out_px = ((n * g.out_h + oy) * g.out_w + ox) * c;
                let px = |ky: usize, kx: usize| ((n * g.in_h + g.in_y(oy, ky)) * g.in_w + g.in_x(ox, kx)) * c;
                let init = if kind == PoolKind::Max { f32::NEG_INFINITY } else { 0.0 };
                let mut j = 0;
                // SAFETY: clipped taps stay inside the image; j + 4 <= c4 <= c.
                unsafe {
                    while j < c4 {
                        let mut acc = V::splat(init);
                        for ky in ky0..ky1 {
                            for kx in kx0..kx1 {
                                let v = V::load(ip.add(px(ky, kx) + j));
                                acc = if kind == PoolKind::Max { acc.max(v) } else { acc.add(v) };
                            }
                        }
                        if kind == PoolKind::Avg {
                            acc = acc.mul(inv);
                        }
                        acc.store(output.as_mut_ptr().add(out_px + j));
                        j += 4;
                    }
                }
                if c4 < c {
                    let mut acc = V::splat(init);
                    let mut t = [init; 4];
                    for ky in ky0..ky1 {
                        for kx in kx0..kx1 {
                            let p = px(ky, kx);
                            t[..c - c4].copy_from_slice(&input[p + c4..p + c]);
                            let v = V::from_array(t);
                            acc = if kind == PoolKind::Max { acc.max(v) } else { acc.add(v) };
                        }
                    }
                    if kind == PoolKind::Avg {
                        acc = acc.mul(inv);
                    }
                    let r = acc.to_array();
                    output[out_px + c4..out_px + c].copy_from_slice(&r[..c - c4]);
                }
            }
        }
    }
    Ok(())
}

pub fn pool(g: &ConvGeometry, channels: usize, input: &[f32], output: &mut [f32], kind: PoolKind) -> Result<(), String> {
    pool_with::<NativeLanes>(g, channels, input, output, kind)
}

/// Mean over H x W per image and channel: [N, H, W, C] -> [N, C].
pub fn global_avg_pool_with<V: F32x4>(input: &[f32], output: &mut [f32], n: usize, hw: usize, c: usize) -> Result<(), String> {
    let need_in = crate::shape::elements("globalAvgPool input", &[n, hw, c])?;
    let need_out = crate::shape::elements("globalAvgPool output", &[n, c])?;
    if n == 0 || hw == 0 || c == 0 || input.len() != need_in || output.len() != need_out {
        return Err(format!(
            "globalAvgPool: input has {} values (expected {n}x{hw}x{c}) and output {} (expected {n}x{c})",
            input.len(),
            output.len()
        ));
    }
    let c4 = c & !3;
    let inv = 1.0 / hw as f32;
    for b in 0..n {
        let img = &input[b * hw * c..(b + 1) * hw * c];
        let out = &mut output[b * c..(b + 1) * c];
        // Four channel vectors per pass over the pixels, so the pixel loop's adds overlap.
        let mut j = 0;
        // SAFETY: j + 4 * k + 4 <= c4 <= c within each image row.
        unsafe {
            while j + 16 <= c4 {
                let mut a = [V::splat(0.0); 4];
                for p in 0..hw {
                    let q = img.as_ptr().add(p * c + j);
                    for (k, acc) in a.iter_mut().enumerate() {
                        *acc = acc.add(V::load(q.add(4 * k)));
                    }
                }
                for (k, acc) in a.iter().enumerate() {
                    acc.mul(V::splat(inv)).store(out.as_mut_ptr().add(j + 4 * k));
                }
                j += 16;
            }
            while j < c4 {
                let mut acc = V::splat(0.0);
                for p in 0..hw {
                    acc = acc.add(V::load(img.as_ptr().add(p * c + j)));
                }
                acc.mul(V::splat(inv)).store(out.as_mut_ptr().add(j));
                j += 4;
            }
        }
        for j in c4..c {
            let s: f32 = (0..hw).map(|p| img[p * c + j]).sum();
            out[j] = s * inv;
        }
    }
    Ok(())
}

pub fn global_avg_pool(input: &[f32], output: &mut [f32], n: usize, hw: usize, c: usize) -> Result<(), String> {
    global_avg_pool_with::<NativeLanes>(input, output, n, hw, c)
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[
    // Pooling is memory-bound; one vector per step, taps clipped per pixel.
    KernelDescriptor { name: "pool_1x4c", op: "pool", tile: (1, 4), summary: "avg (excluding padding) / max pooling, any window / stride / padding" },
    // Four vectors per pixel pass keep four independent add chains in flight.
    KernelDescriptor { name: "global_avg_pool_16c", op: "pool", tile: (1, 16), summary: "mean over H x W per channel" },
];
