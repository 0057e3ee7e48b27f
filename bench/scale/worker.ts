import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../scripts/toolchain';
import { messageOf, processUsage, round } from '../lib/load';
import type { Stack } from '../lib/stack';
import type { Driver } from './driver';

const WORKER_READY_MS = 90_000;

export type SpawnedWorker = ReturnType<typeof spawnWorker>;

/**
 * Kills the worker (SIGKILL) and starts another on the same task queue (`onSpawn` gets it at once, to
 * stop it whatever happens next): every project must be replayed into the new worker's cache. Then
 * the seconds until it polls and until a decision on a random project succeeds, and `size` decisions.
 */
export async function killAndRestart(
  stack: Stack,
  driver: Driver,
  size: number,
  onSpawn: (worker: SpawnedWorker) => void,
) {
  const { codes, nextActions, projectSlot, errors } = driver;
  const rssAtKill = processUsage(driver.workerPid)?.rssBytes ?? 0;
  const killT = performance.now();
  process.kill(driver.workerPid, 'SIGKILL');
  const worker = spawnWorker(stack);
  onSpawn(worker);
  const readyMs = (await worker.ready) - killT;
  driver.workerPid = worker.pid;
  const probe = codes[Math.floor(Math.random() * codes.length)]!;
  const first = nextActions.get(probe)!.shift();
  let firstDecisionMs = Number.NaN;
  if (first) {
    await projectSlot
      .get(probe)!
      .run(() => driver.decide(probe, first.item, first.action))
      .then(
        () => {
          firstDecisionMs = performance.now() - killT;
        },
        (e: unknown) => errors.push(`after restart ${first.action} ${probe}/${first.item}: ${messageOf(e)}`),
      );
  }
  const afterRestart = await driver.sampleDecisions(size, codes);
  const rssAfterRestart = processUsage(driver.workerPid)?.rssBytes ?? 0;
  return {
    projects: codes.length,
    workerRssAtKillMiB: round(rssAtKill / 2 ** 20, 1),
    workerReadySeconds: round(readyMs / 1000),
    firstDecisionSeconds: round(firstDecisionMs / 1000),
    firstDecisions: afterRestart,
    workerRssAfterMiB: round(rssAfterRestart / 2 ** 20, 1),
  };
}

/** A second worker on the stack's task queue, as bench/lib/stack.ts starts the first. */
function spawnWorker(stack: Stack) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker.ts'], {
    cwd: projectRoot,
    env: {
      ...(process.env as Record<string, string>),
      DATABASE_URL: stack.databaseUrl,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const recent: string[] = [];
  let onReady: (() => void) | undefined;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      recent.push(line);
      if (recent.length > 40) recent.shift();
      if (/greenlane worker: polling/.test(line)) onReady?.();
    });
  }
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const tail = () => recent.join('\n');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready:\n${tail()}`)), WORKER_READY_MS);
    onReady = () => {
      clearTimeout(timer);
      onReady = undefined;
      resolve(performance.now());
    };
    void exited.then(() => reject(new Error(`worker exited:\n${tail()}`)));
  });
  ready.catch(() => {});
  if (!child.pid) throw new Error('worker did not start');
  return {
    pid: child.pid,
    ready,
    tail,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(force);
    },
  };
}
