import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { PROBLEM_CONTENT_TYPE, ProblemType } from '../../api/http-problem';
import type { Decision, DecisionBody } from '../../domain/decisions';
import { decideItemUpdate } from '../../workflows/messages';
import {
  type Cast,
  credentialOf,
  type Step,
  smallTailoring,
  TEMPLATE,
  updateIdOf,
  workflowIdOf,
} from './scenario';

/**
 * A careful client: it retries as a department's system should (same Idempotency-Key, honouring
 * Retry-After) and logs every attempt, and drivers that run many projects' decisions at once, over HTTP
 * or straight through the Temporal client, keeping the log the checks compare with the workflows.
 */

// --- The careful client --------------------------------------------------------------------------------

export type Attempt = {
  at: number;
  ms: number;
  /** HTTP status, or what happened instead. */
  outcome: number | 'timeout' | 'network';
  problemType?: string;
  contentType?: string | null;
  retryAfter?: string | null;
  dependencies?: string[];
  /** What went wrong, when it was not an answer (a direct call's error). */
  error?: string;
};

export type Answered = {
  status: number | 'gave-up';
  // biome-ignore lint/suspicious/noExplicitAny: tests read bodies whose shapes the assertions check
  body: any;
  headers: Headers | undefined;
  attempts: Attempt[];
};

const REQUEST_TIMEOUT_MS = 20_000;

/**
 * POST until there is an answer to keep: a network error or a timeout is retried at once (after a
 * breath), a 503 or a 409 in-flight after its Retry-After, always with the same Idempotency-Key. Any
 * other status is the answer. Gives up after `giveUpMs`; `retry: false` sends once.
 */
export async function postUntilAnswered(
  urlOrUrls: string | readonly string[],
  apiKey: string,
  body: unknown,
  idempotencyKey: string | null,
  opts: { giveUpMs?: number; retry?: boolean } = {},
): Promise<Answered> {
  const attempts: Attempt[] = [];
  const giveUpAt = Date.now() + (opts.giveUpMs ?? 240_000);
  const headers: Record<string, string> = {
    authorization: `Bearer ${apiKey}`,
    'content-type': 'application/json',
  };
  if (idempotencyKey !== null) headers['idempotency-key'] = idempotencyKey;
  // Several URLs: the same API behind several processes; after a network error or a timeout the next
  // attempt goes to the next one (the same Idempotency-Key: a request one of them did answer is not redone).
  const urls = typeof urlOrUrls === 'string' ? [urlOrUrls] : urlOrUrls;
  let failovers = 0;
  while (Date.now() < giveUpAt) {
    const url = urls[failovers % urls.length]!;
    const at = Date.now();
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      text = await res.text();
    } catch (error) {
      const timedOut = error instanceof Error && /timeout|aborted/i.test(`${error.name} ${error.message}`);
      attempts.push({ at, ms: Date.now() - at, outcome: timedOut ? 'timeout' : 'network' });
      if (opts.retry === false) break;
      failovers += 1;
      await sleep(250);
      continue;
    }
    // biome-ignore lint/suspicious/noExplicitAny: see Answered
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    const attempt: Attempt = {
      at,
      ms: Date.now() - at,
      outcome: res.status,
      contentType: res.headers.get('content-type'),
      retryAfter: res.headers.get('retry-after'),
    };
    if (json && typeof json === 'object' && typeof json.type === 'string') attempt.problemType = json.type;
    if (Array.isArray(json?.dependencies)) attempt.dependencies = json.dependencies;
    attempts.push(attempt);
    const inFlight = res.status === 409 && attempt.problemType?.endsWith('/idempotency-key-in-flight');
    if ((res.status === 503 || inFlight) && opts.retry !== false) {
      const seconds = Number(attempt.retryAfter);
      await sleep(Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 10) * 1000 : 1000);
      continue;
    }
    return { status: res.status, body: json, headers: res.headers, attempts };
  }
  return { status: 'gave-up', body: null, headers: undefined, attempts };
}

/**
 * What a fault test records of the outage it causes: when the server was stopped (after how many
 * answers), started again and ready; the work that does it; and what a probe decision and /healthz
 * answered while it was down.
 */
export type Outage = {
  stoppedAt?: number;
  answeredAtStop?: number;
  restartedAt?: number;
  readyAt?: number;
  done?: Promise<void>;
  probe?: Attempt;
  healthz?: { status: number; retryAfter: string | null; body: { type?: string; dependencies?: string[] } };
};

/** Every attempt that was a 503 is the unavailable problem, as problem+json, with Retry-After. */
export function badUnavailableAnswers(attempts: Attempt[]): Attempt[] {
  return attempts.filter(
    (a) =>
      a.outcome === 503 &&
      !(
        a.problemType === ProblemType.unavailable &&
        a.contentType?.startsWith(PROBLEM_CONTENT_TYPE) &&
        Number(a.retryAfter) > 0
      ),
  );
}

// --- Driving many projects -----------------------------------------------------------------------------

/** One decision as the client logged it: what it sent, under which key, and the answer it kept. */
export type Sent = {
  project: string;
  seq: number;
  item: string;
  action: string;
  request: DecisionBody;
  idempotencyKey: string;
  updateId: string;
  status: number | 'gave-up';
  // biome-ignore lint/suspicious/noExplicitAny: the API's answer, checked by the tests
  answer: any;
  attempts: Attempt[];
  sentAt: number;
  answeredAt: number;
};

export const acknowledged = (s: Sent) => s.status === 200;

/** Throws, listing them with their attempts, when some decisions did not end in 200. */
export function assertAllAcknowledged(log: Sent[]): void {
  const failed = log.filter((s) => !acknowledged(s));
  if (failed.length === 0) return;
  const lines = failed.map(
    (s) =>
      `${s.project} #${s.seq} ${s.action} ${s.item} key ${s.idempotencyKey}: ${s.status} ${JSON.stringify(s.answer)}\n` +
      s.attempts
        .map(
          (a) =>
            `    ${new Date(a.at).toISOString()} ${a.outcome} ${a.ms} ms ${a.problemType ?? a.error ?? ''}`,
        )
        .join('\n'),
  );
  throw new Error(`${failed.length} decisions were not acknowledged:\n${lines.join('\n')}`);
}
export const retried = (s: Sent) => s.attempts.length > 1;

export type ProjectRun = { code: string; steps: Step[] };

/**
 * Runs every project's steps in order (a step waits for the answer to the one before), `concurrency`
 * projects at a time. A step that does not end in 200 stops its project: its successors would be refused.
 * `runs` may be a function handing out the next project (undefined: no more), for a stream of decisions
 * that lasts as long as the test needs; `stop` ends it sooner (no further step is sent, the one in flight
 * is answered first), and `beforeRun` prepares a project (registers it) before its first step.
 */
export async function drive(
  apiUrl: string | readonly string[],
  cast: Cast,
  runs: ProjectRun[] | (() => ProjectRun | undefined),
  opts: {
    concurrency: number;
    onAnswer?: (s: Sent) => void;
    /** Before each step is sent: its project and step number (`seq` in the log). */
    onSend?: (project: string, seq: number) => void;
    stop?: () => boolean;
    beforeRun?: (run: ProjectRun) => Promise<void>;
  },
): Promise<Sent[]> {
  const log: Sent[] = [];
  const queue = Array.isArray(runs) ? [...runs] : [];
  const next = () => (opts.stop?.() ? undefined : Array.isArray(runs) ? queue.shift() : runs());
  const apis = typeof apiUrl === 'string' ? [apiUrl] : apiUrl;
  let lanes = 0;
  const lane = async () => {
    // With several APIs, each lane starts on its own one and fails over to the next.
    const first = lanes++ % apis.length;
    const mine = [...apis.slice(first), ...apis.slice(0, first)];
    for (let run = next(); run; run = next()) {
      await opts.beforeRun?.(run);
      for (const [seq, step] of run.steps.entries()) {
        if (opts.stop?.()) break;
        const credential = credentialOf(cast, step);
        const idempotencyKey = randomUUID();
        const sentAt = Date.now();
        opts.onSend?.(run.code, seq);
        const path = `/projects/${run.code}/items/${step.item}/decisions`;
        const answer = await postUntilAnswered(
          mine.map((u) => `${u}${path}`),
          credential.key,
          step.body,
          idempotencyKey,
        );
        const sent: Sent = {
          project: run.code,
          seq,
          item: step.item,
          action: step.body.action,
          request: step.body,
          idempotencyKey,
          updateId: updateIdOf(credential, idempotencyKey),
          status: answer.status,
          answer: answer.body,
          attempts: answer.attempts,
          sentAt,
          answeredAt: Date.now(),
        };
        log.push(sent);
        opts.onAnswer?.(sent);
        if (answer.status !== 200) break;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, lane));
  return log;
}

/** A direct decision's bounds: each call's deadline, and when the driver stops retrying and logs it. */
const DIRECT_ATTEMPT_MS = 15_000;
const DIRECT_GIVE_UP_MS = 90_000;

/** An error and its causes on one line, for the log of a direct call that failed. */
function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e && parts.length < 4; e = (e as { cause?: unknown }).cause) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  }
  return parts.join(' <- ');
}

/**
 * The same as `drive`, straight through the Temporal client (`executeUpdate`, as the API calls it but
 * without HTTP, keys or PostgreSQL), with update ids of its own (`direct:<project>:<seq>`); a call that
 * fails for another reason than the workflow's refusal is retried with the same id, for DIRECT_GIVE_UP_MS.
 */
export async function driveDirect(
  client: Client,
  cast: Cast,
  runs: ProjectRun[],
  opts: {
    concurrency: number;
    onAnswer?: (s: Sent) => void;
    /** Checked before every call: a reason to give up the whole run (a process that should not have exited). */
    stopIf?: () => string | undefined;
  },
): Promise<Sent[]> {
  const log: Sent[] = [];
  const queue = [...runs];
  const lane = async () => {
    for (let run = queue.shift(); run; run = queue.shift()) {
      const handle = client.workflow.getHandle(workflowIdOf(run.code));
      for (const [seq, step] of run.steps.entries()) {
        const actor =
          step.by === 'secretary'
            ? { role: 'secretary' as const, id: cast.secretary.person }
            : { role: 'department' as const, department: step.by };
        const decision = { ...step.body, item: step.item, actor } as Decision;
        const updateId = `direct:${run.code}:${seq}`;
        const sent: Sent = {
          project: run.code,
          seq,
          item: step.item,
          action: step.body.action,
          request: step.body,
          idempotencyKey: updateId,
          updateId,
          status: 'gave-up',
          answer: null,
          attempts: [],
          sentAt: Date.now(),
          answeredAt: 0,
        };
        const giveUpAt = Date.now() + DIRECT_GIVE_UP_MS;
        while (sent.status === 'gave-up' && Date.now() < giveUpAt) {
          const stop = opts.stopIf?.();
          if (stop) throw new Error(`driving ${run.code} #${seq} stopped: ${stop}`);
          const at = Date.now();
          try {
            sent.answer = await client.withDeadline(Math.min(giveUpAt, at + DIRECT_ATTEMPT_MS), () =>
              handle.executeUpdate(decideItemUpdate, { args: [decision], updateId }),
            );
            sent.status = 200;
            sent.attempts.push({ at, ms: Date.now() - at, outcome: 200 });
          } catch (error) {
            const refused = error instanceof WorkflowUpdateFailedError;
            sent.attempts.push({
              at,
              ms: Date.now() - at,
              outcome: refused ? 409 : 'network',
              error: describeError(error),
            });
            if (refused) {
              sent.status = 409;
              sent.answer = String(error.cause?.message ?? error.message);
            } else await sleep(500);
          }
        }
        sent.answeredAt = Date.now();
        log.push(sent);
        opts.onAnswer?.(sent);
        if (sent.status !== 200) break;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, lane));
  return log;
}

/** Registers projects through POST /projects with the small tailoring, retrying as above. */
export async function registerProjects(apiUrl: string, cast: Cast, codes: string[]): Promise<void> {
  const tailoring = smallTailoring();
  await Promise.all(
    codes.map(async (code) => {
      const answer = await postUntilAnswered(
        `${apiUrl}/projects`,
        cast.secretary.key,
        { code, name: `故障测试项目 ${code}`, templateId: TEMPLATE, leader: cast.leader, tailoring },
        randomUUID(),
      );
      if (answer.status !== 201) {
        throw new Error(`registering ${code}: ${answer.status} ${JSON.stringify(answer.body)}`);
      }
    }),
  );
}
