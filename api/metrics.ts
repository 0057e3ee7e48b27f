import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';

/**
 * HTTP metrics in the Prometheus text exposition format (version 0.0.4), hand-written: two series
 * families and fixed buckets do not need prom-client's registry, collectors and cluster aggregation.
 *
 * Labels stay bounded: `route` is the pattern a request matched (`/projects/:code`), never the URL, so a
 * project code or a scanner's random paths cannot mint series; requests no route matched share
 * `route="unmatched"`; methods outside the usual set share `method="OTHER"`.
 *
 * One instance per app (createApp makes it), so tests and processes never share counts.
 */

/** Upper bounds in seconds: from a cached read (a few ms) to a Temporal update waiting on a worker (seconds). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
export const UNMATCHED_ROUTE = 'unmatched';

type Histogram = { buckets: number[]; sum: number; count: number };

export class HttpMetrics {
  private readonly requests = new Map<string, { labels: Labels; value: number }>();
  private readonly latency = new Map<string, { labels: Labels; histogram: Histogram }>();

  /** Times every request and counts its answer; register it before everything else. */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const started = performance.now();
      let status = 500;
      try {
        await next();
        status = c.res.status;
      } finally {
        // Hono turns a handler's error into a response before it reaches here; `finally` covers the rest.
        this.observe(c.req.method, routeOf(c), status, (performance.now() - started) / 1000);
      }
    };
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    const m = METHODS.has(method) ? method : 'OTHER';
    const counted = { method: m, route, status: String(status) };
    const key = JSON.stringify(counted);
    const counter = this.requests.get(key) ?? { labels: counted, value: 0 };
    counter.value++;
    this.requests.set(key, counter);

    const timed = { method: m, route };
    const hkey = JSON.stringify(timed);
    const entry = this.latency.get(hkey) ?? {
      labels: timed,
      histogram: { buckets: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 },
    };
    LATENCY_BUCKETS.forEach((le, i) => {
      if (seconds <= le) entry.histogram.buckets[i]!++;
    });
    entry.histogram.sum += seconds;
    entry.histogram.count++;
    this.latency.set(hkey, entry);
  }

  /** The two HTTP families, as exposition text. */
  render(): string {
    const out: string[] = [
      '# HELP greenlane_http_requests_total HTTP requests answered, by method, route pattern and status.',
      '# TYPE greenlane_http_requests_total counter',
    ];
    for (const { labels, value } of sorted(this.requests)) {
      out.push(`greenlane_http_requests_total${labelText(labels)} ${value}`);
    }
    out.push(
      '# HELP greenlane_http_request_duration_seconds Time to answer an HTTP request, by method and route pattern.',
      '# TYPE greenlane_http_request_duration_seconds histogram',
    );
    for (const { labels, histogram } of sorted(this.latency)) {
      // Buckets are cumulative in the exposition format; each was counted once, in every bucket it fits.
      LATENCY_BUCKETS.forEach((le, i) => {
        out.push(
          `greenlane_http_request_duration_seconds_bucket${labelText({ ...labels, le: String(le) })} ${histogram.buckets[i]}`,
        );
      });
      out.push(
        `greenlane_http_request_duration_seconds_bucket${labelText({ ...labels, le: '+Inf' })} ${histogram.count}`,
        `greenlane_http_request_duration_seconds_sum${labelText(labels)} ${histogram.sum}`,
        `greenlane_http_request_duration_seconds_count${labelText(labels)} ${histogram.count}`,
      );
    }
    return `${out.join('\n')}\n`;
  }
}

type Labels = Record<string, string>;

/** The pattern of the route that answers: the last matched route that is not middleware (`app.use`). */
function routeOf(c: Parameters<MiddlewareHandler>[0]): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i]!;
    if (r.method !== 'ALL') return r.path;
  }
  return UNMATCHED_ROUTE;
}

function sorted<T>(map: Map<string, T>): T[] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

/** `{a="x",b="y"}` with the format's escapes for backslash, double quote and newline. */
export function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`,
  );
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** One gauge family: HELP, TYPE and its samples. */
export function gauge(name: string, help: string, samples: { labels?: Labels; value: number }[]): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`];
  for (const s of samples) lines.push(`${name}${labelText(s.labels ?? {})} ${s.value}`);
  return `${lines.join('\n')}\n`;
}
