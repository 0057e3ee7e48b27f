import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { logTail, projectRoot } from './toolchain';

/**
 * A server process of the Temporal cluster (a temporal-server service, the UI server) that a script or
 * a fault test starts, stops, kills with SIGKILL and starts again on the same ports: output appended to
 * its log file, ready once its port accepts connections, killed if this process exits first.
 */

export type ManagedProcess<N extends string> = {
  readonly name: N;
  readonly pid: number | undefined;
  /** Starts it; resolves once its gRPC port accepts connections. */
  start(): Promise<void>;
  /** SIGTERM, SIGKILL after a grace period. Safe when not running. */
  stop(): Promise<void>;
  /** SIGKILL, then wait until it is gone. */
  kill9(): Promise<void>;
  /** Resolves when the current run ends, with how. */
  exited(): Promise<string>;
  running(): boolean;
};

const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;

export function managedProcess<N extends string>(spec: {
  name: N;
  command: () => string;
  args: string[];
  env: Record<string, string>;
  port: number;
  logFile: string;
}): ManagedProcess<N> {
  const { name, env, logFile } = spec;
  const grpcPort = spec.port;
  let child: ChildProcess | undefined;
  let exited: Promise<string> = Promise.resolve('not started');
  let done = true;
  const killOnExit = () => child?.kill('SIGKILL');

  async function start(): Promise<void> {
    if (!done) throw new Error(`${name} is already running`);
    const out = openSync(logFile, 'a');
    // detached: a terminal's Ctrl-C reaches only the script, which stops the services in order.
    child = spawn(spec.command(), spec.args, {
      cwd: projectRoot,
      env,
      detached: true,
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    done = false;
    const current = child;
    exited = new Promise((resolveExit) => {
      current.once('error', (e) => resolveExit(`failed to start: ${e.message}`));
      current.once('exit', (code, signal) => resolveExit(signal ?? `exit code ${code}`));
    });
    void exited.then(() => {
      done = true;
    });
    if (!process.listeners('exit').includes(killOnExit)) process.on('exit', killOnExit);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await accepts(grpcPort))) {
      if (done) throw new Error(`${name} exited (${await exited}) during start-up:\n${logTail(logFile, 30)}`);
      if (Date.now() > deadline) {
        throw new Error(`${name} not listening on ${grpcPort} within ${READY_TIMEOUT_MS / 1000} s`);
      }
      await sleep(200);
    }
  }

  async function stop(): Promise<void> {
    process.removeListener('exit', killOnExit);
    if (done || !child) return;
    child.kill('SIGTERM');
    const force = setTimeout(() => child?.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(force);
  }

  return {
    name,
    get pid() {
      return done ? undefined : child?.pid;
    },
    start,
    stop,
    async kill9() {
      if (done || !child) return;
      child.kill('SIGKILL');
      await exited;
    },
    exited: () => exited,
    running: () => !done,
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolveAccepts) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolveAccepts(true);
    });
    socket.once('error', () => resolveAccepts(false));
  });
}
