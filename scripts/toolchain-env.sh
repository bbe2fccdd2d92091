# Sourced by the scripts: picks the Rust that can build wasm32 and puts cargo-installed tools on PATH.
export PATH="$HOME/.cargo/bin:$PATH"
wasm_target_ready_for() { # $1 = rustc
  local dir
  dir=$("$1" --print target-libdir --target wasm32-unknown-unknown 2>/dev/null) || return 1
  ls "$dir"/libstd-*.rlib >/dev/null 2>&1
}
if [ "${SEPCONV_TOOLCHAIN:-}" != debian ] && command -v rustc >/dev/null && wasm_target_ready_for "$(command -v rustc)"; then
  WASM_RUSTC=$(command -v rustc); WASM_CARGO=$(command -v cargo)
elif [ -x /usr/bin/rustc ] || [ "${SEPCONV_TOOLCHAIN:-}" = debian ]; then
  WASM_RUSTC=/usr/bin/rustc; WASM_CARGO=/usr/bin/cargo
else
  WASM_RUSTC=$(command -v rustc || echo rustc); WASM_CARGO=$(command -v cargo || echo cargo)
fi
export WASM_RUSTC WASM_CARGO
wasm_target_ready() { wasm_target_ready_for "$WASM_RUSTC"; }
wasm_toolchain_summary() { echo "wasm rustc: $("$WASM_RUSTC" --version 2>/dev/null)"; }
