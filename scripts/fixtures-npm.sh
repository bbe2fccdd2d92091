#!/usr/bin/env bash
# The real-model corpus (issue 25): @vladmandic/human's 11 trained TF.js graph models, fetched once
# from the npm registry at a pinned version, checked against a pinned sha256, and extracted outside
# the clone. Nothing is fetched at test time; a re-run with the cache in place takes milliseconds.
# Prints nothing when the cache is already in place. Tests read $SEPCONV_CACHE/human-3.3.6/models.
set -euo pipefail
cache="${SEPCONV_CACHE:-$HOME/.cache/sepconv}"
version=3.3.6
sha=425e9c51dbbca0c8934362b170cb0d54c2529c11c654b3c03092b16e9d6ad3f7
dest="$cache/human-$version"
tgz="$cache/vladmandic-human-$version.tgz"
[ -f "$dest/.complete" ] && exit 0
mkdir -p "$cache"
if [ ! -f "$tgz" ] || [ "$(sha256sum "$tgz" | cut -d' ' -f1)" != "$sha" ]; then
  echo "fixtures: npm pack @vladmandic/human@$version (28.6 MB, once) into $cache"
  rm -f "$tgz"
  npm pack "@vladmandic/human@$version" --pack-destination "$cache" --silent >/dev/null
fi
got=$(sha256sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$sha" ]; then
  echo "fixtures: $tgz has sha256 $got, expected $sha" >&2
  rm -f "$tgz"
  exit 1
fi
rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
tar -xzf "$tgz" -C "$dest.tmp" --strip-components=1 package/models
rm -rf "$dest" && mv "$dest.tmp" "$dest"
touch "$dest/.complete"
