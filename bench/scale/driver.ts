import type { Decision } from '../../domain/decisions';
import type { Plan } from '../../domain/plan';
import { rawProjects } from '../lib/gov-building';
import { LatencyRecorder, type LatencySummary, Limiter, messageOf, processUsage, timed } from '../lib/load';
import type { Stack } from '../lib/stack';

export type SampleAction = 'submit' | 'accept';

/** In flight at once while sampling: enough to load the worker a little, not to measure queueing. */
export const SAMPLE_CONCURRENCY = 4;
/** Per decision: long enough for a replay from history, short enough that a dead worker shows. */
const DECISION_DEADLINE_MS = 60_000;

export type Driver = Awaited<ReturnType<typeof createDriver>>;

/**
 * The scale run's projects, straight on Temporal (bench/lib/gov-building.ts rawProjects): the codes
 * open so far, what each can still be asked, one decision at a time per project, every error, and the
 * worker they depend on (`workerPid`, replaced when the worker is restarted).
 */
export async function createDriver(stack: Stack, plan: Plan, ready: Plan['items'], name: string) {
  const raw = await rawProjects(stack, plan);
  const leader = `bench-leader-${stack.tag}`;
  const secretary = `bench-sec-${stack.tag}`;
  const codes: string[] = [];
  /** Per project, the sample actions it can still take, in an order every one of them is valid. */
  const nextActions = new Map<string, { item: string; action: SampleAction }[]>();
  const projectSlot = new Map<string, Limiter>();
  const errors: string[] = [];

  const driver = {
    codes,
    nextActions,
    projectSlot,
    errors,
    workerPid: stack.pids.worker,

    async decide(code: string, item: string, action: SampleAction): Promise<void> {
      const actor =
        action === 'submit'
          ? { role: 'secretary' as const, id: secretary }
          : { role: 'department' as const, department: ready.find((i) => i.code === item)!.department };
      const decision = { action, item, actor } as Decision;
      // A worker that is gone makes errors at once (or at the deadline), not a driver waiting for ever.
      const pid = driver.workerPid;
      if (!processUsage(pid)) throw new Error(`the worker (pid ${pid}) is not running`);
      await stack.client.withDeadline(Date.now() + DECISION_DEADLINE_MS, () => raw.decide(code, decision));
    },

    /** Stops the run, with the worker's last words, when the worker exited without being killed. */
    assertWorkerAlive(when: string): void {
      const pid = driver.workerPid;
      if (processUsage(pid)) return;
      throw new Error(`${name}: the worker (pid ${pid}) exited ${when}:\n${stack.output().worker}`);
    },

    start(code: string): Promise<void> {
      return raw.start(code, `规模项目 ${code}`, { secretary, leader });
    },

    /** A started project joins the pool the samples pick from, with the actions left to it. */
    add(code: string, sampleItems: readonly string[]): void {
      codes.push(code);
      projectSlot.set(code, new Limiter(1));
      nextActions.set(code, [
        ...sampleItems.map((item) => ({ item, action: 'submit' as const })),
        ...sampleItems.map((item) => ({ item, action: 'accept' as const })),
      ]);
    },

    /** `size` decisions, each on a project picked at random, one at a time per project. */
    async sampleDecisions(size: number, pool: readonly string[]): Promise<LatencySummary> {
      const latency = new LatencyRecorder();
      const limiter = new Limiter(SAMPLE_CONCURRENCY);
      const picks: { code: string; item: string; action: SampleAction }[] = [];
      for (let i = 0; i < size * 4 && picks.length < size; i++) {
        const code = pool[Math.floor(Math.random() * pool.length)]!;
        const next = nextActions.get(code)!.shift();
        if (next) picks.push({ code, ...next });
      }
      await Promise.all(
        picks.map((p) =>
          projectSlot
            .get(p.code)!
            .run(() => limiter.run(() => timed(() => driver.decide(p.code, p.item, p.action))))
            .then(
              (r) => latency.record(r.ms),
              (e: unknown) => errors.push(`${p.action} ${p.code}/${p.item}: ${messageOf(e)}`),
            ),
        ),
      );
      return latency.summary();
    },

    /** One project started and an item decided, so the worker's first workflow is behind it. */
    async warmUp(): Promise<void> {
      const code = `SW-${stack.tag}`;
      await driver.start(code);
      await driver.decide(code, ready[0]!.code, 'submit');
      await driver.decide(code, ready[0]!.code, 'accept');
    },
  };
  return driver;
}
