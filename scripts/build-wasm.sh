#!/usr/bin/env bash
# Builds the three shipped wasm binaries (relaxed, simd128 and scalar) with wasm-pack, optimises them with
# binaryen's wasm-opt -O3, wraps the wasm-bindgen glue as a factory, and prints the sizes; then the two
# threaded variants (relaxed-threads, simd128-threads: atomics, bulk memory, shared memory; std built
# from source with -Zbuild-std) and their glue. The single-thread builds are built exactly as before.
# Skips all of it when nothing it reads has changed since the last build.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/toolchain-env.sh

pkg=packages/sepconv
out_wasm=$pkg/wasm
out_glue=$pkg/src/runtime/generated
stamp=$out_wasm/.build-stamp
inputs_hash=$( (find crates -type f \( -name '*.rs' -o -name Cargo.toml \) | sort | xargs cat; cat Cargo.toml Cargo.lock scripts/build-wasm.sh scripts/wrap-glue.mjs scripts/fold-simd-load-offsets.mjs) | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs_hash" ] && [ -f "$out_glue/bindings.js" ] && [ -f "$out_glue/bindings-threads.js" ]; then
  echo "wasm: up to date ($inputs_hash)"
  exit 0
fi

mkdir -p "$out_wasm" "$out_glue"
wasm_opt=node_modules/binaryen/bin/wasm-opt
features=(--enable-simd --enable-relaxed-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)
# binaryen's -O3 inlines every function that has one caller, whatever its size, which undoes the
# kernels' #[inline(never)]: all 22 depthwise row kernels became one 144 KB function, and V8 compiles
# that worse (interleaved cold A/B: depthwise 3x3 x0.74-0.97 time, 5x5 x0.86, fused 5x1+1x5 x0.89
# with them kept apart; pointwise unchanged). Keep every #[inline(never)] kernel a function of its own
# (passes run in command-line order: the marks must come before -O3).
keep_separate=()
for f in dwconv::blocks_kernel dwconv::RowsAhead spatial::ring_kernel gemm::gemm_strided_mr gemm::row_block conv::direct_block pack::touch; do
  keep_separate+=("--no-inline=*sepconv_kernels::$f*")
done
# Fold `ptr + constant` into the loads' and stores' offset immediates, which V8 puts in the address
# (otherwise one `lea` per access): interleaved A/B time x0.95-0.98 on pointwise, depthwise and
# spatial shapes. Safe under --low-memory-unused: Rust's wasm32 layout puts the 1 MiB stack first, so
# the lowest 1 KiB is only reached by a stack about to overflow. (--optimize-added-constants-propagate
# measured no better.) binaryen skips the SIMD-only loads; scripts/fold-simd-load-offsets.mjs does those.
added_constants=(--low-memory-unused --optimize-added-constants)
# wasm-pack runs the cargo on PATH: make it the one that has the wasm32 std.
export PATH="$(dirname "$WASM_CARGO"):$PATH"

# relaxed = simd128 + relaxed SIMD, for f32x4.relaxed_madd: one FMA per multiply-add where the host
# has FMA (interleaved A/B on Node 22 against the simd128 build: pointwise x0.71-0.82, 3x3 conv x0.74,
# 5x5 depthwise x0.85, 3x3 depthwise x0.88-1.04). Hosts without relaxed SIMD (Node 20) get simd128.
for build in relaxed simd128 scalar; do
  flags=""
  [ "$build" = simd128 ] && flags="-C target-feature=+simd128"
  [ "$build" = relaxed ] && flags="-C target-feature=+simd128,+relaxed-simd"
  staging=target/wasm-pkg-$build
  echo "wasm: building $build"
  RUSTFLAGS="$flags" CARGO_TARGET_DIR="$PWD/target/wasm-$build" \
    wasm-pack --quiet build crates/wasm --release --target web --mode no-install --no-pack \
      --out-dir "$PWD/$staging" --out-name sepconv_wasm >/dev/null
  "$wasm_opt" "${keep_separate[@]}" -O3 "${added_constants[@]}" "${features[@]}" "$staging/sepconv_wasm_bg.wasm" -o "$staging/opt.wasm"
  node scripts/fold-simd-load-offsets.mjs "$staging/opt.wasm" "$out_wasm/sepconv-$build.wasm"
done

# The glue depends only on the exported signatures, so every build must have produced the same file.
for build in relaxed scalar; do
  if ! cmp -s target/wasm-pkg-simd128/sepconv_wasm.js target/wasm-pkg-$build/sepconv_wasm.js; then
    echo "wasm: the simd128 and $build builds produced different wasm-bindgen glue" >&2
    exit 1
  fi
done
node scripts/wrap-glue.mjs target/wasm-pkg-simd128/sepconv_wasm.js "$out_glue/bindings.js"
printf 'export declare function createBindings(): any;\nexport declare const EXPORTED_FUNCTIONS: string[];\n' > "$out_glue/bindings.d.ts"

# Threaded variants of the SIMD builds. The std must be rebuilt with atomics (-Zbuild-std, from the
# toolchain's own library sources: rustup's rust-src, or Debian's rust-web-src with its vendored
# dependencies); the memory is imported and shared, and the TLS exports let each worker's instance
# set up its own thread-locals (wasm-bindgen's thread transform uses them).
sysroot=$("$WASM_RUSTC" --print sysroot)
std_src="$sysroot/lib/rustlib/src/rust/library"
if [ ! -d "$std_src/std" ]; then
  echo "wasm: no standard library sources at $std_src for the threaded builds; run scripts/setup.sh (rustup component add rust-src, or Debian's rust-web-src)" >&2
  exit 1
fi
build_std=(-Zbuild-std=std,panic_abort)
if [ -d "$std_src/vendor" ]; then # Debian: the std's dependencies come vendored, offline
  build_std+=(--config 'source.crates-io.replace-with="rust-src-vendor"' --config "source.rust-src-vendor.directory=\"$std_src/vendor\"")
fi
thread_link="-C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--max-memory=4294967296"
for sym in __wasm_init_tls __tls_size __tls_align __tls_base; do thread_link+=" -C link-arg=--export=$sym"; done
for build in relaxed simd128; do
  flags="-C target-feature=+simd128,+atomics,+bulk-memory,+mutable-globals"
  [ "$build" = relaxed ] && flags+=",+relaxed-simd"
  staging=target/wasm-pkg-$build-threads
  echo "wasm: building $build-threads"
  RUSTC_BOOTSTRAP=1 RUSTFLAGS="$flags $thread_link" CARGO_TARGET_DIR="$PWD/target/wasm-$build-threads" \
    wasm-pack --quiet build crates/wasm --release --target web --mode no-install --no-pack \
      --out-dir "$PWD/$staging" --out-name sepconv_wasm -- "${build_std[@]}" --features threads 2> >(grep -v "unstable feature specified\|this feature is not stably supported\|^ *|\|^ *$" >&2) >/dev/null
  "$wasm_opt" "${keep_separate[@]}" -O3 "${added_constants[@]}" "${features[@]}" --enable-threads "$staging/sepconv_wasm_bg.wasm" -o "$staging/opt.wasm"
  node scripts/fold-simd-load-offsets.mjs "$staging/opt.wasm" "$out_wasm/sepconv-$build-threads.wasm" --threads
done
if ! cmp -s target/wasm-pkg-simd128-threads/sepconv_wasm.js target/wasm-pkg-relaxed-threads/sepconv_wasm.js; then
  echo "wasm: the simd128-threads and relaxed-threads builds produced different wasm-bindgen glue" >&2
  exit 1
fi
node scripts/wrap-glue.mjs target/wasm-pkg-simd128-threads/sepconv_wasm.js "$out_glue/bindings-threads.js"
printf 'export declare function createBindings(): any;\nexport declare const EXPORTED_FUNCTIONS: string[];\n' > "$out_glue/bindings-threads.d.ts"
node scripts/wasm-sizes.mjs "$out_wasm"/sepconv-*.wasm
echo "$inputs_hash" > "$stamp"
