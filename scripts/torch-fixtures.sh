#!/usr/bin/env bash
# The PyTorch-exported half of the ONNX corpus (issue 26): torchvision models with seeded weights, exported
# by torch.onnx.export (scripts/python/torch-export.py) in a pinned venv (torch 2.15.0, torchvision 0.29.2,
# onnxscript 0.7.2, onnx 1.23.2; every package with its sha256 in scripts/python/torch-export.lock,
# installed with --no-deps --require-hashes). scripts/setup.sh runs `make`; tests and benches only read.
#
#   scripts/torch-fixtures.sh make     venv (once: ~2.7 GB of CUDA wheels that torch declares, unused on CPU)
#                                      + export (about two minutes); prints the fixture directory
#   scripts/torch-fixtures.sh path     prints the fixture directory (exists only once made; never installs)
#   scripts/torch-fixtures.sh ready    exit 0 when the fixtures are made
#   scripts/torch-fixtures.sh venv     prints the venv's directory (made if needed)
#
# Everything lives under $SEPCONV_CACHE (default ~/.cache/sepconv), outside the clone: the venv is
# venv-torch-<hash of the lock>, the fixtures fixtures/torch-onnx-<hash of the lock, the export script and
# this file>, so changing any of them regenerates. Delete nothing by hand; old keys can be removed freely.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
lock="$here/python/torch-export.lock"
script="$here/python/torch-export.py"
cache="${SEPCONV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sepconv}"
venv="$cache/venv-torch-$(sha256sum "$lock" | cut -c1-12)"
out="$cache/fixtures/torch-onnx-$(cat "$lock" "$script" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)"
photos="$root/node_modules/@vladmandic/face-api/demo"

die() { echo "torch-fixtures: $*" >&2; exit 1; }

find_python() {
  local p
  for p in "${PYTHON:-}" python3.11 python3; do
    [ -n "$p" ] || continue
    command -v "$p" >/dev/null 2>&1 || continue
    # The lock was resolved for CPython 3.11 (cp311 wheels).
    if "$p" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

setup() {
  [ -f "$venv/.complete" ] && return 0
  mkdir -p "$cache"
  exec 9>"$cache/.venv-torch.lock"
  flock 9
  [ -f "$venv/.complete" ] && return 0
  local py
  py="$(find_python)" || die "needs Python 3.11 (the lock's cp311 wheels); set PYTHON=/path/to/python3.11"
  echo "torch-fixtures: creating $venv (torch 2.15.0 from PyPI: about 2.7 GB of wheels, once)" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r "$lock" >&2
  "$venv/bin/python" -c 'import torch, torchvision, onnxscript, onnx' 2>/dev/null \
    || { rm -rf "$venv"; die "the venv was installed but torch / onnxscript do not import"; }
  echo "torch $("$venv/bin/python" -c 'import torch; print(torch.__version__)')" >"$venv/.complete"
  flock -u 9
}

make() {
  if [ ! -f "$out/.complete" ]; then
    [ -d "$photos" ] || die "no photos at $photos (pnpm install first)"
    setup
    mkdir -p "$cache/fixtures"
    exec 8>"$cache/fixtures/.torch-onnx.lock"
    flock 8
    if [ ! -f "$out/.complete" ]; then
      echo "torch-fixtures: exporting 7 torchvision models into $out (about two minutes)" >&2
      rm -rf "$out" "$out.tmp"
      # One thread: the machine is shared; the export is mostly Python anyway.
      OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 "$venv/bin/python" "$script" "$out" "$photos" >"$cache/fixtures/torch-onnx.log" 2>&1 \
        || { tail -30 "$cache/fixtures/torch-onnx.log" >&2; rm -rf "$out" "$out.tmp"; die "export failed (log: $cache/fixtures/torch-onnx.log)"; }
      touch "$out/.complete"
    fi
    flock -u 8
  fi
  echo "$out"
}

case "${1:-}" in
  make) make ;;
  path) echo "$out" ;;
  ready) [ -f "$out/.complete" ] ;;
  venv) setup; echo "$venv" ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ] ;;
esac
