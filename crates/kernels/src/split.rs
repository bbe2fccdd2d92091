//! Splitting one op across threads by OUTPUT, without touching the kernels: each part computes a
//! contiguous block of output rows (or GEMM rows, or elements) by calling the existing single-thread
//! kernel on a sub-geometry, the input rows that block reads, with the top/bottom padding adjusted.
//! Every output element is computed by the same kernel code with the same taps in the same order as
//! in the whole op, so the result is bit-identical for any number of parts (tested below against
//! the whole op over swept shapes). Boundaries are multiples of a row tile (`ROW_ALIGN`, `GEMM_MR`,
//! `FLAT_ALIGN`), so a row never moves between a kernel's main tile and its tail path.
//! All index arithmetic is checked; a geometry that cannot be split runs whole in part 0.

use crate::activation::Activation;
use crate::conv::{self, PackedConv};
use crate::dwconv::{self, PackedDepthwise};
use crate::elementwise;
use crate::fused;
use crate::gemm::{self, PackedGemm, GEMM_MR};
use crate::pool::{self, PoolKind};
use crate::shape::{ConvGeometry, Padding};

/// Output rows of a window op (depthwise, conv, pool, fused expand+depthwise) per split unit. One:
/// these kernels compute each output row on its own (depthwise, pools and the fused ring kernel row
/// by row; conv's pixel tiles give every pixel the same taps in the same order whatever its place in
/// a tile, which the bit-identity tests below check over swept shapes). It was 4 (a guard for
/// multi-row tiles no window kernel has); with 4, small maps split badly: Xception's 19-row maps went
/// 8 + 11 rows (at best x0.58 of one thread) and 7-row maps 4 + 3. Measured by `node bench/run.mjs
/// --threads` (the per-family table: Xception's fused pw->dw 3x3 x0.62 with 4).
pub const ROW_ALIGN: usize = 1;
/// Elements per split unit of elementwise ops (a multiple of every unrolled vector loop).
pub const FLAT_ALIGN: usize = 64;
/// Most parts one op is split into.
pub const MAX_PARTS: usize = 64;

/// Units `[start, end)` of part `part` of `parts` over `total` units, boundaries multiples of `align`
/// (the last part ends at `total`); parts beyond the work get an empty range. Balanced to one block.
pub fn part_range(total: usize, part: usize, parts: usize, align: usize) -> Result<(usize, usize), String> {
    if parts == 0 || parts > MAX_PARTS || part >= parts || align == 0 {
        return Err(format!("part {part} of {parts} (align {align}): need 0 <= part < parts <= {MAX_PARTS}, align > 0"));
    }
    let blocks = total.div_ceil(align) as u64;
    let at = |p: usize| -> usize {
        // blocks * p <= 2^32 * 64: fits u64; the quotient is at most `blocks`.
        let b = blocks * p as u64 / parts as u64;
        ((b as u128 * align as u128).min(total as u128)) as usize
    };
    Ok((at(part), at(part + 1)))
}

/// The input rows a block of output rows `[r0, r1)` of one axis reads, and its padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowWindow {
    /// First input row read.
    pub in_start: usize,
    /// Input rows read (at least 1).
    pub in_rows: usize,
    /// Padding rows above / below the rows read.
    pub pad_top: usize,
    pub pad_bottom: usize,
}

/// Input rows read by output rows `[r0, r1)` of an axis of `in_h` rows with `pad_top` rows above,
/// window `kernel` with `stride` and `dilation`; None when the block reads no input row at all (it
/// lies wholly in the padding) or `r0 >= r1`. Checked: None on any overflow.
pub fn window_rows(in_h: usize, pad_top: usize, kernel: usize, stride: usize, dilation: usize, r0: usize, r1: usize) -> Option<RowWindow> {
    if r0 >= r1 || kernel == 0 || stride == 0 || dilation == 0 {
        return None;
    }
    let span = (kernel - 1).checked_mul(dilation)?.checked_add(1)?;
    // Padded coordinates (input row i is padded row i + pad_top): first and one-past-last row read.
    let first = r0.checked_mul(stride)?;
    let end = (r1 - 1).checked_mul(stride)?.checked_add(span)?;
    let in_end_padded = in_h.checked_add(pad_top)?;
    let lo = first.max(pad_top);
    let hi = end.min(in_end_padded);
    if lo >= hi {
        return None;
    }
    Some(RowWindow { in_start: lo - pad_top, in_rows: hi - lo, pad_top: lo - first, pad_bottom: end - hi })
}

/// One sub-call of a window op: image `n`, output rows `[r0, r1)`, its geometry (batch 1) and
/// where its input and output start (in elements).
#[derive(Clone, Copy, Debug)]
pub struct SubWindow {
    pub geometry: ConvGeometry,
    pub in_offset: usize,
    pub in_len: usize,
    pub out_offset: usize,
    pub out_len: usize,
}

/// The sub-calls of part `part` of `parts` of a window op with geometry `g` (units: `ROW_ALIGN`
/// output rows of one image), `in_c` / `out_c` channels per pixel. None when some block of ANY
/// part reads no input row (it lies wholly in the padding): then no part splits, and part 0 runs
/// the whole op (every part comes to the same answer, so each output is written exactly once).
pub fn window_parts(g: &ConvGeometry, in_c: usize, out_c: usize, part: usize, parts: usize) -> Result<Option<Vec<SubWindow>>, String> {
    for p in 0..parts {
        if p != part && part_windows(g, in_c, out_c, p, parts)?.is_none() {
            return Ok(None);
        }
    }
    part_windows(g, in_c, out_c, part, parts)
}

fn part_windows(g: &ConvGeometry, in_c: usize, out_c: usize, part: usize, parts: usize) -> Result<Option<Vec<SubWindow>>, String> {
    let per_image = g.out_h.div_ceil(ROW_ALIGN);
    let blocks = per_image.checked_mul(g.batch).ok_or("split: block count overflows")?;
    let (b0, b1) = part_range(blocks, part, parts, 1)?;
    let mut subs = Vec::new();
    let mut b = b0;
    while b < b1 {
        let n = b / per_image;
        let last = b1.min((n + 1) * per_image); // blocks of this image in this part: [b, last)
        let r0 = (b - n * per_image) * ROW_ALIGN;
        let r1 = ((last - n * per_image) * ROW_ALIGN).min(g.out_h);
        let Some(w) = window_rows(g.in_h, g.pads.top, g.kernel_h, g.stride_h, g.dilation_h, r0, r1) else { return Ok(None) };
        let pads = Padding::Explicit { top: w.pad_top, bottom: w.pad_bottom, left: g.pads.left, right: g.pads.right };
        let sub = ConvGeometry::new(1, w.in_rows, g.in_w, (g.kernel_h, g.kernel_w), (g.stride_h, g.stride_w), (g.dilation_h, g.dilation_w), pads)?;
        if sub.out_h != r1 - r0 || sub.out_w != g.out_w {
            return Err(format!("split: sub-geometry of rows {r0}..{r1} gives {}x{} outputs", sub.out_h, sub.out_w));
        }
        let (in_len, out_len) = sub.tensor_elements(in_c, out_c)?;
        let in_row = g.in_w.checked_mul(in_c).ok_or("split: row size overflows")?;
        let out_row = g.out_w.checked_mul(out_c).ok_or("split: row size overflows")?;
        let in_offset = (n.checked_mul(g.in_h).and_then(|v| v.checked_add(w.in_start)).and_then(|v| v.checked_mul(in_row))).ok_or("split: offset overflows")?;
        let out_offset = (n.checked_mul(g.out_h).and_then(|v| v.checked_add(r0)).and_then(|v| v.checked_mul(out_row))).ok_or("split: offset overflows")?;
        subs.push(SubWindow { geometry: sub, in_offset, in_len, out_offset, out_len });
        b = last;
    }
    Ok(Some(subs))
}

/// Runs `call(sub-geometry, input, output)` for each sub-call of this part. The caller has checked
/// the whole op's buffers; the sub-ranges are re-checked against them here.
fn run_window<F>(g: &ConvGeometry, in_c: usize, out_c: usize, input: &[f32], output: &mut [f32], part: usize, parts: usize, mut call: F) -> Result<(), String>
where
    F: FnMut(&ConvGeometry, &[f32], &mut [f32]) -> Result<(), String>,
{
    match window_parts(g, in_c, out_c, part, parts)? {
        None => {
            if part == 0 {
                call(g, input, output)?;
            }
        }
        Some(subs) => {
            for s in subs {
                let i = input.get(s.in_offset..s.in_offset + s.in_len).ok_or("split: input block out of range")?;
                let o = output.get_mut(s.out_offset..s.out_offset + s.out_len).ok_or("split: output block out of range")?;
                call(&s.geometry, i, o)?;
            }
        }
    }
    Ok(())
}

/// Part `part` of `parts` of `dwconv::depthwise` (whole-op buffers, checked here).
pub fn depthwise_part(g: &ConvGeometry, w: &PackedDepthwise, input: &[f32], output: &mut [f32], act: Activation, part: usize, parts: usize) -> Result<(), String> {
    dwconv::check_depthwise(g, w, input, output)?;
    run_window(g, w.channels, w.channels * w.multiplier, input, output, part, parts, |sg, i, o| {
        dwconv::check_depthwise(sg, w, i, o)?;
        dwconv::depthwise(sg, w, i, o, act);
        Ok(())
    })
}

/// Part `part` of `parts` of `conv::conv2d`.
pub fn conv_part(g: &ConvGeometry, w: &PackedConv, input: &[f32], output: &mut [f32], act: Activation, part: usize, parts: usize) -> Result<(), String> {
    conv::check_conv(g, w, input, output)?;
    run_window(g, w.in_channels, w.out_channels, input, output, part, parts, |sg, i, o| {
        conv::check_conv(sg, w, i, o)?;
        conv::conv2d(sg, w, i, o, act);
        Ok(())
    })
}

/// Part `part` of `parts` of `pool::pool`.
pub fn pool_part(g: &ConvGeometry, channels: usize, input: &[f32], output: &mut [f32], kind: PoolKind, part: usize, parts: usize) -> Result<(), String> {
    pool::check_pool(g, channels, input, output)?;
    run_window(g, channels, channels, input, output, part, parts, |sg, i, o| pool::pool(sg, channels, i, o, kind))
}

/// Part `part` of `parts` of `fused::expand_depthwise` (1x1 expand then depthwise over a ring of rows);
/// `ring` is this thread's own, grown as needed.
#[allow(clippy::too_many_arguments)]
pub fn expand_depthwise_part(
    g: &ConvGeometry,
    pw: &PackedGemm,
    pw_act: Activation,
    dw: &PackedDepthwise,
    dw_act: Activation,
    input: &[f32],
    output: &mut [f32],
    ring: &mut Vec<f32>,
    part: usize,
    parts: usize,
) -> Result<(), String> {
    run_window(g, pw.k, dw.channels * dw.multiplier, input, output, part, parts, |sg, i, o| {
        if !fused::expand_depthwise_applies(sg, pw, dw) {
            return Err("split: the fused expand+depthwise kernel does not apply to a block of rows".into());
        }
        let need = fused::expand_depthwise_ring_len(sg, dw);
        if ring.len() < need {
            ring.try_reserve_exact(need - ring.len()).map_err(|_| format!("out of memory growing the ring to {need} values"))?;
            ring.resize(need, 0.0);
        }
        fused::expand_depthwise(sg, pw, pw_act, dw, dw_act, i, o, &mut ring[..need])
    })
}

/// Part `part` of `parts` of `gemm::gemm` over `m` rows: a block of rows, boundaries multiples of `GEMM_MR`.
pub fn gemm_part(m: usize, w: &PackedGemm, a: &[f32], c: &mut [f32], act: Activation, part: usize, parts: usize) -> Result<(), String> {
    gemm::check_gemm(m, w, a, c)?;
    let (r0, r1) = part_range(m, part, parts, GEMM_MR)?;
    if r0 == r1 {
        return Ok(());
    }
    let (ak, cn) = (r0.checked_mul(w.k).ok_or("split: offset overflows")?, r0.checked_mul(w.n).ok_or("split: offset overflows")?);
    let (ae, ce) = (r1.checked_mul(w.k).ok_or("split: offset overflows")?, r1.checked_mul(w.n).ok_or("split: offset overflows")?);
    let a = a.get(ak..ae).ok_or("split: input rows out of range")?;
    let c = c.get_mut(cn..ce).ok_or("split: output rows out of range")?;
    gemm::check_gemm(r1 - r0, w, a, c)?;
    gemm::gemm(r1 - r0, w, a, c, act);
    Ok(())
}

/// Elements `[start, end)` of part `part` of `parts` of an elementwise op over `len` values.
pub fn flat_part(len: usize, part: usize, parts: usize) -> Result<(usize, usize), String> {
    part_range(len, part, parts, FLAT_ALIGN)
}

/// Part `part` of `parts` of `elementwise::mul_channels` (the squeeze-excite scale: `groups` images of
/// `len / groups` values, each pixel's `channels` values times that image's `channels` scales): a
/// block of whole pixels, one sub-call per image it touches. Every value is the same one multiply as
/// in the whole op. Buffers the whole op refuses get its error (the same check), from every part.
pub fn mul_channels_part(a: &[f32], b: &[f32], out: &mut [f32], channels: usize, groups: usize, part: usize, parts: usize) -> Result<(), String> {
    elementwise::check_channel_op(a.len(), out.len(), channels, b.len(), None, groups)?;
    let pixels = a.len() / channels;
    let per_image = pixels / groups;
    let (p0, p1) = part_range(pixels, part, parts, 1)?;
    let mut p = p0;
    while p < p1 {
        let image = p / per_image;
        let end = p1.min((image + 1) * per_image);
        let (s, e) = (p * channels, end * channels);
        elementwise::mul_channels(&a[s..e], &b[image * channels..(image + 1) * channels], &mut out[s..e], channels, 1)?;
        p = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Pads;
    use crate::spatial::{self, PackedSpatial};
    use crate::testing::Rng;

    fn geometry(batch: usize, h: usize, w: usize, k: (usize, usize), s: (usize, usize), d: (usize, usize), p: Padding) -> Option<ConvGeometry> {
        ConvGeometry::new(batch, h, w, k, s, d, p).ok()
    }

    /// Shapes swept by every window-op test: sizes around the row tile, strides, dilations, pads
    /// larger than the kernel reach, batch > 1.
    fn window_shapes() -> Vec<ConvGeometry> {
        let mut v = Vec::new();
        for &(h, w) in &[(1, 3), (3, 5), (7, 6), (9, 4), (16, 3), (17, 5)] {
            for &k in &[(1, 1), (3, 3), (5, 5), (3, 1), (1, 3)] {
                for &s in &[(1, 1), (2, 2), (2, 1)] {
                    for &d in &[(1, 1), (2, 2)] {
                        if d != (1, 1) && s != (1, 1) {
                            continue;
                        }
                        for p in [Padding::Same, Padding::Valid, Padding::Explicit { top: 3, bottom: 0, left: 1, right: 2 }, Padding::Explicit { top: 0, bottom: 5, left: 0, right: 0 }] {
                            for batch in [1, 2] {
                                if let Some(g) = geometry(batch, h, w, k, s, d, p) {
                                    v.push(g);
                                }
                            }
                        }
                    }
                }
            }
        }
        v
    }

    fn random(rng: &mut Rng, n: usize) -> Vec<f32> {
        (0..n).map(|_| rng.uniform()).collect()
    }

    /// Runs `part(output, part, parts)` for every part of `parts` into one buffer pre-filled with NaN.
    fn assemble(len: usize, parts: usize, mut run: impl FnMut(&mut [f32], usize, usize)) -> Vec<f32> {
        let mut out = vec![f32::NAN; len];
        for p in 0..parts {
            run(&mut out, p, parts);
        }
        out
    }

    fn same_bits(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    #[test]
    fn mul_channels_parts_are_bit_identical_to_the_whole_op() {
        let mut rng = Rng::new(41);
        for channels in [1usize, 3, 4, 5, 8, 13, 16, 33] {
            for groups in [1usize, 2, 3] {
                for pixels in [1usize, 2, 7, 16, 31] {
                    let len = groups * pixels * channels;
                    let a = random(&mut rng, len);
                    let b = random(&mut rng, groups * channels);
                    let mut whole = vec![0.0; len];
                    elementwise::mul_channels(&a, &b, &mut whole, channels, groups).unwrap();
                    for parts in [2, 3, 5] {
                        let got = assemble(len, parts, |o, p, n| mul_channels_part(&a, &b, o, channels, groups, p, n).unwrap());
                        assert!(same_bits(&got, &whole), "mul_channels C {channels} groups {groups} pixels {pixels} parts {parts}");
                    }
                }
            }
        }
        // What the whole op refuses, every part refuses.
        let (a, b) = (vec![1.0; 12], vec![1.0; 4]);
        assert!(mul_channels_part(&a, &b[..3], &mut vec![0.0; 12], 4, 1, 1, 2).is_err());
        assert!(mul_channels_part(&a, &b, &mut vec![0.0; 12], 0, 1, 0, 2).is_err());
        assert!(mul_channels_part(&a[..10], &b, &mut vec![0.0; 10], 4, 1, 0, 2).is_err());
    }

    #[test]
    fn part_ranges_cover_the_work_once_with_aligned_boundaries() {
        for total in [0usize, 1, 3, 4, 5, 63, 64, 65, 1000, (1 << 30) - 1] {
            for parts in 1..=9 {
                for align in [1usize, 4, 64] {
                    let mut next = 0;
                    for p in 0..parts {
                        let (a, b) = part_range(total, p, parts, align).unwrap();
                        assert_eq!(a, next, "total {total} parts {parts} align {align}");
                        assert!(a <= b && b <= total);
                        assert!(a % align == 0 || a == total);
                        next = b;
                    }
                    assert_eq!(next, total);
                }
            }
        }
        assert!(part_range(10, 3, 3, 1).is_err());
        assert!(part_range(10, 0, 0, 1).is_err());
        assert!(part_range(10, 0, MAX_PARTS + 1, 1).is_err());
        assert!(part_range(10, 0, 2, 0).is_err());
    }

    #[test]
    fn window_rows_match_the_taps_of_each_output_row() {
        // Brute force: the rows read are exactly the union of the taps inside the input.
        for in_h in 1..12 {
            for pad_top in 0..5 {
                for k in 1..5 {
                    for s in 1..4 {
                        for d in 1..3 {
                            for r0 in 0..6 {
                                for r1 in r0 + 1..r0 + 5 {
                                    let rows: Vec<isize> = (r0..r1)
                                        .flat_map(|o| (0..k).map(move |t| (o * s + t * d) as isize - pad_top as isize))
                                        .filter(|&y| y >= 0 && y < in_h as isize)
                                        .collect();
                                    let got = window_rows(in_h, pad_top, k, s, d, r0, r1);
                                    match got {
                                        Some(w) => {
                                            // Every tap inside the input lies in the window, which lies in the input.
                                            assert!(rows.iter().all(|&y| y >= w.in_start as isize && y < (w.in_start + w.in_rows) as isize));
                                            assert!(w.in_rows >= 1 && w.in_start + w.in_rows <= in_h);
                                            // The padded block spans exactly the windows of r1 - r0 rows.
                                            assert_eq!(w.pad_top + w.in_rows + w.pad_bottom, (r1 - 1 - r0) * s + (k - 1) * d + 1);
                                        }
                                        None => assert!(rows.is_empty(), "in_h {in_h} pad {pad_top} k {k} s {s} d {d} rows {r0}..{r1}"),
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(window_rows(usize::MAX, 1, 3, 1, 1, 0, 2), None);
        assert_eq!(window_rows(10, 0, 3, usize::MAX, 1, 2, 3), None);
    }

    #[test]
    fn depthwise_parts_are_bit_identical_to_the_whole_op() {
        let mut rng = Rng::new(27);
        for g in window_shapes() {
            for (c, m) in [(3, 1), (8, 1), (11, 1), (4, 2)] {
                let weights = random(&mut rng, g.kernel_h * g.kernel_w * c * m);
                let bias = random(&mut rng, c * m);
                let w = PackedDepthwise::pack(&weights, Some(&bias), g.kernel_h, g.kernel_w, c, m).unwrap();
                let input = random(&mut rng, g.batch * g.in_h * g.in_w * c);
                let len = g.batch * g.out_h * g.out_w * c * m;
                let mut whole = vec![0.0; len];
                dwconv::depthwise(&g, &w, &input, &mut whole, Activation::Relu6);
                for parts in [2, 3, 5] {
                    let got = assemble(len, parts, |o, p, n| depthwise_part(&g, &w, &input, o, Activation::Relu6, p, n).unwrap());
                    assert!(same_bits(&got, &whole), "depthwise {g:?} c {c} m {m} parts {parts}");
                }
            }
        }
    }

    #[test]
    fn conv_parts_are_bit_identical_to_the_whole_op() {
        let mut rng = Rng::new(28);
        for g in window_shapes().into_iter().step_by(3) {
            for (cin, cout, groups) in [(3, 8, 1), (4, 6, 2), (16, 5, 1)] {
                let weights = random(&mut rng, g.kernel_h * g.kernel_w * (cin / groups) * cout);
                let bias = random(&mut rng, cout);
                let w = PackedConv::pack(&weights, Some(&bias), g.kernel_h, g.kernel_w, cin, cout, groups).unwrap();
                let input = random(&mut rng, g.batch * g.in_h * g.in_w * cin);
                let len = g.batch * g.out_h * g.out_w * cout;
                let mut whole = vec![0.0; len];
                conv::conv2d(&g, &w, &input, &mut whole, Activation::Relu);
                for parts in [2, 3] {
                    let got = assemble(len, parts, |o, p, n| conv_part(&g, &w, &input, o, Activation::Relu, p, n).unwrap());
                    assert!(same_bits(&got, &whole), "conv {g:?} {cin}->{cout} groups {groups} parts {parts}");
                }
            }
        }
    }

    #[test]
    fn pool_parts_are_bit_identical_to_the_whole_op() {
        let mut rng = Rng::new(29);
        for g in window_shapes() {
            if g.dilation_h != 1 || g.dilation_w != 1 {
                continue;
            }
            for kind in [PoolKind::Avg, PoolKind::Max] {
                let c = 5;
                let input = random(&mut rng, g.batch * g.in_h * g.in_w * c);
                let len = g.batch * g.out_h * g.out_w * c;
                let mut whole = vec![0.0; len];
                pool::pool(&g, c, &input, &mut whole, kind).unwrap();
                for parts in [2, 3] {
                    let got = assemble(len, parts, |o, p, n| pool_part(&g, c, &input, o, kind, p, n).unwrap());
                    assert!(same_bits(&got, &whole), "pool {g:?} parts {parts}");
                }
            }
        }
    }

    #[test]
    fn spatial_rows_are_not_split() {
        // Why spatially separable convs run on one thread: the fused ring kernel sums a column's
        // K rows in ring-slot order, slot = input row mod K, so a block of rows starting at an input
        // row not a multiple of K sums in another order. This pins that down (if the kernel changes
        // so that the sums agree, a spatial split can be added).
        let mut rng = Rng::new(30);
        let (c, k) = (8, 3);
        let w = PackedSpatial::pack(&random(&mut rng, k * c), &random(&mut rng, k * c), None, k, k, c, 1).unwrap();
        let input = random(&mut rng, 7 * 6 * c);
        let run = |in_rows: usize, skip: usize| {
            let (gv, gh) = spatial::pass_geometries(1, in_rows, 6, (k, k), (1, 1), (1, 1), Pads::default()).unwrap();
            let out_len = gh.out_h * gh.out_w * c;
            let i = &input[skip * 6 * c..(skip + in_rows) * 6 * c];
            let need = spatial::check_spatial_io(&gv, &gh, &w, i, &vec![0.0; out_len]).unwrap();
            let mut out = vec![0.0; out_len];
            spatial::spatial(&gv, &gh, &w, i, &mut out, &mut vec![0.0; need], Activation::Linear).unwrap();
            out
        };
        let whole = run(7, 0);
        let row = 6 * c - 2 * c; // out_w * c
        let tail = run(3, 4); // output row 4 alone, reading input rows 4..7
        assert!(!same_bits(&tail, &whole[4 * row..5 * row]));
    }

    #[test]
    fn expand_depthwise_parts_are_bit_identical_to_the_whole_op() {
        let mut rng = Rng::new(31);
        for g in window_shapes() {
            for (cin, c) in [(4, 16), (8, 24)] {
                let pw_w = random(&mut rng, cin * c);
                let pw = PackedGemm::pack(&pw_w, cin, c, Some(&random(&mut rng, c))).unwrap();
                let dw_w = random(&mut rng, g.kernel_h * g.kernel_w * c);
                let dw = PackedDepthwise::pack(&dw_w, Some(&random(&mut rng, c)), g.kernel_h, g.kernel_w, c, 1).unwrap();
                if !fused::expand_depthwise_applies(&g, &pw, &dw) {
                    continue;
                }
                let input = random(&mut rng, g.batch * g.in_h * g.in_w * cin);
                let len = g.batch * g.out_h * g.out_w * c;
                let mut whole = vec![0.0; len];
                let mut ring = vec![0.0; fused::expand_depthwise_ring_len(&g, &dw)];
                fused::expand_depthwise(&g, &pw, Activation::Relu6, &dw, Activation::Relu6, &input, &mut whole, &mut ring).unwrap();
                for parts in [2, 3] {
                    let mut ring = Vec::new();
                    let got = assemble(len, parts, |o, p, n| {
                        expand_depthwise_part(&g, &pw, Activation::Relu6, &dw, Activation::Relu6, &input, o, &mut ring, p, n).unwrap()
                    });
                    assert!(same_bits(&got, &whole), "expand+depthwise {g:?} {cin}->{c} parts {parts}");
                }
            }
        }
    }

    #[test]
    fn gemm_parts_are_bit_identical_to_the_whole_op() {
        let mut rng = Rng::new(32);
        for m in [1, 3, 4, 5, 9, 31, 64, 67] {
            for (k, n) in [(3, 5), (16, 8), (33, 17)] {
                let w = PackedGemm::pack(&random(&mut rng, k * n), k, n, Some(&random(&mut rng, n))).unwrap();
                let a = random(&mut rng, m * k);
                let mut whole = vec![0.0; m * n];
                gemm::gemm(m, &w, &a, &mut whole, Activation::Swish);
                for parts in [2, 3, 4] {
                    let got = assemble(m * n, parts, |o, p, np| gemm_part(m, &w, &a, o, Activation::Swish, p, np).unwrap());
                    assert!(same_bits(&got, &whole), "gemm {m}x{k}x{n} parts {parts}");
                }
            }
        }
    }

    #[test]
    fn a_part_refuses_buffers_the_whole_op_would_refuse() {
        let g = ConvGeometry::new(1, 8, 8, (3, 3), (1, 1), (1, 1), Padding::Same).unwrap();
        let w = PackedDepthwise::pack(&[0.5; 9 * 4], None, 3, 3, 4, 1).unwrap();
        let input = vec![1.0; 8 * 8 * 4];
        let mut short = vec![0.0; 8 * 8 * 4 - 1];
        assert!(depthwise_part(&g, &w, &input, &mut short, Activation::Linear, 0, 2).is_err());
        let pw = PackedGemm::pack(&[1.0; 12], 3, 4, None).unwrap();
        assert!(gemm_part(5, &pw, &[0.0; 14], &mut [0.0; 20], Activation::Linear, 1, 2).is_err());
    }
}
