//! Spatial resize of NHWC f32 (TF ResizeBilinear / ResizeNearestNeighbor, ONNX Resize linear / nearest).
//!
//! The source coordinate of every output row and column is computed once (`AxisMap`, in f64 as TF.js
//! does), with the coordinate transformation modes ONNX exports (TF's align_corners / half_pixel_centers
//! are two of them). Nearest copies whole channel vectors; bilinear blends input rows horizontally once
//! each, then output rows vertically: `top + (bottom - top) * fy` with `top = tl + (tr - tl) * fx`, TF.js CPU's order.

use crate::elementwise::MathLanes;
use crate::lanes::NativeLanes;

/// How an output coordinate maps to the input (ONNX `coordinate_transformation_mode`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoordMode {
    /// x * in / out (TF's default).
    Asymmetric = 0,
    /// (x + 0.5) * in / out - 0.5 (TF's half_pixel_centers for bilinear).
    HalfPixel = 1,
    /// half_pixel, except 0 when the output axis has one element.
    PytorchHalfPixel = 2,
    /// x * (in - 1) / (out - 1), 0 when out is 1 (TF's align_corners).
    AlignCorners = 3,
    /// (x + 0.5) * in / out (TF's half_pixel_centers for nearest neighbour).
    TfHalfPixelForNn = 4,
}

/// How nearest neighbour rounds the source coordinate (ONNX `nearest_mode`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NearestMode {
    RoundPreferFloor = 0,
    /// Halves round up: JavaScript's Math.round, TF's align_corners nearest.
    RoundPreferCeil = 1,
    Floor = 2,
    Ceil = 3,
}

impl CoordMode {
    pub fn from_code(c: u32) -> Option<Self> {
        [Self::Asymmetric, Self::HalfPixel, Self::PytorchHalfPixel, Self::AlignCorners, Self::TfHalfPixelForNn].get(c as usize).copied()
    }

    /// Source coordinate of output index `x` in ONNX Runtime's float32 arithmetic: `scale` (out / in
    /// as f32 unless given) divides, as ORT does; ties then round as ORT rounds them (1.6f: 4 / 1.6 = 2.5).
    pub fn source_f32(self, x: usize, input: usize, output: usize, scale: f32) -> f64 {
        let x = x as f32;
        (match self {
            CoordMode::Asymmetric => x / scale,
            CoordMode::HalfPixel => (x + 0.5) / scale - 0.5,
            CoordMode::PytorchHalfPixel if output > 1 => (x + 0.5) / scale - 0.5,
            CoordMode::PytorchHalfPixel => 0.0,
            CoordMode::AlignCorners if output > 1 => x * (input - 1) as f32 / (output - 1) as f32,
            CoordMode::AlignCorners => 0.0,
            CoordMode::TfHalfPixelForNn => (x + 0.5) / scale,
        }) as f64
    }

    /// Source coordinate of output index `x` in float64 (TF.js's arithmetic); `ratio` is in / out (or 1 / the given scale).
    pub fn source(self, x: usize, input: usize, output: usize, ratio: f64) -> f64 {
        let x = x as f64;
        match self {
            CoordMode::Asymmetric => x * ratio,
            CoordMode::HalfPixel => (x + 0.5) * ratio - 0.5,
            CoordMode::PytorchHalfPixel if output > 1 => (x + 0.5) * ratio - 0.5,
            CoordMode::PytorchHalfPixel => 0.0,
            CoordMode::AlignCorners if output > 1 => x * (input - 1) as f64 / (output - 1) as f64,
            CoordMode::AlignCorners => 0.0,
            CoordMode::TfHalfPixelForNn => (x + 0.5) * ratio,
        }
    }
}

impl NearestMode {
    pub fn from_code(c: u32) -> Option<Self> {
        [Self::RoundPreferFloor, Self::RoundPreferCeil, Self::Floor, Self::Ceil].get(c as usize).copied()
    }

    pub fn round(self, v: f64) -> f64 {
        match self {
            NearestMode::RoundPreferFloor => (v - 0.5).ceil(),
            NearestMode::RoundPreferCeil => (v + 0.5).floor(),
            NearestMode::Floor => v.floor(),
            NearestMode::Ceil => v.ceil(),
        }
    }
}

/// Interpolation: bilinear, or nearest neighbour with its rounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResizeMode {
    Linear,
    Nearest(NearestMode),
}

/// Per output index of one axis: the two source indices and the weight of the second.
#[derive(Clone, Debug, Default)]
pub struct AxisMap {
    pub lo: Vec<usize>,
    pub hi: Vec<usize>,
    pub frac: Vec<f32>,
}

impl AxisMap {
    /// `scale` > 0 overrides out / in in the coordinate transform (ONNX `scales`); `f32_coords` computes
    /// the coordinates as ONNX Runtime does (`CoordMode::source_f32`), else in float64 as TF.js does.
    pub fn new(input: usize, output: usize, coord: CoordMode, mode: ResizeMode, scale: f64, f32_coords: bool) -> Self {
        let ratio = if scale > 0.0 { 1.0 / scale } else { input as f64 / output as f64 };
        let scale32 = if scale > 0.0 { scale as f32 } else { output as f32 / input as f32 };
        let last = (input - 1) as f64;
        let mut m = AxisMap { lo: Vec::with_capacity(output), hi: Vec::with_capacity(output), frac: Vec::with_capacity(output) };
        for x in 0..output {
            let s = if f32_coords { coord.source_f32(x, input, output, scale32) } else { coord.source(x, input, output, ratio) };
            match mode {
                ResizeMode::Linear => {
                    let s = s.clamp(0.0, last);
                    let lo = s.floor();
                    m.lo.push(lo as usize);
                    m.hi.push((lo as usize + 1).min(input - 1));
                    m.frac.push((s - lo) as f32);
                }
                ResizeMode::Nearest(r) => {
                    let i = r.round(s).clamp(0.0, last) as usize;
                    m.lo.push(i);
                    m.hi.push(i);
                    m.frac.push(0.0);
                }
            }
        }
        m
    }
}

/// Sizes of one resize: input [batch, in_h, in_w, channels] to [batch, out_h, out_w, channels].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResizeGeometry {
    pub batch: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub out_h: usize,
    pub out_w: usize,
    pub channels: usize,
}

impl ResizeGeometry {
    pub fn check(&self, input: &[f32], output: &[f32]) -> Result<(), String> {
        let g = self;
        if [g.batch, g.in_h, g.in_w, g.out_h, g.out_w, g.channels].contains(&0) {
            return Err(format!("resize: sizes must be positive, got input {}x{}x{}x{} output {}x{}", g.batch, g.in_h, g.in_w, g.channels, g.out_h, g.out_w));
        }
        let need_in = [g.in_h, g.in_w, g.channels].iter().try_fold(g.batch, |a, &d| a.checked_mul(d));
        let need_out = [g.out_h, g.out_w, g.channels].iter().try_fold(g.batch, |a, &d| a.checked_mul(d));
        let (Some(need_in), Some(need_out)) = (need_in, need_out) else {
            return Err(format!("resize: input {}x{}x{}x{} or output {}x{} is too large", g.batch, g.in_h, g.in_w, g.channels, g.out_h, g.out_w));
        };
        if input.len() != need_in {
            return Err(format!("resize input has {} values, expected {need_in}", input.len()));
        }
        if output.len() != need_out {
            return Err(format!("resize output has {} values, expected {need_out}", output.len()));
        }
        Ok(())
    }
}

/// Resize with the lanes `V`; `scales` (h, w) > 0 override out / in in the coordinate transform;
/// `f32_coords`: coordinates in ONNX Runtime's float32 arithmetic, else TF.js's float64.
#[allow(clippy::too_many_arguments)]
pub fn resize_with<V: MathLanes>(g: &ResizeGeometry, input: &[f32], output: &mut [f32], coord: CoordMode, mode: ResizeMode, scales: (f64, f64), f32_coords: bool) -> Result<(), String> {
    g.check(input, output)?;
    // ONNX Runtime returns the input unchanged when every scale is 1, whatever the modes (its
    // tf_half_pixel_for_nn / round_prefer_ceil would otherwise shift by a pixel): so do we in its arithmetic.
    let unit = |scale: f64, i: usize, o: usize| if scale > 0.0 { scale as f32 == 1.0 } else { i == o };
    if f32_coords && unit(scales.0, g.in_h, g.out_h) && unit(scales.1, g.in_w, g.out_w) && g.in_h == g.out_h && g.in_w == g.out_w {
        output.copy_from_slice(input);
        return Ok(());
    }
    let rows = AxisMap::new(g.in_h, g.out_h, coord, mode, scales.0, f32_coords);
    let cols = AxisMap::new(g.in_w, g.out_w, coord, mode, scales.1, f32_coords);
    let c = g.channels;
    let row_len = g.out_w * c;
    if let ResizeMode::Nearest(_) = mode {
        for n in 0..g.batch {
            let img = &input[n * g.in_h * g.in_w * c..(n + 1) * g.in_h * g.in_w * c];
            for oy in 0..g.out_h {
                let out_row = &mut output[(n * g.out_h + oy) * row_len..(n * g.out_h + oy + 1) * row_len];
                let src = &img[rows.lo[oy] * g.in_w * c..][..g.in_w * c];
                for ox in 0..g.out_w {
                    let s = cols.lo[ox] * c;
                    out_row[ox * c..(ox + 1) * c].copy_from_slice(&src[s..s + c]);
                }
            }
        }
        return Ok(());
    }
    // Bilinear, separably: each input row needed is blended horizontally once into a row of the output's
    // width (kept while consecutive output rows read it), then every output row is one contiguous
    // vertical lerp of two such rows. Same operations and order as the 4-tap form, so the same values.
    // Bench kernels, wasm simd128, host at load ~20: 64x64x21 -> 513x513 4 taps per output pixel 6.3 ms
    // (TF.js-wasm 2.1), separable 2.8 ms (TF.js-wasm 3.5); 28x28x128 -> 56x56 0.20 -> 0.24 ms, 65x65x256 -> 129
    // 2.3 -> 2.6 ms (within that run's noise: TF.js-wasm moved 3.0 -> 1.9 ms between the runs).
    let mut upper = vec![0.0f32; row_len];
    let mut lower = vec![0.0f32; row_len];
    for n in 0..g.batch {
        let img = &input[n * g.in_h * g.in_w * c..(n + 1) * g.in_h * g.in_w * c];
        let (mut have_upper, mut have_lower) = (usize::MAX, usize::MAX);
        for oy in 0..g.out_h {
            let (lo, hi, fy) = (rows.lo[oy], rows.hi[oy], rows.frac[oy]);
            if have_lower == lo && have_upper != lo {
                core::mem::swap(&mut upper, &mut lower);
                core::mem::swap(&mut have_upper, &mut have_lower);
            }
            if have_upper != lo {
                horizontal::<V>(&img[lo * g.in_w * c..][..g.in_w * c], &cols, c, &mut upper);
                have_upper = lo;
            }
            if have_lower != hi && hi != lo {
                horizontal::<V>(&img[hi * g.in_w * c..][..g.in_w * c], &cols, c, &mut lower);
                have_lower = hi;
            }
            let out_row = &mut output[(n * g.out_h + oy) * row_len..(n * g.out_h + oy + 1) * row_len];
            let bottom: &[f32] = if hi == lo { &upper } else { &lower };
            lerp_rows::<V>(&upper, bottom, fy, out_row);
        }
    }
    Ok(())
}

/// dst[ox, :] = src[l, :] + (src[r, :] - src[l, :]) * fx for every output column.
fn horizontal<V: MathLanes>(src: &[f32], cols: &AxisMap, c: usize, dst: &mut [f32]) {
    let body = c & !3;
    for ox in 0..cols.lo.len() {
        let (l, r, fx) = (cols.lo[ox] * c, cols.hi[ox] * c, cols.frac[ox]);
        let o = &mut dst[ox * c..(ox + 1) * c];
        let vfx = V::splat(fx);
        let mut i = 0;
        // SAFETY: i + 4 <= body <= c; l + c and r + c are within the row (source columns < in_w).
        unsafe {
            while i < body {
                let a = V::load(src.as_ptr().add(l + i));
                let b = V::load(src.as_ptr().add(r + i));
                b.sub(a).mul(vfx).add(a).store(o.as_mut_ptr().add(i));
                i += 4;
            }
        }
        for j in body..c {
            o[j] = src[l + j] + (src[r + j] - src[l + j]) * fx;
        }
    }
}

/// out = top + (bottom - top) * fy over a whole row.
fn lerp_rows<V: MathLanes>(top: &[f32], bottom: &[f32], fy: f32, out: &mut [f32]) {
    let n = out.len();
    let body = n & !3;
    let vfy = V::splat(fy);
    let mut i = 0;
    // SAFETY: i + 4 <= body <= n, and all three rows hold n values.
    unsafe {
        while i < body {
            let t = V::load(top.as_ptr().add(i));
            let b = V::load(bottom.as_ptr().add(i));
            b.sub(t).mul(vfy).add(t).store(out.as_mut_ptr().add(i));
            i += 4;
        }
    }
    for j in body..n {
        out[j] = top[j] + (bottom[j] - top[j]) * fy;
    }
}

pub fn resize(g: &ResizeGeometry, input: &[f32], output: &mut [f32], coord: CoordMode, mode: ResizeMode, scales: (f64, f64), f32_coords: bool) -> Result<(), String> {
    resize_with::<NativeLanes>(g, input, output, coord, mode, scales, f32_coords)
}

use crate::kernels::KernelDescriptor;

pub const KERNELS: &[KernelDescriptor] = &[
    KernelDescriptor { name: "resize_bilinear_rows", op: "resize", tile: (1, 4), summary: "bilinear resize: per-axis source maps; each input row blended horizontally once, then one vector lerp per output row" },
    KernelDescriptor { name: "resize_nearest_rows", op: "resize", tile: (1, 1), summary: "nearest-neighbour resize: per-axis source maps, one channel-vector copy per output pixel" },
];
