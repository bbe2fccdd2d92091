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

/// Largest element count of any buffer or geometry (float32s): the bytes stay below 4 GiB, what a
/// wasm32 memory can address. Checked on every platform, so native tests exercise it.
pub const MAX_ELEMENTS: usize = (1 << 30) - 1;

/// Largest dimension, stride, dilation, pad or kernel size (i32::MAX): sums and differences of a few
/// of them, and their products with one index, stay inside `isize` on wasm32 once the element counts
/// are within `MAX_ELEMENTS`.
pub const MAX_DIM: usize = (1 << 31) - 1;

/// `value` if it is at most `MAX_DIM`; the error names `what`.
pub fn check_dim(what: &str, value: usize) -> Result<usize, String> {
    if value > MAX_DIM {
        return Err(dim_error(what, value));
    }
    Ok(value)
}

#[cold]
#[inline(never)]
fn dim_error(what: &str, value: usize) -> String {
    format!("{what} {value} exceeds the limit of {MAX_DIM}")
}

/// Checked product of `dims` (each at most `MAX_DIM`), at most `MAX_ELEMENTS`; the error names
/// `what` and the dims. A zero dim gives 0 (an empty tensor: the caller decides whether it may be).
// One pass in u64 (each dim <= MAX_DIM < 2^31, so a saturating product only grows): it runs a few
// times per kernel call. Not inlined (one copy in the wasm, not one per call site); the message is built out of line.
#[inline(never)]
pub fn elements(what: &str, dims: &[usize]) -> Result<usize, String> {
    let mut n: u64 = 1;
    let mut empty = false;
    for &d in dims {
        if d > MAX_DIM {
            return Err(too_large(what, dims));
        }
        empty |= d == 0;
        n = n.saturating_mul(d as u64);
    }
    if empty {
        return Ok(0);
    }
    if n > MAX_ELEMENTS as u64 {
        return Err(too_large(what, dims));
    }
    Ok(n as usize)
}

#[cold]
#[inline(never)]
fn too_large(what: &str, dims: &[usize]) -> String {
    use core::fmt::Write;
    let mut s = format!("{what} of ");
    for (i, d) in dims.iter().enumerate() {
        let _ = write!(s, "{}{d}", if i == 0 { "" } else { " x " });
    }
    let _ = write!(s, " values exceeds the limit of {MAX_ELEMENTS} float32 elements");
    s
}

/// Extent of a dilated kernel tap span, (k - 1) * d + 1, or None when k is 0 or it overflows.
#[inline]
pub fn dilated(k: usize, dilation: usize) -> Option<usize> {
    k.checked_sub(1)?.checked_mul(dilation)?.checked_add(1)
}

/// (pad_before, pad_after) for one axis, or None when a size overflows (or stride / k is 0).
pub fn axis_pads(input: usize, k: usize, stride: usize, dilation: usize, same: bool) -> Option<(usize, usize)> {
    if !same {
        return Some((0, 0));
    }
    if stride == 0 {
        return None;
    }
    let out = input.div_ceil(stride);
    let needed = (out.max(1) - 1).checked_mul(stride)?.checked_add(dilated(k, dilation)?)?.saturating_sub(input);
    Some((needed / 2, needed - needed / 2))
}

impl Padding {
    /// Resolves 'same' / 'valid' to explicit pads; the error names the axis whose sizes overflow.
    pub fn resolve(self, in_h: usize, in_w: usize, k: (usize, usize), stride: (usize, usize), dilation: (usize, usize)) -> Result<Pads, String> {
        match self {
            Padding::Explicit { top, bottom, left, right } => Ok(Pads { top, bottom, left, right }),
            _ => {
                let same = self == Padding::Same;
                let overflow = |axis: &str, i: usize, k: usize, s: usize, d: usize| {
                    format!("'same' padding of the {axis} axis overflows: input {i}, kernel {k}, stride {s}, dilation {d}")
                };
                let (top, bottom) = axis_pads(in_h, k.0, stride.0, dilation.0, same).ok_or_else(|| overflow("height", in_h, k.0, stride.0, dilation.0))?;
                let (left, right) = axis_pads(in_w, k.1, stride.1, dilation.1, same).ok_or_else(|| overflow("width", in_w, k.1, stride.1, dilation.1))?;
                Ok(Pads { top, bottom, left, right })
            }
        }
    }
}

/// Output length of one axis, or None when the kernel does not fit or a size overflows.
pub fn out_len(input: usize, pad_before: usize, pad_after: usize, k: usize, stride: usize, dilation: usize) -> Option<usize> {
    let padded = input.checked_add(pad_before)?.checked_add(pad_after)?;
    let span = dilated(k, dilation)?;
    if stride == 0 || padded < span {
        return None;
    }
    Some((padded - span) / stride + 1)
}

/// Taps `lo..hi` of one axis that land inside the input for output index `o`.
/// Computed once per output pixel so the tap loop itself has no border branch.
/// (Within a `ConvGeometry`, `o * stride` and `input + pad_before` are at most `MAX_DIM`, so they fit `isize`.)
#[inline(always)]
pub fn tap_range(o: usize, stride: usize, pad_before: usize, dilation: usize, k: usize, input: usize) -> (usize, usize) {
    let start = (o * stride) as isize - pad_before as isize;
    let d = dilation as isize;
    // ceil(-start / d) in usize: -start + d - 1 could pass isize::MAX on wasm32 (pad and dilation near MAX_DIM).
    let lo = if start >= 0 { 0 } else { start.unsigned_abs().div_ceil(dilation) };
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
        // One scan (not a call per size): this runs on every kernel call, twice with `validate`.
        let sizes = [batch, in_h, in_w, kernel.0, kernel.1, stride.0, stride.1, dilation.0, dilation.1];
        if let Some(i) = sizes.iter().position(|&v| v > MAX_DIM) {
            const NAMES: [&str; 9] = ["batch", "input height", "input width", "kernel height", "kernel width", "stride height", "stride width", "dilation height", "dilation width"];
            return Err(dim_error(NAMES[i], sizes[i]));
        }
        let pads = padding.resolve(in_h, in_w, kernel, stride, dilation)?;
        let pad_sizes = [pads.top, pads.bottom, pads.left, pads.right];
        if let Some(i) = pad_sizes.iter().position(|&v| v > MAX_DIM) {
            return Err(dim_error(["pad top", "pad bottom", "pad left", "pad right"][i], pad_sizes[i]));
        }
        // Dilated spans and padded extents within MAX_DIM: every index the kernels form fits.
        let span = |axis: &str, k: usize, d: usize| {
            dilated(k, d).filter(|&s| s <= MAX_DIM).ok_or_else(|| format!("dilated kernel {axis} ({k} - 1) x dilation {d} + 1 exceeds the limit of {MAX_DIM}"))
        };
        span("height", kernel.0, dilation.0)?;
        span("width", kernel.1, dilation.1)?;
        let padded = |axis: &str, i: usize, a: usize, b: usize| {
            i.checked_add(a).and_then(|v| v.checked_add(b)).filter(|&v| v <= MAX_DIM).ok_or_else(|| format!("padded input {axis} {i} + {a} + {b} exceeds the limit of {MAX_DIM}"))
        };
        padded("height", in_h, pads.top, pads.bottom)?;
        padded("width", in_w, pads.left, pads.right)?;
        let out_h = out_len(in_h, pads.top, pads.bottom, kernel.0, stride.0, dilation.0);
        let out_w = out_len(in_w, pads.left, pads.right, kernel.1, stride.1, dilation.1);
        match (out_h, out_w) {
            (Some(out_h), Some(out_w)) => {
                let g = Self {
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
                };
                // One channel at least: the pixel counts themselves must be within the limit.
                g.counts(1, 1)?;
                Ok(g)
            }
            _ => Err(format!(
                "kernel {}x{} (dilation {}x{}) does not fit input {}x{} with padding top {} bottom {} left {} right {}",
                kernel.0, kernel.1, dilation.0, dilation.1, in_h, in_w, pads.top, pads.bottom, pads.left, pads.right
            )),
        }
    }

    /// Element counts of the NHWC input (`in_channels`) and output (`out_channels`) of this geometry,
    /// checked against `MAX_ELEMENTS`, as is the padded input (so offsets into the padding, as the row
    /// kernels form them, fit as well). Every kernel's buffer check goes through this.
    /// The geometry is re-derived from its sizes first (its fields are public, so a hand-built one
    /// with, say, a larger `out_h` than its sizes give is refused rather than trusted).
    pub fn tensor_elements(&self, in_channels: usize, out_channels: usize) -> Result<(usize, usize), String> {
        self.validate()?;
        self.counts(in_channels, out_channels)
    }

    /// Whether this geometry is what `new` gives for its sizes and explicit pads.
    pub fn validate(&self) -> Result<(), String> {
        let p = self.pads;
        let g = Self::new(
            self.batch,
            self.in_h,
            self.in_w,
            (self.kernel_h, self.kernel_w),
            (self.stride_h, self.stride_w),
            (self.dilation_h, self.dilation_w),
            Padding::Explicit { top: p.top, bottom: p.bottom, left: p.left, right: p.right },
        )?;
        if g != *self {
            return Err(format!("inconsistent geometry: output {}x{} where the sizes give {}x{}", self.out_h, self.out_w, g.out_h, g.out_w));
        }
        Ok(())
    }

    fn counts(&self, in_channels: usize, out_channels: usize) -> Result<(usize, usize), String> {
        let need_in = elements("input", &[self.batch, self.in_h, self.in_w, in_channels])?;
        let need_out = elements("output", &[self.batch, self.out_h, self.out_w, out_channels])?;
        let ph = self.in_h.saturating_add(self.pads.top).saturating_add(self.pads.bottom);
        let pw = self.in_w.saturating_add(self.pads.left).saturating_add(self.pads.right);
        elements("padded input", &[self.batch, ph, pw, in_channels])?;
        Ok((need_in, need_out))
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
        assert_eq!(axis_pads(7, 3, 2, 1, true), Some((1, 1)));
        // in 8, k 3, s 2: out 4, needs 1 -> 0 / 1
        assert_eq!(axis_pads(8, 3, 2, 1, true), Some((0, 1)));
        assert_eq!(axis_pads(5, 3, 1, 2, true), Some((2, 2)));
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
