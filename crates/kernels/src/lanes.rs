//! The 4-lane f32 vector every kernel is written over, and its implementations:
//! wasm32 simd128 (with relaxed SIMD's fused multiply-add in the relaxed build), x86_64 SSE (so host tests run the SIMD-shaped code), and a portable scalar one.

/// Four f32 lanes: the NEON / wasm simd128 shape.
pub trait F32x4: Copy {
    const LANES: usize = 4;
    fn splat(x: f32) -> Self;
    /// # Safety
    /// `p` must be valid for reading 4 f32s (no alignment needed).
    unsafe fn load(p: *const f32) -> Self;
    /// # Safety
    /// `p` must be valid for writing 4 f32s (no alignment needed).
    unsafe fn store(self, p: *mut f32);
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    /// `self * b + c`: unfused, except in the relaxed-SIMD build (one FMA where the host has it).
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        self.mul(b).add(c)
    }
    /// Lane-wise `if self < o { o } else { self }` (wasm `f32x4.pmax`): a NaN in `self` is kept, a NaN
    /// in `o` is skipped. Every implementation follows this rule (one instruction each: pmax, maxps with
    /// the operands swapped, a compare-select), so kernels choose NaN semantics by operand order:
    /// `acc.max(v)` skips a NaN `v` (TF.js max pooling), `v.max(lo)` keeps a NaN `v` (ReLU, clamps).
    fn max(self, o: Self) -> Self;
    /// Lane-wise `if o < self { o } else { self }` (wasm `f32x4.pmin`): NaN in `self` kept, in `o` skipped.
    fn min(self, o: Self) -> Self;
    /// `self.max(lo)` for a bound `lo` that is never NaN (NaN in `self` kept): the clamps of the epilogues and
    /// of exp. The relaxed build makes it one `relaxed_max(lo, self)` instead of `max`'s compare + bitselect.
    #[inline(always)]
    fn max_bound(self, lo: Self) -> Self {
        self.max(lo)
    }
    /// `self.min(hi)` for a bound `hi` that is never NaN (NaN in `self` kept); see `max_bound`.
    #[inline(always)]
    fn min_bound(self, hi: Self) -> Self {
        self.min(hi)
    }
    fn to_array(self) -> [f32; 4];
    fn from_array(a: [f32; 4]) -> Self;
}

/// Portable lanes: plain arrays, what the scalar wasm build runs.
#[derive(Clone, Copy, Debug)]
pub struct ScalarLanes(pub [f32; 4]);

impl F32x4 for ScalarLanes {
    #[inline(always)]
    fn splat(x: f32) -> Self {
        Self([x; 4])
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        Self([*p, *p.add(1), *p.add(2), *p.add(3)])
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        for (i, v) in self.0.iter().enumerate() {
            *p.add(i) = *v;
        }
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Self([self.0[0] + o.0[0], self.0[1] + o.0[1], self.0[2] + o.0[2], self.0[3] + o.0[3]])
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Self([self.0[0] - o.0[0], self.0[1] - o.0[1], self.0[2] - o.0[2], self.0[3] - o.0[3]])
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Self([self.0[0] * o.0[0], self.0[1] * o.0[1], self.0[2] * o.0[2], self.0[3] * o.0[3]])
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        let m = |a: f32, b: f32| if a < b { b } else { a };
        Self([m(self.0[0], o.0[0]), m(self.0[1], o.0[1]), m(self.0[2], o.0[2]), m(self.0[3], o.0[3])])
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        let m = |a: f32, b: f32| if b < a { b } else { a };
        Self([m(self.0[0], o.0[0]), m(self.0[1], o.0[1]), m(self.0[2], o.0[2]), m(self.0[3], o.0[3])])
    }
    #[inline(always)]
    fn to_array(self) -> [f32; 4] {
        self.0
    }
    #[inline(always)]
    fn from_array(a: [f32; 4]) -> Self {
        Self(a)
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub use wasm_simd::WasmLanes;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm_simd {
    use super::F32x4;
    use core::arch::wasm32::*;

    /// wasm simd128 lanes.
    #[derive(Clone, Copy)]
    pub struct WasmLanes(pub v128);

    impl F32x4 for WasmLanes {
        #[inline(always)]
        fn splat(x: f32) -> Self {
            Self(f32x4_splat(x))
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            Self(v128_load(p as *const v128))
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            v128_store(p as *mut v128, self.0)
        }
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            Self(f32x4_add(self.0, o.0))
        }
        #[inline(always)]
        fn sub(self, o: Self) -> Self {
            Self(f32x4_sub(self.0, o.0))
        }
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            Self(f32x4_mul(self.0, o.0))
        }
        // The relaxed build: one fused multiply-add where the host has FMA (else mul + add).
        #[cfg(target_feature = "relaxed-simd")]
        #[inline(always)]
        fn mul_add(self, b: Self, c: Self) -> Self {
            Self(f32x4_relaxed_madd(self.0, b.0, c.0))
        }
        // pmax/pmin lower to one maxps/minps on x86 hosts; max/min would need a NaN-fixing sequence.
        #[cfg(not(target_feature = "relaxed-simd"))]
        #[inline(always)]
        fn max(self, o: Self) -> Self {
            Self(f32x4_pmax(self.0, o.0))
        }
        #[cfg(not(target_feature = "relaxed-simd"))]
        #[inline(always)]
        fn min(self, o: Self) -> Self {
            Self(f32x4_pmin(self.0, o.0))
        }
        // With +relaxed-simd, LLVM emits f32x4.pmax / pmin as relaxed_max / relaxed_min, whose NaN result is
        // the host's (V8 on x86: maxps with the operands in source order, so NaN in `self` became `o`:
        // add([NaN], [NaN]) = -Inf through the linear clamp). The same select as a compare and a bitselect,
        // which LLVM keeps.
        #[cfg(target_feature = "relaxed-simd")]
        #[inline(always)]
        fn max(self, o: Self) -> Self {
            Self(v128_bitselect(o.0, self.0, f32x4_lt(self.0, o.0)))
        }
        #[cfg(target_feature = "relaxed-simd")]
        #[inline(always)]
        fn min(self, o: Self) -> Self {
            Self(v128_bitselect(o.0, self.0, f32x4_lt(o.0, self.0)))
        }
        // A clamp against a bound that is never NaN, with the value second: V8 lowers relaxed_max / min to
        // maxps / minps on x86, which return their second operand when one is NaN, and to fmax / fmin on Arm,
        // which return NaN; either way a NaN value stays NaN, in one instruction (the compare + bitselect of
        // `max` cost x1.12-1.18 time on small-K pointwise convs with ReLU6).
        #[cfg(target_feature = "relaxed-simd")]
        #[inline(always)]
        fn max_bound(self, lo: Self) -> Self {
            Self(f32x4_relaxed_max(lo.0, self.0))
        }
        #[cfg(target_feature = "relaxed-simd")]
        #[inline(always)]
        fn min_bound(self, hi: Self) -> Self {
            Self(f32x4_relaxed_min(hi.0, self.0))
        }
        #[inline(always)]
        fn to_array(self) -> [f32; 4] {
            [
                f32x4_extract_lane::<0>(self.0),
                f32x4_extract_lane::<1>(self.0),
                f32x4_extract_lane::<2>(self.0),
                f32x4_extract_lane::<3>(self.0),
            ]
        }
        #[inline(always)]
        fn from_array(a: [f32; 4]) -> Self {
            Self(f32x4(a[0], a[1], a[2], a[3]))
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub use sse::SseLanes;

#[cfg(target_arch = "x86_64")]
mod sse {
    use super::F32x4;
    use core::arch::x86_64::*;

    /// SSE lanes (baseline on x86_64): lets host tests run the same vector code paths.
    #[derive(Clone, Copy)]
    pub struct SseLanes(pub __m128);

    impl F32x4 for SseLanes {
        #[inline(always)]
        fn splat(x: f32) -> Self {
            unsafe { Self(_mm_set1_ps(x)) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            Self(_mm_loadu_ps(p))
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            _mm_storeu_ps(p, self.0)
        }
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            unsafe { Self(_mm_add_ps(self.0, o.0)) }
        }
        #[inline(always)]
        fn sub(self, o: Self) -> Self {
            unsafe { Self(_mm_sub_ps(self.0, o.0)) }
        }
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            unsafe { Self(_mm_mul_ps(self.0, o.0)) }
        }
        // maxps / minps return their second operand when either is NaN: `self` goes second.
        #[inline(always)]
        fn max(self, o: Self) -> Self {
            unsafe { Self(_mm_max_ps(o.0, self.0)) }
        }
        #[inline(always)]
        fn min(self, o: Self) -> Self {
            unsafe { Self(_mm_min_ps(o.0, self.0)) }
        }
        #[inline(always)]
        fn to_array(self) -> [f32; 4] {
            let mut a = [0.0; 4];
            unsafe { _mm_storeu_ps(a.as_mut_ptr(), self.0) };
            a
        }
        #[inline(always)]
        fn from_array(a: [f32; 4]) -> Self {
            unsafe { Self(_mm_loadu_ps(a.as_ptr())) }
        }
    }
}

/// The lanes this build runs: simd128 on wasm with SIMD, SSE on x86_64 hosts, scalar elsewhere.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub type NativeLanes = WasmLanes;
#[cfg(all(target_arch = "x86_64", not(target_arch = "wasm32")))]
pub type NativeLanes = SseLanes;
#[cfg(not(any(all(target_arch = "wasm32", target_feature = "simd128"), target_arch = "x86_64")))]
pub type NativeLanes = ScalarLanes;

/// Name of the lane implementation compiled in, reported by `backend()`.
pub const NATIVE_LANES_NAME: &str = if cfg!(all(target_arch = "wasm32", target_feature = "relaxed-simd")) {
    "relaxed"
} else if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
    "simd128"
} else if cfg!(target_arch = "x86_64") {
    "sse"
} else {
    "scalar"
};
