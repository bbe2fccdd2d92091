//! Convolution geometry shared by every kernel: padding rules and output sizes (TensorFlow semantics).

/// Padding as the user names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// Output size ceil(in / stride); the odd pixel of padding goes to the bottom/right.
    Same,
    /// No padding: out = floor((in - dilated_k) / stride) + 1.
    Valid,
    /// Explicit, possibly asymmetric: top, bottom, left, right.
    Explicit { top: usize, bottom: usize, left: usize, right: usize },
}

/// Resolved padding of one spatial axis pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pads {
    pub top: usize,
    pub bottom: usize,
    pub left: usize,
    pub right: usize,
}

/// Extent of a dilated kernel tap span: (k - 1) * d + 1.
#[inline]
pub fn dilated(k: usize, dilation: usize) -> usize {
    (k - 1) * dilation + 1
}

/// (pad_before, pad_after) for one axis.
pub fn axis_pads(input: usize, k: usize, stride: usize, dilation: usize, same: bool) -> (usize, usize) {
    if !same {
        return (0, 0);
    }
    let out = input.div_ceil(stride);
    let needed = ((out.max(1) - 1) * stride + dilated(k, dilation)).saturating_sub(input);
    (needed / 2, needed - needed / 2)
}

impl Padding {
    pub fn resolve(self, in_h: usize, in_w: usize, k: (usize, usize), stride: (usize, usize), dilation: (usize, usize)) -> Pads {
        match self {
            Padding::Explicit { top, bottom, left, right } => Pads { top, bottom, left, right },
            _ => {
                let same = self == Padding::Same;
                let (top, bottom) = axis_pads(in_h, k.0, stride.0, dilation.0, same);
                let (left, right) = axis_pads(in_w, k.1, stride.1, dilation.1, same);
                Pads { top, bottom, left, right }
            }
        }
    }
}

/// Output length of one axis, or None when the kernel does not fit.
pub fn out_len(input: usize, pad_before: usize, pad_after: usize, k: usize, stride: usize, dilation: usize) -> Option<usize> {
    let padded = input + pad_before + pad_after;
    let span = dilated(k, dilation);
    if stride == 0 || padded < span {
        return None;
    }
    Some((padded - span) / stride + 1)
}

/// Taps `lo..hi` of one axis that land inside the input for output index `o`.
/// Computed once per output pixel so the tap loop itself has no border branch.
#[inline(always)]
pub fn tap_range(o: usize, stride: usize, pad_before: usize, dilation: usize, k: usize, input: usize) -> (usize, usize) {
    let start = (o * stride) as isize - pad_before as isize;
    let d = dilation as isize;
    let lo = if start >= 0 { 0 } else { ((-start + d - 1) / d) as usize };
    let last_in = input as isize - 1 - start; // tap*d <= last_in
    let hi = if last_in < 0 { 0 } else { ((last_in / d) as usize + 1).min(k) };
    (lo.min(hi), hi)
}

/// Full geometry of a 2-D convolution-like op over NHWC tensors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    pub batch: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub dilation_h: usize,
    pub dilation_w: usize,
    pub pads: Pads,
    pub out_h: usize,
    pub out_w: usize,
}

impl ConvGeometry {
    /// Validates and resolves; the error string names the problem.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        batch: usize,
        in_h: usize,
        in_w: usize,
        kernel: (usize, usize),
        stride: (usize, usize),
        dilation: (usize, usize),
        padding: Padding,
    ) -> Result<Self, String> {
        if batch == 0 || in_h == 0 || in_w == 0 {
            return Err(format!("input batch/height/width must be positive, got {batch}x{in_h}x{in_w}"));
        }
        if kernel.0 == 0 || kernel.1 == 0 {
            return Err(format!("kernel size must be positive, got {}x{}", kernel.0, kernel.1));
        }
        if stride.0 == 0 || stride.1 == 0 || dilation.0 == 0 || dilation.1 == 0 {
            return Err(format!("stride and dilation must be positive, got stride {}x{} dilation {}x{}", stride.0, stride.1, dilation.0, dilation.1));
        }
        let pads = padding.resolve(in_h, in_w, kernel, stride, dilation);
        let out_h = out_len(in_h, pads.top, pads.bottom, kernel.0, stride.0, dilation.0);
        let out_w = out_len(in_w, pads.left, pads.right, kernel.1, stride.1, dilation.1);
        match (out_h, out_w) {
            (Some(out_h), Some(out_w)) => Ok(Self {
                batch,
                in_h,
                in_w,
                kernel_h: kernel.0,
                kernel_w: kernel.1,
                stride_h: stride.0,
                stride_w: stride.1,
                dilation_h: dilation.0,
                dilation_w: dilation.1,
                pads,
                out_h,
                out_w,
            }),
            _ => Err(format!(
                "kernel {}x{} (dilation {}x{}) does not fit input {}x{} with padding top {} bottom {} left {} right {}",
                kernel.0, kernel.1, dilation.0, dilation.1, in_h, in_w, pads.top, pads.bottom, pads.left, pads.right
            )),
        }
    }

    #[inline(always)]
    pub fn rows(&self, oy: usize) -> (usize, usize) {
        tap_range(oy, self.stride_h, self.pads.top, self.dilation_h, self.kernel_h, self.in_h)
    }

    #[inline(always)]
    pub fn cols(&self, ox: usize) -> (usize, usize) {
        tap_range(ox, self.stride_w, self.pads.left, self.dilation_w, self.kernel_w, self.in_w)
    }

    /// Input row of tap `ky` for output row `oy` (caller guarantees it is inside).
    #[inline(always)]
    pub fn in_y(&self, oy: usize, ky: usize) -> usize {
        oy * self.stride_h + ky * self.dilation_h - self.pads.top
    }

    #[inline(always)]
    pub fn in_x(&self, ox: usize, kx: usize) -> usize {
        ox * self.stride_w + kx * self.dilation_w - self.pads.left
    }

    pub fn taps(&self) -> usize {
        self.kernel_h * self.kernel_w
    }
}

/// Panics with the check's message: for the safe `*_with` entry points, whose callers pass sizes
/// they computed (a `Result::expect` would pull `Debug` formatting into the wasm).
pub(crate) fn expect_ok(r: Result<(), String>, op: &str) {
    if let Err(e) = r {
        panic!("{op}: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_matches_tensorflow() {
        // in 7, k 3, s 2: out 4, needs (4-1)*2+3-7 = 2 -> 1 / 1
        assert_eq!(axis_pads(7, 3, 2, 1, true), (1, 1));
        // in 8, k 3, s 2: out 4, needs 1 -> 0 / 1
        assert_eq!(axis_pads(8, 3, 2, 1, true), (0, 1));
        assert_eq!(axis_pads(5, 3, 1, 2, true), (2, 2));
    }

    #[test]
    fn tap_range_clips_borders() {
        // k3 s1 pad1, in 5: o=0 -> taps 1..3; o=4 -> taps 0..2
        assert_eq!(tap_range(0, 1, 1, 1, 3, 5), (1, 3));
        assert_eq!(tap_range(2, 1, 1, 1, 3, 5), (0, 3));
        assert_eq!(tap_range(4, 1, 1, 1, 3, 5), (0, 2));
        // dilation 2, pad 2: o=0 -> start -2, taps with -2+2t in [0,5) -> t=1,2
        assert_eq!(tap_range(0, 1, 2, 2, 3, 5), (1, 3));
        // fully outside
        assert_eq!(tap_range(0, 1, 5, 1, 3, 2), (3, 3));
    }
}
