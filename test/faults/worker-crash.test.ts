import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  type ProjectRun,
  registerProjects,
  retried,
  type Sent,
} from './client';
import {
  approvalSteps,
  type Cast,
  castFor,
  lateProjectState,
  lateSteps,
  smallPlan,
  startCarried,
} from './scenario';
import { type FaultStack, startFaultStack } from './stack';
import { startWebhookReceiver, type WebhookReceiver } from './webhook';

/**
 * Issue 6 §5: kill -9 the worker while 60 projects receive decisions through the API, start it again.
 *
 * 50 projects registered through POST /projects (gov-building tailored down to six items) and 10 late
 * files (scenario.ts lateProjectState: their resubmission fires a red card and an interview notice at once,
 * each announced on the project's webhook) are driven to approval by a client that logs every request,
 * its Idempotency-Key and the answer it kept, retrying timeouts and 503s with the same key. The worker
 * is killed the moment the webhook receives its third notification — a notification is then on the
 * wire, unanswered — and started again a few seconds later.
 *
 * Then: every acknowledged decision was accepted exactly once in its workflow's history; the read model
 * equals the workflows' state; the inbox holds each escalation once; every notification went out, and
 * the only ones that went out twice were on the wire when the worker died.
 */

const PROJECTS = 50;
const LATE = 10;
const CONCURRENCY = 16;
const DOWNTIME_MS = 3_000;
const WEBHOOK_DELAY_MS = 300;
const KILL_ON_DELIVERY = 3;
const SEND_TIMEOUT_MS = 1_000;
/** Escalations each late project had before the run (the reminder and the yellow card). */
const CARRIED_ESCALATIONS = 2;

let stack: FaultStack;
let receiver: WebhookReceiver;
let plan: Plan;
let cast: Cast;
let codes: string[];
let lateCodes: string[];
let log: Sent[];
const views = new Map<string, ProjectStateView>();
const crash: {
  killedAt?: number;
  answeredAtKill?: number;
  restartedAt?: number;
  readyAt?: number;
  done?: Promise<void>;
  convergedAt?: number;
  notifiedAt?: number;
} = {};
let expectedDecisions = 0;

beforeAll(async () => {
  receiver = await startWebhookReceiver(WEBHOOK_DELAY_MS);
  stack = await startFaultStack({
    name: 'worker',
    notify: {
      targets: { webhook: { oa: { url: receiver.url, secret: receiver.secret } } },
      delivery: { pollMs: 200, sendTimeoutMs: SEND_TIMEOUT_MS, backoffBaseMs: 500, backoffCapMs: 2_000 },
    },
  });
  await stack.explained(async () => {
    plan = smallPlan();
    cast = await castFor(plan, (role, who) => stack.keyFor(role, who), stack.tag);

    codes = Array.from({ length: PROJECTS }, (_, i) => `WC-${stack.tag}-${i + 1}`);
    lateCodes = Array.from({ length: LATE }, (_, i) => `WC-${stack.tag}-L${i + 1}`);
    await registerProjects(stack.apiUrl, cast, codes);
    for (const code of lateCodes) {
      await startCarried(stack.client, stack.taskQueue, lateProjectState(code, cast, plan));
      await stack.db
        .insertInto('notification_routes')
        .values({ owner_kind: 'project', owner_id: code, channel: 'webhook', target: 'oa' })
        .execute();
    }

    // The late files in the middle of the queue: their escalations go out while decisions are in flight.
    const normal = (code: string): ProjectRun => ({ code, steps: approvalSteps(plan) });
    const runs = [
      ...codes.slice(0, PROJECTS / 2).map(normal),
      ...lateCodes.map((code) => ({ code, steps: lateSteps(plan) })),
      ...codes.slice(PROJECTS / 2).map(normal),
    ];
    expectedDecisions = runs.reduce((n, r) => n + r.steps.length, 0);

    let answered = 0;
    receiver.onDelivery(() => {
      if (crash.killedAt || receiver.deliveries.length < KILL_ON_DELIVERY) return;
      crash.killedAt = Date.now();
      crash.answeredAtKill = answered;
      // kill9() sends SIGKILL before its first await: the delivery just received stays unanswered.
      crash.done = (async () => {
        await stack.worker.kill9();
        await new Promise((r) => setTimeout(r, DOWNTIME_MS));
        crash.restartedAt = Date.now();
        await stack.worker.start();
        crash.readyAt = Date.now();
      })();
    });

    log = await drive(stack.apiUrl, cast, runs, {
      concurrency: CONCURRENCY,
      onAnswer: () => {
        answered += 1;
      },
    });
    await crash.done;
    assertAllAcknowledged(log);

    // Every workflow completes (its last decision done, its last write flushed) and answers a query.
    for (const code of [...codes, ...lateCodes]) {
      await untilCompleted(stack.client, code, 120_000);
      views.set(code, await queryState(stack.client, code));
    }
    await until(
      () => readModelProblems(stack.db, views),
      (p) => p.length === 0,
      'read model converged',
      120_000,
    );
    crash.convergedAt = Date.now();
    // A notification claimed by the killed worker waits out its lease (a minute) before it goes again.
    await until(
      () =>
        stack.db.selectFrom('notifications').select(['id', 'status']).where('status', '!=', 'sent').execute(),
      (rows) => rows.length === 0,
      'every notification sent',
      180_000,
      1_000,
    );
    crash.notifiedAt = Date.now();
  });
}, 480_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

describe('worker killed with SIGKILL in the middle of 60 projects receiving decisions', () => {
  it('the crash came mid-run, and the client got every decision acknowledged, retrying where it was told to', () => {
    // Killed after the first decision went out, and restarted after the kill.
    expect(crash.killedAt, 'the worker was killed').toBeGreaterThan(Math.min(...log.map((s) => s.sentAt)));
    expect(crash.restartedAt).toBeGreaterThan(crash.killedAt!);
    expect(crash.answeredAtKill!).toBeGreaterThan(expectedDecisions * 0.1);
    expect(crash.answeredAtKill!).toBeLessThan(expectedDecisions * 0.9);
    expect(log.length).toBe(expectedDecisions);
    expect(
      log.filter((s) => !acknowledged(s)).map((s) => `${s.project} ${s.action} ${s.item}: ${s.status}`),
    ).toEqual([]);
    const attempts = log.flatMap((s) => s.attempts);
    expect(badUnavailableAnswers(attempts)).toEqual([]);

    const afterRestart = log.filter((s) => s.answeredAt >= crash.restartedAt!).map((s) => s.answeredAt);
    const resumeMs = Math.min(...afterRestart) - crash.restartedAt!;
    const retriedOnes = log.filter(retried);
    console.log(
      [
        `worker crash: ${log.length} decisions sent on ${PROJECTS + LATE} projects, ${log.filter(acknowledged).length} acknowledged`,
        `  killed after ${crash.answeredAtKill} answers (${Math.round((100 * crash.answeredAtKill!) / expectedDecisions)}%), down ${DOWNTIME_MS} ms`,
        `  retried: ${retriedOnes.length} decisions, ${attempts.length - log.length} extra attempts (` +
          `${attempts.filter((a) => a.outcome === 503).length}× 503, ${attempts.filter((a) => a.outcome === 'timeout').length}× timeout, ` +
          `${attempts.filter((a) => a.outcome === 409).length}× 409 in flight)`,
        `  worker ready ${crash.readyAt! - crash.restartedAt!} ms after its restart; first answer ${resumeMs} ms after, ` +
          (retriedOnes.length === 0
            ? 'no decision needed a retry'
            : `the last retried decision answered ${Math.max(...retriedOnes.map((s) => s.answeredAt)) - crash.restartedAt!} ms after`),
        `  read model converged ${crash.convergedAt! - crash.killedAt!} ms after the kill; notifications all sent ${crash.notifiedAt! - crash.killedAt!} ms after`,
        `  decision latency ms (first send to kept answer): ${JSON.stringify(spread(log.map((s) => s.answeredAt - s.sentAt)))}`,
      ].join('\n'),
    );
  });

  it('each acknowledged decision was accepted exactly once in its workflow history, and nothing else was', async () => {
    const { problems, accepted } = await exactlyOnceProblems(
      stack.client,
      log.map((s) => ({ project: s.project, updateId: s.updateId, acknowledged: acknowledged(s) })),
    );
    expect(problems).toEqual([]);
    expect(accepted).toBe(log.filter(acknowledged).length);
  });

  it('the client log agrees with every workflow, and every workflow finished its plan', () => {
    expect(logProblems(log, views)).toEqual([]);
    for (const [code, view] of views) {
      expect(view.summary.done, code).toBe(true);
      expect(Object.values(view.state.items).map((i) => i.status)).toEqual(plan.items.map(() => 'approved'));
    }
  });

  it('the read model equals the workflows: one project_items row per item, at the final status', async () => {
    expect(await readModelProblems(stack.db, views)).toEqual([]);
    const rows = await stack.db
      .selectFrom('project_items')
      .select(({ fn }) => ['project_code', fn.countAll<number>().as('n')])
      .where('project_code', 'in', [...views.keys()])
      .groupBy('project_code')
      .execute();
    expect(rows.map((r) => Number(r.n))).toEqual([...views.keys()].map(() => plan.items.length));
  });

  it('the inbox holds every escalation the workflows fired, once', async () => {
    const rows = await stack.db
      .selectFrom('escalations')
      .select(['id', 'project_code'])
      .where('project_code', 'in', [...views.keys()])
      .execute();
    let fired = 0;
    for (const [code, view] of views) {
      const late = lateCodes.includes(code);
      const firedHere = view.state.escalationCount - (late ? CARRIED_ESCALATIONS : 0);
      fired += firedHere;
      const keys = view.state.recentEscalations.slice(late ? CARRIED_ESCALATIONS : 0).map((e) => e.key);
      const stored = rows.filter((r) => r.project_code === code).map((r) => r.id);
      expect(stored.sort(), code).toEqual(keys.sort());
      expect(stored.length, code).toBe(firedHere);
    }
    // The red card and the interview notice of each late file.
    expect(fired).toBe(LATE * 2);
    console.log(`worker crash: inbox ${rows.length} escalations for ${fired} fired, no duplicate`);
  });

  it('every notification went out; the only ones sent twice were on the wire when the worker died', async () => {
    const outbox = await stack.db
      .selectFrom('notifications')
      .select(['id', 'escalation_id', 'attempts'])
      .execute();
    expect(outbox.length).toBe(LATE * 2);
    const counts = receiver.counts();
    expect(outbox.filter((n) => !counts.has(n.id)).map((n) => n.escalation_id)).toEqual([]);
    expect(receiver.deliveries.every((d) => d.verified)).toBe(true);

    const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    const firstArrival = (id: number) =>
      Math.min(...receiver.deliveries.filter((d) => d.ids.includes(id)).map((d) => d.at));
    // The crash window: sent by the killed worker, unanswered (or answered, not yet marked) when it died.
    const windowStart = crash.killedAt! - WEBHOOK_DELAY_MS - SEND_TIMEOUT_MS;
    for (const id of twice) {
      expect(firstArrival(id)).toBeGreaterThanOrEqual(windowStart);
      expect(firstArrival(id)).toBeLessThanOrEqual(crash.killedAt!);
    }
    // The kill came right after the third arrival, before its answer: that one must have gone again.
    const onTheWire = receiver.deliveries[KILL_ON_DELIVERY - 1]!;
    for (const id of onTheWire.ids) expect(counts.get(id)).toBeGreaterThanOrEqual(2);
    console.log(
      `worker crash: ${outbox.length} notifications, ${receiver.deliveries.length} webhook requests, ` +
        `${twice.length} sent twice (all in the crash window: first arrival ≤ ${WEBHOOK_DELAY_MS + SEND_TIMEOUT_MS} ms before the kill)`,
    );
  });
});
