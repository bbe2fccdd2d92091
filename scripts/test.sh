#!/usr/bin/env bash
# The whole test suite: set up (idempotent), build what is stale, then the Rust kernel tests,
# the package's vitest suites (relaxed, simd128 and scalar builds) and the cross-runtime tests in test/.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
bash scripts/build.sh || exit 1
. scripts/toolchain-env.sh

log=$(mktemp)
status=0
step() {
  echo "== $*"
  "$@" 2>&1 | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] || { echo "== FAILED ($rc): $*"; status=1; }
}
step cargo test --workspace --release --quiet
step pnpm --dir packages/sepconv exec tsc --noEmit -p .
step node scripts/check-api-docs.mjs   # every exported name has a doc comment (the API reference, pnpm docs:api)
step pnpm --dir packages/sepconv exec vitest run
if [ -n "$(find test -name "*.test.*" -not -path "*/node_modules/*" | head -1)" ]; then
  step pnpm exec vitest run --root test
fi

# One closing line over every runner above.
clean=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
passed=$( (echo "$clean" | grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed' | grep -oE '[0-9]+ passed'; \
           echo "$clean" | grep -E '^\s*Tests\s' | grep -oE '[0-9]+ passed') | awk '{s+=$1} END {print s+0}')
failed=$( (echo "$clean" | grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed' | grep -oE '[0-9]+ failed'; \
           echo "$clean" | grep -E '^\s*Tests\s' | grep -oE '[0-9]+ failed') | awk '{s+=$1} END {print s+0}')
rm -f "$log"
[ "$failed" = 0 ] || status=1
echo "$passed passed, $failed failed"
exit $status
