import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { greenlaneSearchAttributes } from '../workflows/search-attributes';
import { freePort, logTail, portIsFree, temporalCliPath } from './toolchain';

/**
 * The Temporal CLI's dev server (`temporal server start-dev`): a real Temporal server with SQLite
 * persistence and the Temporal UI in one process, with every Greenlane search attribute registered.
 */

export type StartTemporalOptions = {
  /** gRPC port on 127.0.0.1; a free one when not given. */
  port?: number;
  /** Temporal UI port; a free one when not given. Ignored when headless. */
  uiPort?: number;
  /** SQLite file to persist to (kept across restarts); in memory when not given. */
  dbFile?: string;
  /** No Temporal UI (tests). */
  headless?: boolean;
  /** Append the server's own output here; otherwise its last lines are kept for error messages. */
  logFile?: string;
  /** Progress lines (e.g. console.log); silent when not given. */
  log?: (line: string) => void;
};

export type TemporalDevServer = {
  /** host:port for Connection.connect / NativeConnection.connect */
  address: string;
  /** http://127.0.0.1:<uiPort>, or undefined when headless */
  uiUrl: string | undefined;
  pid: number;
  /** Resolves with the exit code or signal name when the server exits, expectedly or not. */
  exited: Promise<string>;
  /** SIGTERM, then SIGKILL after a grace period. Safe to call twice. */
  stop(): Promise<void>;
};

export const NAMESPACE = 'default';
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

/** Starts the dev server and resolves once it answers with namespace `default` and our search attributes. */
export async function startTemporalDevServer(options: StartTemporalOptions = {}): Promise<TemporalDevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      // A free port may be taken between finding it and binding it: retry with others.
      const portsChosenHere =
        options.port === undefined && (options.headless || options.uiPort === undefined);
      if (!(error instanceof PortTakenError) || !portsChosenHere || attempt >= 3) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function startOnce(options: StartTemporalOptions): Promise<TemporalDevServer> {
  const log = options.log ?? (() => {});
  const port = options.port ?? (await freePort());
  const uiPort = options.headless ? undefined : (options.uiPort ?? (await freePort()));
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', NAMESPACE];
  args.push(...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]));
  if (options.dbFile) args.push('--db-filename', resolve(options.dbFile));
  args.push('--log-level', 'warn');
  // start-dev registers these at every start; with a persisted --db-filename, attributes that already
  // exist with the same type are accepted silently (checked with CLI 1.5.1).
  for (const [name, type] of Object.entries(greenlaneSearchAttributes))
    args.push('--search-attribute', `${name}=${type}`);

  const output = options.logFile ? openSync(options.logFile, 'a') : 'pipe';
  // detached: its own process group, so a Ctrl-C in the terminal reaches only `npm start`, which then
  // stops everything in order.
  const child = spawn(temporalCliPath(), args, { stdio: ['ignore', output, output], detached: true });
  if (typeof output === 'number') closeSync(output);
  const recent: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      recent.push(...chunk.split('\n').filter(Boolean));
      recent.splice(0, Math.max(0, recent.length - 40));
    });
  }
  const exited = exitOf(child);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };

  const address = `127.0.0.1:${port}`;
  try {
    await waitUntilReady(
      address,
      exited,
      () => (options.logFile ? logTail(options.logFile, 40) : recent.join('\n')),
      uiPort === undefined ? [port] : [port, uiPort],
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const uiUrl = uiPort === undefined ? undefined : `http://127.0.0.1:${uiPort}`;
  log(`temporal: dev server ready on ${address}${uiUrl ? `, UI ${uiUrl}` : ''}`);
  return { address, uiUrl, pid: child.pid!, exited, stop };
}

function exitOf(child: ChildProcess): Promise<string> {
  return new Promise((resolveExit) => {
    child.once('error', (error) => resolveExit(`failed to start: ${error.message}`));
    child.once('exit', (code, signal) => resolveExit(signal ?? `exit code ${code}`));
  });
}

async function waitUntilReady(
  address: string,
  exited: Promise<string>,
  output: () => string,
  ports: readonly number[],
): Promise<void> {
  let exit: string | undefined;
  void exited.then((how) => {
    exit = how;
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exit !== undefined) {
      const text = output();
      const message = `Temporal dev server exited during start-up (${exit}):\n${text}`;
      // It has exited: a port it was given that something else now listens on was taken meanwhile.
      const taken = (await Promise.all(ports.map((p) => portIsFree(p)))).includes(false);
      throw taken ? new PortTakenError(message) : new Error(message);
    }
    try {
      await ensureSearchAttributes(address);
      return;
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(
    `Temporal dev server did not answer on ${address} within ${READY_TIMEOUT_MS / 1000} s: ${String(lastError)}\n${output()}`,
  );
}

/** Ready = the namespace answers and every Greenlane search attribute is there (registering any missing). */
export async function ensureSearchAttributes(address: string): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: '2s' });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: NAMESPACE,
    });
    const missing = Object.entries(greenlaneSearchAttributes).filter(
      ([name]) => !(name in (customAttributes ?? {})),
    );
    if (missing.length > 0) {
      await connection.operatorService.addSearchAttributes({
        namespace: NAMESPACE,
        searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, indexedValueType(type)])),
      });
    }
  } finally {
    await connection.close();
  }
}

/** 'Keyword' | 'Int' | 'KeywordList' ... (CLI spelling) → Temporal's IndexedValueType enum number. */
export function indexedValueType(cliType: string): number {
  const name = cliType.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
  const value = encodeSearchAttributeIndexedValueType(
    name as Parameters<typeof encodeSearchAttributeIndexedValueType>[0],
  );
  if (value === undefined) throw new Error(`Unknown search attribute type: ${cliType}`);
  return value;
}
