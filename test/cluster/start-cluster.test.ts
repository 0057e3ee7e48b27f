import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../scripts/pid-records';
import { postmasterPid } from '../../scripts/postgres';
import { portsFrom, SERVICE_NAMES } from '../../scripts/temporal-cluster';
import { freePort, portIsFree, projectRoot } from '../../scripts/toolchain';
import { until } from '../faults/checks';

/**
 * `npm run start:cluster` itself (scripts/cluster.ts, started as the npm script starts it, with a data
 * folder and ports of its own): it comes up with PostgreSQL, five Temporal processes, the UI, two workers,
 * two APIs and the demo; the UI lists the demo project by ResponsibleLeader from SQL visibility; and
 * SIGINT (a terminal's Ctrl-C) stops every process it started, exit code 0, nothing left running.
 */

const READY_WITHIN_MS = 180_000;
const STOPPED_WITHIN_MS = 90_000;

let dataDir: string;
let child: ChildProcess;
let exited: Promise<number | null>;
const lines: string[] = [];
let ports: { temporal: number; ui: number; api: number };
let readyMs = 0;

/** A frontend port whose eleven ports and their membership ports are all free (random, below 32768). */
async function freeClusterPort(): Promise<number> {
  for (;;) {
    const base = 20_300 + Math.floor(Math.random() * 9_000);
    const p = portsFrom(base);
    const all = [...SERVICE_NAMES.flatMap((n) => [p[n].grpc, p[n].membership]), p.frontendHttp];
    if ((await Promise.all(all.map((port) => portIsFree(port)))).every(Boolean)) return base;
  }
}

async function freeApiPorts(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65535 && (await portIsFree(port + 1))) return port;
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'greenlane-start-cluster-'));
  ports = { temporal: await freeClusterPort(), ui: await freePort(), api: await freeApiPorts() };
  const t0 = Date.now();
  const env: Record<string, string | undefined> = {
    ...process.env,
    GREENLANE_DATA_DIR: dataDir,
    TEMPORAL_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
    API_PORT: String(ports.api),
    GREENLANE_DEMO: 'true',
  };
  // Its own PostgreSQL, whatever the test run was given.
  delete env.DATABASE_URL;
  delete env.PGPORT;
  child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cluster.ts'], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  let ready: () => void = () => {};
  const isReady = new Promise<void>((resolve) => {
    ready = resolve;
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (line.includes('Greenlane is running on a Temporal cluster')) ready();
    });
  }
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`not ready within ${READY_WITHIN_MS / 1000} s`)),
      READY_WITHIN_MS,
    ).unref(),
  );
  const died = exited.then((code) => {
    throw new Error(`scripts/cluster.ts exited (${code}) before it was ready`);
  });
  try {
    await Promise.race([isReady, timeout, died]);
  } catch (error) {
    (error as Error).message += `\n${lines.slice(-60).join('\n')}`;
    throw error;
  }
  readyMs = Date.now() - t0;
}, READY_WITHIN_MS + 10_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGINT');
    await exited;
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('npm run start:cluster', () => {
  let pids: Record<string, { pid: number }> = {};
  let postmaster = 0;

  it('runs five Temporal processes, the UI, two workers, two APIs and the demo', async () => {
    pids = JSON.parse(readFileSync(join(dataDir, 'cluster.pids.json'), 'utf8'));
    postmaster = postmasterPid(join(dataDir, 'pg'));
    expect(Object.keys(pids).sort()).toEqual(
      [
        'start',
        ...SERVICE_NAMES.map((n) => `temporal-${n}`),
        'temporal-ui',
        'worker-1',
        'worker-2',
        'api-1',
        'api-2',
      ].sort(),
    );
    for (const [name, { pid }] of Object.entries(pids)) expect(isAlive(pid), name).toBe(true);
    expect(isAlive(postmaster)).toBe(true);
    for (const port of [ports.api, ports.api + 1]) {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status, `API on ${port}`).toBe(200);
    }
    expect(lines.some((l) => l.includes('registered demo project DEMO-2026-001'))).toBe(true);
    console.log(
      `start:cluster: ready in ${readyMs} ms with ${Object.keys(pids).length - 1} processes and PostgreSQL`,
    );
  });

  it('the Temporal UI lists the demo project by ResponsibleLeader (SQL visibility)', async () => {
    const query = encodeURIComponent('ResponsibleLeader="leader-li"');
    const listed = await until(
      async () => {
        const res = await fetch(
          `http://127.0.0.1:${ports.ui}/api/v1/namespaces/default/workflows?query=${query}`,
        );
        return (await res.json()) as { executions?: { execution?: { workflowId?: string } }[] };
      },
      (body) => (body.executions ?? []).some((e) => e.execution?.workflowId === 'project-DEMO-2026-001'),
      'the UI lists project-DEMO-2026-001',
      30_000,
    );
    expect(listed.executions!.length).toBe(1);
    const page = await fetch(`http://127.0.0.1:${ports.ui}/`);
    expect(page.status).toBe(200);
  });

  it('SIGINT stops every process it started, exit code 0, nothing left running', async () => {
    const t0 = Date.now();
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOPPED_WITHIN_MS);
    const code = await exited;
    clearTimeout(timer);
    expect(code, lines.slice(-30).join('\n')).toBe(0);
    const left = Object.entries(pids)
      .filter(([, { pid }]) => isAlive(pid))
      .map(([name]) => name);
    expect(left).toEqual([]);
    expect(isAlive(postmaster)).toBe(false);
    console.log(`start:cluster: stopped in ${Date.now() - t0} ms, nothing left running`);
  });
});
