//! Deformable depthwise conv, float64: each tap samples the input bilinearly at its position plus its
//! offset (zero outside the image), times its mask value, as torchvision's `deform_conv2d` defines it.

use crate::activation::Activation;
use crate::shape::ConvGeometry;

/// Weights TensorFlow-layout `[KH, KW, C, M]`; offsets `[N, OH, OW, G, KH*KW, 2]`; mask `[N, OH, OW, G, KH*KW]`.
#[allow(clippy::too_many_arguments)]
pub fn deform_depthwise_f64(
    g: &ConvGeometry,
    channels: usize,
    multiplier: usize,
    offset_groups: usize,
    input: &[f32],
    offsets: &[f32],
    mask: Option<&[f32]>,
    weights: &[f32],
    bias: Option<&[f32]>,
    act: Activation,
) -> Vec<f64> {
    let oc = channels * multiplier;
    let taps = g.kernel_h * g.kernel_w;
    let at = |n: usize, y: isize, x: isize, c: usize| -> f64 {
        if y < 0 || x < 0 || y >= g.in_h as isize || x >= g.in_w as isize {
            0.0
        } else {
            input[((n * g.in_h + y as usize) * g.in_w + x as usize) * channels + c] as f64
        }
    };
    let mut out = vec![0.0f64; g.batch * g.out_h * g.out_w * oc];
    for n in 0..g.batch {
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                let pixel = (n * g.out_h + oy) * g.out_w + ox;
                for c in 0..channels {
                    let grp = c / (channels / offset_groups);
                    for m in 0..multiplier {
                        let o = c * multiplier + m;
                        let mut acc = bias.map_or(0.0, |b| b[o] as f64);
                        for ky in 0..g.kernel_h {
                            for kx in 0..g.kernel_w {
                                let t = ky * g.kernel_w + kx;
                                let k = (pixel * offset_groups + grp) * taps + t;
                                let y = (oy * g.stride_h + ky * g.dilation_h) as f64 - g.pads.top as f64 + offsets[2 * k] as f64;
                                let x = (ox * g.stride_w + kx * g.dilation_w) as f64 - g.pads.left as f64 + offsets[2 * k + 1] as f64;
                                if !(y > -1.0 && x > -1.0 && y < g.in_h as f64 && x < g.in_w as f64) {
                                    continue;
                                }
                                let (y0, x0) = (y.floor(), x.floor());
                                let (ly, lx) = (y - y0, x - x0);
                                let (yi, xi) = (y0 as isize, x0 as isize);
                                let v = (1.0 - ly) * (1.0 - lx) * at(n, yi, xi, c)
                                    + (1.0 - ly) * lx * at(n, yi, xi + 1, c)
                                    + ly * (1.0 - lx) * at(n, yi + 1, xi, c)
                                    + ly * lx * at(n, yi + 1, xi + 1, c);
                                let scale = mask.map_or(1.0, |mk| mk[k] as f64);
                                acc += v * scale * weights[t * oc + o] as f64;
                            }
                        }
                        out[pixel * oc + o] = act.apply_f64(acc);
                    }
                }
            }
        }
    }
    out
}
