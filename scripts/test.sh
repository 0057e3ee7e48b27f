#!/usr/bin/env bash
# npm test: set up what is missing, type-check and lint, then every vitest project (unit, workflows,
# integration). The tests start their own servers on free ports and stop them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
GREENLANE_SETUP_FOR=test bash scripts/setup.sh
echo "test: npm run check (tsc + biome)"
npm run --silent check
echo "test: vitest run (all projects)"
exec npx vitest run "$@"
