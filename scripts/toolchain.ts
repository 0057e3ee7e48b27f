import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where scripts/setup.sh puts the tools Greenlane runs on one machine. Versions come from
 * package.json `config`, so bumping one there makes setup.sh fetch the new version next to the old.
 */

/** The repository root (this file lives in scripts/). */
export const projectRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const SETUP_HINT = 'run bash scripts/setup.sh';

type ToolVersions = { temporalCliVersion: string; temporalTestServerVersion: string };

function toolVersions(): ToolVersions {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
    config?: Partial<ToolVersions>;
  };
  const { temporalCliVersion, temporalTestServerVersion } = pkg.config ?? {};
  if (!temporalCliVersion || !temporalTestServerVersion) {
    throw new Error(
      'package.json config must name temporalCliVersion and temporalTestServerVersion (see scripts/setup.sh)',
    );
  }
  return { temporalCliVersion, temporalTestServerVersion };
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
