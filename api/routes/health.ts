import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { ping } from '../../db/health';
import type { App, AppDeps } from '../app';
import { type Dependency, problemResponse, unavailableProblem } from '../http-problem';

/** Each dependency gets this long to answer; /healthz must answer well inside a probe's own timeout. */
export const HEALTH_CHECK_TIMEOUT_MS = 2_000;

const Health = z
  .object({
    status: z.literal('ok'),
    temporal: z.literal('ok').describe('The namespace was described within the timeout'),
    postgres: z.literal('ok').describe('`select 1` answered within the timeout'),
  })
  .describe('Both dependencies answered');

const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['operations'],
  summary: 'Readiness: checks Temporal and PostgreSQL',
  description: `Describes the Temporal namespace and runs \`select 1\` on PostgreSQL, each within ${HEALTH_CHECK_TIMEOUT_MS} ms.`,
  responses: {
    200: {
      description: 'Temporal and PostgreSQL both answered',
      content: { 'application/json': { schema: Health } },
    },
    503: problemResponse('A dependency did not answer; `dependencies` names which. Sent with Retry-After.'),
  },
});

export function registerHealthRoutes(app: App, deps: AppDeps): void {
  app.openapi(healthRoute, async (c) => {
    const checks: [Dependency, Promise<unknown>][] = [
      ['temporal', checkTemporal(deps)],
      ['postgres', checkPostgres(deps)],
    ];
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
    // The reasons stay in the log: this endpoint is unauthenticated and pg/gRPC messages name hosts.
    if (failed.length > 0) throw unavailableProblem(failed);
    return c.json({ status: 'ok', temporal: 'ok', postgres: 'ok' } as const, 200);
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
