//! Float64 reference of depthwise convolution.

use crate::activation::Activation;
use crate::shape::ConvGeometry;

/// Depthwise conv, NHWC, TensorFlow weight layout `[KH, KW, C, M]`, output channel `c * M + m`.
pub fn depthwise_f64(
    g: &ConvGeometry,
    channels: usize,
    multiplier: usize,
    input: &[f32],
    weights: &[f32],
    bias: Option<&[f32]>,
    act: Activation,
) -> Vec<f64> {
    let oc = channels * multiplier;
    let mut out = vec![0.0f64; g.batch * g.out_h * g.out_w * oc];
    for n in 0..g.batch {
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                for c in 0..channels {
                    for m in 0..multiplier {
                        let o = c * multiplier + m;
                        let mut acc = bias.map_or(0.0, |b| b[o] as f64);
                        for ky in 0..g.kernel_h {
                            for kx in 0..g.kernel_w {
                                let iy = (oy * g.stride_h + ky * g.dilation_h) as isize - g.pads.top as isize;
                                let ix = (ox * g.stride_w + kx * g.dilation_w) as isize - g.pads.left as isize;
                                if iy < 0 || ix < 0 || iy >= g.in_h as isize || ix >= g.in_w as isize {
                                    continue;
                                }
                                let x = input[((n * g.in_h + iy as usize) * g.in_w + ix as usize) * channels + c] as f64;
                                let wv = weights[(ky * g.kernel_w + kx) * oc + o] as f64;
                                acc += x * wv;
                            }
                        }
                        out[((n * g.out_h + oy) * g.out_w + ox) * oc + o] = act.apply_f64(acc);
                    }
                }
            }
        }
    }
    out
}
