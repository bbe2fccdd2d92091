//! Transposed conv, float64, straight from the definition: every input value times every tap,
//! added where it lands in the output.

use crate::activation::Activation;
use crate::conv_transpose::ConvTransposeGeometry;

/// `input` [N, H, W, Cin], `weights` [KH, KW, Cout, Cin] (TF layout), output [N, OH, OW, Cout].
pub fn conv_transpose_f64(g: &ConvTransposeGeometry, cin: usize, cout: usize, input: &[f32], weights: &[f32], bias: Option<&[f32]>, act: Activation) -> Vec<f64> {
    let mut out = vec![0.0f64; g.batch * g.out_h * g.out_w * cout];
    for n in 0..g.batch {
        for iy in 0..g.in_h {
            for ix in 0..g.in_w {
                for ky in 0..g.kernel_h {
                    let oy = (iy * g.stride_h + ky * g.dilation_h) as isize - g.pad_top as isize;
                    if oy < 0 || oy >= g.out_h as isize {
                        continue;
                    }
                    for kx in 0..g.kernel_w {
                        let ox = (ix * g.stride_w + kx * g.dilation_w) as isize - g.pad_left as isize;
                        if ox < 0 || ox >= g.out_w as isize {
                            continue;
                        }
                        let o = ((n * g.out_h + oy as usize) * g.out_w + ox as usize) * cout;
                        for co in 0..cout {
                            let mut acc = 0.0;
                            for ci in 0..cin {
                                let x = input[((n * g.in_h + iy) * g.in_w + ix) * cin + ci] as f64;
                                acc += x * weights[((ky * g.kernel_w + kx) * cout + co) * cin + ci] as f64;
                            }
                            out[o + co] += acc;
                        }
                    }
                }
            }
        }
    }
    for (i, v) in out.iter_mut().enumerate() {
        *v = act.apply_f64(*v + bias.map_or(0.0, |b| b[i % cout] as f64));
    }
    out
}
