import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemType } from '../../api/http-problem';
import type { Plan } from '../../domain/plan';
import type { ProjectStateView } from '../../workflows/messages';
import {
  exactlyOnceProblems,
  logProblems,
  queryState,
  readModelProblems,
  spread,
  until,
  untilCompleted,
} from './checks';
import {
  acknowledged,
  assertAllAcknowledged,
  drive,
  driveDirect,
  type Outage,
  postUntilAnswered,
  registerProjects,
  type Sent,
} from './client';
import { approvalSteps, type Cast, castFor, smallPlan } from './scenario';
import { type FaultStack, startFaultStack } from './stack';

/**
 * Issue 6 §7: stop PostgreSQL while 30 projects receive decisions, start it again.
 *
 * The API needs PostgreSQL for every decision (the caller's key, the Idempotency-Key's stored answer,
 * the audit trail), so while it is down the API's answer is a 503 problem naming postgres, with
 * Retry-After — asserted here, and correct: a client retries later with the same key. The claim under
 * test is the workflow's: decisions keep landing without PostgreSQL. So the first three decisions of
 * each project go through the API, the rest straight through the Temporal client (as the API would
 * send them), and PostgreSQL is stopped once a quarter of those were answered and kept down until all
 * are (at least OUTAGE_MIN_MS). The read model, written by a background activity that retries, must
 * then converge: every project_items row equal to its workflow's query state, nothing missing or doubled.
 */

const PROJECTS = 30;
const CONCURRENCY = 16;
const API_STEPS = 3;
const STOP_AT = 0.25;
const OUTAGE_MIN_MS = 10_000;

let stack: FaultStack;
let plan: Plan;
let cast: Cast;
let codes: string[];
let viaApi: Sent[];
let direct: Sent[];
const views = new Map<string, ProjectStateView>();
const outage: Outage & {
  convergedAt?: number;
  probeAgain?: { status: number | 'gave-up'; project: string; updateId: string };
} = {};
let expectedDirect = 0;

beforeAll(async () => {
  stack = await startFaultStack({ name: 'postgres' });
  await stack.explained(async () => {
    plan = smallPlan();
    cast = await castFor(plan, (role, who) => stack.keyFor(role, who), stack.tag);
    codes = Array.from({ length: PROJECTS + 1 }, (_, i) => `PG-${stack.tag}-${i + 1}`);
    const probeProject = codes.pop()!;
    await registerProjects(stack.apiUrl, cast, [...codes, probeProject]);

    const steps = approvalSteps(plan);
    viaApi = await drive(
      stack.apiUrl,
      cast,
      codes.map((code) => ({ code, steps: steps.slice(0, API_STEPS) })),
      { concurrency: CONCURRENCY },
    );
    assertAllAcknowledged(viaApi);

    const runs = codes.map((code) => ({ code, steps: steps.slice(API_STEPS) }));
    expectedDirect = runs.reduce((n, r) => n + r.steps.length, 0);
    let answered = 0;
    let driven: () => void = () => {};
    const allDriven = new Promise<void>((resolve) => {
      driven = resolve;
    });
    const stopWhenDue = () => {
      answered += 1;
      if (outage.stoppedAt || answered < expectedDirect * STOP_AT) return;
      outage.stoppedAt = Date.now();
      outage.answeredAtStop = answered;
      outage.done = (async () => {
        await stack.postgres.stop();
        const idempotencyKey = randomUUID();
        const url = `${stack.apiUrl}/projects/${probeProject}/items/PROPOSAL/decisions`;
        const body = { action: 'submit' };
        const [probe, health] = await Promise.all([
          postUntilAnswered(url, cast.secretary.key, body, idempotencyKey, { retry: false }),
          fetch(`${stack.apiUrl}/healthz`, { signal: AbortSignal.timeout(20_000) }),
        ]);
        outage.probe = probe.attempts[0];
        outage.healthz = {
          status: health.status,
          retryAfter: health.headers.get('retry-after'),
          body: (await health.json()) as { type?: string; dependencies?: string[] },
        };
        await allDriven;
        const left = OUTAGE_MIN_MS - (Date.now() - outage.stoppedAt!);
        if (left > 0) await new Promise((r) => setTimeout(r, left));
        outage.restartedAt = Date.now();
        await stack.postgres.start();
        outage.readyAt = Date.now();
        // The API again, with the probe's key: it runs now, once.
        const again = await postUntilAnswered(url, cast.secretary.key, body, idempotencyKey);
        outage.probeAgain = {
          status: again.status,
          project: probeProject,
          updateId: `${cast.secretary.id}:${idempotencyKey}`,
        };
      })();
    };

    direct = await driveDirect(stack.client, cast, runs, {
      concurrency: CONCURRENCY,
      onAnswer: stopWhenDue,
      stopIf: () => (stack.worker.running() ? undefined : 'the worker exited'),
    });
    driven();
    await outage.done;
    assertAllAcknowledged(direct);

    for (const code of codes) {
      await untilCompleted(stack.client, code, 180_000);
      views.set(code, await queryState(stack.client, code));
    }
    await until(
      () => readModelProblems(stack.db, views),
      (p) => p.length === 0,
      'read model converged',
      180_000,
    );
    outage.convergedAt = Date.now();
  });
}, 480_000);

afterAll(async () => {
  await stack?.stop();
});

describe('PostgreSQL stopped mid-run and started again', () => {
  it('while it was down the API answered 503 problems naming postgres, with Retry-After', () => {
    // Stopped after the first direct decision went out, and started again after that.
    expect(outage.stoppedAt, 'PostgreSQL was stopped').toBeGreaterThan(
      Math.min(...direct.map((s) => s.sentAt)),
    );
    expect(outage.restartedAt).toBeGreaterThan(outage.stoppedAt!);
    expect(outage.probe).toMatchObject({
      outcome: 503,
      problemType: ProblemType.unavailable,
      dependencies: ['postgres'],
    });
    expect(Number(outage.probe!.retryAfter)).toBeGreaterThan(0);
    expect(outage.healthz).toMatchObject({
      status: 503,
      body: { type: ProblemType.unavailable, dependencies: ['postgres'] },
    });
    expect(Number(outage.healthz!.retryAfter)).toBeGreaterThan(0);
    expect(outage.probeAgain?.status).toBe(200);
  });

  it('decisions kept landing in the workflows while PostgreSQL was down', () => {
    const during = direct.filter(
      (s) => s.answeredAt > outage.stoppedAt! && s.answeredAt < outage.restartedAt!,
    );
    expect(direct.every(acknowledged)).toBe(true);
    expect(during.length).toBeGreaterThan(expectedDirect * 0.5);
    console.log(
      [
        `postgres stop: ${viaApi.length} decisions through the API before, ${direct.length} straight to Temporal on ${PROJECTS} projects`,
        `  stopped after ${outage.answeredAtStop} direct answers; ${during.length} decisions acknowledged while it was down ` +
          `(${outage.restartedAt! - outage.stoppedAt!} ms)`,
        `  direct decision latency ms: ${JSON.stringify(spread(direct.map((s) => s.answeredAt - s.sentAt)))}; ` +
          `while down: ${JSON.stringify(spread(during.map((s) => s.answeredAt - s.sentAt)))}`,
        `  PostgreSQL ready ${outage.readyAt! - outage.restartedAt!} ms after its restart; read model converged ` +
          `${outage.convergedAt! - outage.restartedAt!} ms after the restart`,
        `  the API's 503 during the outage came after ${outage.probe!.ms} ms`,
      ].join('\n'),
    );
  });

  it('the worker and the API rode out the outage without a restart', () => {
    expect(stack.worker.running() && stack.worker.runs === 1).toBe(true);
    expect(stack.api.running() && stack.api.runs === 1).toBe(true);
  });

  it('each decision was accepted exactly once in its workflow history', async () => {
    const entries = [...viaApi, ...direct].map((s) => ({
      project: s.project,
      updateId: s.updateId,
      acknowledged: acknowledged(s),
    }));
    entries.push({
      project: outage.probeAgain!.project,
      updateId: outage.probeAgain!.updateId,
      acknowledged: true,
    });
    const { problems, accepted } = await exactlyOnceProblems(stack.client, entries);
    expect(problems).toEqual([]);
    expect(accepted).toBe(entries.length);
  });

  it('the read model converged to the workflows: nothing missing, nothing doubled, nothing stale', async () => {
    const log = [...viaApi, ...direct.map((s) => ({ ...s, seq: s.seq + API_STEPS }))];
    expect(logProblems(log, views)).toEqual([]);
    expect(await readModelProblems(stack.db, views)).toEqual([]);
    for (const [code, view] of views) expect(view.summary.done, code).toBe(true);
  });
});
