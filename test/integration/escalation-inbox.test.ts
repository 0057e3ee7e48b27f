import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index';
import { createDb } from '../../db/connect';
import { seedReferenceData } from '../../db/seed';
import { workflowBundle } from '../../workflow-bundle';
import { decideItemUpdate } from '../../workflows/messages';
import { ANCHOR, newProject, planItem, smallPlan } from '../helpers/projects';
import { createTimeSkippingEnv } from '../helpers/time-skipping';
import { registerSearchAttributes } from '../helpers/workflow-harness';

/**
 * From timer to inbox with the real activities: the time-skipping server fires a rung's timer, and the
 * escalation is in PostgreSQL's inbox (the escalations table) by the time the worker has run the one
 * activity that follows — no later poll, batch or job in between.
 */
const db = createDb(inject('databaseUrl'));
let env: Awaited<ReturnType<typeof createTimeSkippingEnv>>;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  await seedReferenceData(db);
  env = await createTimeSkippingEnv();
  await registerSearchAttributes(env);
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'inbox',
    ...(await workflowBundle()),
    activities: createActivities({ db }),
  });
  running = worker.run();
  await env.sleep(ANCHOR - (await env.currentTimeMs()));
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await db.destroy();
});

describe('an escalation reaches the inbox when its timer fires', () => {
  it('writes the yellow card to the escalations table at the deadline instant', async () => {
    const code = `INBOX-${Date.now().toString(36)}`;
    const handle = await env.client.workflow.start('majorProjectWorkflow', {
      taskQueue: 'inbox',
      workflowId: `project-${code}`,
      args: [{ kind: 'new', ...newProject(code, smallPlan([planItem('A')])) }],
    });
    await handle.executeUpdate(decideItemUpdate, {
      args: [{ action: 'submit', item: 'A', actor: { role: 'secretary', id: 'sec-wang' } }],
    });
    await handle.executeUpdate(decideItemUpdate, {
      args: [{ action: 'accept', item: 'A', actor: { role: 'department', department: 'FGW' } }],
    });
    const yellowAt = Date.parse('2035-06-17T00:00:00+08:00'); // 8 working days across the 06-14/15 holiday
    const yellow = `${code}/item/A/1/yellow`;
    const row = () => db.selectFrom('escalations').selectAll().where('id', '=', yellow).executeTakeFirst();

    await env.sleep(yellowAt - 60_000 - (await env.currentTimeMs()));
    expect(await row()).toBeUndefined();

    await env.sleep(61_000);
    let found = await row();
    for (let i = 0; !found && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 50));
      found = await row();
    }
    expect(found).toMatchObject({ project_code: code, rung: 'yellow', department: 'FGW' });
    expect(found!.due_at?.toISOString()).toBe(new Date(yellowAt).toISOString());
    const project = await db.selectFrom('projects').selectAll().where('code', '=', code).executeTakeFirst();
    expect(project?.escalation_level).toBe(2);
  });
});
