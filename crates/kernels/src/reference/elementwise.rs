//! Float64 references of the elementwise ops, softmax and padding.

use crate::activation::Activation;

pub fn activation_f64(x: &[f32], act: Activation) -> Vec<f64> {
    x.iter().map(|&v| act.apply_f64(v as f64)).collect()
}

pub fn add_f64(a: &[f32], b: &[f32], act: Activation) -> Vec<f64> {
    a.iter().zip(b).map(|(&x, &y)| act.apply_f64(x as f64 + y as f64)).collect()
}

/// a * b with b broadcast as `groups` rows of `c` channels over equal pixel blocks.
pub fn mul_channels_f64(a: &[f32], b: &[f32], c: usize, groups: usize) -> Vec<f64> {
    let per_group = a.len() / groups;
    a.iter().enumerate().map(|(i, &x)| x as f64 * b[(i / per_group) * c + i % c] as f64).collect()
}

#[allow(clippy::too_many_arguments)]
pub fn batch_norm_f64(x: &[f32], mean: &[f32], var: &[f32], gamma: Option<&[f32]>, beta: Option<&[f32]>, eps: f32, act: Activation) -> Vec<f64> {
    let c = mean.len();
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let j = i % c;
            let y = (v as f64 - mean[j] as f64) / (var[j] as f64 + eps as f64).sqrt() * gamma.map_or(1.0, |g| g[j] as f64) + beta.map_or(0.0, |b| b[j] as f64);
            act.apply_f64(y)
        })
        .collect()
}

pub fn softmax_f64(x: &[f32], len: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(x.len());
    for row in x.chunks(len) {
        let m = row.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
        let e: Vec<f64> = row.iter().map(|&v| (v as f64 - m).exp()).collect();
        let s: f64 = e.iter().sum();
        out.extend(e.iter().map(|v| v / s));
    }
    out
}

#[allow(clippy::too_many_arguments)]
pub fn pad_f64(x: &[f32], n: usize, h: usize, w: usize, c: usize, [top, bottom, left, right]: [usize; 4], value: f32) -> Vec<f64> {
    let (oh, ow) = (h + top + bottom, w + left + right);
    let mut out = vec![value as f64; n * oh * ow * c];
    for b in 0..n {
        for y in 0..h {
            for xx in 0..w {
                for ch in 0..c {
                    out[((b * oh + y + top) * ow + xx + left) * c + ch] = x[((b * h + y) * w + xx) * c + ch] as f64;
                }
            }
        }
    }
    out
}
