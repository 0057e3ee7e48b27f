import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { countOpenEscalationsByRung } from '../../db/escalations';
import { countProjectsByStatus } from '../../db/project-lists';
import { escalationRungs } from '../../db/schema';
import type { App, AppDeps } from '../app';
import { gauge, type HttpMetrics } from '../metrics';

/**
 * GET /metrics for Prometheus: the HTTP counters and latency histogram (api/metrics.ts), projects by
 * status and open escalations by rung from the read model, and the process's memory.
 *
 * Unauthenticated, like /healthz, on purpose: a scrape must work while PostgreSQL is down — exactly when
 * it matters — and checking a key needs PostgreSQL. What it shows is aggregate counts only: no project
 * codes, names, people or departments, and routes as patterns. A deployment that exposes the API to the
 * internet blocks /metrics at its proxy, as it would any operations endpoint.
 *
 * The read-model counts are cached for READ_MODEL_TTL_MS, so a scraper (or anyone) polling fast costs at
 * most two small grouped queries per interval; when they fail, `greenlane_read_model_up` is 0 and the
 * rest of the page is still served.
 */

export const READ_MODEL_TTL_MS = 5_000;
/** Longer than this and the read-model part is skipped for this scrape (Prometheus' default timeout is 10 s). */
const READ_MODEL_TIMEOUT_MS = 2_000;
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['operations'],
  summary: 'Prometheus metrics: requests, latency, projects by status, open escalations, memory',
  description:
    'Text exposition format 0.0.4. Unauthenticated: aggregate counts only, and it answers while PostgreSQL is down (then `greenlane_read_model_up 0`).',
  responses: {
    200: {
      description: 'The metrics',
      content: { 'text/plain': { schema: z.string().describe('Prometheus text exposition format 0.0.4') } },
    },
  },
});

type ReadModel = { projects: { status: string; n: number }[]; escalations: { rung: string; n: number }[] };

export function registerMetricsRoutes(app: App, deps: AppDeps, http: HttpMetrics): void {
  let cached: { at: number; value: Promise<ReadModel | null> } | undefined;
  // One query at a time per TTL: concurrent scrapes share the promise in flight.
  const readModel = () => {
    if (!cached || Date.now() - cached.at > READ_MODEL_TTL_MS) {
      cached = { at: Date.now(), value: countReadModel(deps).catch(() => null) };
    }
    return cached.value;
  };

  app.openapi(metricsRoute, async (c) => {
    const counts = await readModel();
    const memory = process.memoryUsage();
    const body = [
      http.render(),
      gauge('greenlane_read_model_up', '1 when the read-model counts below could be read.', [
        { value: counts ? 1 : 0 },
      ]),
      counts
        ? gauge(
            'greenlane_projects',
            'Projects in the read model, by status.',
            counts.projects.map((p) => ({ labels: { status: p.status }, value: p.n })),
          )
        : '',
      counts
        ? gauge(
            'greenlane_open_escalations',
            'Escalations not yet acknowledged, by rung.',
            escalationRungs.map((rung) => ({
              labels: { rung },
              value: counts.escalations.find((e) => e.rung === rung)?.n ?? 0,
            })),
          )
        : '',
      gauge('process_resident_memory_bytes', 'Resident set size of the API process.', [
        { value: memory.rss },
      ]),
      gauge('nodejs_heap_used_bytes', 'V8 heap in use.', [{ value: memory.heapUsed }]),
      gauge('process_start_time_seconds', 'When the process started, seconds since the epoch.', [
        { value: Math.round((Date.now() - process.uptime() * 1000) / 1000) },
      ]),
    ].join('');
    return c.text(body, 200, { 'Content-Type': CONTENT_TYPE, 'Cache-Control': 'no-store' });
  });
}

async function countReadModel({ db }: AppDeps): Promise<ReadModel> {
  const query = Promise.all([countProjectsByStatus(db), countOpenEscalationsByRung(db)]);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('read model counts timed out')), READ_MODEL_TIMEOUT_MS);
  });
  try {
    const [projects, escalations] = await Promise.race([query, timeout]);
    return { projects, escalations };
  } finally {
    clearTimeout(timer);
  }
}
