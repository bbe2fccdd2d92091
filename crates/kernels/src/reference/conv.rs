//! Float64 reference of standard (grouped) 2-D convolution.

use crate::activation::Activation;
use crate::shape::ConvGeometry;

/// Conv, NHWC, TensorFlow weight layout `[KH, KW, Cin/groups, Cout]`; output channel `o` belongs
/// to group `o / (Cout/groups)` and reads input channels of that group.
#[allow(clippy::too_many_arguments)]
pub fn conv_f64(
    g: &ConvGeometry,
    cin: usize,
    cout: usize,
    groups: usize,
    input: &[f32],
    weights: &[f32],
    bias: Option<&[f32]>,
    act: Activation,
) -> Vec<f64> {
    let cg = cin / groups;
    let ng = cout / groups;
    let mut out = vec![0.0f64; g.batch * g.out_h * g.out_w * cout];
    for n in 0..g.batch {
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                for o in 0..cout {
                    let gi = o / ng;
                    let mut acc = bias.map_or(0.0, |b| b[o] as f64);
                    for ky in 0..g.kernel_h {
                        for kx in 0..g.kernel_w {
                            let iy = (oy * g.stride_h + ky * g.dilation_h) as isize - g.pads.top as isize;
                            let ix = (ox * g.stride_w + kx * g.dilation_w) as isize - g.pads.left as isize;
                            if iy < 0 || ix < 0 || iy >= g.in_h as isize || ix >= g.in_w as isize {
                                continue;
                            }
                            let px = ((n * g.in_h + iy as usize) * g.in_w + ix as usize) * cin;
                            for ci in 0..cg {
                                let x = input[px + gi * cg + ci] as f64;
                                let wv = weights[((ky * g.kernel_w + kx) * cg + ci) * cout + o] as f64;
                                acc += x * wv;
                            }
                        }
                    }
                    out[((n * g.out_h + oy) * g.out_w + ox) * cout + o] = act.apply_f64(acc);
                }
            }
        }
    }
    out
}
