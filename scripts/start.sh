#!/usr/bin/env bash
# npm start: set up what is missing, then run Greenlane on this machine (scripts/start.ts).
# npm run start:cluster (`start.sh cluster`): the same on Temporal's production topology (scripts/cluster.ts).
# Environment: PGPORT, TEMPORAL_PORT (7233), TEMPORAL_UI_PORT (8233), API_PORT (3000); DATABASE_URL
# or TEMPORAL_ADDRESS to use servers you already run instead of local ones; GREENLANE_DATA_DIR (.data)
# and GREENLANE_DEMO=false (production, docs/single-vm.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# exec: signals (Ctrl-C, SIGTERM) go straight to start.ts, which stops everything in order.
if [ "${1:-}" = cluster ]; then exec node --import tsx scripts/cluster.ts; fi
exec node --import tsx scripts/start.ts
