import { OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import type { Kysely } from 'kysely';
import type { Config } from '../config';
import type { DB } from '../db/schema';
import { AccessCache } from './access';
import { registerAuthentication } from './auth/middleware';
import type { PrincipalCache } from './auth/principal-cache';
import {
  ProblemError,
  type ProblemInit,
  ProblemType,
  problem,
  unavailableDependency,
  unavailableProblem,
  validationProblem,
} from './http-problem';
import { HttpMetrics } from './metrics';
import { registerAssessmentRulesRoutes } from './routes/assessment-rules';
import { registerBulletinRoutes } from './routes/bulletin';
import { registerDepartmentContactRoutes } from './routes/department-contacts';
import { registerEscalationRoutes } from './routes/escalations';
import { registerForecastRoutes } from './routes/forecast';
import { registerHealthRoutes } from './routes/health';
import { registerItemRoutes } from './routes/items';
import { registerKeyRoutes } from './routes/keys';
import { registerLeaderPageRoutes } from './routes/leader-page';
import { registerMeetingRoutes } from './routes/meetings';
import { registerMetaRoutes } from './routes/meta';
import { registerMetricsRoutes } from './routes/metrics';
import { registerNotificationRoutes } from './routes/notifications';
import { registerPeopleRoutes } from './routes/people';
import { registerProblemRoutes } from './routes/problems';
import { registerProjectImportRoutes } from './routes/project-import';
import { registerProjectLifecycleRoutes } from './routes/project-lifecycle';
import { registerProjectRoutes } from './routes/projects';
import { registerReferenceRoutes } from './routes/reference';
import { registerReportRoutes } from './routes/reports';
import { registerRulesRoutes } from './routes/rules';
import { registerServiceRoutes } from './routes/service';
import { registerUiRoutes } from './routes/ui';
import { registerMeetingsUiRoutes } from './routes/ui-meetings';
import { registerPeopleUiRoutes } from './routes/ui-people';
import { registerProjectActionUiRoutes } from './routes/ui-project-actions';
import { registerQueueUiRoutes } from './routes/ui-queue';
import { registerReportUiRoutes } from './routes/ui-reports';
import { registerUrgingRoutes } from './routes/urgings';
import { securityHeaders } from './security-headers';
import { registerStorableText } from './storable-text';
import type { Supervision } from './supervision';

/** What the API needs from the outside world; api/server.ts builds it, tests build their own. */
export interface AppDeps {
  temporal: { client: Client; namespace: string };
  db: Kysely<DB>;
  config: Config;
  /** Largest request body accepted, in bytes (default 256 KiB). */
  bodyLimitBytes?: number;
  /** Authorization facts per project (api/access.ts); createApp makes one when not given. */
  accessCache?: AccessCache;
  /**
   * Key rows kept a moment for authentication (api/auth/principal-cache.ts); without one every request
   * reads its key. api/compose.ts gives one kept true by PostgreSQL's announcements.
   */
  principalCache?: PrincipalCache;
  /** Where unexpected errors are reported (default console.error). */
  logError?: (message: string, err: unknown) => void;
  /** What `npm start` is restarting (api/supervision.ts), for /healthz; nothing when not given. */
  supervision?: Supervision;
}

export type AppEnv = { Variables: { requestId: string } };
export type App = OpenAPIHono<AppEnv>;

/**
 * Every route file, in registration order. A route file exports `register…Routes(app, deps)`, which
 * declares its routes with `createRoute` and wires them with `app.openapi`. Add new ones here.
 */
const routeRegistrations: ReadonlyArray<(app: App, deps: AppDeps) => void> = [
  // First: API keys on every path in AUTHENTICATED_PATHS (api/auth/middleware.ts), before any route's own middleware.
  registerAuthentication,
  // Then text PostgreSQL cannot keep as sent (U+0000, unpaired surrogates) is refused on every route.
  registerStorableText,
  registerHealthRoutes,
  registerKeyRoutes,
  registerMetaRoutes,
  registerReferenceRoutes,
  registerProjectImportRoutes,
  registerProjectRoutes,
  registerProjectLifecycleRoutes,
  registerRulesRoutes,
  registerForecastRoutes,
  registerItemRoutes,
  registerReportRoutes,
  registerBulletinRoutes,
  registerAssessmentRulesRoutes,
  registerProblemRoutes,
  registerEscalationRoutes,
  registerServiceRoutes,
  registerMeetingRoutes,
  registerUrgingRoutes,
  registerNotificationRoutes,
  registerPeopleRoutes,
  registerDepartmentContactRoutes,
  registerUiRoutes,
  registerPeopleUiRoutes,
  registerQueueUiRoutes,
  registerMeetingsUiRoutes,
  registerProjectActionUiRoutes,
  registerReportUiRoutes,
  registerLeaderPageRoutes,
];

export const DEFAULT_BODY_LIMIT_BYTES = 256 * 1024;
export const IMPORT_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/** The HTTP API as a Hono app: no network of its own, so tests may call `app.request(...)`. */
export function createApp(given: AppDeps): App {
  const deps: AppDeps = { ...given, accessCache: given.accessCache ?? new AccessCache() };
  const logError = deps.logError ?? ((message, err) => console.error(message, err));
  const app: App = new OpenAPIHono<AppEnv>({
    // One place turns every failed request validation (body, query, path, headers) into a 422 problem.
    defaultHook: (result, c) => {
      if (!result.success) return problem(c, validationProblem(result.error, result.target));
    },
  });
  // A route that declares a JSON body requires one unless it says `required: false`: for a body that is
  // not required, @hono/zod-openapi skips validation when the request has none and hands the handler
  // `{}` (POST /projects/{code}/plan without a body answered 500; found by schemathesis).
  const openapi = app.openapi;
  app.openapi = ((route, handler, hook) => openapi(bodyRequired(route), handler, hook)) as App['openapi'];

  // First, so every answer is counted and timed, including a 413 from the body limit.
  const httpMetrics = new HttpMetrics();
  app.use(httpMetrics.middleware());
  const provider = deps.config.oidc ? [new URL(deps.config.oidc.issuer).origin] : [];
  app.use(securityHeaders(deps.config.api.publicUrl, provider));
  app.use(requestId());
  const limited = (maxSize: number) =>
    bodyLimit({
      maxSize,
      // The rest of the body is never read, so the connection cannot carry another request: close it.
      onError: (c) =>
        problem(
          c,
          {
            status: 413,
            type: ProblemType.payloadTooLarge,
            title: 'The request body is too large',
            detail: `the limit is ${maxSize} bytes`,
            limit: maxSize,
          },
          { Connection: 'close' },
        ),
    });
  const ordinary = limited(deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES);
  // A project brought in with its history carries hundreds of dated facts.
  const imports = limited(Math.max(deps.bodyLimitBytes ?? 0, IMPORT_BODY_LIMIT_BYTES));
  app.use((c, next) => (c.req.path === '/projects/import' ? imports : ordinary)(c, next));

  // Before the routes' middleware: a method the path does not take is refused before the key check or
  // an idempotency claim, and never becomes a stored answer.
  app.use(methodNotAllowed(app));

  for (const register of routeRegistrations) register(app, deps);
  registerMetricsRoutes(app, deps, httpMetrics);

  app.notFound((c) =>
    problem(c, {
      status: 404,
      type: ProblemType.notFound,
      title: 'Not found',
      detail: `no route for ${c.req.method} ${c.req.path}`,
    }),
  );

  app.onError((err, c) => {
    if (err instanceof ProblemError) return problem(c, err.problem, { ...err.headers });
    if (err instanceof HTTPException) return problem(c, fromHttpException(err));
    const dependency = unavailableDependency(err);
    if (dependency) {
      // Expected during an outage: one line, no stack.
      console.warn(`request ${c.get('requestId')}: ${dependency} unavailable: ${err.message}`);
      const p = unavailableProblem([dependency]);
      return problem(c, p.problem, { ...p.headers });
    }
    logError(`request ${c.get('requestId')} ${c.req.method} ${c.req.path} failed`, err);
    // Never echo the error: messages from pg or Temporal can carry SQL, hosts or workflow ids.
    return problem(c, {
      status: 500,
      type: ProblemType.internal,
      title: 'Internal server error',
      detail: 'the error has been logged under this requestId',
    });
  });

  return app;
}

// hono and its middleware throw HTTPException for protocol-level failures (malformed JSON, a media
// type the route does not accept, a failed auth middleware); give each a stable problem type.
function fromHttpException(err: HTTPException): ProblemInit {
  const byStatus: Record<number, [string, string]> = {
    400: [ProblemType.malformedRequest, 'The request could not be parsed'],
    401: [ProblemType.unauthorized, 'Authentication required'],
    403: [ProblemType.forbidden, 'Forbidden'],
    404: [ProblemType.notFound, 'Not found'],
    413: [ProblemType.payloadTooLarge, 'The request body is too large'],
    415: [ProblemType.unsupportedMediaType, 'Unsupported media type'],
  };
  const [type, title] = byStatus[err.status] ?? ['about:blank', err.message || `HTTP ${err.status}`];
  return { status: err.status, type, title, ...(err.message ? { detail: err.message } : {}) };
}

/** The route with `request.body.required` true unless the route sets it. */
function bodyRequired<R extends RouteConfig>(route: R): R {
  const body = route.request?.body;
  if (!body || body.required !== undefined) return route;
  return { ...route, request: { ...route.request, body: { ...body, required: true } } };
}

/**
 * 405 with `Allow` (RFC 9110 §15.5.6) when no route takes the request's method on its path but some
 * route takes another; an unknown path goes on to the 404. The route table is read on the first request,
 * when every route file has registered. HEAD is served by GET routes (hono dispatches it so).
 */
function methodNotAllowed(app: App): MiddlewareHandler<AppEnv> {
  let routes: { method: string; pattern: RegExp; literal: boolean }[] | undefined;
  return async (c, next) => {
    routes ??= app.routes
      .filter((r) => r.method !== 'ALL')
      .map((r) => ({ method: r.method, pattern: routePattern(r.path), literal: !/[:*]/.test(r.path) }));
    const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
    const path = c.req.path;
    const candidates = routes.filter((r) => r.pattern.test(path));
    // A path written out in full is its own resource: POST /projects/import is not GET /projects/{code}.
    const literal = candidates.filter((r) => r.literal);
    const matching = literal.length > 0 ? literal : candidates;
    if (matching.length === 0 || matching.some((r) => r.method === method)) return next();
    const allowed = new Set(matching.map((r) => r.method));
    if (allowed.has('GET')) allowed.add('HEAD');
    const allow = [...allowed].sort().join(', ');
    return problem(
      c,
      {
        status: 405,
        type: ProblemType.methodNotAllowed,
        title: 'Method not allowed',
        detail: `${c.req.method} is not allowed on ${path}; allowed: ${allow}`,
      },
      { Allow: allow },
    );
  };
}

/** A hono route path (`/projects/:code`, `:id{[0-9]+}`, `*`) as an anchored regular expression. */
function routePattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      const param = /^:\w+(?:\{(.+)\})?\??$/.exec(segment);
      if (param) return param[1] ? `(?:${param[1]})` : '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}$`);
}
