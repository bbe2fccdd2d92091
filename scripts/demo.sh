#!/usr/bin/env bash
# Sets everything up (idempotent), builds what is stale, then runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
node demo/main.mjs "$@"
