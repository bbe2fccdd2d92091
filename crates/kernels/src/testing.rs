//! Helpers shared by the tests and the benches: seeded data and tolerance checks.

/// Small deterministic generator (xorshift64*), so tests need no crates.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [-1, 1).
    pub fn uniform(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    pub fn vec(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.uniform()).collect()
    }
}

/// The tolerance every kernel test states: |got - ref| <= ATOL + RTOL * |ref| (f32 accumulation vs f64).
pub const RTOL: f64 = 1e-5;
pub const ATOL: f64 = 1e-5;

/// Returns the first index that breaks the tolerance, with both values.
pub fn first_mismatch(got: &[f32], want: &[f64], scale: f64) -> Option<(usize, f32, f64)> {
    assert_eq!(got.len(), want.len(), "length mismatch");
    got.iter()
        .zip(want)
        .enumerate()
        .find(|(_, (g, w))| !((**g as f64 - **w).abs() <= (ATOL + RTOL * w.abs()) * scale) || g.is_nan())
        .map(|(i, (g, w))| (i, *g, *w))
}
