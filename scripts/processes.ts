import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { projectRoot } from './toolchain';

/**
 * The worker and the API as real child processes, started as `npm start` starts them
 * (`node --import tsx worker.ts`, `api/server.ts`) with the environment a caller gives, so a benchmark
 * can read each one's CPU and memory on its own and a fault test can kill one with SIGKILL — no drain,
 * no finally blocks, exactly a crash — and start it again.
 *
 * Each process's output is kept (the last lines, across restarts, prefixed with the run number) and,
 * when `logFile` is given, appended there, so a failure can say what the process printed.
 */

export type ProcessKind = 'worker' | 'api';

/** Each process's script and the line it prints once it is ready (scripts/start.ts waits for it too). */
export const PROCESS_SCRIPTS: Record<ProcessKind, { script: string; ready: RegExp }> = {
  worker: { script: 'worker.ts', ready: /greenlane worker: polling/ },
  api: { script: 'api/server.ts', ready: /Greenlane API listening on (http:\/\/\S+)/ },
};

const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 15_000;
const KEPT_LINES = 200;

export type GreenlaneProcess = {
  readonly kind: ProcessKind;
  /** The pid of the current run; undefined before the first start. */
  readonly pid: number | undefined;
  /** How many times it was started. */
  readonly runs: number;
  /** The API's base URL, from its ready line (undefined before the first start, and for a worker). */
  readonly url: string | undefined;
  /** Starts it and resolves once it printed its ready line (the API: and /healthz answered 200). */
  start(): Promise<void>;
  /** SIGKILL, then wait until the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (the process drains and exits), SIGKILL after a grace period. Safe when not running. */
  stop(): Promise<void>;
  /** True while the current run has not exited. */
  running(): boolean;
  /** Resolves when the current run ends, with how (`SIGKILL`, `exit code 1`). */
  exited(): Promise<string>;
  /** The last lines it printed, for failure messages. */
  output(): string;
};

export type ProcessOptions = {
  /**
   * The full environment of the child (the parent's is not added). An API started with API_PORT=0
   * binds a port the OS picks and keeps it for its restarts.
   */
  env: Record<string, string>;
  /** Append everything the process prints here. */
  logFile?: string;
};

type Run = { child: ChildProcess; exited: Promise<string>; done: boolean };

export function greenlaneProcess(kind: ProcessKind, options: ProcessOptions): GreenlaneProcess {
  const { script, ready } = PROCESS_SCRIPTS[kind];
  const env = { ...options.env };
  const lines: string[] = [];
  let runs = 0;
  let url: string | undefined;
  let current: Run | undefined;
  // Last resort when the test process dies without stop(): no child outlives it.
  const killOnExit = () => current?.child.kill('SIGKILL');

  const remember = (line: string) => {
    const stamped = `[${kind}#${runs} ${new Date().toISOString().slice(11, 23)}] ${line}`;
    lines.push(stamped);
    if (lines.length > KEPT_LINES) lines.shift();
    if (options.logFile) appendFileSync(options.logFile, `${stamped}\n`);
  };
  const output = () => lines.join('\n');

  async function start(): Promise<void> {
    if (current && !current.done) throw new Error(`${kind} is already running (pid ${current.child.pid})`);
    runs += 1;
    if (!process.listeners('exit').includes(killOnExit)) process.on('exit', killOnExit);
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: projectRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = {
      child,
      done: false,
      exited: new Promise<string>((resolve) => {
        child.once('error', (e) => resolve(`failed to start: ${e.message}`));
        child.once('exit', (code, signal) => resolve(signal ?? `exit code ${code}`));
      }),
    };
    void run.exited.then((how) => {
      run.done = true;
      remember(`(exited: ${how})`);
    });
    current = run;

    let onLine: (line: string) => void = () => {};
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        remember(line);
        onLine(line);
      });
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${kind} not ready within ${READY_TIMEOUT_MS / 1000} s:\n${output()}`)),
        READY_TIMEOUT_MS,
      );
      onLine = (line) => {
        const match = ready.exec(line);
        if (!match) return;
        clearTimeout(timer);
        onLine = () => {};
        if (match[1]) url = match[1].replace(/\/$/, '');
        resolve();
      };
      void run.exited.then((how) => {
        clearTimeout(timer);
        reject(new Error(`${kind} exited (${how}) before it was ready:\n${output()}`));
      });
    });
    if (url) {
      // A restart comes back where the clients look.
      env.API_PORT = new URL(url).port;
      await waitForHealthz(url, { timeoutMs: READY_TIMEOUT_MS });
    }
  }

  async function kill9(): Promise<void> {
    const run = current;
    if (!run || run.done) return;
    run.child.kill('SIGKILL');
    await run.exited;
  }

  async function stop(): Promise<void> {
    const run = current;
    if (!run || run.done) return;
    run.child.kill('SIGTERM');
    const force = setTimeout(() => run.child.kill('SIGKILL'), STOP_GRACE_MS);
    await run.exited;
    clearTimeout(force);
  }

  return {
    kind,
    get pid() {
      return current?.child.pid;
    },
    get runs() {
      return runs;
    },
    get url() {
      return url;
    },
    start,
    kill9,
    async stop() {
      await stop();
      process.removeListener('exit', killOnExit);
    },
    running: () => current !== undefined && !current.done,
    exited: () => current?.exited ?? Promise.resolve('not started'),
    output,
  };
}

/**
 * Polls GET /healthz until it answers 200 (both Temporal and PostgreSQL reachable from the API).
 * Returns early, without an error, once `signal` aborts (the caller is shutting down).
 */
export async function waitForHealthz(
  apiUrl: string,
  { timeoutMs = READY_TIMEOUT_MS, signal }: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (signal?.aborted) return;
    try {
      const res = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(3_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}: ${await res.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (signal?.aborted) return;
  throw new Error(`${apiUrl}/healthz did not answer 200 within ${timeoutMs / 1000} s (last: ${last})`);
}
