#!/usr/bin/env bash
# Greenlane setup: everything a run or a test needs on one machine, nothing global.
#
#   bash scripts/setup.sh
#
# Idempotent: each step checks first and does nothing when its piece is already there, so a
# complete setup finishes in a few seconds. It prints one line per step and, on failure, names the
# missing piece and how to get it. Tools land in .tools/ (git-ignored), one folder per version:
#   .tools/temporal/<config.temporalCliVersion>/temporal          Temporal CLI (dev server + UI)
#   .tools/test-server/<config.temporalTestServerVersion>/temporal-test-server
#                                                                 Java time-skipping test server
#   .tools/temporal-server/<config.temporalServerVersion>/         temporal-server, temporal-sql-tool
#   .tools/temporal-ui/<config.temporalUiVersion>/temporal-ui-server  (npm run start:cluster, cluster tests)
# PostgreSQL comes from Debian's package (skipped when DATABASE_URL points at a server).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf 'setup: %s\n' "$*"; }
fail() {
  printf 'setup: FAILED: %s\n' "$1" >&2
  shift
  for line in "$@"; do printf '       %s\n' "$line" >&2; done
  exit 1
}

# Two runs in parallel (two test runs, or npm start next to npm test) must not build the same tool
# or run npm ci at the same time: one setup at a time per checkout.
mkdir -p .tools
exec 9>".tools/.setup.lock"
if command -v flock >/dev/null 2>&1 && ! flock -n 9; then
  step "waiting for another setup in this checkout to finish"
  flock 9
fi

# --- Node ------------------------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || fail "node is not installed" "Install Node.js >= 20.19 (https://nodejs.org or your package manager)."
NODE_VERSION="$(node -p 'process.versions.node')"
if ! node -e '
  const [a, b] = process.versions.node.split(".").map(Number);
  process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1);'; then
  fail "Node $NODE_VERSION is too old: Greenlane needs Node >= 20.19" "Install a newer Node.js (https://nodejs.org)."
fi
step "node $NODE_VERSION ok"

config() { node -p "require('./package.json').config.$1"; }
CLI_VERSION="$(config temporalCliVersion)"
TEST_SERVER_VERSION="$(config temporalTestServerVersion)"

# --- npm dependencies --------------------------------------------------------------------------------
# node_modules is fresh when it was installed from the current package-lock.json. We stamp the lock's
# hash after our own `npm ci`; a tree installed by hand (no stamp) counts as fresh when npm's own
# record of it (node_modules/.package-lock.json) is not older than package-lock.json. We never wipe a
# tree that looks fresh: others may be running tests from it.
LOCK_HASH="$(sha256sum package-lock.json | cut -d' ' -f1)"
STAMP=node_modules/.greenlane-lock.sha256
npm_fresh() {
  [ -d node_modules ] || return 1
  if [ -f "$STAMP" ]; then [ "$(cat "$STAMP")" = "$LOCK_HASH" ]; return; fi
  [ -f node_modules/.package-lock.json ] && ! [ package-lock.json -nt node_modules/.package-lock.json ]
}
if npm_fresh; then
  step "node_modules up to date with package-lock.json"
else
  step "npm ci (node_modules missing or older than package-lock.json)"
  # One install path. npm 11 skips dependencies' install scripts unless allowed; Greenlane needs none.
  # When it fails we show npm's own error lines; nothing here reads them to choose what to do next.
  NPM_LOG=.tools/npm-ci.log
  if ! npm ci --no-audit --no-fund --loglevel=error >"$NPM_LOG" 2>&1; then
    grep -E '^npm (error|ERR!)' "$NPM_LOG" | head -n 25 >&2 || tail -n 25 "$NPM_LOG" >&2
    fail "npm ci failed (full log: $NPM_LOG)" \
      "If package.json and package-lock.json disagree (node scripts/check-lock.mjs tells):" \
      "  npm install --package-lock-only --no-audit --no-fund, then commit package-lock.json." \
      "Otherwise check that the npm registry is reachable: npm ping"
  fi
  echo "$LOCK_HASH" >"$STAMP"
fi

# go_build <what> <dir> <log> <name=package@version>...: builds with the Go module proxy into a temp
# folder, then moves each binary to <dir>/<name>, so an interrupted build never leaves a half-written
# binary behind. Pure Go (CGO_ENABLED=0; the CLI's SQLite too): no C compiler needed.
go_build() {
  local what="$1" dir="$2" log="$3"
  shift 3
  command -v go >/dev/null 2>&1 || fail "go is not installed: it builds $what" \
    "Install Go >= 1.25 from https://go.dev/dl/ (Debian's golang package is too old), then re-run."
  local GO_VERSION GOPROXY_NOW GOSUMDB_NOW
  GO_VERSION="$(go env GOVERSION)"
  if ! printf '%s\n' "$GO_VERSION" | awk -F'[go.]' '{ exit !($3 > 1 || ($3 == 1 && $4 >= 25)) }'; then
    # A Go >= 1.21 with GOTOOLCHAIN=auto fetches the toolchain the CLI's go.mod asks for from the
    # module proxy; an older Go cannot.
    if [ "$(go env GOTOOLCHAIN)" = "local" ]; then
      fail "$GO_VERSION is too old to build $what (needs Go >= 1.25)" \
        "Install Go >= 1.25 from https://go.dev/dl/, or unset GOTOOLCHAIN=local so Go can fetch it."
    fi
    step "$GO_VERSION < go1.25: Go will fetch the newer toolchain from the module proxy"
  fi
  # Temporal's binaries and their few hundred modules come through the Go module proxy and are verified
  # against the checksum database. Both defaults (proxy.golang.org, sum.golang.org) are reachable here, so nothing
  # is changed. Where they are not: set GOPROXY to a reachable mirror (GOSUMDB can usually stay, the
  # mirror serves it too); do not set GOSUMDB=off unless you trust that mirror.
  GOPROXY_NOW="$(go env GOPROXY)"
  GOSUMDB_NOW="$(go env GOSUMDB)"
  case "$GOPROXY_NOW" in
    off | "") fail "GOPROXY is '$GOPROXY_NOW': go cannot download $what" \
      "Run: go env -w GOPROXY=https://proxy.golang.org,direct (or a mirror you can reach)" ;;
  esac
  mkdir -p "$dir"
  local tmp pkgs=() spec
  tmp="$(mktemp -d "$dir/.build.XXXXXX")"
  for spec in "$@"; do pkgs+=("${spec#*=}"); done
  step "building $what with $GO_VERSION (GOPROXY=$GOPROXY_NOW GOSUMDB=$GOSUMDB_NOW); a first build takes minutes"
  CGO_ENABLED=0 GOBIN="$ROOT/$tmp" go install "${pkgs[@]}" >"$log" 2>&1 &
  local pid=$! start=$SECONDS next=30
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ $((SECONDS - start)) -ge $next ]; then
      step "  still building $what ... $((SECONDS - start)) s"
      next=$((next + 30))
    fi
  done
  if ! wait "$pid"; then
    tail -n 20 "$log" >&2 || true
    rm -rf "$tmp"
    fail "go install ${pkgs[*]} failed (full log: $log)" \
      "If a download failed, check: go env GOPROXY GOSUMDB; curl -sI https://proxy.golang.org"
  fi
  for spec in "$@"; do
    local name="${spec%%=*}" pkg="${spec#*=}" built
    built="$(basename "${pkg%@*}")"
    mv -f "$tmp/$built" "$dir/$name"
  done
  rm -rf "$tmp"
  step "$what built in $((SECONDS - start)) s ($dir)"
}

# --- Temporal CLI (dev server) -----------------------------------------------------------------------
CLI_DIR=".tools/temporal/$CLI_VERSION"
CLI_BIN="$CLI_DIR/temporal"
SERVER_VERSION="$(config temporalServerVersion)"
# A binary is of the configured version when it says so (a release prints `temporal version 1.5.1
# (Server 1.29.1, UI …)`), or when it is a source build (`0.0.0-DEV`) of the same embedded server.
cli_matches() {
  local line
  line="$("$1" --version 2>/dev/null | head -n 1)" || return 1
  case "$line" in
    "temporal version $CLI_VERSION "* | "temporal version 0.0.0-DEV (Server $SERVER_VERSION,"*) return 0 ;;
    *) return 1 ;;
  esac
}
# Where a temporal binary of the configured version is at hand, it is used instead of building one:
# first the one named by GREENLANE_TEMPORAL_CLI, then .tools/ (built or linked before), then PATH.
# A binary from outside is linked into .tools/ so everything downstream finds it in one place.
use_cli() {
  mkdir -p "$CLI_DIR"
  [ "$1" = "$(readlink -f "$CLI_BIN" 2>/dev/null)" ] || ln -sfn "$1" "$CLI_BIN"
  step "temporal CLI $CLI_VERSION: using $1 ($2): $("$1" --version | head -n 1)"
}
ON_PATH="$(command -v temporal 2>/dev/null || true)"
if [ -n "${GREENLANE_TEMPORAL_CLI:-}" ]; then
  CANDIDATE="$(readlink -f "$GREENLANE_TEMPORAL_CLI" 2>/dev/null || true)"
  [ -n "$CANDIDATE" ] && [ -x "$CANDIDATE" ] ||
    fail "GREENLANE_TEMPORAL_CLI=$GREENLANE_TEMPORAL_CLI is not an executable file" "Unset it to build the CLI here."
  cli_matches "$CANDIDATE" ||
    fail "GREENLANE_TEMPORAL_CLI=$GREENLANE_TEMPORAL_CLI is not Temporal CLI $CLI_VERSION (it says: $("$CANDIDATE" --version 2>&1 | head -n 1))" \
      "Point it at a temporal $CLI_VERSION binary, or unset it to build one here."
  use_cli "$CANDIDATE" "GREENLANE_TEMPORAL_CLI"
elif [ -x "$CLI_BIN" ] && cli_matches "$CLI_BIN"; then
  if [ -L "$CLI_BIN" ]; then step "temporal CLI $CLI_VERSION ok ($CLI_BIN -> $(readlink "$CLI_BIN"))"
  else step "temporal CLI $CLI_VERSION ok ($CLI_BIN, built here)"; fi
elif [ -n "$ON_PATH" ] && cli_matches "$ON_PATH"; then
  use_cli "$(readlink -f "$ON_PATH")" "found on PATH"
else
  go_build "temporal CLI $CLI_VERSION" "$CLI_DIR" ".tools/temporal/build-$CLI_VERSION.log" \
    "temporal=github.com/temporalio/cli/cmd/temporal@v$CLI_VERSION"
fi

# --- Temporal server and UI server (npm run start:cluster, the cluster tests) --------------------------
# The production topology runs Temporal's own binaries: temporal-server (each service a process) and
# temporal-sql-tool (creates and migrates the temporal and temporal_visibility databases), from the same
# server release the CLI embeds, and the Temporal UI server. All three come through the Go module proxy
# like the CLI above (same GOPROXY/GOSUMDB, nothing changed), each into its own versioned folder:
#   .tools/temporal-server/<config.temporalServerVersion>/{temporal-server,temporal-sql-tool}
#   .tools/temporal-ui/<config.temporalUiVersion>/temporal-ui-server
# The SQL schemas and the UI server's config templates are read from the Go module cache, where the
# build leaves the modules (scripts/toolchain.ts goModuleDir finds them with `go env GOMODCACHE`).
UI_VERSION="$(config temporalUiVersion)"
SRV_DIR=".tools/temporal-server/$SERVER_VERSION"
if [ -x "$SRV_DIR/temporal-server" ] && [ -x "$SRV_DIR/temporal-sql-tool" ] &&
  "$SRV_DIR/temporal-server" --version 2>/dev/null | grep -q "version $SERVER_VERSION\$"; then
  step "temporal server $SERVER_VERSION ok ($SRV_DIR/temporal-server, temporal-sql-tool)"
else
  go_build "temporal server $SERVER_VERSION (temporal-server, temporal-sql-tool)" "$SRV_DIR" \
    ".tools/temporal-server/build-$SERVER_VERSION.log" \
    "temporal-server=go.temporal.io/server/cmd/server@v$SERVER_VERSION" \
    "temporal-sql-tool=go.temporal.io/server/cmd/tools/sql@v$SERVER_VERSION"
fi
UI_DIR=".tools/temporal-ui/$UI_VERSION"
if [ -x "$UI_DIR/temporal-ui-server" ]; then
  step "temporal UI server $UI_VERSION ok ($UI_DIR/temporal-ui-server)"
else
  go_build "temporal UI server $UI_VERSION" "$UI_DIR" ".tools/temporal-ui/build-$UI_VERSION.log" \
    "temporal-ui-server=github.com/temporalio/ui-server/v2/cmd/server@v$UI_VERSION"
fi

# --- Java time-skipping test server ------------------------------------------------------------------
TS_DIR="$ROOT/.tools/test-server/$TEST_SERVER_VERSION"
TS_WRAPPER="$TS_DIR/temporal-test-server"
if [ -x "$TS_WRAPPER" ] && [ -f "$TS_DIR/lib/temporal-test-server-$TEST_SERVER_VERSION.jar" ]; then
  step "temporal test server $TEST_SERVER_VERSION ok (${TS_WRAPPER#"$ROOT/"})"
else
  command -v java >/dev/null 2>&1 || fail "java is not installed: it runs the Temporal time-skipping test server" \
    "Debian: apt-get install -y openjdk-17-jre-headless (any Java >= 11)"
  command -v mvn >/dev/null 2>&1 || fail "mvn is not installed: it fetches the Temporal test server from Maven Central" \
    "Debian: apt-get install -y maven"
  step "fetching io.temporal:temporal-test-server:$TEST_SERVER_VERSION from Maven Central"
  mkdir -p "$TS_DIR"
  # A throw-away pom whose only purpose is to resolve the test server and its dependencies.
  cat >"$TS_DIR/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>greenlane.tools</groupId>
  <artifactId>temporal-test-server-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>$TEST_SERVER_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  rm -rf "$TS_DIR/lib"
  (cd "$TS_DIR" && mvn -B -q -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    -DoutputDirectory=lib -DincludeScope=runtime >mvn.log 2>&1) ||
    fail "mvn could not fetch io.temporal:temporal-test-server:$TEST_SERVER_VERSION" \
      "See ${TS_DIR#"$ROOT/"}/mvn.log. Check Maven Central is reachable (or set a mirror in ~/.m2/settings.xml)."
  # The SDK starts this as `<wrapper> <port> --enable-time-skipping`, gives it 5 s to accept
  # connections and, when done, kills only its direct child: hence `exec`, and JVM flags for a
  # fast start (C1 only, serial GC, the JDK's class-data sharing archive).
  cat >"$TS_WRAPPER.tmp" <<EOF
#!/bin/sh
# Generated by scripts/setup.sh: Temporal time-skipping test server $TEST_SERVER_VERSION.
# Usage (as the SDK calls it): temporal-test-server <port> --enable-time-skipping
DIR="\$(cd "\$(dirname "\$0")" && pwd)"
exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData \\
  -cp "\$DIR/lib/*" io.temporal.testserver.TestServer "\$@"
EOF
  chmod +x "$TS_WRAPPER.tmp"
  mv -f "$TS_WRAPPER.tmp" "$TS_WRAPPER"
  step "temporal test server $TEST_SERVER_VERSION ready (${TS_WRAPPER#"$ROOT/"})"
fi

# --- PostgreSQL ----------------------------------------------------------------------------------------
if [ -n "${DATABASE_URL:-}" ]; then
  step "DATABASE_URL is set: using that PostgreSQL, no local binaries needed"
else
  pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
  PG_BIN="$(pg_bin)"
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
    if [ "$(id -u)" = 0 ]; then
      step "installing PostgreSQL: apt-get update && apt-get install -y postgresql"
      export DEBIAN_FRONTEND=noninteractive
      { apt-get update -q && apt-get install -y -q postgresql; } >.tools/apt-postgresql.log 2>&1 ||
        { tail -n 20 .tools/apt-postgresql.log >&2; fail "apt-get install postgresql failed (log: .tools/apt-postgresql.log)"; }
      PG_BIN="$(pg_bin)"
      [ -n "$PG_BIN" ] || fail "postgresql installed but no /usr/lib/postgresql/*/bin/initdb found"
    else
      fail "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin" \
        "Run: sudo apt-get update && sudo apt-get install -y postgresql" \
        "or set DATABASE_URL=postgres://user@host:port/db to use a server you already have."
    fi
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    fail "running as root but there is no 'postgres' OS user (initdb refuses to run as root)" \
      "Run: apt-get install -y postgresql-common (creates it), or run as a normal user."
  fi
  step "postgresql $("$PG_BIN/pg_ctl" --version | awk "{print \$3}") ok ($PG_BIN)"
fi

# --- Chromium (the browser tests only) -------------------------------------------------------------
# Debian's chromium, driven by playwright-core: a browser download of Playwright's own does not work here.
if [ "${GREENLANE_SETUP_FOR:-}" = test ]; then
  # fonts-noto-cjk: without a CJK font the screenshots show the Chinese labels as empty boxes.
  if ! command -v chromium >/dev/null 2>&1 || [ ! -d /usr/share/fonts/opentype/noto ]; then
    if [ "$(id -u)" = 0 ]; then
      step "installing Chromium and a CJK font for the browser tests: apt-get install -y chromium fonts-noto-cjk"
      export DEBIAN_FRONTEND=noninteractive
      { apt-get update -q && apt-get install -y -q chromium fonts-noto-cjk; } >.tools/apt-chromium.log 2>&1 ||
        { tail -n 20 .tools/apt-chromium.log >&2; fail "apt-get install chromium failed (log: .tools/apt-chromium.log)"; }
    else
      fail "Chromium (and a CJK font) are needed by the browser tests" "Run: sudo apt-get update && sudo apt-get install -y chromium fonts-noto-cjk"
    fi
  fi
  step "chromium ok ($(command -v chromium))"
fi

# --- Schemathesis (the API fuzz test only) ----------------------------------------------------------
# A Python venv in .tools/venv with the versions pinned in scripts/fuzz-requirements.txt; stamped with
# the file's hash, so a changed pin reinstalls and an unchanged one costs a `cmp`.
if [ "${GREENLANE_SETUP_FOR:-}" = test ]; then
  VENV=.tools/venv
  FUZZ_REQ=scripts/fuzz-requirements.txt
  FUZZ_STAMP="$VENV/.greenlane-requirements.sha256"
  FUZZ_HASH="$(sha256sum "$FUZZ_REQ" | cut -d' ' -f1)"
  if [ -x "$VENV/bin/st" ] && [ "$(cat "$FUZZ_STAMP" 2>/dev/null)" = "$FUZZ_HASH" ]; then
    step "schemathesis $(sed -n 's/^schemathesis==//p' "$FUZZ_REQ") ok ($VENV/bin/st)"
  else
    step "schemathesis $(sed -n 's/^schemathesis==//p' "$FUZZ_REQ"): installing into $VENV (pip install -r $FUZZ_REQ)"
    command -v python3 >/dev/null 2>&1 || fail "python3 is not installed: the fuzz test runs schemathesis from PyPI" \
      "Debian: apt-get install -y python3 python3-venv"
    # Debian's python3 leaves out venv's pip bootstrap (ensurepip); python3-venv brings it.
    if ! python3 -m venv --clear "$VENV" >.tools/venv.log 2>&1; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv; } >>.tools/venv.log 2>&1 &&
          python3 -m venv --clear "$VENV" >>.tools/venv.log 2>&1
      fi
    fi
    [ -x "$VENV/bin/pip" ] || { tail -n 20 .tools/venv.log >&2; fail "python3 -m venv $VENV failed (log: .tools/venv.log)" \
      "Debian: apt-get install -y python3-venv, then re-run."; }
    "$VENV/bin/pip" install --disable-pip-version-check -q -r "$FUZZ_REQ" >.tools/pip-fuzz.log 2>&1 ||
      { tail -n 20 .tools/pip-fuzz.log >&2; fail "pip install -r $FUZZ_REQ failed (log: .tools/pip-fuzz.log)" \
        "Check PyPI is reachable: $VENV/bin/pip download --no-deps -d \$(mktemp -d) schemathesis"; }
    "$VENV/bin/st" --version >/dev/null 2>&1 || fail "$VENV/bin/st does not run after the install (log: .tools/pip-fuzz.log)"
    echo "$FUZZ_HASH" >"$FUZZ_STAMP"
  fi
fi

step "done"
