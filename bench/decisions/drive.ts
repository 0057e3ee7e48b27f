import {
  LatencyRecorder,
  Limiter,
  measurePhase,
  mergeUsage,
  messageOf,
  type PhaseUsage,
  round,
  timed,
} from '../lib/load';
import type { Stack } from '../lib/stack';
import { type Action, type Cast, type Path, type PathName, STEPS } from './paths';

/**
 * Decisions in flight on one project at most. Temporal admits 10 concurrent updates per workflow
 * (dynamic config history.maxInFlightUpdates) and refuses the 11th with RESOURCE_EXHAUSTED, which
 * the client retries after 1 s, 1.7 s, 2.9 s…: a gov-building wave opens 11 items at once, and without
 * this cap those retries (in both paths alike) made the tail, not our layer.
 */
export const PER_PROJECT_IN_FLIGHT = 8;

export type Round = {
  path: PathName;
  projects: number;
  decisionsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
};

/**
 * Both paths over `projects` projects each. With `abba`, in two rounds of half the projects:
 * greenlane then raw, then raw then greenlane, so a slow drift or a burst of other work on the
 * machine weighs on both paths alike; each path's rounds are then merged.
 */
export async function runRounds(
  stack: Stack,
  paths: Record<PathName, Path>,
  cast: Cast,
  opts: { projects: number; concurrency: number; abba: boolean },
): Promise<{ greenlane: PathRun; raw: PathRun; rounds: Round[] }> {
  const order: PathName[][] = opts.abba
    ? [
        ['greenlane', 'raw'],
        ['raw', 'greenlane'],
      ]
    : [['greenlane', 'raw']];
  const runs: Record<PathName, PathRun[]> = { greenlane: [], raw: [] };
  const rounds: Round[] = [];
  for (const [turn, names] of order.entries()) {
    const from = Math.floor((opts.projects * turn) / order.length);
    const to = Math.floor((opts.projects * (turn + 1)) / order.length);
    for (const name of names) {
      const prefix = name === 'greenlane' ? 'BG' : 'BR';
      const codes = Array.from({ length: to - from }, (_, i) => `${prefix}-${stack.tag}-${from + i + 1}`);
      const run = await runPath(stack, paths[name], cast, codes, opts.concurrency);
      runs[name].push(run);
      const latency = run.decisions.latency.summary();
      rounds.push({
        path: name,
        projects: codes.length,
        decisionsPerSecond: round(latency.count / (run.decisions.wallMs / 1000), 1),
        p50Ms: latency.p50Ms,
        p99Ms: latency.p99Ms,
      });
    }
  }
  return { greenlane: mergeRuns(runs.greenlane), raw: mergeRuns(runs.raw), rounds };
}

export type PathRun = {
  codes: string[];
  registration: { wallMs: number; latency: LatencyRecorder; usage: Record<string, PhaseUsage> };
  decisions: {
    sent: number;
    wallMs: number;
    latency: LatencyRecorder;
    byAction: Record<Action, LatencyRecorder>;
    peakInFlight: number;
    usage: Record<string, PhaseUsage>;
  };
  errors: string[];
};

/** Rounds of one path as one run: times and CPU added up, every latency sample kept. */
function mergeRuns(runs: PathRun[]): PathRun {
  return {
    codes: runs.flatMap((r) => r.codes),
    registration: {
      wallMs: runs.reduce((s, r) => s + r.registration.wallMs, 0),
      latency: LatencyRecorder.merge(...runs.map((r) => r.registration.latency)),
      usage: mergeUsage(runs.map((r) => r.registration.usage)),
    },
    decisions: {
      sent: runs.reduce((s, r) => s + r.decisions.sent, 0),
      wallMs: runs.reduce((s, r) => s + r.decisions.wallMs, 0),
      latency: LatencyRecorder.merge(...runs.map((r) => r.decisions.latency)),
      byAction: Object.fromEntries(
        STEPS.map((a) => [a, LatencyRecorder.merge(...runs.map((r) => r.decisions.byAction[a]))]),
      ) as Record<Action, LatencyRecorder>,
      peakInFlight: Math.max(...runs.map((r) => r.decisions.peakInFlight)),
      usage: mergeUsage(runs.map((r) => r.decisions.usage)),
    },
    errors: runs.flatMap((r) => r.errors),
  };
}

/**
 * Register every project, then work them all: each initially ready item is submitted, accepted and
 * approved in turn, and every item an answer opens is worked the same way, until nothing is left.
 * Everything runs at once under one limit of `concurrency` requests in flight.
 */
export async function runPath(
  stack: Stack,
  path: Path,
  cast: Cast,
  codes: string[],
  concurrency: number,
): Promise<PathRun> {
  const limiter = new Limiter(concurrency);
  const perProject = new Map(codes.map((c) => [c, new Limiter(PER_PROJECT_IN_FLIGHT)]));
  const errors: string[] = [];
  const unregistered = new Set<string>();

  const registrationLatency = new LatencyRecorder();
  const registrationUsage = measurePhase(stack.usage);
  const registrationStart = performance.now();
  await Promise.all(
    codes.map((code, i) =>
      limiter
        .run(() => timed(() => path.register(code, cast.secretaries[i % cast.secretaries.length]!.id)))
        .then(
          (r) => registrationLatency.record(r.ms),
          (e: unknown) => {
            unregistered.add(code);
            errors.push(messageOf(e));
          },
        ),
    ),
  );
  const registration = {
    wallMs: performance.now() - registrationStart,
    latency: registrationLatency,
    usage: registrationUsage.stop(),
  };

  const ready = cast.plan.items.filter((i) => i.prerequisites.length === 0).map((i) => i.code);
  const latency = new LatencyRecorder();
  const byAction = Object.fromEntries(STEPS.map((a) => [a, new LatencyRecorder()])) as Record<
    Action,
    LatencyRecorder
  >;
  const started = new Map(codes.map((c) => [c, new Set<string>()]));
  let sent = 0;
  const work = async (code: string, item: string): Promise<void> => {
    if (started.get(code)!.has(item)) return;
    started.get(code)!.add(item);
    const opened: string[] = [];
    for (const action of STEPS) {
      sent += 1;
      try {
        // The project's slot first, so a decision waiting for it does not hold one of the run's.
        const r = await perProject
          .get(code)!
          .run(() => limiter.run(() => timed(() => path.decide(code, item, action))));
        latency.record(r.ms);
        byAction[action].record(r.ms);
        opened.push(...r.value);
      } catch (e) {
        errors.push(messageOf(e));
        return; // the item cannot go on; the check reports the shortfall
      }
    }
    await Promise.all(opened.map((next) => work(code, next)));
  };
  const usage = measurePhase(stack.usage);
  const start = performance.now();
  // Item-major, so the first requests spread over every project, as a city's departments do, rather
  // than all going to the first two projects (the limiter serves in arrival order).
  const registered = codes.filter((c) => !unregistered.has(c));
  await Promise.all(ready.flatMap((item) => registered.map((code) => work(code, item))));
  const wallMs = performance.now() - start;
  return {
    codes,
    registration,
    decisions: {
      sent,
      wallMs,
      latency,
      byAction,
      peakInFlight: limiter.peakInFlight,
      usage: usage.stop(),
    },
    errors,
  };
}
