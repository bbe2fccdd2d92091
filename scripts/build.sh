#!/usr/bin/env bash
# Builds what is stale: the two wasm binaries (scripts/build-wasm.sh), then the TypeScript package (tsup).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-wasm.sh
pkg=packages/sepconv
stamp=$pkg/dist/.build-stamp
hash=$( (find $pkg/src -type f | sort | xargs cat; cat $pkg/package.json $pkg/tsup.config.ts $pkg/tsconfig.json) | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
  echo "package: up to date ($hash)"
else
  echo "package: building with tsup"
  (cd $pkg && pnpm exec tsup --silent)
  echo "$hash" > "$stamp"
fi
# The tarball carries the repository's README, LICENSE and CHANGELOG (copies, not tracked in the package).
for f in README.md LICENSE CHANGELOG.md; do cmp -s "$f" "$pkg/$f" || cp "$f" "$pkg/$f"; done
