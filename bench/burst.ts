import { loadavg } from 'node:os';
import type { Client } from '@temporalio/client';
import { projectWorkflowId } from '../api/temporal';
import type { majorProjectWorkflow } from '../workflows/major-project';
import { problemUpdate } from '../workflows/messages';
import {
  type Action,
  type Cast,
  castOf,
  greenlanePath,
  type Path,
  type PathName,
  rawPath,
  STEPS,
} from './decisions/paths';
import { govBuildingPlan } from './lib/gov-building';
import { percentile, round } from './lib/load';
import { describeMachine } from './lib/machine';
import { type BenchOptions, markdownTable, publishResults, resultHead } from './lib/results';
import { startStack } from './lib/stack';

/**
 * A burst on one project (a joint review, 联审): every item of the first wave of a gov-building project
 * (11 items, 11 departments' approvals at once) takes the same step in the same moment — the secretary
 * submits all eleven, then every department accepts, then every department approves — each step released
 * at once, on a project nobody else is deciding on. Temporal admits 10 updates in flight per workflow
 * and refuses the 11th, which its client retries after a second; the API queues the updates of one
 * project (api/project-lanes.ts) so that none is refused. Both paths on one durable stack:
 *
 * - greenlane: over HTTP, `POST /projects/{code}/items/{item}/decisions`, one request per department;
 * - raw: `executeUpdate(decideItemUpdate)` straight from this process, all at once.
 *
 * Reported per path: each request's latency from the moment the burst was released (p50, p99, max), how
 * long a whole burst took, and errors (a refused or failed request). Nothing is retried by this driver.
 */

const NAME = 'burst';
const DEFAULTS = { full: 10, quick: 2 };
/** Updates released together in the joint review: the wave's acceptances, then raises up to this many. */
const BURST = 20;

type Kind = Action | 'raise';
const KINDS: readonly Kind[] = [...STEPS, 'raise'];
/** A department's opinion raised as a problem on the project, by one path. */
type Raise = (code: string, department: string, n: number) => Promise<void>;

type Sample = { action: Kind; ms: number };
type PathResult = { latencies: Sample[]; bursts: number[]; errors: string[] };

const pct = (values: number[], p: number) =>
  values.length === 0
    ? null
    : round(
        percentile(
          [...values].sort((a, b) => a - b),
          p,
        ),
        1,
      );

async function run(
  path: Path,
  raise: Raise,
  codes: string[],
  cast: Cast,
  wave: string[],
): Promise<PathResult> {
  const result: PathResult = { latencies: [], bursts: [], errors: [] };
  const departments = [...cast.departmentKeys.keys()];
  const timed = async (kind: Kind, what: string, released: number, call: () => Promise<unknown>) => {
    try {
      await call();
      result.latencies.push({ action: kind, ms: performance.now() - released });
    } catch (error) {
      result.errors.push(`${kind} ${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  for (const code of codes) {
    await path.register(code, cast.secretaries[0]!.id);
    for (const action of STEPS) {
      const released = performance.now();
      const raises = action === 'accept' ? Math.max(0, BURST - wave.length) : 0;
      await Promise.all([
        ...wave.map((item) =>
          timed(action, `${code}/${item}`, released, () => path.decide(code, item, action)),
        ),
        ...Array.from({ length: raises }, (_, n) => {
          const department = departments[n % departments.length]!;
          return timed('raise', `${code} by ${department}`, released, () => raise(code, department, n));
        }),
      ]);
      result.bursts.push(performance.now() - released);
    }
  }
  return result;
}

function greenlaneRaise(apiUrl: string, cast: Cast): Raise {
  return async (code, department, n) => {
    const res = await fetch(`${apiUrl}/projects/${code}/problems`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${cast.departmentKeys.get(department)!}`,
        'content-type': 'application/json',
        'idempotency-key': `${code}-raise-${n}`,
      },
      body: JSON.stringify(opinion(department, n)),
    });
    if (res.status !== 201) throw new Error(`HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
  };
}

function rawRaise(client: Client): Raise {
  return async (code, department, n) => {
    await client.workflow
      .getHandle<typeof majorProjectWorkflow>(projectWorkflowId(code))
      .executeUpdate(problemUpdate, {
        args: [{ action: 'raise', actor: { role: 'department', department }, ...opinion(department, n) }],
        updateId: `${code}-raise-${n}`,
      });
  };
}

const opinion = (department: string, n: number) => ({
  title: `联审意见 ${n + 1}（${department}）`,
  description: '联合审查中提出、须在开工前解决的问题',
});

export async function burst(opts: BenchOptions & { projects?: number }): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadavg()[0]!;
  const projects = opts.projects ?? (opts.quick ? DEFAULTS.quick : DEFAULTS.full);
  const plan = govBuildingPlan();
  const wave = plan.items.filter((i) => i.prerequisites.length === 0).map((i) => i.code);
  console.log(
    `${projects} projects per path; on one project at once: ${wave.length} decisions, a joint review of ${Math.max(BURST, wave.length)} updates`,
  );
  const stack = await startStack({ volatile: opts.volatile });
  try {
    const cast = await castOf(stack, plan, 1);
    const paths: Record<PathName, Path> = {
      greenlane: greenlanePath(stack.apiUrl, cast),
      raw: await rawPath(stack, cast),
    };
    const raises: Record<PathName, Raise> = {
      greenlane: greenlaneRaise(stack.apiUrl, cast),
      raw: rawRaise(stack.client),
    };
    const results = {} as Record<PathName, PathResult>;
    for (const name of ['greenlane', 'raw'] as const) {
      const codes = Array.from(
        { length: projects },
        (_, i) => `BU${name[0]!.toUpperCase()}${i + 1}-${stack.tag}`,
      );
      results[name] = await run(paths[name], raises[name], codes, cast, wave);
    }
    const summary = (r: PathResult) => {
      const ms = r.latencies.map((l) => l.ms);
      return {
        decisions: r.latencies.length,
        errors: r.errors.length,
        latencyMs: { p50: pct(ms, 50), p99: pct(ms, 99), max: pct(ms, 100) },
        burstMs: { p50: pct(r.bursts, 50), max: pct(r.bursts, 100) },
        byAction: Object.fromEntries(
          KINDS.map((a) => {
            const of = r.latencies.filter((l) => l.action === a).map((l) => l.ms);
            return [a, { p50: pct(of, 50), p99: pct(of, 99) }];
          }),
        ),
        errorSamples: r.errors.slice(0, 5),
      };
    };
    const result = {
      ...resultHead(NAME, { startedAt, quick: opts.quick, loadBefore }),
      durable: stack.durable,
      params: {
        projects,
        wave: wave.length,
        jointReview: Math.max(BURST, wave.length),
        burstsPerPath: projects * STEPS.length,
      },
      greenlane: summary(results.greenlane),
      raw: summary(results.raw),
    };
    const row = (label: string, f: (s: ReturnType<typeof summary>) => string | number) => [
      label,
      f(result.greenlane),
      f(result.raw),
    ];
    const markdown = [
      `# burst${opts.quick ? ' (quick: a smoke run, not a measurement)' : ''} — ${result.startedAt}`,
      '',
      `${describeMachine(result.machine)}. ${stack.durable ? 'Durable: PostgreSQL with fsync, Temporal with its SQLite file.' : '**Volatile, not what users run.**'}`,
      '',
      `${projects} gov-building projects per path; on each, its ${wave.length} first-wave items take every step as one burst released at once: the secretary's ${wave.length} submissions; the joint review, ${wave.length} acceptances and ${result.params.jointReview - wave.length} problems raised by other departments, ${result.params.jointReview} updates at once; ${wave.length} approvals. Latency counts from the burst's release; nothing is retried by this driver.`,
      '',
      markdownTable(
        ['measure', 'greenlane (HTTP, queued per project)', 'raw (executeUpdate, all at once)'],
        [
          row('updates answered', (s) => s.decisions),
          row('errors', (s) => s.errors),
          row(
            'latency p50 / p99 / max ms',
            (s) => `${s.latencyMs.p50} / ${s.latencyMs.p99} / ${s.latencyMs.max}`,
          ),
          row('whole burst p50 / max ms', (s) => `${s.burstMs.p50} / ${s.burstMs.max}`),
          ...KINDS.map((a) =>
            row(`${a} p50 / p99 ms`, (s) => `${s.byAction[a]!.p50} / ${s.byAction[a]!.p99}`),
          ),
        ],
      ),
      ...(result.greenlane.errors + result.raw.errors > 0
        ? [
            '',
            'Errors (first five per path):',
            ...[...result.greenlane.errorSamples, ...result.raw.errorSamples].map((e) => `- ${e}`),
          ]
        : []),
      '',
    ].join('\n');
    await publishResults(NAME, { quick: opts.quick, startedAt }, result, markdown);
    if (result.greenlane.errors > 0)
      throw new Error(`${NAME}: ${result.greenlane.errors} greenlane requests failed`);
  } finally {
    await stack.stop();
  }
}
