import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where scripts/setup.sh puts the tools Greenlane runs on one machine. Versions come from
 * package.json `config`, so bumping one there makes setup.sh fetch the new version next to the old.
 */

/** The repository root (this file lives in scripts/). */
export const projectRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const SETUP_HINT = 'run bash scripts/setup.sh';

type ToolVersions = {
  temporalCliVersion: string;
  temporalTestServerVersion: string;
  temporalServerVersion: string;
  temporalUiVersion: string;
};

export function toolVersions(): ToolVersions {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
    config?: Partial<ToolVersions>;
  };
  const { temporalCliVersion, temporalTestServerVersion, temporalServerVersion, temporalUiVersion } =
    pkg.config ?? {};
  if (!temporalCliVersion || !temporalTestServerVersion || !temporalServerVersion || !temporalUiVersion) {
    throw new Error(
      'package.json config must name temporalCliVersion, temporalTestServerVersion, temporalServerVersion ' +
        'and temporalUiVersion (see scripts/setup.sh)',
    );
  }
  return { temporalCliVersion, temporalTestServerVersion, temporalServerVersion, temporalUiVersion };
}

function mustExist(path: string, what: string): string {
  if (!existsSync(path)) throw new Error(`${what} not found at ${path}: ${SETUP_HINT}`);
  return path;
}

/** Absolute path of the Temporal CLI (`temporal server start-dev`). Throws when setup has not run. */
export function temporalCliPath(): string {
  const { temporalCliVersion } = toolVersions();
  return mustExist(
    join(projectRoot, '.tools', 'temporal', temporalCliVersion, 'temporal'),
    `Temporal CLI ${temporalCliVersion}`,
  );
}

/** Absolute path of the executable wrapper that starts the Java time-skipping test server. */
export function testServerPath(): string {
  const { temporalTestServerVersion } = toolVersions();
  return mustExist(
    join(projectRoot, '.tools', 'test-server', temporalTestServerVersion, 'temporal-test-server'),
    `Temporal time-skipping test server ${temporalTestServerVersion}`,
  );
}

/** temporal-server or temporal-sql-tool of config.temporalServerVersion (npm run start:cluster). */
export function temporalServerToolPath(tool: 'temporal-server' | 'temporal-sql-tool'): string {
  const { temporalServerVersion } = toolVersions();
  return mustExist(
    join(projectRoot, '.tools', 'temporal-server', temporalServerVersion, tool),
    `${tool} ${temporalServerVersion}`,
  );
}

/** The Temporal UI server of config.temporalUiVersion. */
export function temporalUiServerPath(): string {
  const { temporalUiVersion } = toolVersions();
  return mustExist(
    join(projectRoot, '.tools', 'temporal-ui', temporalUiVersion, 'temporal-ui-server'),
    `Temporal UI server ${temporalUiVersion}`,
  );
}

/**
 * The folder of a Go module's source in the Go module cache, downloading it through the module proxy
 * when it is not there (`go mod download -json` prints it as `Dir`). setup.sh's build leaves the
 * server and UI modules there, so this is normally a look-up: the SQL schemas and the UI server's
 * config templates are read from these folders, never copied into the repository.
 */
export function goModuleDir(module: string, version: string): string {
  const out = execFileSync('go', ['mod', 'download', '-json', `${module}@v${version}`], {
    cwd: tmpdir(),
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'on' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
  const dir = (JSON.parse(out) as { Dir?: string; Error?: string }).Dir;
  if (!dir || !existsSync(dir))
    throw new Error(`go mod download ${module}@v${version} gave no folder: ${out}`);
  return dir;
}

/**
 * The bin folder holding PostgreSQL's initdb and pg_ctl (the newest under /usr/lib/postgresql, as
 * Debian installs them). Throws when there is none.
 */
export function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter(
          (v) => existsSync(join(base, v, 'bin', 'initdb')) && existsSync(join(base, v, 'bin', 'pg_ctl')),
        )
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    : [];
  const newest = versions[0];
  if (!newest) {
    throw new Error(
      `PostgreSQL server binaries (initdb, pg_ctl) not found under ${base}/*/bin: ${SETUP_HINT} ` +
        '(it installs the Debian postgresql package), or set DATABASE_URL to a server you have',
    );
  }
  return join(base, newest, 'bin');
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). Someone else may take it
 * before we bind it, so servers started on a port from here retry with a new one when it is taken.
 */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Whether nothing listens on 127.0.0.1:port right now (for clear errors before starting a server). */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolveFree(false));
    server.listen(port, host, () => server.close(() => resolveFree(true)));
  });
}

/** The last `lines` lines of a log, for an error message; says so when there is none. */
export function logTail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no output in ${path})`;
  }
}
