//! Channel gather over NHWC f32: `out[p, j] = in[p, idx[j]]` for every pixel `p`, with `idx` any list of
//! input channels (a permutation, a selection, repeats allowed). It is what ONNX `Split` / `Slice` of
//! channels (PyTorch `chunk`) and ShuffleNet's channel shuffle (`Reshape` -> `Transpose` -> `Reshape`)
//! amount to once the layout is NHWC: no arithmetic, one copy per output value.
//!
//! `idx` is cut once per call into segments, and each pixel runs them in order:
//! - `Copy`: consecutive channels `s, s+1, ...` (a `chunk` half is one): a slice copy (memcpy);
//! - `Zip`: two interleaved runs `a, b, a+1, b+1, ...` (a shuffle of 2 groups, or a half of one): 4 + 4
//!   values in, 8 out per step;
//! - `Strided`: `s, s+t, s+2t, ...` (a shuffle of `t` groups read back group by group);
//! - `Pick`: anything else, one indexed load per value.
//!
//! Out-of-range indices, sizes that do not fit `MAX_ELEMENTS` and buffers of the wrong length are errors.

use crate::kernels::KernelDescriptor;
use crate::shape::elements;

/// One piece of the index list; offsets are channel positions within a pixel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    /// `out[dst + i] = in[src + i]`, `i < len`.
    Copy { dst: usize, src: usize, len: usize },
    /// `out[dst + 2i] = in[a + i]`, `out[dst + 2i + 1] = in[b + i]`, `i < pairs`.
    Zip { dst: usize, a: usize, b: usize, pairs: usize },
    /// `out[dst + i] = in[src + i*stride]`, `i < len`.
    Strided { dst: usize, src: usize, stride: usize, len: usize },
    /// `out[dst + i] = in[idx[dst + i]]`, `i < len`.
    Pick { dst: usize, len: usize },
}

/// Shortest run worth a segment of its own (shorter ones go into `Pick`).
const MIN_RUN: usize = 4;

/// The segments of `idx` (every index already checked to be below the input's channel count).
pub fn segments(idx: &[u32]) -> Vec<Segment> {
    let k = idx.len();
    let at = |j: usize| idx[j] as usize;
    let mut out: Vec<Segment> = Vec::new();
    let mut j = 0;
    while j < k {
        // Consecutive channels.
        let mut len = 1;
        while j + len < k && idx[j + len] as u64 == idx[j] as u64 + len as u64 {
            len += 1;
        }
        if len >= MIN_RUN {
            out.push(Segment::Copy { dst: j, src: at(j), len });
            j += len;
            continue;
        }
        // Two interleaved runs.
        if j + 1 < k {
            let (a, b) = (idx[j] as u64, idx[j + 1] as u64);
            let mut pairs = 1;
            while j + 2 * pairs + 1 < k && idx[j + 2 * pairs] as u64 == a + pairs as u64 && idx[j + 2 * pairs + 1] as u64 == b + pairs as u64 {
                pairs += 1;
            }
            if pairs >= MIN_RUN {
                out.push(Segment::Zip { dst: j, a: at(j), b: at(j + 1), pairs });
                j += 2 * pairs;
                continue;
            }
        }
        // A constant positive stride.
        if j + 1 < k && idx[j + 1] > idx[j] {
            let stride = idx[j + 1] as u64 - idx[j] as u64;
            let mut len = 2;
            while j + len < k && idx[j + len] as u64 == idx[j] as u64 + stride * len as u64 {
                len += 1;
            }
            if len >= MIN_RUN {
                out.push(Segment::Strided { dst: j, src: at(j), stride: stride as usize, len });
                j += len;
                continue;
            }
        }
        match out.last_mut() {
            Some(Segment::Pick { dst, len }) if *dst + *len == j => *len += 1,
            _ => out.push(Segment::Pick { dst: j, len: 1 }),
        }
        j += 1;
    }
    out
}

/// `output[p*k + j] = input[p*channels + idx[j]]` for `p < pixels`, `k = idx.len()`.
pub fn channel_gather(input: &[f32], pixels: usize, channels: usize, idx: &[u32], output: &mut [f32]) -> Result<(), String> {
    channel_gather_into(input, pixels, channels, idx, output, idx.len(), 0)
}

/// `output[p*out_channels + offset + j] = input[p*channels + idx[j]]`: the gather written into channels
/// `offset..offset + idx.len()` of a wider output (a channel concat is one identity gather per input);
/// the output's other channels are left as they are.
pub fn channel_gather_into(input: &[f32], pixels: usize, channels: usize, idx: &[u32], output: &mut [f32], out_channels: usize, offset: usize) -> Result<(), String> {
    let k = idx.len();
    if channels == 0 || k == 0 {
        return Err(format!("channel_gather: channels ({channels}) and indices ({k}) must be at least 1"));
    }
    if offset.checked_add(k).is_none_or(|end| end > out_channels) {
        return Err(format!("channel_gather: {k} channels at offset {offset} do not fit {out_channels} output channels"));
    }
    let n_in = elements("channel_gather input", &[pixels, channels])?;
    let n_out = elements("channel_gather output", &[pixels, out_channels])?;
    if input.len() != n_in || output.len() != n_out {
        return Err(format!("channel_gather: buffers have {} and {} values, expected {n_in} and {n_out}", input.len(), output.len()));
    }
    if let Some((j, &i)) = idx.iter().enumerate().find(|(_, &i)| i as usize >= channels) {
        return Err(format!("channel_gather: index {i} (position {j}) is out of range for {channels} channels"));
    }
    if pixels == 0 {
        return Ok(());
    }
    let segs = segments(idx);
    for (src, row) in input.chunks_exact(channels).zip(output.chunks_exact_mut(out_channels)) {
        let dst = &mut row[offset..offset + k];
        for s in &segs {
            run_segment(*s, src, dst, idx);
        }
    }
    Ok(())
}

/// One segment over one pixel (`src` its `channels` inputs, `dst` its `k` outputs). The segment's
/// ranges were built from checked indices; the slicing below checks them again (no unchecked access).
#[inline(always)]
fn run_segment(s: Segment, src: &[f32], dst: &mut [f32], idx: &[u32]) {
    match s {
        Segment::Copy { dst: d, src: o, len } => dst[d..d + len].copy_from_slice(&src[o..o + len]),
        Segment::Zip { dst: d, a, b, pairs } => {
            let out = &mut dst[d..d + 2 * pairs];
            let (xa, xb) = (&src[a..a + pairs], &src[b..b + pairs]);
            let mut oc = out.chunks_exact_mut(8);
            let (mut ac, mut bc) = (xa.chunks_exact(4), xb.chunks_exact(4));
            for ((o, va), vb) in (&mut oc).zip(&mut ac).zip(&mut bc) {
                let (va, vb): (&[f32; 4], &[f32; 4]) = (va.try_into().unwrap(), vb.try_into().unwrap());
                let o: &mut [f32; 8] = o.try_into().unwrap();
                *o = [va[0], vb[0], va[1], vb[1], va[2], vb[2], va[3], vb[3]];
            }
            for ((o, &va), &vb) in oc.into_remainder().chunks_exact_mut(2).zip(ac.remainder()).zip(bc.remainder()) {
                o[0] = va;
                o[1] = vb;
            }
        }
        Segment::Strided { dst: d, src: o, stride, len } => {
            let from = &src[o..=o + (len - 1) * stride];
            for (y, x) in dst[d..d + len].iter_mut().zip(from.iter().step_by(stride)) {
                *y = *x;
            }
        }
        Segment::Pick { dst: d, len } => {
            for (y, &i) in dst[d..d + len].iter_mut().zip(&idx[d..d + len]) {
                *y = src[i as usize];
            }
        }
    }
}

pub const KERNELS: &[KernelDescriptor] = &[
    // Tile: one pixel x its output channels per step (the segments are cut once per call). Measured natively,
    // 28x28x232 input (`cargo test --release -p sepconv-kernels --test channel_gather -- --ignored --nocapture`,
    // 2026-12-07, shared 2-core EPYC): a chunk half (copy) 16 us, the 2-group shuffle (zip) 32 us, a shuffled
    // half (zip) 21 us, i.e. 34-46 GB/s moved, 5-6x a per-value indexed loop; the strided inverse runs at the
    // indexed loop's speed (7.5 GB/s). The 1x1 selection conv it replaces does `C_in` MACs per output value.
    KernelDescriptor { name: "channel_gather_segments", op: "channel_gather", tile: (1, 1), summary: "channel gather: per pixel, memcpy runs, 4+4 -> 8 zips, strided runs, indexed picks" },
];
