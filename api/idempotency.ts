import { createHash, randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { auditValues } from '../db/audit';
import {
  claimIdempotencyKey,
  findIdempotencyRecord,
  type IdempotencyOwner,
  releaseIdempotencyKey,
  renewIdempotencyClaim,
  storeIdempotentAnswer,
  storeIdempotentAnswerWithAudit,
  takeOverIdempotencyKey,
} from '../db/idempotency';
import { type DB, jsonb, type StoredResponse } from '../db/schema';
import type { Principal } from './auth/principal';
import { PROBLEM_TYPE_BASE, ProblemError, problemResponse } from './http-problem';

/**
 * Idempotent state-changing requests.
 *
 * Every state-changing POST must carry `Idempotency-Key` (1–200 visible ASCII characters; a UUID is
 * the usual choice). It is required, not optional: every such POST takes one, because a
 * client that can retry without one can double-decide after a timeout — the failure this exists to
 * prevent. The scope is (the caller's key id, the Idempotency-Key), so two callers never collide.
 *
 * - First use: the request runs. A 2xx or 4xx answer is stored and is *the* answer for this key.
 * - Same key, same request (method, path and canonical JSON body hash the same): the stored answer is
 *   replayed — status, headers, body, plus `Idempotent-Replayed: true` — and nothing runs.
 * - Same key, another request: 422 `idempotency-key-reused`.
 * - A 5xx (or a thrown error) releases the key, so a retry runs afresh. When PostgreSQL is what failed,
 *   the release fails too: it is tried again every second in the background (for the lease at most),
 *   so a retry runs as soon as PostgreSQL is back instead of waiting out the lease.
 * - Concurrent requests with the same key: exactly one claims the row (a primary-key insert) and runs;
 *   the others *wait* for its answer by polling the row (25 ms doubling to 250 ms), for at most
 *   `waitMs` (10 s), then get 409 `idempotency-key-in-flight` with Retry-After. Waiting was chosen
 *   over an immediate 409 because the usual duplicate is a client retrying a slow request: it should
 *   get the answer, not an error to handle. Polling holds no connection or lock while it waits (a
 *   row lock would pin a pooled connection for as long as the first request talks to Temporal).
 * - A crashed process leaves its row in flight; after `leaseMs` (60 s) a retry with the same request
 *   takes it over and runs, on this API or another one of the same database. A live handler renews its
 *   claim every third of the lease, so however long it runs (a handover, an import) its claim is never
 *   taken for dead. Should the first still be running after all (PostgreSQL unreachable for its
 *   renewals), the Temporal update id (`c.var.updateId`) makes the workflow apply the decision once. (`npm start`, whose API is the only one on its database, releases them
 *   before it restarts a crashed API: `releaseUnansweredIdempotencyKeys`.)
 *
 * Handlers get `c.var.idempotencyKey` (as sent) and `c.var.updateId` (`<key id>:<idempotency key>`).
 * Pass `updateId` as the Temporal update id: Temporal deduplicates update ids per workflow, so it must
 * carry the same scope as this table, or two callers choosing the same key would collide.
 *
 * Stored answers are kept until `deleteExpiredIdempotencyKeys` removes them (24 h is the usual window).
 * Every statement on the table, that one included, is in db/idempotency.ts.
 */

export const IdempotencyProblemType = {
  /** 400: a state-changing request without an Idempotency-Key header. */
  missing: `${PROBLEM_TYPE_BASE}idempotency-key-missing`,
  /** 400: the header is empty, longer than 200 characters, or not visible ASCII. */
  invalid: `${PROBLEM_TYPE_BASE}idempotency-key-invalid`,
  /** 422: the key was first used for a different request (method, path or body). */
  reused: `${PROBLEM_TYPE_BASE}idempotency-key-reused`,
  /** 409: the first request with this key is still running; retry after `Retry-After` seconds. */
  inFlight: `${PROBLEM_TYPE_BASE}idempotency-key-in-flight`,
} as const;

export const IDEMPOTENCY_WAIT_MS = 10_000;
export const IDEMPOTENCY_LEASE_MS = 60_000;
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

export type IdempotencyEnv = {
  Variables: { principal: Principal; idempotencyKey: string; updateId: string };
};

declare module 'hono' {
  interface ContextVariableMap {
    /** The request's Idempotency-Key as sent; set by `idempotent`. */
    idempotencyKey: string;
    /** `<key id>:<Idempotency-Key>`: pass it as the Temporal update id; set by `idempotent`. */
    updateId: string;
  }
}

export type IdempotencyOptions = {
  /** How long a duplicate waits for the first request's answer before a 409 (default 10 s). */
  waitMs?: number;
  /** After this long without a renewal an unanswered claim is presumed dead and may be taken over (default 60 s). */
  leaseMs?: number;
  /**
   * Where the key comes from when not from the Idempotency-Key header: a dashboard form carries it as a
   * hidden field made when the page was rendered (api/routes/ui-queue.ts).
   */
  keyOf?: (c: Context) => Promise<string | undefined>;
};

/** Request headers for `createRoute({ request: { headers } })`, so the header is documented. */
export const IdempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN)
    .describe('1–200 visible ASCII characters, unique per intended action (a UUID); retries reuse it'),
});

/** The responses this middleware can answer with, for `createRoute({ responses })`. */
export const idempotencyResponses = {
  400: problemResponse('Idempotency-Key is missing or malformed (or the body could not be parsed)'),
  409: problemResponse(
    'The first request with this Idempotency-Key is still running. Sent with Retry-After.',
  ),
  422: problemResponse('The body fails validation, or the Idempotency-Key was used for another request'),
} as const;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
// Per-request or per-connection headers, never replayed: the replay has its own.
const UNSTORED_HEADERS = new Set([
  'x-request-id',
  'date',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'set-cookie',
  'idempotent-replayed',
]);

/** JSON with object keys sorted at every level, so `{a,b}` and `{b,a}` hash alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** SHA-256 over method, path with query, and the body: canonical JSON when it parses, else its bytes. */
export function requestHash(method: string, pathWithQuery: string, body: Uint8Array): string {
  const h = createHash('sha256').update(`${method.toUpperCase()}\n${pathWithQuery}\n`);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(body);
  let canonical: string | undefined;
  if (text.trim() !== '') {
    try {
      canonical = canonicalJson(JSON.parse(text));
    } catch {
      canonical = undefined;
    }
  }
  if (canonical !== undefined) h.update(`json\n${canonical}`);
  else h.update('raw\n').update(body);
  return h.digest('hex');
}

function idempotencyProblem(
  status: 400 | 409 | 422,
  type: string,
  title: string,
  detail: string,
  headers?: Record<string, string>,
): ProblemError {
  return new ProblemError({ status, type, title, detail }, headers ? { headers } : {});
}

/**
 * Makes a state-changing route idempotent. Put it in the route's `middleware` after `authenticate` and
 * `requireRole` (a 401 or 403 never consumes a key); validation runs after it, so a 422 for a bad body
 * is stored like any other 4xx.
 */
export function idempotent(
  db: Kysely<DB>,
  options: IdempotencyOptions = {},
): MiddlewareHandler<IdempotencyEnv> {
  const waitMs = options.waitMs ?? IDEMPOTENCY_WAIT_MS;
  const leaseSeconds = (options.leaseMs ?? IDEMPOTENCY_LEASE_MS) / 1000;
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const principal = c.get('principal');
    if (!principal) throw new Error('idempotent() must run after authenticate()');
    const key = options.keyOf ? await options.keyOf(c) : c.req.header('idempotency-key');
    if (key === undefined) {
      throw idempotencyProblem(
        400,
        IdempotencyProblemType.missing,
        'Idempotency-Key required',
        `${c.req.method} ${c.req.path} changes state: send an Idempotency-Key header (a UUID), and the same one when you retry`,
      );
    }
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw idempotencyProblem(
        400,
        IdempotencyProblemType.invalid,
        'Idempotency-Key malformed',
        'the Idempotency-Key must be 1–200 visible ASCII characters',
      );
    }
    const url = new URL(c.req.url);
    const method = c.req.method;
    const path = url.pathname + url.search;
    // Reading the body here caches it on the request; the validators after us read the cached copy.
    const bodyHash = requestHash(method, path, new Uint8Array(await c.req.arrayBuffer()));
    const token = randomUUID();
    const scope = { key_id: principal.keyId, idempotency_key: key };
    const owner = { ...scope, owner_token: token };

    const deadline = Date.now() + waitMs;
    let delay = 25;
    for (;;) {
      const claim = { ...scope, method, path, body_hash: bodyHash, owner_token: token };
      if (await claimIdempotencyKey(db, claim)) break;
      const row = await findIdempotencyRecord(db, scope, leaseSeconds);
      if (!row) continue; // released between our insert and select: claim it
      if (row.body_hash !== bodyHash) {
        throw idempotencyProblem(
          422,
          IdempotencyProblemType.reused,
          'Idempotency-Key reused',
          `this Idempotency-Key was first used for another request (${row.method} ${row.path}, or a different body); use a new key for a new request`,
        );
      }
      if (row.completed_at && row.status !== null && row.response) {
        return replay(c, row.status, row.response);
      }
      if (row.stale && (await takeOverIdempotencyKey(db, owner, bodyHash, leaseSeconds))) break;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw idempotencyProblem(
          409,
          IdempotencyProblemType.inFlight,
          'Request in progress',
          'the first request with this Idempotency-Key has not finished; retry with the same key',
          { 'Retry-After': '1' },
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(delay, left)));
      delay = Math.min(delay * 2, 250);
    }

    c.set('idempotencyKey', key);
    c.set('updateId', `${principal.keyId}:${key}`);
    // If PostgreSQL is what failed, the release fails too: it is tried again until it succeeds.
    const release = () =>
      releaseIdempotencyKey(db, owner).catch((err) => {
        warn(c, 'could not release (trying again every second)', err);
        releaseWhenPossible(db, owner, leaseSeconds * 1000);
      });

    // Renewed while the handler runs: only a claim whose process died outlives the lease.
    const renewal = setInterval(
      () => void renewIdempotencyClaim(db, owner).catch((err) => warn(c, 'could not renew the claim', err)),
      (leaseSeconds * 1000) / 3,
    );
    renewal.unref();
    try {
      await next();
    } catch (err) {
      clearInterval(renewal);
      await release();
      throw err;
    }
    clearInterval(renewal);
    const res = c.res;
    if (res.status >= 500) {
      // Released so a retry runs afresh; the 5xx goes out either way.
      await release();
      return;
    }
    const stored: StoredResponse = { headers: storableHeaders(res.headers), body: await bodyText(c, res) };
    const answer = { status: res.status, response: jsonb(stored) };
    const audit = res.status < 400 ? c.get('pendingAudit') : undefined;
    if (audit) {
      // The audit entry and the answer in one statement (api/audit.ts auditWithAnswer): both or neither.
      // The insert reads from the update, so if this request no longer owns the claim (taken over after
      // the lease), nothing is written: the request that took it over answers and audits the action.
      let written: bigint;
      try {
        written = await storeIdempotentAnswerWithAudit(db, owner, answer, auditValues(audit));
      } catch (err) {
        // Neither was written: the answer must not go out as if it had been (nor its Location).
        c.header('Location', undefined);
        await release();
        throw err;
      }
      if (written === 0n)
        warn(c, 'the claim was taken over before the answer was stored', 'not audited here');
      return;
    }
    try {
      await storeIdempotentAnswer(db, owner, answer);
    } catch (err) {
      // The action happened; the caller gets its answer. A retry waits, then takes the claim over after
      // the lease and runs again, which the Temporal update id makes harmless.
      warn(c, 'could not store the answer', err);
    }
  };
}

/**
 * The answer's body as text, to store it; the answer going out is replaced by one with the same bytes,
 * status and headers. Read rather than cloned: a clone tees the body into two streams
 * and the HTTP server then writes the answer from a stream, chunk by chunk, where a text body is written
 * at once (a tenth of a millisecond of CPU per request, measured in bench/README.md "decisions").
 */
async function bodyText(c: Context, res: Response): Promise<string> {
  // The bytes go out as they were (a binary answer too); the stored copy is their UTF-8 text, as before.
  const bytes = new Uint8Array(await res.arrayBuffer());
  const answer = new Response(bytes, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
  // Cleared first: assigning over an answer wraps the new one's body in a stream again (hono's setter).
  c.res = undefined;
  c.res = answer;
  return new TextDecoder().decode(bytes);
}

function storableHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!UNSTORED_HEADERS.has(name.toLowerCase())) kept[name.toLowerCase()] = value;
  });
  return kept;
}

function replay(c: Context, status: number, stored: StoredResponse): Response {
  return c.newResponse(stored.body, status as ContentfulStatusCode, {
    ...stored.headers,
    'Idempotent-Replayed': 'true',
  });
}

/** How often a claim whose release failed is released again. */
export const RELEASE_RETRY_MS = 1_000;

/**
 * Releases `owner`'s claim in the background, every RELEASE_RETRY_MS until it succeeds or `forMs` has
 * passed (the lease: then a retry takes the claim over anyway). It deletes the row only while `owner`
 * still holds it, so a late success harms nobody.
 */
function releaseWhenPossible(db: Kysely<DB>, owner: IdempotencyOwner, forMs: number): void {
  const giveUpAt = Date.now() + forMs;
  const attempt = () => {
    releaseIdempotencyKey(db, owner).catch(() => {
      if (Date.now() < giveUpAt) setTimeout(attempt, RELEASE_RETRY_MS).unref();
    });
  };
  setTimeout(attempt, RELEASE_RETRY_MS).unref();
}

function warn(c: Context, what: string, err: unknown): void {
  const reason = err instanceof Error ? err.message : String(err);
  console.warn(`request ${c.get('requestId')}: idempotency: ${what}: ${reason}`);
}
