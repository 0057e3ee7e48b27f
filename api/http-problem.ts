import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { SupervisedPiece } from './supervision';

/**
 * RFC 9457 problem details (`application/problem+json`): the one error shape of the API.
 *
 * Every problem's `type` is a stable URI under PROBLEM_TYPE_BASE, one per kind of failure; clients
 * branch on `type`, never on `title` or `detail`. Adding a kind means adding it to `ProblemType`; a
 * type, once published, keeps its meaning. Every problem also carries `instance` (the request path)
 * and `requestId` (the X-Request-Id of the request), so a report can be matched to the server log.
 */
export const PROBLEM_TYPE_BASE = 'https://greenlane.dev/problems/';

export const ProblemType = {
  /** 422: the request was well-formed but its fields fail validation; see `errors`. */
  validation: `${PROBLEM_TYPE_BASE}validation`,
  /** 400: the body could not be parsed (malformed JSON, unreadable form). */
  malformedRequest: `${PROBLEM_TYPE_BASE}malformed-request`,
  /** 401: no or bad credentials. */
  unauthorized: `${PROBLEM_TYPE_BASE}unauthorized`,
  /** 403: authenticated, but not allowed to do this. */
  forbidden: `${PROBLEM_TYPE_BASE}forbidden`,
  /** 404: no such resource or route. */
  notFound: `${PROBLEM_TYPE_BASE}not-found`,
  /** 405: the path exists, but not for this method; `Allow` lists the methods it takes. */
  methodNotAllowed: `${PROBLEM_TYPE_BASE}method-not-allowed`,
  /** 409: the request conflicts with the current state (e.g. a decision the workflow refused). */
  conflict: `${PROBLEM_TYPE_BASE}conflict`,
  /** 409: the project workflow refused the decision; `detail` is its validator's reason, unchanged. */
  invalidTransition: `${PROBLEM_TYPE_BASE}invalid-transition`,
  /** 409: the item was already urged (催办) this working day; `detail` says when and by whom. */
  alreadyUrged: `${PROBLEM_TYPE_BASE}already-urged`,
  /** 409: a project with this code is already registered. */
  projectExists: `${PROBLEM_TYPE_BASE}project-exists`,
  /** 409: the project's workflow has finished; it takes no more decisions. */
  projectClosed: `${PROBLEM_TYPE_BASE}project-closed`,
  /** 410: a leader's action link was used, has expired, or its leader no longer leads the project. */
  linkGone: `${PROBLEM_TYPE_BASE}link-gone`,
  /** 413: the body is larger than the API accepts. */
  payloadTooLarge: `${PROBLEM_TYPE_BASE}payload-too-large`,
  /** 415: the body's media type is not one the operation accepts. */
  unsupportedMediaType: `${PROBLEM_TYPE_BASE}unsupported-media-type`,
  /** 429: too many requests for one project are waiting; retry after `Retry-After` seconds. */
  tooManyRequests: `${PROBLEM_TYPE_BASE}too-many-requests`,
  /**
   * 503: a leaver's handover did part of its work (`reassigned`, `failed`); the same request with the same
   * Idempotency-Key, after `Retry-After` seconds, finishes the rest.
   */
  handoverIncomplete: `${PROBLEM_TYPE_BASE}handover-incomplete`,
  /** 503: a PDF was asked for where the API has no Chromium to print it; the other formats work. */
  pdfUnavailable: `${PROBLEM_TYPE_BASE}pdf-unavailable`,
  /** 503: Temporal or PostgreSQL cannot be reached; retry after `Retry-After` seconds. */
  unavailable: `${PROBLEM_TYPE_BASE}unavailable`,
  /** 500: a fault on our side; the detail is in the server log under `requestId`. */
  internal: `${PROBLEM_TYPE_BASE}internal`,
} as const;
export type ProblemType = (typeof ProblemType)[keyof typeof ProblemType];

/** One failing field of a validation problem. */
export const FieldError = z
  .object({
    in: z.enum(['body', 'query', 'path', 'header', 'cookie']).describe('Which part of the request'),
    path: z
      .string()
      .describe('Dotted path of the field within that part, e.g. `items.0.code`; empty for the whole'),
    message: z.string(),
    code: z.string().describe('The zod issue code, e.g. `invalid_type`'),
  })
  .meta({ id: 'FieldError', description: 'One failing field of a validation problem' });
export type FieldError = z.infer<typeof FieldError>;

/** The problem+json body, for documenting error responses in `createRoute`. */
export const Problem = z
  .object({
    type: z.string().describe(`A stable URI under ${PROBLEM_TYPE_BASE} naming the kind of problem`),
    title: z.string().describe('A short summary of the kind of problem'),
    status: z.number().int(),
    detail: z.string().optional().describe('What went wrong in this occurrence'),
    instance: z.string().optional().describe('The request path'),
    requestId: z.string().optional(),
    errors: z.array(FieldError).optional().describe('Every failing field (validation problems only)'),
    dependencies: z
      .array(z.enum(['temporal', 'postgres']))
      .optional()
      .describe('The dependencies that could not be reached (unavailable problems only)'),
    restarting: z
      .array(SupervisedPiece)
      .optional()
      .describe('What `npm start` is restarting after it exited (unavailable problems of /healthz only)'),
  })
  .catchall(z.unknown())
  // `id` makes it one shared component in the OpenAPI document (#/components/schemas/Problem).
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });
export type Problem = z.infer<typeof Problem>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A `responses` entry for `createRoute`: `{ 404: problemResponse('No such project') }`. */
export function problemResponse(description: string) {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: Problem } } } as const;
}

/** What a handler says about a problem; `instance` and `requestId` are filled in from the request. */
export type ProblemInit = {
  status: ContentfulStatusCode;
  type: string;
  title: string;
  detail?: string;
} & Record<string, unknown>;

/** Throw from a handler (or anything it calls) to answer with this problem; app.onError renders it. */
export class ProblemError extends Error {
  readonly problem: ProblemInit;
  readonly headers: Readonly<Record<string, string>>;

  constructor(problem: ProblemInit, options: { headers?: Record<string, string>; cause?: unknown } = {}) {
    super(problem.detail ?? problem.title, { cause: options.cause });
    this.name = 'ProblemError';
    this.problem = problem;
    this.headers = options.headers ?? {};
  }
}

/** Renders a problem+json response. */
export function problem(c: Context, init: ProblemInit, headers: Record<string, string> = {}): Response {
  const requestId = c.get('requestId') as string | undefined;
  const { status, type, title, detail, ...extensions } = init;
  const body = {
    type,
    title,
    status,
    ...(detail === undefined ? {} : { detail }),
    instance: c.req.path,
    ...(requestId === undefined ? {} : { requestId }),
    ...extensions,
  };
  return c.body(JSON.stringify(body), status, { ...headers, 'Content-Type': PROBLEM_CONTENT_TYPE });
}

type ValidationTarget = 'json' | 'form' | 'query' | 'param' | 'header' | 'cookie';
const partOf: Record<ValidationTarget, FieldError['in']> = {
  json: 'body',
  form: 'body',
  query: 'query',
  param: 'path',
  header: 'header',
  cookie: 'cookie',
};

/** A zod error on part of the request → a 422 validation problem listing every failing field. */
export function validationProblem(error: z.ZodError, target: string = 'json'): ProblemInit {
  const where = partOf[target as ValidationTarget] ?? 'body';
  const errors = error.issues.flatMap((issue): FieldError[] => {
    const at = issue.path.map(String);
    // zod reports every unknown key of a strict object in one issue at the object's path: one entry
    // per key, at the key itself, so the client is told which field (`acceptedAt`), not just where.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        in: where,
        path: [...at, key].join('.'),
        message: `unknown field ${key}`,
        code: issue.code,
      }));
    }
    return [{ in: where, path: at.join('.'), message: issue.message, code: issue.code }];
  });
  const n = errors.length;
  return {
    status: 422,
    type: ProblemType.validation,
    title: 'The request is not valid',
    detail: `${n} field${n === 1 ? '' : 's'} failed validation`,
    errors,
  };
}

/** Seconds a client should wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 5;

export type Dependency = 'temporal' | 'postgres';

/**
 * A 503 naming the dependencies that cannot be reached, with its Retry-After header; `extensions` adds
 * members to the problem (e.g. what is restarting).
 */
export function unavailableProblem(
  dependencies: Dependency[],
  detail?: string,
  extensions: Record<string, unknown> = {},
): ProblemError {
  return new ProblemError(
    {
      status: 503,
      type: ProblemType.unavailable,
      title: 'A service Greenlane depends on is unavailable',
      detail: detail ?? `cannot reach ${dependencies.join(' and ')}; retry shortly`,
      dependencies,
      ...extensions,
    },
    { headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } },
  );
}

// Socket-level failures (Node and pg), SQLSTATE class 08 (connection exception) and the states a
// server in trouble answers with: shutting down, starting up, out of connections, statement timeout.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const PG_UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
const PG_POOL_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Client has encountered a connection error',
];
// gRPC UNAVAILABLE (14) and DEADLINE_EXCEEDED (4), as the Temporal client reports an unreachable server.
const GRPC_UNAVAILABLE_CODES = new Set([14, 4]);

/**
 * Which dependency, if any, this error says is unreachable. Walks `cause` chains and AggregateErrors
 * (Node reports a refused connection to a host with several addresses as one).
 */
export function unavailableDependency(err: unknown, depth = 0): Dependency | undefined {
  if (!(err instanceof Error) || depth > 5) return undefined;
  const e = err as Error & { code?: unknown; details?: unknown; metadata?: unknown };
  // A gRPC status error: numeric code, string details, metadata object (see @temporalio/client isGrpcServiceError).
  if (typeof e.code === 'number' && typeof e.details === 'string' && typeof e.metadata === 'object') {
    return GRPC_UNAVAILABLE_CODES.has(e.code) ? 'temporal' : undefined;
  }
  if (e.name === 'ServiceError' && e.message.startsWith('Failed to connect to Temporal')) return 'temporal';
  // An update whose call deadline (api/temporal.ts) ran out before the workflow answered: no worker took
  // it (a worker restarting after a crash, or none running). The client wraps the gRPC status in this
  // error, and it is CANCELLED rather than DEADLINE_EXCEEDED when the update was already admitted (seen
  // after kill -9 of the worker, test/faults). A retry with the same Idempotency-Key is safe (the update
  // id makes the workflow apply it once), so it is a 503 with Retry-After, not a 500.
  if (e.name === 'WorkflowUpdateRPCTimeoutOrCancelledError') return 'temporal';
  if (typeof e.code === 'string') {
    if (PG_UNAVAILABLE_STATES.has(e.code) || /^08[0-9A-Z]{3}$/.test(e.code)) return 'postgres';
    if (NETWORK_CODES.has(e.code)) return 'postgres';
  }
  if (PG_POOL_MESSAGES.some((m) => e.message.startsWith(m))) return 'postgres';
  if (err instanceof AggregateError) {
    for (const inner of err.errors) {
      const found = unavailableDependency(inner, depth + 1);
      if (found) return found;
    }
  }
  return unavailableDependency(e.cause, depth + 1);
}

/** 404: `detail` names what is missing; `title` may say what kind of thing it is ("No such project"). */
export function notFound(detail: string, title = 'Not found'): ProblemError {
  return new ProblemError({ status: 404, type: ProblemType.notFound, title, detail });
}

/** 409: the request conflicts with the current state; `title` may say how ("Already acknowledged"). */
export function conflict(detail: string, title = 'Conflict'): ProblemError {
  return new ProblemError({ status: 409, type: ProblemType.conflict, title, detail });
}

/** 422 for one field (of the body, or the query): `path` names it, `message` says what is wrong with it. */
export function invalid(path: string, message: string, where: 'body' | 'query' = 'body'): ProblemError {
  return new ProblemError({
    status: 422,
    type: ProblemType.validation,
    title: 'The request is not valid',
    detail: `${path}: ${message}`,
    errors: [{ in: where, path, message, code: 'custom' }],
  });
}
