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
  badUnavailableAnswers,
  drive,
  type Outage,
  postUntilAnswered,
  registerProjects,
  retried,
  type Sent,
} from './client';
import { approvalSteps, type Cast, castFor, smallPlan } from './scenario';
import { type FaultStack, startFaultStack } from './stack';

/**
 * Issue 6 §6: stop the Temporal dev server (persisting to its SQLite file) while 40 projects receive
 * decisions through the API, keep it down a while, start it again on the same port and file.
 *
 * While it is down the API answers 503 problems with Retry-After (a probe asserts one directly, and
 * every 503 the driving client met is checked); the client retries with the same Idempotency-Key.
 * Afterwards every acknowledged decision was accepted exactly once, every workflow answers a query and
 * finishes, and the read model equals the workflows.
 */

const PROJECTS = 40;
const CONCURRENCY = 16;
const DOWNTIME_MS = 8_000;
/** Stop Temporal once this share of the decisions has been answered. */
const STOP_AT = 0.35;

let stack: FaultStack;
let plan: Plan;
let cast: Cast;
let codes: string[];
let log: Sent[];
const views = new Map<string, ProjectStateView>();
const outage: Outage & {
  queriedAllAt?: number;
  probeRetried?: { status: number | 'gave-up'; answeredAt: number; updateId: string; project: string };
} = {};
let expectedDecisions = 0;

beforeAll(async () => {
  stack = await startFaultStack({ name: 'temporal' });
  await stack.explained(async () => {
    plan = smallPlan();
    cast = await castFor(plan, (role, who) => stack.keyFor(role, who), stack.tag);
    codes = Array.from({ length: PROJECTS + 1 }, (_, i) => `TR-${stack.tag}-${i + 1}`);
    const probeProject = codes.pop()!;
    await registerProjects(stack.apiUrl, cast, [...codes, probeProject]);
    const runs = codes.map((code) => ({ code, steps: approvalSteps(plan) }));
    expectedDecisions = runs.reduce((n, r) => n + r.steps.length, 0);

    let answered = 0;
    const stopWhenDue = () => {
      answered += 1;
      if (outage.stoppedAt || answered < expectedDecisions * STOP_AT) return;
      outage.stoppedAt = Date.now();
      outage.answeredAtStop = answered;
      outage.done = (async () => {
        await stack.temporal.stop();
        // While it is down: one decision on the probe project, sent once, and the readiness check.
        const [probe, health] = await Promise.all([
          probeDecision(probeProject),
          fetch(`${stack.apiUrl}/healthz`),
        ]);
        outage.probe = probe.attempts[0];
        outage.healthz = {
          status: health.status,
          retryAfter: health.headers.get('retry-after'),
          body: (await health.json()) as { type?: string; dependencies?: string[] },
        };
        const left = DOWNTIME_MS - (Date.now() - outage.stoppedAt!);
        if (left > 0) await new Promise((r) => setTimeout(r, left));
        outage.restartedAt = Date.now();
        await stack.temporal.start();
        outage.readyAt = Date.now();
        // The probe's retry, with the same key, once Temporal is back.
        const again = await postUntilAnswered(probe.url, probe.key, probe.body, probe.idempotencyKey);
        outage.probeRetried = {
          status: again.status,
          answeredAt: Date.now(),
          updateId: probe.updateId,
          project: probeProject,
        };
      })();
    };

    log = await drive(stack.apiUrl, cast, runs, { concurrency: CONCURRENCY, onAnswer: stopWhenDue });
    await outage.done;
    assertAllAcknowledged(log);

    for (const code of codes) {
      views.set(code, await queryState(stack.client, code));
    }
    outage.queriedAllAt = Date.now();
    for (const code of codes) {
      await untilCompleted(stack.client, code, 120_000);
      views.set(code, await queryState(stack.client, code));
    }
    await until(
      () => readModelProblems(stack.db, views),
      (p) => p.length === 0,
      'read model converged',
      120_000,
    );
  });
}, 480_000);

afterAll(async () => {
  await stack?.stop();
});

/** The secretary's submit of PROPOSAL on the probe project: one attempt only (no retry). */
async function probeDecision(project: string) {
  const idempotencyKey = randomUUID();
  const url = `${stack.apiUrl}/projects/${project}/items/PROPOSAL/decisions`;
  const body = { action: 'submit' };
  const answer = await postUntilAnswered(url, cast.secretary.key, body, idempotencyKey, { retry: false });
  return {
    url,
    body,
    idempotencyKey,
    key: cast.secretary.key,
    updateId: `${cast.secretary.id}:${idempotencyKey}`,
    attempts: answer.attempts,
  };
}

describe('Temporal dev server stopped and restarted (same port, same SQLite file) mid-run', () => {
  it('while it was down the API answered 503 problems with Retry-After, naming temporal', () => {
    // Stopped after the first decision went out, and started again after that.
    expect(outage.stoppedAt, 'Temporal was stopped').toBeGreaterThan(Math.min(...log.map((s) => s.sentAt)));
    expect(outage.restartedAt).toBeGreaterThan(outage.stoppedAt!);
    expect(outage.answeredAtStop!).toBeLessThan(expectedDecisions * 0.9);
    expect(outage.probe).toMatchObject({
      outcome: 503,
      problemType: ProblemType.unavailable,
      dependencies: ['temporal'],
    });
    expect(Number(outage.probe!.retryAfter)).toBeGreaterThan(0);
    expect(outage.healthz).toMatchObject({
      status: 503,
      body: { type: ProblemType.unavailable, dependencies: ['temporal'] },
    });
    expect(Number(outage.healthz!.retryAfter)).toBeGreaterThan(0);
    // Every 503 the driving client met during the run was the same problem, with Retry-After.
    const attempts = log.flatMap((s) => s.attempts);
    const unavailable = attempts.filter((a) => a.outcome === 503);
    expect(unavailable.length).toBeGreaterThan(0);
    expect(badUnavailableAnswers(attempts)).toEqual([]);
  });

  it('every decision was acknowledged in the end, and accepted exactly once in its workflow history', async () => {
    expect(log.length).toBe(expectedDecisions);
    expect(log.every(acknowledged)).toBe(true);
    expect(outage.probeRetried?.status).toBe(200);
    const entries = [
      ...log.map((s) => ({ project: s.project, updateId: s.updateId, acknowledged: true })),
      { project: outage.probeRetried!.project, updateId: outage.probeRetried!.updateId, acknowledged: true },
    ];
    const { problems, accepted } = await exactlyOnceProblems(stack.client, entries);
    expect(problems).toEqual([]);
    expect(accepted).toBe(entries.length);

    const attempts = log.flatMap((s) => s.attempts);
    const afterRestart = log.filter((s) => s.answeredAt >= outage.restartedAt!).map((s) => s.answeredAt);
    console.log(
      [
        `temporal restart: ${log.length} decisions on ${PROJECTS} projects, ${log.filter(acknowledged).length} acknowledged`,
        `  stopped after ${outage.answeredAtStop} answers (${Math.round((100 * outage.answeredAtStop!) / expectedDecisions)}%), down ${outage.restartedAt! - outage.stoppedAt!} ms`,
        `  retried: ${log.filter(retried).length} decisions, ${attempts.length - log.length} extra attempts (` +
          `${attempts.filter((a) => a.outcome === 503).length}× 503, ${attempts.filter((a) => a.outcome === 'timeout').length}× timeout, ` +
          `${attempts.filter((a) => a.outcome === 409).length}× 409 in flight)`,
        `  dev server ready ${outage.readyAt! - outage.restartedAt!} ms after its restart; first answer ${Math.min(...afterRestart) - outage.restartedAt!} ms after, the probe's retry ${outage.probeRetried!.answeredAt - outage.restartedAt!} ms after`,
        `  the probe's 503 came after ${outage.probe!.ms} ms (the API's Temporal call deadline)`,
        `  decision latency ms (first send to kept answer): ${JSON.stringify(spread(log.map((s) => s.answeredAt - s.sentAt)))}`,
      ].join('\n'),
    );
  });

  it('the worker and the API rode out the outage without a restart', () => {
    expect(stack.worker.running() && stack.worker.runs === 1).toBe(true);
    expect(stack.api.running() && stack.api.runs === 1).toBe(true);
  });

  it('every workflow resumed: each answers a query, agrees with the client log and finished its plan', () => {
    expect(views.size).toBe(PROJECTS);
    expect(logProblems(log, views)).toEqual([]);
    for (const [code, view] of views) {
      expect(view.summary.done, code).toBe(true);
    }
  });

  it('the read model equals the workflows', async () => {
    expect(await readModelProblems(stack.db, views)).toEqual([]);
  });
});
