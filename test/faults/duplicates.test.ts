import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBLEM_CONTENT_TYPE, ProblemType } from '../../api/http-problem';
import { IdempotencyProblemType } from '../../api/idempotency';
import type { Decision } from '../../domain/decisions';
import type { Plan } from '../../domain/plan';
import { decideItemUpdate } from '../../workflows/messages';
import { acceptedUpdates, queryState } from './checks';
import { registerProjects } from './client';
import { type Cast, castFor, smallPlan, updateIdOf, workflowIdOf } from './scenario';
import { type FaultStack, startFaultStack } from './stack';

/**
 * Issue 6 §8: the same decision submitted twice, or many times at once — through the API with the same
 * Idempotency-Key, with different keys, with none, and straight through the Temporal client with the
 * same update id or different ones. Whatever arrives, the decision is applied once: one accepted update
 * in the workflow's history and one revision step, and callers sharing a key share one answer.
 */

const N = 6;

let stack: FaultStack;
let plan: Plan;
let cast: Cast;
let codes: string[];

beforeAll(async () => {
  stack = await startFaultStack({ name: 'duplicates' });
  plan = smallPlan();
  cast = await castFor(plan, (role, who) => stack.keyFor(role, who), stack.tag);
  codes = Array.from({ length: 5 }, (_, i) => `DUP-${stack.tag}-${i + 1}`);
  await registerProjects(stack.apiUrl, cast, codes);
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

/** One POST, no retry: status, headers, body. */
async function post(project: string, body: unknown, idempotencyKey: string | null, key = cast.secretary.key) {
  const headers: Record<string, string> = {
    authorization: `Bearer ${key}`,
    'content-type': 'application/json',
  };
  if (idempotencyKey !== null) headers['idempotency-key'] = idempotencyKey;
  const res = await fetch(`${stack.apiUrl}/projects/${project}/items/PROPOSAL/decisions`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text) };
}

/** What the workflow's history and state say: accepted updates (by id) and the revision. */
async function snapshot(project: string) {
  const [accepted, view] = await Promise.all([
    acceptedUpdates(stack.client, project),
    queryState(stack.client, project),
  ]);
  const total = [...accepted.values()].reduce((a, b) => a + b, 0);
  return { accepted, total, revision: view.state.revision, status: view.state.items.PROPOSAL!.status };
}

const submit = { action: 'submit' } as const;

describe('duplicate and concurrent submissions of one decision', () => {
  it(`${N} concurrent requests with the same Idempotency-Key: applied once, every caller gets the same answer`, async () => {
    const project = codes[0]!;
    const before = await snapshot(project);
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: N }, () => post(project, submit, key)));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    // One ran; the others waited for its stored answer and replayed it.
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true').length).toBe(N - 1);

    // A late repeat, after the answer: replayed, nothing runs.
    const repeat = await post(project, submit, key);
    expect(repeat.status).toBe(200);
    expect(repeat.text).toBe(answers[0]!.text);
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');

    const after = await snapshot(project);
    expect(after.accepted.get(updateIdOf(cast.secretary, key))).toBe(1);
    expect(after.total).toBe(before.total + 1);
    expect(after.revision).toBe(before.revision + 1);
    expect(after.status).toBe('submitted');
  });

  it('without an Idempotency-Key the API refuses with a 400 problem, and nothing is applied', async () => {
    const project = codes[1]!;
    const before = await snapshot(project);
    const answers = await Promise.all(Array.from({ length: 2 }, () => post(project, submit, null)));
    for (const a of answers) {
      expect(a.status).toBe(400);
      expect(a.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
      expect(a.json.type).toBe(IdempotencyProblemType.missing);
    }
    const after = await snapshot(project);
    expect(after).toEqual(before);
    expect(after.status).toBe('ready');
  });

  it(`${N} concurrent requests with different keys: one is applied, the workflow refuses the others as out of order`, async () => {
    const project = codes[2]!;
    const before = await snapshot(project);
    const keys = Array.from({ length: N }, () => randomUUID());
    const answers = await Promise.all(keys.map((k) => post(project, submit, k)));
    const applied = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 409);
    expect(applied.length).toBe(1);
    expect(refused.length).toBe(N - 1);
    for (const r of refused) {
      expect(r.json.type).toBe(ProblemType.invalidTransition);
      expect(r.json.detail).toMatch(
        /PROPOSAL is submitted; submit is allowed only when it is ready or rejected/,
      );
    }
    // A refused decision's answer is stored too: repeating its key replays the refusal, it does not run.
    const refusedKey = keys[answers.findIndex((a) => a.status === 409)]!;
    const replay = await post(project, submit, refusedKey);
    expect(replay.status).toBe(409);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');

    const after = await snapshot(project);
    const appliedKey = keys[answers.findIndex((a) => a.status === 200)]!;
    expect(after.accepted.get(updateIdOf(cast.secretary, appliedKey))).toBe(1);
    // The validator refuses before history: no trace of the refused ones.
    for (const k of keys.filter((k) => k !== appliedKey)) {
      expect(after.accepted.has(updateIdOf(cast.secretary, k))).toBe(false);
    }
    expect(after.total).toBe(before.total + 1);
    expect(after.revision).toBe(before.revision + 1);
  });

  it('through the Temporal client, the same update id twice and many at once: one application, one answer', async () => {
    const project = codes[3]!;
    const handle = stack.client.workflow.getHandle(workflowIdOf(project));
    const before = await snapshot(project);
    const decision: Decision = {
      action: 'submit',
      item: 'PROPOSAL',
      actor: { role: 'secretary', id: cast.secretary.person },
    };
    const updateId = `dup-${randomUUID()}`;
    const first = await handle.executeUpdate(decideItemUpdate, { args: [decision], updateId });
    const second = await handle.executeUpdate(decideItemUpdate, { args: [decision], updateId });
    expect(second).toEqual(first);
    const concurrent = await Promise.all(
      Array.from({ length: N }, () => handle.executeUpdate(decideItemUpdate, { args: [decision], updateId })),
    );
    for (const c of concurrent) expect(c).toEqual(first);

    // A fresh id on an update never sent before, N at once: Temporal merges them into one execution.
    const accept: Decision = {
      action: 'accept',
      item: 'PROPOSAL',
      actor: { role: 'department', department: plan.items.find((i) => i.code === 'PROPOSAL')!.department },
    };
    const acceptId = `dup-${randomUUID()}`;
    const accepts = await Promise.all(
      Array.from({ length: N }, () =>
        handle.executeUpdate(decideItemUpdate, { args: [accept], updateId: acceptId }),
      ),
    );
    for (const a of accepts) expect(a).toEqual(accepts[0]);

    const after = await snapshot(project);
    expect(after.accepted.get(updateId)).toBe(1);
    expect(after.accepted.get(acceptId)).toBe(1);
    expect(after.total).toBe(before.total + 2);
    expect(after.revision).toBe(before.revision + 2);
    expect(after.status).toBe('accepted');
  });

  it('through the Temporal client with different update ids: the second is refused by the validator as out of order', async () => {
    const project = codes[4]!;
    const handle = stack.client.workflow.getHandle(workflowIdOf(project));
    const before = await snapshot(project);
    const decision: Decision = {
      action: 'submit',
      item: 'PROPOSAL',
      actor: { role: 'secretary', id: cast.secretary.person },
    };
    await handle.executeUpdate(decideItemUpdate, { args: [decision], updateId: `a-${randomUUID()}` });
    const secondId = `b-${randomUUID()}`;
    const refusal = await handle
      .executeUpdate(decideItemUpdate, { args: [decision], updateId: secondId })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (refusal as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('Refused');
    expect((cause as ApplicationFailure).message).toMatch(
      /PROPOSAL is submitted; submit is allowed only when/,
    );

    // And many different ids at once: exactly one wins.
    const accept: Decision = {
      action: 'accept',
      item: 'PROPOSAL',
      actor: { role: 'department', department: plan.items.find((i) => i.code === 'PROPOSAL')!.department },
    };
    const results = await Promise.allSettled(
      Array.from({ length: N }, () =>
        handle.executeUpdate(decideItemUpdate, { args: [accept], updateId: `c-${randomUUID()}` }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(WorkflowUpdateFailedError);
    }

    const after = await snapshot(project);
    expect(after.accepted.has(secondId)).toBe(false);
    expect(after.total).toBe(before.total + 2);
    expect(after.revision).toBe(before.revision + 2);
    expect(after.status).toBe('accepted');
  });
});
