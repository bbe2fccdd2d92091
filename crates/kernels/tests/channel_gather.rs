//! Channel gather against a plain per-element reference (`out[p, j] = in[p, idx[j]]`), bit for bit, over
//! channel counts 1..40, pixel counts, and index lists of every shape the segmenter knows (runs, zips,
//! strides, picks) and mixes of them; hostile indices and sizes are errors, never panics.

use sepconv_kernels::channel_gather::{channel_gather, channel_gather_into, segments, Segment};
use sepconv_kernels::testing::Rng;

fn reference(x: &[f32], pixels: usize, c: usize, idx: &[u32]) -> Vec<f32> {
    let mut y = Vec::with_capacity(pixels * idx.len());
    for p in 0..pixels {
        for &i in idx {
            y.push(x[p * c + i as usize]);
        }
    }
    y
}

/// Index lists for `c` channels: identity, halves, shuffles of g groups (and their halves), reversal,
/// strides, random permutations and random selections with repeats.
fn index_lists(c: usize, rng: &mut Rng) -> Vec<Vec<u32>> {
    let mut lists: Vec<Vec<u32>> = Vec::new();
    let all: Vec<u32> = (0..c as u32).collect();
    lists.push(all.clone());
    lists.push(all.iter().rev().copied().collect());
    if c >= 2 {
        let h = c / 2;
        lists.push((0..h as u32).collect());
        lists.push((h as u32..c as u32).collect());
    }
    for g in 2..=4 {
        if c % g == 0 {
            let q = c / g;
            // ONNX shuffle: output v*g + u = input u*q + v.
            let shuffle: Vec<u32> = (0..c).map(|j| ((j % g) * q + j / g) as u32).collect();
            lists.push(shuffle.clone());
            lists.push(shuffle[..c / 2].to_vec());
            lists.push(shuffle[c / 2..].to_vec());
            // The inverse: group by group, stride g.
            let inverse: Vec<u32> = (0..c).map(|j| ((j % q) * g + j / q) as u32).collect();
            lists.push(inverse);
        }
    }
    for stride in 2..=5 {
        lists.push((0..c as u32).step_by(stride).collect());
        lists.push((1.min(c as u32 - 1)..c as u32).step_by(stride).collect());
    }
    for _ in 0..3 {
        let mut p = all.clone();
        for i in (1..p.len()).rev() {
            p.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
        }
        lists.push(p);
        let k = 1 + (rng.next_u64() % (2 * c as u64)) as usize;
        lists.push((0..k).map(|_| (rng.next_u64() % c as u64) as u32).collect());
    }
    // A mix: a run, a zip, a pick, a strided run, in one list.
    if c >= 16 {
        let mut m: Vec<u32> = (3..9).collect();
        for i in 0..4 {
            m.extend([i, 8 + i]);
        }
        m.push(c as u32 - 1);
        m.extend((0..c as u32).step_by(3));
        lists.push(m);
    }
    lists
}

#[test]
fn channel_gather_matches_the_reference_over_swept_shapes() {
    let mut rng = Rng::new(7);
    let mut kinds = [false; 4];
    for c in 1..=40usize {
        for &pixels in &[1usize, 2, 5, 9] {
            let x = rng.vec(pixels * c);
            for idx in index_lists(c, &mut rng) {
                let mut y = vec![f32::NAN; pixels * idx.len()];
                channel_gather(&x, pixels, c, &idx, &mut y).unwrap();
                let want = reference(&x, pixels, c, &idx);
                for (j, (g, w)) in y.iter().zip(&want).enumerate() {
                    assert_eq!(g.to_bits(), w.to_bits(), "c {c} pixels {pixels} idx {idx:?} at {j}");
                }
                for s in segments(&idx) {
                    kinds[match s {
                        Segment::Copy { .. } => 0,
                        Segment::Zip { .. } => 1,
                        Segment::Strided { .. } => 2,
                        Segment::Pick { .. } => 3,
                    }] = true;
                }
            }
        }
    }
    assert_eq!(kinds, [true; 4], "every segment kind was exercised");
}

#[test]
fn gathers_into_a_wider_output_make_a_channel_concat() {
    // Each input's identity gather at its offset: the rows of a concat; the padding channels stay untouched.
    let mut rng = Rng::new(11);
    for &widths in &[&[1usize, 1][..], &[3, 5], &[58, 58], &[7, 1, 9], &[16, 4, 4, 2]] {
        for &pixels in &[1usize, 4, 7] {
            let total: usize = widths.iter().sum::<usize>() + 1;
            let xs: Vec<Vec<f32>> = widths.iter().map(|&w| rng.vec(pixels * w)).collect();
            let mut y = vec![f32::NAN; pixels * total];
            let mut off = 0;
            for (x, &w) in xs.iter().zip(widths) {
                let idx: Vec<u32> = (0..w as u32).collect();
                channel_gather_into(x, pixels, w, &idx, &mut y, total, off).unwrap();
                off += w;
            }
            for p in 0..pixels {
                let mut want: Vec<f32> = Vec::new();
                for (x, &w) in xs.iter().zip(widths) {
                    want.extend_from_slice(&x[p * w..(p + 1) * w]);
                }
                let got = &y[p * total..(p + 1) * total];
                assert_eq!(got[..total - 1].iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), "{widths:?} pixel {p}");
                assert!(got[total - 1].is_nan(), "the channel no input covers is untouched");
            }
        }
    }
    let mut y = vec![0.0f32; 8];
    let e = channel_gather_into(&[1.0; 4], 2, 2, &[0, 1], &mut y, 4, 3).unwrap_err();
    assert!(e.contains("do not fit"), "{e}");
    assert!(channel_gather_into(&[1.0; 4], 2, 2, &[0, 1], &mut y, 4, usize::MAX).is_err());
    assert!(channel_gather_into(&[1.0; 4], 2, 2, &[0, 1], &mut y, 3, 0).unwrap_err().contains("expected"));
}

#[test]
fn segments_cover_each_output_once_and_find_the_runs() {
    // A chunk half is one copy; a 2-group shuffle of 8 channels is one zip; its halves are zips too.
    assert_eq!(segments(&[4, 5, 6, 7]), vec![Segment::Copy { dst: 0, src: 4, len: 4 }]);
    assert_eq!(segments(&[0, 4, 1, 5, 2, 6, 3, 7]), vec![Segment::Zip { dst: 0, a: 0, b: 4, pairs: 4 }]);
    assert_eq!(segments(&[0, 3, 6, 9, 1]), vec![Segment::Strided { dst: 0, src: 0, stride: 3, len: 4 }, Segment::Pick { dst: 4, len: 1 }]);
    let mut rng = Rng::new(3);
    for c in 1..=40usize {
        for idx in index_lists(c, &mut rng) {
            let mut next = 0;
            for s in segments(&idx) {
                let (dst, len) = match s {
                    Segment::Copy { dst, len, .. } | Segment::Strided { dst, len, .. } | Segment::Pick { dst, len } => (dst, len),
                    Segment::Zip { dst, pairs, .. } => (dst, 2 * pairs),
                };
                assert_eq!(dst, next, "{idx:?}");
                assert!(len >= 1);
                next += len;
            }
            assert_eq!(next, idx.len(), "{idx:?}");
        }
    }
}

#[test]
fn hostile_indices_and_sizes_are_errors() {
    let x = vec![1.0f32; 8];
    let mut y = vec![0.0f32; 8];
    // Out of range (also the largest u32), empty lists, zero channels, wrong buffer lengths, overflowing sizes.
    let e = channel_gather(&x, 2, 4, &[0, 1, 4, 2], &mut y).unwrap_err();
    assert!(e.contains("index 4") && e.contains("out of range"), "{e}");
    assert!(channel_gather(&x, 2, 4, &[u32::MAX, 0, 0, 0], &mut y).unwrap_err().contains("out of range"));
    assert!(channel_gather(&x, 2, 4, &[], &mut y).is_err());
    assert!(channel_gather(&x, 8, 0, &[0], &mut y).is_err());
    assert!(channel_gather(&x, 2, 4, &[0, 1], &mut y).unwrap_err().contains("expected"));
    assert!(channel_gather(&x, 1, 8, &[0; 8], &mut y[..7]).is_err());
    assert!(channel_gather(&x, usize::MAX / 2, 4, &[0, 1, 2, 3], &mut y).unwrap_err().contains("exceeds"));
    assert!(channel_gather(&x, 1 << 29, 4, &[0, 1, 2, 3], &mut y).unwrap_err().contains("exceeds"));
    // Repeats are fine; zero pixels with empty buffers is a no-op.
    let mut z = vec![0.0f32; 6];
    channel_gather(&[1.0, 2.0, 3.0], 1, 3, &[2, 2, 0, 1, 1, 2], &mut z).unwrap();
    assert_eq!(z, [3.0, 3.0, 1.0, 2.0, 2.0, 3.0]);
    channel_gather(&[], 0, 3, &[1], &mut []).unwrap();
}

/// Throughput of the segment kinds on ShuffleNetV2-sized maps (28x28x232 -> halves and shuffles) against
/// a per-value indexed loop. Not a unit test: `cargo test --release -p sepconv-kernels --test channel_gather
/// -- --ignored --nocapture`.
#[test]
#[ignore]
fn channel_gather_speed() {
    let (pixels, c) = (28 * 28, 232usize);
    let x = Rng::new(1).vec(pixels * c);
    let q = c / 2;
    let shuffle: Vec<u32> = (0..c).map(|j| ((j % 2) * q + j / 2) as u32).collect();
    let cases: [(&str, Vec<u32>); 4] = [
        ("chunk half (copy)", (q as u32..c as u32).collect()),
        ("shuffle g=2 (zip)", shuffle.clone()),
        ("shuffle + chunk half (zip)", shuffle[..q].to_vec()),
        ("inverse shuffle (strided)", (0..c).map(|j| ((j % q) * 2 + j / q) as u32).collect()),
    ];
    for (name, idx) in cases {
        let mut y = vec![0.0f32; pixels * idx.len()];
        let reps = 200;
        let t = std::time::Instant::now();
        for _ in 0..reps {
            channel_gather(&x, pixels, c, &idx, &mut y).unwrap();
        }
        let seg = t.elapsed().as_secs_f64() / reps as f64;
        let t = std::time::Instant::now();
        for _ in 0..reps {
            y = std::hint::black_box(reference(&x, pixels, c, &idx));
        }
        let naive = t.elapsed().as_secs_f64() / reps as f64;
        let gb = (pixels * idx.len() * 8) as f64 / seg / 1e9;
        println!("{name}: {:.1} us ({gb:.1} GB/s moved), indexed loop {:.1} us", seg * 1e6, naive * 1e6);
    }
}
