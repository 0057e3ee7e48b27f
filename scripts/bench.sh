#!/usr/bin/env bash
# npm run bench: set up what is missing, then run the benchmarks (bench/run.ts) with any arguments.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec node --import tsx bench/run.ts "$@"
