import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DigestActivities, DigestWriteResult } from '../../activities/contract';
import { makeCalendar, syntheticYear } from '../../domain/calendar';
import { shippedCalendarYears } from '../../domain/calendar-data';
import { addDays, type DigestKind, digestId } from '../../domain/digest';
import { workflowBundle } from '../../workflow-bundle';
import type { DigestRunResult } from '../../workflows/digest';
import { createTimeSkippingEnv } from '../helpers/time-skipping';

/**
 * The digest workflow on the time-skipping server, with the activities as doubles at their boundary: the
 * calendar is the real working-day calendar (2035 with Thu 06-14 and Fri 06-15 off, Sat 06-16 a make-up
 * day, Mon 06-25 off), the writer an in-memory inbox keyed like the real one (activities/digests.ts, whose
 * own idempotency the integration tier checks against PostgreSQL).
 */

const taskQueue = 'digests';
const calendar = makeCalendar([
  ...shippedCalendarYears,
  syntheticYear(2035, { off: ['2035-06-14', '2035-06-15', '2035-06-25'], work: ['2035-06-16'] }),
]);
const people: Record<DigestKind, string[]> = {
  'secretaries-morning': ['sec-wang', 'sec-zhou'],
  'leaders-weekly': ['leader-li'],
};

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const inbox = new Map<string, { at: number }>();
const calls: { kind: DigestKind; date: string; attempt: number; at: number }[] = [];
/** Dates whose first write succeeds but whose answer is lost: the activity throws after writing. */
const loseFirstAnswer = new Set<string>();

const activities: DigestActivities = {
  async digestCalendar({ from, days }) {
    return Array.from({ length: days }, (_, i) => {
      const date = addDays(from, i);
      return { date, working: calendar.isWorkingDay(date) };
    });
  },
  async writeDigests({ kind, date }): Promise<DigestWriteResult> {
    const at = await env.currentTimeMs();
    calls.push({
      kind,
      date,
      attempt: calls.filter((c) => c.date === date && c.kind === kind).length + 1,
      at,
    });
    let written = 0;
    for (const person of people[kind]) {
      const id = digestId(kind, date, person);
      if (inbox.has(id)) continue;
      inbox.set(id, { at });
      written += 1;
    }
    if (loseFirstAnswer.delete(`${kind}/${date}`)) throw new Error('connection reset after commit');
    return { people: people[kind].length, written, notifications: written, quiet: 0 };
  },
};

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    ...(await workflowBundle()),
    activities,
  });
  running = worker.run();
  // Monday 2035-06-11, 08:00 CST: a fixed week whatever day the suite runs.
  const start = Date.parse('2035-06-11T08:00:00+08:00');
  await env.sleep(start - (await env.currentTimeMs()));
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

let seq = 0;
async function run(kind: DigestKind, date?: string): Promise<DigestRunResult> {
  return env.client.workflow.execute('digestWorkflow', {
    taskQueue,
    workflowId: `digest-test-${++seq}`,
    args: [{ kind, ...(date ? { date } : {}) }],
  });
}

const forDate = (date: string) => [...inbox.keys()].filter((k) => k.includes(`/${date}/`)).sort();

describe('the digest workflow', () => {
  it('writes each secretary’s digest on a working day, once per person even when the activity is retried', async () => {
    loseFirstAnswer.add('secretaries-morning/2035-06-13');
    const result = await run('secretaries-morning', '2035-06-13');
    // The first attempt wrote both and lost its answer; the retry wrote nothing and answered.
    expect(calls.filter((c) => c.date === '2035-06-13').map((c) => c.attempt)).toEqual([1, 2]);
    expect(result).toMatchObject({ scheduledFor: '2035-06-13', sentOn: '2035-06-13', written: 0, people: 2 });
    expect(forDate('2035-06-13')).toEqual([
      'digest/secretaries-morning/2035-06-13/sec-wang',
      'digest/secretaries-morning/2035-06-13/sec-zhou',
    ]);

    // The same day again (a manual trigger after the schedule's run): nothing new.
    const again = await run('secretaries-morning', '2035-06-13');
    expect(again).toMatchObject({ sentOn: '2035-06-13', written: 0 });
    expect(forDate('2035-06-13')).toHaveLength(2);
  });

  it('skips a holiday without writing, and runs on the make-up Saturday', async () => {
    const holiday = await run('secretaries-morning', '2035-06-14');
    expect(holiday).toEqual({
      kind: 'secretaries-morning',
      scheduledFor: '2035-06-14',
      sentOn: null,
      skipped: '2035-06-14 is not a working day',
      people: 0,
      written: 0,
      notifications: 0,
      quiet: 0,
    });
    expect(calls.some((c) => c.date === '2035-06-14')).toBe(false);
    expect(forDate('2035-06-14')).toEqual([]);

    const makeUp = await run('secretaries-morning', '2035-06-16');
    expect(makeUp).toMatchObject({ sentOn: '2035-06-16', written: 2 });
    expect(await run('secretaries-morning', '2035-06-17')).toMatchObject({ skipped: expect.any(String) });
  });

  it('takes its day from when it runs (China time) when no date is given', async () => {
    const result = await run('secretaries-morning');
    // The server's clock is at Monday 2035-06-11 08:00 CST (or a little later).
    expect(result).toMatchObject({ scheduledFor: '2035-06-11', sentOn: '2035-06-11', written: 2 });
  });

  it('the weekly digest on a holiday Monday waits for 09:00 of the first working day', async () => {
    const result = await run('leaders-weekly', '2035-06-25');
    expect(result).toMatchObject({
      scheduledFor: '2035-06-25',
      sentOn: '2035-06-26',
      skipped: null,
      written: 1,
    });
    const call = calls.find((c) => c.kind === 'leaders-weekly' && c.date === '2035-06-26')!;
    // The durable timer fired at Tuesday 09:00 CST, not before.
    expect(call.at).toBeGreaterThanOrEqual(Date.parse('2035-06-26T09:00:00+08:00'));
    expect(forDate('2035-06-26')).toEqual(['digest/leaders-weekly/2035-06-26/leader-li']);
  });

  it('refuses a malformed input without retrying', async () => {
    await expect(run('nightly' as DigestKind)).rejects.toThrow(/Workflow execution failed/);
  });
});
