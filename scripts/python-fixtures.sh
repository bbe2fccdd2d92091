#!/usr/bin/env bash
# The pinned Python tools: the TF.js converter (PyPI tensorflowjs 4.22.0 on tensorflow-cpu 2.15.1).
# The benchmarks use it to turn a TF.js layers model into the graph model TF.js users run when they
# care about speed (BatchNorm folded, activations fused: _FusedConv2D, FusedDepthwiseConv2dNative).
# The tests use it for one fixture: a real Keras MobileNetV2 saved by the real converter
# (scripts/python/keras-mobilenetv2.py, for test/io/keras-weights.test.ts); scripts/setup.sh makes it.
#
#   scripts/python-fixtures.sh setup                    create the venv (idempotent; ~1.2 GB download once)
#   scripts/python-fixtures.sh ready                    exit 0 when the venv exists, 1 if not (never installs)
#   scripts/python-fixtures.sh convert LAYERS.json DIR  layers model -> graph model in DIR (setup first if
#                                                       needed; skipped when DIR already holds this conversion)
#   scripts/python-fixtures.sh fixture NAME             runs scripts/python/NAME.py in the venv (setup first
#                                                       if needed) into a cached directory and prints its
#                                                       path (kept while the script and the pins are unchanged)
#   scripts/python-fixtures.sh venv                     prints the venv's directory (setup first if needed),
#                                                       for running its python / tensorflowjs_converter yourself
#   scripts/python-fixtures.sh version                  the converter's pins, one line
#
# Everything lives outside the clone, under $SEPCONV_CACHE (default ~/.cache/sepconv): the venv is
# venv-tfjs-<hash of the lock file>, so a changed lock makes a new one. Every package is pinned with its
# sha256 in scripts/python/tfjs-converter.lock and installed with --no-deps --require-hashes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lock="$here/python/tfjs-converter.lock"
cache="${SEPCONV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sepconv}"
key="$(sha256sum "$lock" | cut -c1-12)"
venv="$cache/venv-tfjs-$key"
VERSION="tensorflowjs 4.22.0, tensorflow-cpu 2.15.1, python 3.11 (lock $key)"

die() { echo "python-fixtures: $*" >&2; exit 1; }

find_python() {
  local p
  for p in "${PYTHON:-}" python3.11 python3; do
    [ -n "$p" ] || continue
    command -v "$p" >/dev/null 2>&1 || continue
    # TensorFlow 2.15 has wheels for Python 3.9-3.11 only; the lock was made on 3.11.
    if "$p" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

setup() {
  [ -f "$venv/.complete" ] && return 0
  mkdir -p "$cache"
  # One installer at a time (two benches may start together).
  exec 9>"$cache/.venv-tfjs.lock"
  flock 9
  [ -f "$venv/.complete" ] && return 0
  local py
  py="$(find_python)" || die "needs Python 3.11 (TensorFlow 2.15 wheels); set PYTHON=/path/to/python3.11"
  echo "python-fixtures: creating $venv ($VERSION; about 1.2 GB of wheels, once)" >&2
  # A venv left half-made by an interrupted run has no .complete: start it again.
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r "$lock" >&2
  TF_CPP_MIN_LOG_LEVEL=3 "$venv/bin/python" -c 'import tensorflowjs, tensorflow' 2>/dev/null \
    || { rm -rf "$venv"; die "the venv was installed but tensorflowjs does not import"; }
  echo "$VERSION" >"$venv/.complete"
  flock -u 9
}

convert() {
  local src="${1:?convert: LAYERS model.json}" out="${2:?convert: output dir}"
  [ -f "$src" ] || die "convert: no such file: $src"
  # The conversion's identity: the input model (json + shards) and the tool's pins.
  local id
  id="$( { cat "$src"; find "$(dirname "$src")" -maxdepth 1 -name '*.bin' -print0 | sort -z | xargs -0 -r cat; echo "$VERSION"; } | sha256sum | cut -c1-16)"
  if [ -f "$out/.converted" ] && [ "$(cat "$out/.converted")" = "$id" ]; then return 0; fi
  setup
  rm -rf "$out.tmp"
  mkdir -p "$out.tmp"
  # One thread, like the benchmarks; quiet TF's start-up chatter (errors still print).
  TF_CPP_MIN_LOG_LEVEL=2 OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 \
    "$venv/bin/tensorflowjs_converter" --input_format=tfjs_layers_model --output_format=tfjs_graph_model "$src" "$out.tmp" >&2 \
    || { rm -rf "$out.tmp"; die "tensorflowjs_converter failed on $src"; }
  [ -f "$out.tmp/model.json" ] || die "tensorflowjs_converter wrote no model.json for $src"
  echo "$id" >"$out.tmp/.converted"
  rm -rf "$out"
  mv "$out.tmp" "$out"
}

fixture() {
  local name="${1:?fixture: NAME (scripts/python/NAME.py)}"
  local script="$here/python/$name.py"
  [ -f "$script" ] || die "fixture: no such script: $script"
  # Keyed by the script's own content and the pins: an edited script makes a new fixture.
  local id out
  id="$( { cat "$script"; echo "$VERSION"; } | sha256sum | cut -c1-12)"
  out="$cache/fixtures/$name-$id"
  if [ ! -f "$out/.complete" ]; then
    setup
    mkdir -p "$cache/fixtures"
    exec 8>"$cache/fixtures/.$name.lock"
    flock 8
    if [ ! -f "$out/.complete" ]; then
      echo "python-fixtures: making $out (Keras + the TF.js converter, under a minute)" >&2
      rm -rf "$out" "$out.tmp"
      TF_CPP_MIN_LOG_LEVEL=2 OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 \
        "$venv/bin/python" "$script" "$out" >/dev/null 2>"$cache/fixtures/$name.log" \
        || { cat "$cache/fixtures/$name.log" >&2; rm -rf "$out" "$out.tmp"; die "fixture $name failed"; }
      echo "$id" >"$out/.complete"
    fi
    flock -u 8
  fi
  echo "$out"
}

case "${1:-}" in
  setup) setup ;;
  ready) [ -f "$venv/.complete" ] ;;
  convert) shift; convert "$@" ;;
  fixture) shift; fixture "$@" ;;
  venv) setup; echo "$venv" ;;
  version) echo "$VERSION" ;;
  *) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ] ;;
esac
