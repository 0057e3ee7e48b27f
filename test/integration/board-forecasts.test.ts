import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Ask, BoardForecasts } from '../../api/forecasts';
import { projectStartOptions, queryProject } from '../../api/temporal';
import { startWorker } from '../../worker-compose';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { newProject, planItem, smallPlan } from '../helpers/projects';
import { until } from '../helpers/until';

/**
 * The board's forecasts (api/forecasts.ts) against the real stack: a live project and one whose worker
 * is gone (its read-model row there, its workflow on a task queue no worker serves any more, as after a
 * crash or in a database shared with a stack that has stopped). What each view asks of Temporal is
 * counted around the real query.
 */

let g: Greenlane;
const keys: Record<string, string> = {};
let live = '';
let gone = '';

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  const sec = await g.keyFor('secretary', { person: 'sec-bf' });
  const lead = await g.keyFor('leader', { person: 'leader-bf' });
  keys.operator = (await g.keyFor('operator')).key;
  keys.secretary = sec.key;

  live = `BF-LIVE-${g.tag}`;
  const reg = await g.call('POST', '/projects', keys.operator, {
    code: live,
    name: '城东水厂',
    templateId: 'gov-building',
    secretary: sec.personId,
    leader: lead.personId,
    targetStart: '2031-03-03',
  });
  expect(reg.status, JSON.stringify(reg.body)).toBe(201);

  // Served once by a worker of its own, which then stops for good.
  gone = `BF-GONE-${g.tag}`;
  const queue = `gone-${g.tag}`;
  const project = newProject(gone, smallPlan([planItem('A')]), {
    secretary: sec.personId!,
    leader: lead.personId!,
  });
  await g.client.workflow.start('majorProjectWorkflow', projectStartOptions(queue, project));
  const worker = await startWorker(
    { ...g.config, temporal: { ...g.config.temporal, taskQueue: queue } },
    { db: g.db },
  );
  try {
    await until(
      () => g.db.selectFrom('projects').select('code').where('code', '=', gone).executeTakeFirst(),
      (row) => row !== undefined,
      'the project whose worker goes to have its read model',
    );
  } finally {
    await worker.stop();
  }
});
afterAll(async () => {
  await g?.stop();
});

const deps = () => ({ db: g.db, config: g.config, temporal: { client: g.client, namespace: 'default' } });

describe('the board forecasts', () => {
  it('asks each workflow once per revision and day, and a silent one again only after a while', async () => {
    let now = Date.parse('2027-03-01T02:00:00Z'); // a Monday morning in China
    const asked: string[] = [];
    const ask: Ask = (deps, code, deadlineMs) => {
      asked.push(code);
      return queryProject(deps, code, deadlineMs);
    };
    const board = new BoardForecasts(deps(), 200, { clock: () => now, ask });

    const first = await board.forecasts([live, gone]);
    expect([...first.keys()]).toEqual([live]);
    expect(first.get(live)!.asOf).toBe('2027-03-01');
    expect(first.get(live)!.permit?.p80).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(asked.sort()).toEqual([gone, live].sort());

    // Within the minute nothing is asked again: the live forecast is kept, the silent one not retried.
    now += 30_000;
    asked.length = 0;
    const second = await board.forecasts([live, gone]);
    expect(second.get(live)).toBe(first.get(live));
    expect(second.has(gone)).toBe(false);
    expect(asked).toEqual([]);

    // A decision moves the live project's revision: it alone is asked again.
    const decided = await g.call('POST', `/projects/${live}/items/PROPOSAL/decisions`, keys.secretary!, {
      action: 'submit',
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    await until(
      async () => {
        asked.length = 0;
        return { forecasts: await board.forecasts([live, gone]), asked: [...asked] };
      },
      (r) => r.asked.includes(live),
      'the decision to reach the read model',
    );
    expect(asked).toEqual([live]);

    // After the minute the silent workflow is asked again, and is still left out.
    now += 61_000;
    asked.length = 0;
    const later = await board.forecasts([live, gone]);
    expect(asked).toEqual([gone]);
    expect(later.has(gone)).toBe(false);
    expect(later.has(live)).toBe(true);

    // A new China day (16:00 UTC) moves day 0: every forecast is made again.
    now = Date.parse('2027-03-01T16:00:00Z');
    asked.length = 0;
    const tomorrow = await board.forecasts([live, gone]);
    expect(asked.sort()).toEqual([gone, live].sort());
    expect(tomorrow.get(live)!.asOf).toBe('2027-03-02');
  });

  it('keeps showing a forecast while the record it learned from is read again', async () => {
    let now = Date.parse('2027-03-03T02:00:00Z');
    const asked: string[] = [];
    const ask: Ask = (deps, code, deadlineMs) => {
      asked.push(code);
      return queryProject(deps, code, deadlineMs);
    };
    const board = new BoardForecasts(deps(), 200, { clock: () => now, ask });
    const first = await board.forecasts([live]);
    expect(asked).toEqual([live]);

    // Five minutes on: the record is read again; the view shows the forecast it has and makes a new one.
    now += 5 * 60_000;
    const meanwhile = await board.forecasts([live]);
    expect(meanwhile.get(live)).toBe(first.get(live));
    const refreshed = await until(
      () => board.forecasts([live]),
      (f) => f.get(live) !== first.get(live),
      'the forecast made from the new read of the record',
    );
    expect(asked).toEqual([live, live]);
    expect(refreshed.get(live)!.asOf).toBe(first.get(live)!.asOf);
  });

  it('the operator board shows the live project forecast and a dash for the silent one', async () => {
    const cookie = await g.uiCookie(keys.operator!);
    const page = await (await fetch(`${g.url}/ui`, { headers: { cookie } })).text();
    const cell = (code: string) =>
      new RegExp(`data-project="${code}"[\\s\\S]*?<td class="forecast"([^>]*)>`).exec(page)?.[1];
    expect(cell(live)).toMatch(/data-p80="\d{4}-\d{2}-\d{2}"/);
    expect(cell(gone)).toBe('');
  });
});
