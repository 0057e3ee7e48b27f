import { createRoute } from '@hono/zod-openapi';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import proto from '@temporalio/proto';
import { z } from 'zod';
import { ping } from '../../db/health';
import type { App, AppDeps } from '../app';
import { type Dependency, problemResponse, unavailableProblem } from '../http-problem';
import { SupervisedPiece } from '../supervision';

/** Each dependency gets this long to answer; /healthz must answer well inside a probe's own timeout. */
export const HEALTH_CHECK_TIMEOUT_MS = 2_000;

/**
 * A worker counts as polling when Temporal saw a poll from it within this long. An idle worker polls
 * again each time its long poll ends (about once a minute); Temporal keeps listing a worker that has
 * gone, with the time of its last poll, for five minutes.
 */
export const WORKER_POLL_FRESH_MS = 70_000;

const Health = z
  .object({
    status: z
      .enum(['ok', 'degraded'])
      .describe(
        '`degraded`: the API answers and its dependencies too, but decisions wait (see `worker` and `restarting`)',
      ),
    temporal: z.literal('ok').describe('The namespace was described within the timeout'),
    postgres: z.literal('ok').describe('`select 1` answered within the timeout'),
    worker: z
      .enum(['ok', 'restarting', 'missing', 'unknown'])
      .describe(
        `\`ok\`: a worker polled the task queue within ${WORKER_POLL_FRESH_MS / 1000} s; \`restarting\`: \`npm start\` ` +
          `is starting it again after it exited; \`missing\`: no worker polled within ${WORKER_POLL_FRESH_MS / 1000} s; ` +
          '`unknown`: Temporal did not describe the task queue in time. Decisions wait for a worker (503 with Retry-After after their deadline).',
      ),
    workers: z
      .number()
      .int()
      .min(0)
      .describe(`Worker processes that polled the task queue within ${WORKER_POLL_FRESH_MS / 1000} s`),
    restarting: z
      .array(SupervisedPiece)
      .describe('What `npm start` is restarting after it exited (always empty when it does not run the API)'),
  })
  .describe('Both dependencies answered; whether a worker takes the decisions');

const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['operations'],
  summary: 'Readiness: checks Temporal and PostgreSQL, and reports a missing worker',
  description:
    `Describes the Temporal namespace and runs \`select 1\` on PostgreSQL, each within ${HEALTH_CHECK_TIMEOUT_MS} ms ` +
    '(either failing is a 503), and asks Temporal which workers poll the task queue: none (or one being ' +
    'restarted) is `degraded`, still a 200, since the API itself serves.',
  responses: {
    200: {
      description: 'Temporal and PostgreSQL both answered; `status` says whether a worker takes decisions',
      content: { 'application/json': { schema: Health } },
    },
    503: problemResponse(
      'A dependency did not answer; `dependencies` names which, `restarting` what `npm start` is restarting. Sent with Retry-After.',
    ),
  },
});

export function registerHealthRoutes(app: App, deps: AppDeps): void {
  app.openapi(healthRoute, async (c) => {
    const checks: [Dependency, Promise<unknown>][] = [
      ['temporal', checkTemporal(deps)],
      ['postgres', checkPostgres(deps)],
    ];
    const pollers = countWorkers(deps);
    const results = await Promise.allSettled(checks.map(([, p]) => p));
    const failed: Dependency[] = [];
    results.forEach((r, i) => {
      const name = checks[i]![0];
      if (r.status === 'rejected') {
        failed.push(name);
        const reason = r.reason instanceof Error ? r.reason.message : String(r.reason);
        console.warn(`healthz: ${name} check failed: ${reason}`);
      }
    });
    const restarting = [...(deps.supervision?.restarting() ?? [])];
    // The reasons stay in the log: this endpoint is unauthenticated and pg/gRPC messages name hosts.
    if (failed.length > 0) {
      const being = failed.filter((d) => restarting.includes(d));
      const detail =
        `cannot reach ${failed.join(' and ')}` +
        (being.length > 0 ? ` (${being.join(' and ')} restarting)` : '') +
        '; retry shortly';
      void pollers.catch(() => {});
      throw unavailableProblem(failed, detail, restarting.length > 0 ? { restarting } : {});
    }
    const workers = await pollers.catch((error: unknown) => {
      console.warn(
        `healthz: describing the task queue failed: ${error instanceof Error ? error.message : error}`,
      );
      return undefined;
    });
    const worker = restarting.includes('worker')
      ? 'restarting'
      : workers === undefined
        ? 'unknown'
        : workers === 0
          ? 'missing'
          : 'ok';
    const status = worker === 'ok' && restarting.length === 0 ? 'ok' : 'degraded';
    return c.json(
      { status, temporal: 'ok', postgres: 'ok', worker, workers: workers ?? 0, restarting } as const,
      200,
    );
  });
}

function checkTemporal({ temporal }: AppDeps): Promise<unknown> {
  // The gRPC deadline cancels the call (and the client's retries of UNAVAILABLE); the timer also
  // bounds the wait for a connection that is still being (re)established.
  const call = temporal.client.withDeadline(Date.now() + HEALTH_CHECK_TIMEOUT_MS, () =>
    temporal.client.workflowService.describeNamespace({ namespace: temporal.namespace }),
  );
  return withTimeout(call, HEALTH_CHECK_TIMEOUT_MS, 'temporal');
}

/** Worker processes (distinct poller identities) Temporal saw polling the workflow task queue lately. */
async function countWorkers({ temporal, config }: AppDeps): Promise<number> {
  const call = temporal.client.withDeadline(Date.now() + HEALTH_CHECK_TIMEOUT_MS, () =>
    temporal.client.workflowService.describeTaskQueue({
      namespace: temporal.namespace,
      taskQueue: { name: config.temporal.taskQueue },
      taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    }),
  );
  const { pollers } = await withTimeout(call, HEALTH_CHECK_TIMEOUT_MS, 'temporal task queue');
  const since = Date.now() - WORKER_POLL_FRESH_MS;
  const fresh = (pollers ?? []).filter((p) => (optionalTsToMs(p.lastAccessTime) ?? 0) >= since);
  return new Set(fresh.map((p) => p.identity ?? '')).size;
}

function checkPostgres({ db }: AppDeps): Promise<unknown> {
  // Racing a timer bounds waiting for a pooled connection as well as the query itself.
  return withTimeout(ping(db), HEALTH_CHECK_TIMEOUT_MS, 'postgres');
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
