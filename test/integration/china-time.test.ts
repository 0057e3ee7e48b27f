import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { until } from '../helpers/until';

/**
 * Issue 21, China time everywhere, over real HTTP (real worker, Temporal dev server, PostgreSQL): every
 * answer with a deadline carries its China date beside the instant, a problem's typed deadline reads as
 * that day on the API and the page, TargetStartDate compares as operators type dates, the answers match
 * the OpenAPI document (GET /projects/{code} has a real schema), the ledger shows a decision the moment it
 * is answered, and a same-day item's rungLevel 1 is the reminder passed over, not a reminder lost.
 */

let g: Greenlane;
const keys: Record<string, string> = {};
let leader = '';
const thisYear = new Date().getUTCFullYear();
/** Target start and a problem's deadline, always in the future. */
const target = `${thisYear + 1}-07-07`;
const typedDeadline = `${thisYear + 1}-01-01`;
const code = () => `CT-${g.tag}`;

// biome-ignore lint/suspicious/noExplicitAny: the document is walked as plain JSON
type Json = any;
let doc: Json;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  const sec = await g.keyFor('secretary', { person: 'sec-ct' });
  const lead = await g.keyFor('leader', { person: 'leader-ct' });
  keys.secretary = sec.key;
  keys.leader = lead.key;
  keys.operator = (await g.keyFor('operator')).key;
  leader = lead.personId!;
  doc = (await g.call('GET', '/openapi.json', null)).body;
  ajv.addSchema({ $id: 'components', $defs: refsToComponents(doc.components.schemas) });
  const registered = await g.call('POST', '/projects', keys.secretary, {
    code: code(),
    name: '智能装备产业园二期',
    templateId: 'social-industrial',
    leader,
    targetStart: target,
  });
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
});
afterAll(async () => {
  await g?.stop();
});

async function departmentKey(department: string): Promise<string> {
  keys[department] ??= (await g.keyFor('department', { department })).key;
  return keys[department]!;
}

function refsToComponents(schema: Json): Json {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"components#/$defs/'));
}

/** The answer matches the 200 schema the document gives for this operation. */
function expectDocumented(method: 'get' | 'post', path: string, body: unknown, status = '200'): void {
  const schema = doc.paths[path][method].responses[status].content['application/json'].schema;
  const validate = ajv.compile(refsToComponents(schema));
  expect(validate(body), `${method.toUpperCase()} ${path}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

/** 00:00 China time of the day after `date`, the instant a deadline ending on `date` is stored as. */
const endOf = (date: string) => `${date}T16:00:00.000Z`;

async function decide(item: string, department: string | null, body: Record<string, unknown>) {
  const key = department === null ? keys.secretary! : await departmentKey(department);
  const res = await g.call('POST', `/projects/${code()}/items/${item}/decisions`, key, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expectDocumented('post', '/projects/{code}/items/{item}/decisions', res.body);
  return res.body;
}

describe('China dates beside every deadline instant', () => {
  it('answers decisions, the live state, the queue and the ledger with dueDate beside dueAt', async () => {
    await decide('ENTERPRISE-FILING', null, { action: 'submit' });
    await decide('ENTERPRISE-FILING', 'FGW', { action: 'accept' });
    const filed = await decide('ENTERPRISE-FILING', 'FGW', { action: 'approve', documentNo: '备案〔1〕号' });
    expect(filed.opened).toContain('LAND-PREEXAM');
    await decide('LAND-PREEXAM', null, { action: 'submit' });
    const live0 = await g.call('GET', `/projects/${code()}`, keys.operator!);
    const department: string = live0.body.plan.items.find(
      (i: { code: string }) => i.code === 'LAND-PREEXAM',
    ).department;
    const accepted = await decide('LAND-PREEXAM', department, { action: 'accept' });
    const { dueAt, dueDate } = accepted.item as { dueAt: string; dueDate: string };
    expect(dueDate).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(dueAt).toBe(endOf(dueDate));

    const live = await g.call('GET', `/projects/${code()}`, keys.operator!);
    expect(live.status).toBe(200);
    expectDocumented('get', '/projects/{code}', live.body);
    expect(live.body.items['LAND-PREEXAM']).toMatchObject({ dueAt, dueDate });

    const queue = await g.call('GET', `/departments/${department}/queue`, await departmentKey(department));
    expectDocumented('get', '/departments/{department}/queue', queue.body);
    const row = queue.body.items.find((i: { projectCode: string }) => i.projectCode === code());
    expect(row).toMatchObject({ item: 'LAND-PREEXAM', dueAt, dueDate });

    const ledger = await g.call('GET', `/reports/projects/${code()}/ledger`, keys.operator!);
    expectDocumented('get', '/reports/projects/{code}/ledger', ledger.body);
    const line = ledger.body.items.find((i: { itemCode: string }) => i.itemCode === 'LAND-PREEXAM');
    expect(line).toMatchObject({ dueAt, dueDate });
  });

  it('lists a problem whose deadline was typed as a date as that date, on the API and the page', async () => {
    const raised = await g.call('POST', `/projects/${code()}/problems`, keys.secretary!, {
      title: '高压线迁改',
      description: '地块内 110kV 线路需迁改',
      ownerDepartment: 'FGW',
      deadline: typedDeadline,
    });
    expect(raised.status, JSON.stringify(raised.body)).toBe(201);
    expectDocumented('post', '/projects/{code}/problems', raised.body, '201');
    const id: string = raised.body.problem.id;
    const expected = { deadlineAt: endOf(typedDeadline), deadlineDate: typedDeadline };
    expect(raised.body.problem).toMatchObject(expected);

    const listed = await g.call('GET', `/projects/${code()}/problems`, keys.secretary!);
    expectDocumented('get', '/projects/{code}/problems', listed.body);
    expect(listed.body.problems.find((p: { id: string }) => p.id === id)).toMatchObject(expected);
    const live = await g.call('GET', `/projects/${code()}`, keys.secretary!);
    expect(live.body.problems[id]).toMatchObject(expected);

    // The project page: the typed day, the status in Chinese, no UTC instant anywhere.
    const page = await fetch(`${g.url}/ui/projects/${code()}`, {
      headers: { cookie: await g.uiCookie(keys.secretary!) },
    });
    const html = await page.text();
    const problemRow = html.match(new RegExp(`<tr><td>${id}</td>.*?</tr>`))?.[0] ?? '';
    expect(problemRow).toContain(`<td>${typedDeadline}</td><td>已交办</td>`);
    expect(html).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    expect(html).not.toMatch(/>(assigned|accepted|submitted|approved)</);
  });
});

describe('TargetStartDate in the Temporal UI', () => {
  it('finds a target of 7 July with the day\'s range, and leaves it out of `< "…07-07T00:00:00Z"`', async () => {
    const list = async (query: string) => {
      const found: string[] = [];
      for await (const w of g.client.workflow.list({ query: `ProjectCode = "${code()}" AND ${query}` })) {
        found.push(w.workflowId);
      }
      return found;
    };
    const day = (d: string) => `"${d}T00:00:00Z"`;
    const next = `${thisYear + 1}-07-08`;
    const before = `${thisYear + 1}-07-06`;
    const mine = [`project-${code()}`];
    // The queries README recommends; they hold on the dev server's SQLite visibility as on PostgreSQL's
    // (SQLite compares datetimes as text, so `=` and `<=` miss a value at a whole second there).
    const onTheDay = `TargetStartDate >= ${day(target)} AND TargetStartDate < ${day(next)}`;
    await until(
      () => list(onTheDay),
      (f) => f.length === 1,
      'visibility to list the project',
    );
    expect(await list(onTheDay)).toEqual(mine);
    expect(await list(`TargetStartDate < ${day(target)}`)).toEqual([]);
    expect(await list(`TargetStartDate < ${day(next)}`)).toEqual(mine);
    expect(await list(`TargetStartDate >= ${day(target)}`)).toEqual(mine);
    expect(await list(`TargetStartDate >= ${day(before)} AND TargetStartDate < ${day(target)}`)).toEqual([]);
    // What the workflow stored: the date itself at 00:00 UTC (not 16:00Z the day before).
    const described = await g.client.workflow.getHandle(mine[0]!).describe();
    expect(described.searchAttributes.TargetStartDate).toEqual([new Date(`${target}T00:00:00Z`)]);
  });
});

describe('the ledger after a decision', () => {
  it('shows each approval the moment its answer returned (read your own write)', async () => {
    const live = await g.call('GET', `/projects/${code()}`, keys.operator!);
    const ready = Object.values(live.body.items as Record<string, { code: string; status: string }>)
      .filter((i) => i.status === 'ready')
      .map((i) => i.code);
    expect(ready.length).toBeGreaterThan(2);
    const departmentOf = (item: string): string =>
      live.body.plan.items.find((i: { code: string }) => i.code === item).department;
    for (const item of ready) {
      await decide(item, null, { action: 'submit' });
      await decide(item, departmentOf(item), { action: 'accept' });
      const approved = await decide(item, departmentOf(item), { action: 'approve', documentNo: `${item}-1` });
      const ledger = await g.call('GET', `/reports/projects/${code()}/ledger`, keys.operator!);
      expect(ledger.body.upToDate).toBe(true);
      expect(ledger.body.revision).toBeGreaterThanOrEqual(approved.revision);
      const line = ledger.body.items.find((i: { itemCode: string }) => i.itemCode === item);
      expect(line.status, item).toBe('approved');
    }
  });
});

describe('rungLevel 1 without a reminder', () => {
  it('is a same-day item’s reminder passed over: it was due before the item was accepted', async () => {
    // ENTERPRISE-FILING (即办) was accepted and approved above: due the day it was accepted, its reminder
    // fell at the end of the working day before, ahead of the clock, and told no one.
    const live = await g.call('GET', `/projects/${code()}`, keys.operator!);
    expect(live.body.items['ENTERPRISE-FILING']).toMatchObject({ status: 'approved', rungLevel: 1 });
    const ledger = await g.call('GET', `/reports/projects/${code()}/ledger`, keys.operator!);
    expect(ledger.body.upToDate).toBe(true);
    const inbox = await g.call('GET', `/escalations?project=${code()}&limit=200`, keys.operator!);
    expect(inbox.status).toBe(200);
    expect(inbox.body.escalations).toEqual([]);
    const description: string = doc.components.schemas.ProjectItem.properties.rungLevel.description;
    expect(description).toContain('passed over');
  });
});
