//! Float64 references of pooling (TensorFlow semantics: the average counts only in-image taps).

use crate::shape::ConvGeometry;

/// Avg (`max == false`) or max pooling, NHWC.
pub fn pool_f64(g: &ConvGeometry, c: usize, input: &[f32], max: bool) -> Vec<f64> {
    let mut out = vec![0.0f64; g.batch * g.out_h * g.out_w * c];
    for n in 0..g.batch {
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                for ch in 0..c {
                    let (mut acc, mut count) = (if max { f64::NEG_INFINITY } else { 0.0 }, 0usize);
                    for ky in 0..g.kernel_h {
                        for kx in 0..g.kernel_w {
                            let iy = (oy * g.stride_h + ky) as isize - g.pads.top as isize;
                            let ix = (ox * g.stride_w + kx) as isize - g.pads.left as isize;
                            if iy < 0 || ix < 0 || iy >= g.in_h as isize || ix >= g.in_w as isize {
                                continue;
                            }
                            let v = input[((n * g.in_h + iy as usize) * g.in_w + ix as usize) * c + ch] as f64;
                            acc = if max { acc.max(v) } else { acc + v };
                            count += 1;
                        }
                    }
                    out[((n * g.out_h + oy) * g.out_w + ox) * c + ch] = if max || count == 0 { acc } else { acc / count as f64 };
                }
            }
        }
    }
    out
}

pub fn global_avg_pool_f64(input: &[f32], n: usize, hw: usize, c: usize) -> Vec<f64> {
    (0..n * c).map(|i| (0..hw).map(|p| input[((i / c) * hw + p) * c + i % c] as f64).sum::<f64>() / hw as f64).collect()
}
