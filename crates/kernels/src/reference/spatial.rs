//! Float64 reference of a spatially separable depthwise conv: the full K_h x K_w kernel built
//! as sum_r vertical_r (outer) horizontal_r per channel, then the plain depthwise reference.

use crate::activation::Activation;
use crate::shape::ConvGeometry;

/// `vertical` rank x [K_h, C], `horizontal` rank x [K_w, C]; `g` is the full 2-D geometry.
#[allow(clippy::too_many_arguments)]
pub fn spatial_f64(g: &ConvGeometry, c: usize, rank: usize, input: &[f32], vertical: &[f32], horizontal: &[f32], bias: Option<&[f32]>, act: Activation) -> Vec<f64> {
    let (kh, kw) = (g.kernel_h, g.kernel_w);
    let mut full64 = vec![0.0f64; kh * kw * c];
    for r in 0..rank {
        for ky in 0..kh {
            for kx in 0..kw {
                for ch in 0..c {
                    full64[(ky * kw + kx) * c + ch] += vertical[(r * kh + ky) * c + ch] as f64 * horizontal[(r * kw + kx) * c + ch] as f64;
                }
            }
        }
    }
    let mut out = vec![0.0f64; g.batch * g.out_h * g.out_w * c];
    for n in 0..g.batch {
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                for ch in 0..c {
                    let mut acc = bias.map_or(0.0, |b| b[ch] as f64);
                    for ky in 0..kh {
                        for kx in 0..kw {
                            let iy = (oy * g.stride_h + ky * g.dilation_h) as isize - g.pads.top as isize;
                            let ix = (ox * g.stride_w + kx * g.dilation_w) as isize - g.pads.left as isize;
                            if iy < 0 || ix < 0 || iy >= g.in_h as isize || ix >= g.in_w as isize {
                                continue;
                            }
                            acc += input[((n * g.in_h + iy as usize) * g.in_w + ix as usize) * c + ch] as f64 * full64[(ky * kw + kx) * c + ch];
                        }
                    }
                    out[((n * g.out_h + oy) * g.out_w + ox) * c + ch] = act.apply_f64(acc);
                }
            }
        }
    }
    out
}
