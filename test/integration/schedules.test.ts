import { randomBytes } from 'node:crypto';
import { Client, Connection, type ScheduleDescription } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DigestActivities } from '../../activities/contract';
import { createDigestActivities } from '../../activities/digests';
import { createDb } from '../../db/connect';
import { loadCalendar } from '../../db/reference';
import type { DB } from '../../db/schema';
import { seedReferenceData } from '../../db/seed';
import type { DigestKind } from '../../domain/digest';
import { digestScheduleIds, ensureSchedules } from '../../worker-schedules';
import { workflowBundle } from '../../workflow-bundle';
import type { DigestRunResult } from '../../workflows/digest';
import { until } from '../helpers/until';

/**
 * The digests' Temporal Schedules on the integration tier's real dev server: ensureSchedules creates them
 * with the right spec and time zone, a second call (or two at once) changes nothing, a drifted spec is
 * put back without undoing an operator's pause, they are listed like any schedule, and a triggered action
 * runs the digest workflow on the worker with the day it was scheduled for (China time).
 *
 * The worker here writes no digest (its writer records calls): the real writer would write for every
 * project other files have in the shared database. activities/digests.ts is tested against PostgreSQL in
 * api-notifications.test.ts.
 */

const tag = randomBytes(3).toString('hex');
const taskQueue = `schedules-${tag}`;
const ids = Object.values(digestScheduleIds);
let connection: Connection;
let client: Client;
let db: Kysely<DB>;
let nativeConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
const writes: { kind: DigestKind; date: string }[] = [];

async function deleteAll(): Promise<void> {
  for (const id of ids)
    await client.schedule
      .getHandle(id)
      .delete()
      .catch(() => {});
}
const describeOf = (kind: DigestKind) => client.schedule.getHandle(digestScheduleIds[kind]).describe();
const cstDate = (t: number) => new Date(t + 8 * 3_600_000).toISOString().slice(0, 10);

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  db = createDb(inject('databaseUrl'));
  await seedReferenceData(db);
  const real = createDigestActivities({ db });
  const activities: DigestActivities = {
    digestCalendar: real.digestCalendar,
    async writeDigests({ kind, date }) {
      writes.push({ kind, date });
      return { people: 0, written: 0, notifications: 0, quiet: 0 };
    },
  };
  nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    ...(await workflowBundle()),
    activities,
  });
  running = worker.run();
  await deleteAll();
});
afterAll(async () => {
  await deleteAll();
  worker?.shutdown();
  await running;
  await nativeConnection?.close();
  await connection?.close();
  await db?.destroy();
});

function expectSpec(d: ScheduleDescription, kind: DigestKind): void {
  const [calendar, ...more] = d.spec.calendars ?? [];
  expect(more).toEqual([]);
  expect(d.spec.timezone).toBe('Asia/Shanghai');
  expect(calendar).toMatchObject({
    second: [{ start: 0, end: 0, step: 1 }],
    dayOfMonth: [{ start: 1, end: 31, step: 1 }],
    month: [{ start: 'JANUARY', end: 'DECEMBER', step: 1 }],
  });
  if (kind === 'secretaries-morning') {
    expect(calendar).toMatchObject({
      hour: [{ start: 8, end: 8, step: 1 }],
      minute: [{ start: 30, end: 30, step: 1 }],
      // Every day: a make-up Saturday is a working day, which only the workflow's calendar knows.
      dayOfWeek: [{ start: 'SUNDAY', end: 'SATURDAY', step: 1 }],
    });
    expect(d.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 3 * 3_600_000 });
  } else {
    expect(calendar).toMatchObject({
      hour: [{ start: 9, end: 9, step: 1 }],
      minute: [{ start: 0, end: 0, step: 1 }],
      dayOfWeek: [{ start: 'MONDAY', end: 'MONDAY', step: 1 }],
    });
    expect(d.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 24 * 3_600_000 });
  }
  expect(d.action).toMatchObject({
    type: 'startWorkflow',
    workflowType: 'digestWorkflow',
    workflowId: digestScheduleIds[kind],
    taskQueue,
    args: [{ kind }],
  });
}

describe('ensureSchedules', () => {
  it('creates both schedules in China time; a second call changes nothing; they are listed', async () => {
    expect(await ensureSchedules(client, taskQueue)).toEqual({ created: ids, updated: [], unchanged: [] });
    const morning = await describeOf('secretaries-morning');
    const weekly = await describeOf('leaders-weekly');
    expectSpec(morning, 'secretaries-morning');
    expectSpec(weekly, 'leaders-weekly');
    // 08:30 CST is 00:30 UTC, every day; 09:00 CST on Mondays is 01:00 UTC on Mondays.
    expect(morning.info.nextActionTimes.length).toBeGreaterThan(0);
    for (const t of morning.info.nextActionTimes) expect(t.toISOString()).toMatch(/T00:30:00\.000Z$/);
    const days = morning.info.nextActionTimes.slice(0, 7).map((t) => t.getUTCDay());
    expect(new Set(days).size).toBe(Math.min(7, days.length));
    for (const t of weekly.info.nextActionTimes) {
      expect(t.toISOString()).toMatch(/T01:00:00\.000Z$/);
      expect(t.getUTCDay()).toBe(1);
    }

    expect(await ensureSchedules(client, taskQueue)).toEqual({ created: [], updated: [], unchanged: ids });
    const after = await describeOf('secretaries-morning');
    expect(after.info.lastUpdatedAt).toEqual(morning.info.lastUpdatedAt);
    expect(after.info.createdAt).toEqual(morning.info.createdAt);

    // Listing is eventually consistent: wait for both to show.
    const listed = await until(
      async () => {
        const found: string[] = [];
        for await (const s of client.schedule.list()) found.push(s.scheduleId);
        return found;
      },
      (found) => ids.every((id) => found.includes(id)),
      'both schedules to be listed',
    );
    expect(listed).toEqual(expect.arrayContaining(ids));
  });

  it('puts a drifted schedule back, keeping an operator’s pause; workers starting together agree', async () => {
    const handle = client.schedule.getHandle(digestScheduleIds['secretaries-morning']);
    await handle.update((previous) => ({
      ...previous,
      spec: { calendars: [{ hour: 7, minute: 0 }], timezone: 'UTC' },
      state: { paused: previous.state.paused },
    }));
    await handle.pause('节假日调整，暂停发送');
    // A pause is a signal to the schedule, which describe shows once the schedule has taken it in; an
    // operator's pause is one the schedule shows.
    await until(
      () => handle.describe(),
      (d) => d.state.paused,
      'the schedule to show the pause',
    );
    expect(await ensureSchedules(client, taskQueue)).toEqual({
      created: [],
      updated: [digestScheduleIds['secretaries-morning']],
      unchanged: [digestScheduleIds['leaders-weekly']],
    });
    const restored = await handle.describe();
    expectSpec(restored, 'secretaries-morning');
    expect(restored.state).toMatchObject({ paused: true, note: '节假日调整，暂停发送' });
    await handle.unpause();

    await deleteAll();
    const results = await Promise.all([
      ensureSchedules(client, taskQueue),
      ensureSchedules(client, taskQueue),
    ]);
    expect(results.flatMap((r) => r.created).sort()).toEqual([...ids].sort());
    expect(results.flatMap((r) => r.updated)).toEqual([]);
    expect(results.flatMap((r) => r.unchanged).sort()).toEqual([...ids].sort());
  });

  it('a triggered action runs the digest workflow for the day it was scheduled, on the calendar', async () => {
    const handle = client.schedule.getHandle(digestScheduleIds['secretaries-morning']);
    const before = Date.now();
    await handle.trigger();
    const workflowId = await until(
      async () => (await handle.describe()).info.recentActions.at(-1)?.action.workflow.workflowId,
      (id) => id !== undefined,
      'the triggered action to start its workflow',
    );
    expect(workflowId).toMatch(/^digest-secretaries-morning-\d{4}-\d\d-\d\dT/);
    const result: DigestRunResult = await client.workflow.getHandle(workflowId!).result();
    const today = cstDate(before);
    // The workflow's day came from TemporalScheduledStartTime; it sends only if today is a working day.
    expect([today, cstDate(Date.now())]).toContain(result.scheduledFor);
    const working = (await loadCalendar(db)).isWorkingDay(result.scheduledFor);
    if (working) {
      expect(result).toMatchObject({ sentOn: result.scheduledFor, skipped: null });
      expect(writes).toContainEqual({ kind: 'secretaries-morning', date: result.scheduledFor });
    } else {
      expect(result).toMatchObject({ sentOn: null, skipped: `${result.scheduledFor} is not a working day` });
      expect(writes).toEqual([]);
    }
  });
});
