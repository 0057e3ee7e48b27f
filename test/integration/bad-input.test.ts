import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_BODY_LIMIT_BYTES } from '../../api/app';
import { PROBLEM_TYPE_BASE, ProblemType } from '../../api/http-problem';
import { shippedCatalog } from '../../domain/catalog-data';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';

/**
 * Hand-written bad input (issue 6 §9), over real HTTP with a real worker, Temporal and PostgreSQL:
 * oversized bodies, wrong media types, malformed JSON, Unicode edge cases in names, SQL and script
 * injection, another department's key, a revoked key, path traversal, long headers, fields, departments
 * and items the API does not know (issue 12: refused and named, never dropped). Every refusal is a
 * problem+json with its stable type, and a refused request writes nothing: no workflow, no read-model
 * row, no audit entry, no idempotency record, the project's revision unchanged.
 */

let g: Greenlane;
const keys = { operator: '', secretary: '', leader: '', department: '', otherDepartment: '', revoked: '' };
let leader = '';
let code = ''; // a running project
let item = ''; // its first item, `department`'s
let department = '';

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  const sec = await g.keyFor('secretary', { person: 'bi-sec' });
  const lead = await g.keyFor('leader', { person: 'bi-leader' });
  keys.secretary = sec.key;
  keys.leader = lead.key;
  leader = lead.personId!;
  keys.operator = (await g.keyFor('operator')).key;
  code = `BI-${g.tag}`;
  expect((await register(code, '坏输入测试项目')).status).toBe(201);
  const live = await g.call('GET', `/projects/${code}`, keys.secretary);
  const first = live.body.plan.items.find((i: { prerequisites: string[] }) => i.prerequisites.length === 0);
  item = first.code;
  department = first.department;
  keys.department = (await g.keyFor('department', { department })).key;
  keys.otherDepartment = (
    await g.keyFor('department', { department: department === 'ZJ' ? 'FGW' : 'ZJ' })
  ).key;
  const doomed = await g.keyFor('department', { department });
  const id = doomed.key.split('_')[1]!;
  expect((await g.call('POST', `/keys/${id}/revoke`, keys.operator)).status).toBe(200);
  keys.revoked = doomed.key;
});
afterAll(async () => {
  await g?.stop();
});

/** Codes of the projects this file registered, for `settle`. */
const registered: string[] = [];

async function register(projectCode: string, name: string, key = keys.secretary) {
  const res = await g.call('POST', '/projects', key, {
    code: projectCode,
    name,
    templateId: 'gov-building',
    leader,
    targetStart: '2028-06-30',
  });
  if (res.status === 201) registered.push(projectCode);
  return res;
}

/** Waits until the read model has caught up with every project this file registered. */
async function settle() {
  for (let i = 0; i < 100; i++) {
    const rows = await g.db
      .selectFrom('projects')
      .select(['code', 'revision'])
      .where('code', 'in', registered)
      .execute();
    const stored = new Map(rows.map((r) => [r.code, r.revision]));
    let behind = false;
    for (const c of registered) {
      const live = await g.call('GET', `/projects/${c}`, keys.operator);
      if (stored.get(c) !== live.body.revision) behind = true;
    }
    if (!behind) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the read model did not catch up');
}

const decisions = () => `/projects/${code}/items/${item}/decisions`;

/** A request exactly as given: raw body, headers of our choosing, no JSON encoding. */
async function send(
  method: string,
  path: string,
  opts: { key?: string | null; body?: RequestInit['body']; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...opts.headers };
  const key = opts.key === undefined ? keys.secretary : opts.key;
  if (key) headers.authorization = `Bearer ${key}`;
  const init: RequestInit & { duplex?: 'half' } = { method, headers, body: opts.body };
  if (opts.body instanceof ReadableStream) init.duplex = 'half';
  const res = await fetch(g.url + path, init);
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, text, body };
}

type Answer = { status: number; headers: Headers; body: unknown };

/** The answer is a problem+json of this status (and type), under PROBLEM_TYPE_BASE. */
function expectProblem(res: Answer, status: number, type?: string) {
  const body = res.body as { type?: string; status?: number };
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(body.status).toBe(status);
  expect(body.type?.startsWith(PROBLEM_TYPE_BASE), body.type).toBe(true);
  if (type) expect(body.type).toBe(type);
}

/**
 * What a refused request must leave alone: this file's projects (every code ends with its tag), their
 * items and problems, the audit entries of its keys, each project's live revision. Idempotency records
 * are apart: a 4xx after the key check is the key's stored answer, by design (api/idempotency.ts).
 */
async function state() {
  const mine = `%-${g.tag}`;
  const myKeys = Object.values(keys).map((k) => k.split('_')[1]!);
  const n = (q: { executeTakeFirstOrThrow(): Promise<{ n: string | number | bigint }> }) =>
    q.executeTakeFirstOrThrow().then((r) => Number(r.n));
  const count = (table: 'projects' | 'project_items' | 'problems', column: 'code' | 'project_code') =>
    n(
      g.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        // biome-ignore lint/suspicious/noExplicitAny: the column exists in the table named beside it
        .where(column as any, 'like', mine),
    );
  const codes = (await g.db.selectFrom('projects').select('code').where('code', 'like', mine).execute()).map(
    (r) => r.code,
  );
  const revisions: Record<string, number> = {};
  for (const c of codes) revisions[c] = (await g.call('GET', `/projects/${c}`, keys.operator)).body.revision;
  return {
    projects: await count('projects', 'code'),
    items: await count('project_items', 'project_code'),
    problems: await count('problems', 'project_code'),
    audit: await n(
      g.db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('key_id', 'in', myKeys),
    ),
    revisions,
  };
}

async function idempotencyRecords(): Promise<number> {
  const myKeys = Object.values(keys).map((k) => k.split('_')[1]!);
  const r = await g.db
    .selectFrom('idempotency_keys')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('key_id', 'in', myKeys)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Runs `refused` and checks that nothing was written (once the read model would have caught up). */
async function writesNothing(refused: () => Promise<void>) {
  await settle();
  const before = await state();
  await refused();
  await new Promise((r) => setTimeout(r, 300));
  expect(await state()).toEqual(before);
}

describe('oversized bodies', () => {
  const big = (bytes: number) =>
    JSON.stringify({ code: `BIG-${g.tag}`, name: 'x'.repeat(bytes), templateId: 'gov-building', leader });

  it('answers 413 payload-too-large for a declared length over the limit, and writes nothing', async () => {
    const records = await idempotencyRecords();
    await writesNothing(async () => {
      const res = await send('POST', '/projects', {
        body: big(DEFAULT_BODY_LIMIT_BYTES + 1),
        headers: { 'content-type': 'application/json', 'idempotency-key': `big-${g.tag}` },
      });
      expectProblem(res, 413, ProblemType.payloadTooLarge);
      expect((res.body as { limit: number }).limit).toBe(DEFAULT_BODY_LIMIT_BYTES);
      expect(res.headers.get('connection')).toBe('close');
    });
    expect((await g.call('GET', `/projects/BIG-${g.tag}`, keys.operator)).status).toBe(404);
    // Refused before the key was claimed: a retry with a smaller body runs.
    expect(await idempotencyRecords()).toBe(records);
  });

  it('counts the bytes of a chunked body (no Content-Length) too', async () => {
    await writesNothing(async () => {
      const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 6) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const res = await send('POST', decisions(), {
        key: keys.department,
        body: stream,
        headers: { 'content-type': 'application/json', 'idempotency-key': `chunked-${g.tag}` },
      });
      expectProblem(res, 413, ProblemType.payloadTooLarge);
    });
  });

  it('limits bytes, not fields: a body under the limit with a 250 000-character name is a 422', async () => {
    await writesNothing(async () => {
      const res = await send('POST', '/projects', {
        body: big(250_000),
        headers: { 'content-type': 'application/json', 'idempotency-key': `long-${g.tag}` },
      });
      expectProblem(res, 422, ProblemType.validation);
    });
  });
});

describe('media types and malformed JSON', () => {
  const submit = JSON.stringify({ action: 'submit' });

  it('answers 415 for a body that is not JSON, and writes nothing', async () => {
    await writesNothing(async () => {
      for (const type of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/xml',
        'multipart/form-data; boundary=x',
      ]) {
        const res = await send('POST', decisions(), {
          body: submit,
          headers: { 'content-type': type, 'idempotency-key': `mt-${type.length}-${g.tag}` },
        });
        expectProblem(res, 415, ProblemType.unsupportedMediaType);
      }
      // A body without any Content-Type.
      const bare = await send('POST', decisions(), {
        body: new Blob([submit]),
        headers: { 'idempotency-key': `bare-${g.tag}` },
      });
      expectProblem(bare, 415, ProblemType.unsupportedMediaType);
    });
  });

  it('answers 422 when a required body is missing (no handler sees an empty object)', async () => {
    await writesNothing(async () => {
      for (const path of [decisions(), `/projects/${code}/plan`, `/projects/${code}/problems`, '/projects']) {
        const res = await send('POST', path, {
          key: keys.operator,
          headers: { 'idempotency-key': `none-${path}` },
        });
        expectProblem(res, 422, ProblemType.validation);
      }
    });
  });

  it('answers 400 for JSON that does not parse and 422 for JSON of the wrong shape, writing nothing', async () => {
    const unparsable = [
      '{"action":',
      '{"action":"submit"} trailing',
      "{'action':'submit'}",
      '{"action":"submit",}',
      '\u0000',
    ];
    const wrongShape = ['null', '[]', '"submit"', '42', '{"action":"launch"}', '{"action":["submit"]}'];
    await writesNothing(async () => {
      for (const [i, body] of unparsable.entries()) {
        const res = await send('POST', decisions(), {
          body,
          headers: { 'content-type': 'application/json', 'idempotency-key': `bad-${i}-${g.tag}` },
        });
        expectProblem(res, 400, ProblemType.malformedRequest);
      }
      for (const [i, body] of wrongShape.entries()) {
        const res = await send('POST', decisions(), {
          body,
          headers: { 'content-type': 'application/json', 'idempotency-key': `shape-${i}-${g.tag}` },
        });
        expectProblem(res, 422, ProblemType.validation);
      }
    });
  });

  it('survives JSON nested 50 000 deep, and a body that is not UTF-8', async () => {
    await writesNothing(async () => {
      const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
      const nested = await send('POST', decisions(), {
        body: deep,
        headers: { 'content-type': 'application/json', 'idempotency-key': `deep-${g.tag}` },
      });
      expectProblem(nested, 422, ProblemType.validation);
      const latin1 = new Uint8Array([
        ...new TextEncoder().encode('{"action":"submit","note":"'),
        0xe9,
        0x22,
        0x7d,
      ]);
      const notUtf8 = await send('POST', decisions(), {
        body: latin1,
        headers: { 'content-type': 'application/json', 'idempotency-key': `latin1-${g.tag}` },
      });
      expectProblem(notUtf8, 400, ProblemType.malformedRequest);
    });
  });

  it('takes application/json with a charset parameter', async () => {
    const res = await send('POST', '/projects', {
      body: JSON.stringify({ code: `CS-${g.tag}`, name: '字符集参数', templateId: 'gov-building', leader }),
      headers: { 'content-type': 'application/json; charset=utf-8', 'idempotency-key': `cs-${g.tag}` },
    });
    expect(res.status, res.text).toBe(201);
    registered.push(`CS-${g.tag}`);
  });
});

describe('unknown fields, departments and items (422 naming the field)', () => {
  type FieldErrors = { errors: { in: string; path: string; code: string }[] };
  /** Each field error as `in:path`, in the order the problem lists them. */
  const fields = (res: Answer) => (res.body as FieldErrors).errors.map((e) => `${e.in}:${e.path}`);

  it('refuses a field a body does not have, naming it, on every kind of body, and writes nothing', async () => {
    await writesNothing(async () => {
      // A decision with a time of its own: the workflow takes the decision's time, so it would be lost.
      const decision = await g.call('POST', decisions(), keys.department, {
        action: 'accept',
        acceptedAt: '2026-01-05T09:00:00+08:00',
        withGapz: true,
      });
      expectProblem(decision, 422, ProblemType.validation);
      expect(fields(decision)).toEqual(['body:acceptedAt', 'body:withGapz']);
      expect(decision.body.errors[0]).toMatchObject({
        code: 'unrecognized_keys',
        message: 'unknown field acceptedAt',
      });
      // The item and the actor come from the path and the key, never from the body.
      const routed = await g.call('POST', decisions(), keys.secretary, {
        action: 'submit',
        item,
        actor: 'x',
      });
      expect(fields(routed)).toEqual(['body:item', 'body:actor']);

      const extra = await g.call('POST', '/projects', keys.secretary, {
        code: `EXTRA2-${g.tag}`,
        name: '多余字段',
        templateId: 'gov-building',
        leader,
        owner: '市卫健委',
      });
      expectProblem(extra, 422, ProblemType.validation);
      expect(fields(extra)).toEqual(['body:owner']);
      expect((await g.call('GET', `/projects/EXTRA2-${g.tag}`, keys.operator)).status).toBe(404);

      const raise = await g.call('POST', `/projects/${code}/problems`, keys.secretary, {
        title: '电力迁改',
        description: '线路迁改',
        severity: 'high',
      });
      expect(fields(raise)).toEqual(['body:severity']);
      const acknowledge = await g.call('POST', `/escalations/${code}%2FX%2F1/acknowledge`, keys.operator, {
        instruction: '请加快',
        urgent: true,
      });
      expect(fields(acknowledge)).toEqual(['body:urgent']);
      const log = await g.call('POST', `/projects/${code}/service-log`, keys.secretary, {
        date: '2026-01-05',
        contactType: 'phone',
        participants: ['王秘书'],
        outcome: '电话沟通',
        duration: 30,
      });
      expect(fields(log)).toEqual(['body:duration']);
      // An import of a project under way, down to a decision of its history.
      const imported = await g.call('POST', '/projects/import?dryRun=true', keys.operator, {
        code: `IMP-${g.tag}`,
        name: '存量项目',
        templateId: 'gov-building',
        leader,
        secretary: 'bi-sec',
        registeredOn: '2026-09-01',
        history: [{ on: '2026-09-02', item, row: 2, decision: { action: 'submit', submittedAt: '09:00' } }],
      });
      expectProblem(imported, 422, ProblemType.validation);
      expect(fields(imported).sort()).toEqual(['body:history.0.decision.submittedAt', 'body:history.0.row']);
      // A query parameter the route does not take (a misspelt filter would list every project).
      const list = await g.call('GET', '/projects?overdu=true', keys.operator);
      expectProblem(list, 422, ProblemType.validation);
      expect(fields(list)).toEqual(['query:overdu']);
    });
  });

  it('refuses an unknown field inside a plan amendment instead of dropping it, and the plan stays as it was', async () => {
    const live = await g.call('GET', `/projects/${code}`, keys.secretary);
    const inPlan = new Set(live.body.plan.items.map((i: { code: string }) => i.code));
    // A catalog item the gov-building template does not need.
    const outside = shippedCatalog.items.find((i) => i.code === 'LIGHTNING-DESIGN')!;
    expect(inPlan.has(outside.code)).toBe(false);
    await writesNothing(async () => {
      const amend = (tailoring: unknown, extra: Record<string, unknown> = {}) =>
        g.call('POST', `/projects/${code}/plan`, keys.secretary, { tailoring, reason: '调整', ...extra });
      // The department is the catalog's: a caller who sends another must hear it was not taken.
      const withDepartment = await amend({ add: [{ code: outside.code, department: 'GAJ' }] });
      expectProblem(withDepartment, 422, ProblemType.validation);
      expect(fields(withDepartment)).toEqual(['body:tailoring.add.0.department']);
      const limit = await amend({
        overrideLimits: [{ code: item, committedLimit: { days: 5, dayType: 'working', unit: 'day' } }],
      });
      expect(fields(limit)).toEqual(['body:tailoring.overrideLimits.0.committedLimit.unit']);
      expect(fields(await amend({ skip: [item] }))).toEqual(['body:tailoring.skip']);
      expect(fields(await amend({ waive: [] }, { reasons: 'x' }))).toEqual(['body:reasons']);
    });
    const after = await g.call('GET', `/projects/${code}`, keys.secretary);
    expect(after.body.plan).toEqual(live.body.plan);
  });

  it('refuses item codes the catalog or the plan does not have, at their own field', async () => {
    const live = await g.call('GET', `/projects/${code}`, keys.secretary);
    const inPlan = new Set(live.body.plan.items.map((i: { code: string }) => i.code));
    const outside = shippedCatalog.items.find((i) => !inPlan.has(i.code))!;
    await writesNothing(async () => {
      const amend = await g.call('POST', `/projects/${code}/plan`, keys.secretary, {
        tailoring: { waive: [item, 'NO-SUCH-ITEM'], add: [{ code: outside.code, prerequisites: ['NOPE'] }] },
        reason: '调整',
      });
      expectProblem(amend, 422, ProblemType.validation);
      expect(fields(amend)).toEqual(['body:tailoring.waive.1', 'body:tailoring.add.0.prerequisites.0']);
      expect(amend.body.errors[0].message).toBe(
        `NO-SUCH-ITEM is not an item of catalog ${shippedCatalog.version}`,
      );
      const registration = await g.call('POST', '/projects', keys.secretary, {
        code: `ITEM-${g.tag}`,
        name: '未知事项',
        templateId: 'gov-building',
        leader,
        tailoring: { waive: ['NO-SUCH-ITEM'] },
      });
      expect(fields(registration)).toEqual(['body:tailoring.waive.0']);
      expect((await g.call('GET', `/projects/ITEM-${g.tag}`, keys.operator)).status).toBe(404);
      // A catalog item this project's plan does not hold cannot be blocked by one of its problems.
      for (const blocksItem of [outside.code, 'NO-SUCH-ITEM']) {
        const raise = await g.call('POST', `/projects/${code}/problems`, keys.secretary, {
          title: '用地红线',
          description: '红线不一致',
          blocksItem,
        });
        expectProblem(raise, 422, ProblemType.validation);
        expect(fields(raise)).toEqual(['body:blocksItem']);
      }
    });
  });

  it('refuses departments the directory does not have, naming the field, and creates nothing', async () => {
    await writesNothing(async () => {
      const raise = await g.call('POST', `/projects/${code}/problems`, keys.secretary, {
        title: '交通管制',
        description: '施工便道需交警审批',
        ownerDepartment: 'GAJ',
      });
      expectProblem(raise, 422, ProblemType.validation);
      expect(fields(raise)).toEqual(['body:ownerDepartment']);
      expect(raise.body.errors[0]).toMatchObject({
        code: 'not_in_directory',
        message: 'no department GAJ in the directory',
      });
      const returns = await g.call('GET', '/reports/returns?department=GAJ', keys.operator);
      expectProblem(returns, 422, ProblemType.validation);
      expect(fields(returns)).toEqual(['query:department']);
      const queue = await g.call('GET', '/departments/GAJ/queue', keys.operator);
      expectProblem(queue, 422, ProblemType.validation);
      expect(fields(queue)).toEqual(['path:department']);
    });
    const live = await g.call('GET', `/projects/${code}/problems`, keys.secretary);
    expect(
      live.body.problems.filter((p: { ownerDepartment?: string }) => p.ownerDepartment === 'GAJ'),
    ).toEqual([]);
  });

  it('refuses a key for an unknown department or with an unknown field, naming it, and issues none', async () => {
    const issued = () =>
      g.db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('label', '=', `strict ${g.tag}`)
        .executeTakeFirstOrThrow()
        .then((r) => Number(r.n));
    const unknown = await g.call('POST', '/keys', keys.operator, {
      role: 'department',
      department: 'GAJ',
      label: `strict ${g.tag}`,
    });
    expectProblem(unknown, 422, ProblemType.validation);
    expect(fields(unknown)).toEqual(['body:department']);
    const extra = await g.call('POST', '/keys', keys.operator, {
      role: 'department',
      department,
      label: `strict ${g.tag}`,
      expiresAt: '2027-01-01',
    });
    expect(fields(extra)).toEqual(['body:expiresAt']);
    expect(await issued()).toBe(0);
  });
});

describe('unicode in names', () => {
  // Stored and returned exactly as sent: no normalisation (NFC would merge the combining accent).
  const kept: [string, string][] = [
    ['emoji', '🏗️ 市一院新院区 🏥'],
    ['zero-width joiner sequences', '👷‍♀️👨‍👩‍👧 施工队'],
    ['RTL marks and embeddings', 'مستشفى\u200F 医院 \u202Bembedded\u202C'],
    ['combining characters', 'Cafe\u0301 z\u0351\u0352\u0353 项目'],
    ['CJK Extension B, 4 bytes in UTF-8', '𠀀𠀁𪚥𤭢 工程'],
    ['zero-width space and BOM inside the name', 'a\u200Bb\uFEFFc'],
  ];

  it.each(kept)(
    'stores %s and returns them unchanged from the workflow, the read model and the dashboard',
    async (_, name) => {
      const projectCode = `UNI-${kept.findIndex(([, n]) => n === name)}-${g.tag}`;
      const res = await register(projectCode, name);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const live = await g.call('GET', `/projects/${projectCode}`, keys.secretary);
      expect(live.body.profile.name).toBe(name);
      const row = await until(
        () => g.db.selectFrom('projects').select('name').where('code', '=', projectCode).executeTakeFirst(),
        (r) => r !== undefined,
      );
      expect(row?.name).toBe(name);
      const listed = await g.call('GET', '/projects', keys.secretary);
      expect(listed.body.projects.find((p: { code: string }) => p.code === projectCode)?.name).toBe(name);
      const page = await dashboard(`/ui/projects/${projectCode}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain(name);
    },
  );

  it('refuses U+0000 and unpaired surrogates with 422 before anything starts', async () => {
    const refused: [string, string][] = [
      ['NUL', 'a\u0000b'],
      ['a lone high surrogate', 'a\ud800b'],
      ['a lone low surrogate', '\udc00'],
    ];
    await writesNothing(async () => {
      for (const [i, [, name]] of refused.entries()) {
        const projectCode = `BAD-${i}-${g.tag}`;
        const res = await register(projectCode, name);
        expectProblem(res, 422, ProblemType.validation);
        expect((res.body as { errors: { in: string; path: string }[] }).errors).toContainEqual(
          expect.objectContaining({ in: 'body', path: 'name', code: 'unstorable_text' }),
        );
        expect((await g.call('GET', `/projects/${projectCode}`, keys.operator)).status).toBe(404);
      }
      const title = await g.call('POST', `/projects/${code}/problems`, keys.secretary, {
        title: '红线\u0000问题',
        description: 'x',
      });
      expectProblem(title, 422, ProblemType.validation);
      const key = await g.call('POST', `/projects/${code}/problems`, keys.secretary, {
        title: 't',
        description: 'x',
        'bad\u0000key': 1,
      });
      expectProblem(key, 422, ProblemType.validation);
      const query = await send('PUT', '/calendars/2027?source=a%00b', {
        key: keys.operator,
        body: JSON.stringify({ year: 2027, papers: [], days: [] }),
        headers: { 'content-type': 'application/json', 'idempotency-key': `nul-q-${g.tag}` },
      });
      expectProblem(query, 422, ProblemType.validation);
      const path = await send('POST', '/escalations/a%00b/acknowledge', {
        key: keys.leader,
        body: JSON.stringify({ instruction: '请加快' }),
        headers: { 'content-type': 'application/json', 'idempotency-key': `nul-p-${g.tag}` },
      });
      expectProblem(path, 422, ProblemType.validation);
    });
  });

  it('trims white space around a name and keeps it inside', async () => {
    const projectCode = `TRIM-${g.tag}`;
    expect((await register(projectCode, '  \u3000 新  院区 \n')).status).toBe(201);
    expect((await g.call('GET', `/projects/${projectCode}`, keys.secretary)).body.profile.name).toBe(
      '新  院区',
    );
  });
});

describe('dates at the edges', () => {
  it('refuses years PostgreSQL or Date.UTC cannot hold with a 4xx problem, never a 500', async () => {
    for (const path of [
      '/escalations?since=0000-01-01',
      '/escalations?since=0000-01-01T00:00:00Z',
      '/escalations?since=9999-12-31T23:59:59%2B08:00',
      '/escalations?since=275761-01-01',
      '/reports/departments/monthly?month=0000-01',
      '/reports/departments/monthly?month=0099-12',
      '/reports/annual-plan?year=0',
      '/reports/annual-plan?year=1e400',
      '/calendars/0',
    ]) {
      const res = await g.call('GET', path, keys.operator);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBeLessThan(500);
      if (res.status >= 400) expectProblem(res, res.status);
    }
    // Registration plans between 2000 and 2099; a date anywhere is a LocalDate from year 0001.
    for (const [field, date] of [
      ['targetStart', '0000-01-01'],
      ['targetStart', '0001-01-01'],
      ['targetStart', '1999-12-31'],
      ['targetStart', '9999-12-31'],
      ['start', '0000-01-01'],
      ['start', '2100-01-01'],
    ] as const) {
      const projectCode = `DATE-${field}-${date.slice(0, 4)}-${g.tag}`;
      const res = await g.call('POST', '/projects', keys.secretary, {
        code: projectCode,
        name: '日期边界',
        templateId: 'gov-building',
        leader,
        [field]: date,
      });
      expectProblem(res, 422, ProblemType.validation);
      expect([...new Set(res.body.errors.map((e: { path: string }) => e.path))]).toEqual([field]);
      expect((await g.call('GET', `/projects/${projectCode}`, keys.operator)).status).toBe(404);
    }
    const yearZero = await g.call('POST', `/projects/${code}/service-log`, keys.secretary, {
      date: '0000-01-01',
      contactType: 'phone',
      participants: ['王秘书'],
      outcome: '日期边界',
    });
    expectProblem(yearZero, 422, ProblemType.validation);
    await settle();
  });
});

describe('injection', () => {
  it('stores SQL as text and never runs it', async () => {
    const name = "'); DROP TABLE projects;--";
    const projectCode = `SQL-${g.tag}`;
    expect((await register(projectCode, name)).status).toBe(201);
    expect((await g.call('GET', `/projects/${projectCode}`, keys.secretary)).body.profile.name).toBe(name);
    const row = await until(
      () => g.db.selectFrom('projects').select('name').where('code', '=', projectCode).executeTakeFirst(),
      (r) => r !== undefined,
    );
    expect(row?.name).toBe(name);
    const raised = await g.call('POST', `/projects/${projectCode}/problems`, keys.secretary, {
      title: "1' OR '1'='1",
      description: 'x"; DELETE FROM audit_log; --',
    });
    expect(raised.status).toBe(201);
    expect(raised.body.problem.title).toBe("1' OR '1'='1");
    // In filters: never SQL — a department that is not a department code, and a malformed id, are 422s.
    const returns = await g.call(
      'GET',
      `/reports/returns?department=${encodeURIComponent("' OR '1'='1")}`,
      keys.operator,
    );
    expectProblem(returns, 422);
    expect(returns.body.errors.map((e: { path: string }) => e.path)).toEqual(['department']);
    expectProblem(
      await g.call('GET', `/projects?leader=${encodeURIComponent("x' OR 1=1--")}`, keys.operator),
      422,
    );
    expectProblem(await g.call('GET', `/projects/${encodeURIComponent("x' OR '1'='1")}`, keys.operator), 422);
    // Still there, all of it.
    expect((await g.call('GET', '/projects', keys.operator)).body.projects.length).toBeGreaterThan(3);
  });

  it('stores script as text and escapes it in the dashboard HTML', async () => {
    const name = '<script>alert(1)</script>';
    const title = '<img src=x onerror=alert(1)>';
    const projectCode = `XSS-${g.tag}`;
    expect((await register(projectCode, name)).status).toBe(201);
    expect((await g.call('GET', `/projects/${projectCode}`, keys.secretary)).body.profile.name).toBe(name);
    const raised = await g.call('POST', `/projects/${projectCode}/problems`, keys.secretary, {
      title,
      description: name,
    });
    expect(raised.body.problem.title).toBe(title);

    const page = await dashboard(`/ui/projects/${projectCode}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).not.toContain(name);
    expect(page.text).not.toContain(title);
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page.text).toMatch(/<title>[^<]*&lt;script&gt;/);

    await until(
      () => g.db.selectFrom('projects').select('name').where('code', '=', projectCode).executeTakeFirst(),
      (r) => r !== undefined,
    );
    const board = await dashboard('/ui');
    expect(board.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(board.text).not.toContain(name);
  });
});

describe('keys', () => {
  it("answers 403 to another department's key, and writes nothing", async () => {
    await writesNothing(async () => {
      const accept = await g.call('POST', decisions(), keys.otherDepartment, { action: 'accept' });
      expectProblem(accept, 403, ProblemType.forbidden);
      expectProblem(await g.call('GET', `/departments/${department}/queue`, keys.otherDepartment), 403);
      expectProblem(await g.call('GET', `/projects/${code}`, keys.otherDepartment), 403);
    });
  });

  it('answers 401 to a revoked key, on the API and the dashboard, and writes nothing', async () => {
    await writesNothing(async () => {
      const me = await g.call('GET', '/me', keys.revoked);
      expectProblem(me, 401, ProblemType.unauthorized);
      expect(me.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(me.body.detail).toContain('revoked');
      expectProblem(await g.call('POST', decisions(), keys.revoked, { action: 'accept' }), 401);
      // The dashboard does not sign it in: sent back to the form, no session.
      await expect(g.uiCookie(keys.revoked)).rejects.toThrow('signing in to the dashboard failed: HTTP 303');
    });
  });

  it('answers 401 to a malformed or foreign Authorization header', async () => {
    for (const authorization of [
      'Bearer gl_nope',
      'Basic dXNlcjpwYXNz',
      'Bearer',
      `Bearer ${'a'.repeat(8000)}`,
    ]) {
      const res = await send('GET', '/me', { key: null, headers: { authorization } });
      expectProblem(res, 401, ProblemType.unauthorized);
    }
  });
});

describe('paths and headers', () => {
  it('refuses path traversal in ids with a 4xx problem and serves no file', async () => {
    const traversal = '..%2F..%2Fetc%2Fpasswd';
    for (const [path, status] of [
      [`/projects/${traversal}`, 422],
      [`/projects/${traversal}/audit`, 422],
      [`/projects/${code}/items/${traversal}/decisions`, 422],
      [`/departments/${traversal}/queue`, 422],
      [`/templates/${traversal}`, 404],
      [`/reports/leaders/${traversal}/projects`, 422],
      [`/calendars/${traversal}`, 422],
    ] as const) {
      const method = path.endsWith('/decisions') ? 'POST' : 'GET';
      const res = await send(method, path, {
        key: keys.operator,
        ...(method === 'POST'
          ? {
              body: '{"action":"submit"}',
              headers: { 'content-type': 'application/json', 'idempotency-key': `tr-${g.tag}` },
            }
          : {}),
      });
      expectProblem(res, status);
      expect(res.text).not.toContain('root:');
    }
    const escalation = await send('POST', `/escalations/${traversal}/acknowledge`, {
      key: keys.operator,
      body: JSON.stringify({ instruction: '请加快' }),
      headers: { 'content-type': 'application/json', 'idempotency-key': `tr-esc-${g.tag}` },
    });
    expectProblem(escalation, 404);
    const page = await dashboard(`/ui/projects/${traversal}`);
    expect(page.status).toBeGreaterThanOrEqual(400);
    expect(page.status).toBeLessThan(500);
    // Dot segments as sent on the wire (fetch would resolve them): hono routes the path as it is.
    for (const raw of [
      '/projects/../../etc/passwd',
      '/../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/ui/../../etc/passwd',
    ]) {
      const res = await rawGet(raw, keys.operator);
      expect(res.status, raw).toBeGreaterThanOrEqual(400);
      expect(res.status, raw).toBeLessThan(500);
      expect(res.body).not.toContain('root:');
    }
  });

  it('checks the Idempotency-Key: 200 visible ASCII characters pass, longer or other characters are 400', async () => {
    await writesNothing(async () => {
      for (const key of ['k'.repeat(201), 'k'.repeat(8_000), 'with space', 'clé', '']) {
        const res = await send('POST', decisions(), {
          key: keys.department,
          body: JSON.stringify({ action: 'accept' }),
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
        });
        expectProblem(res, 400);
        expect((res.body as { type: string }).type).toMatch(/idempotency-key-(invalid|missing)$/);
      }
    });
    const ok = await send('POST', '/projects', {
      body: JSON.stringify({ code: `IK-${g.tag}`, name: '幂等键长度', templateId: 'gov-building', leader }),
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k'.repeat(200) },
    });
    expect(ok.status, ok.text).toBe(201);
    registered.push(`IK-${g.tag}`);
  });

  it('does not echo a long or odd X-Request-Id, and survives headers larger than Node accepts', async () => {
    for (const id of ['r'.repeat(10_000), '<script>alert(1)</script>']) {
      const res = await send('GET', '/me', { headers: { 'x-request-id': id } });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).not.toBe(id);
      expect(res.headers.get('x-request-id')!.length).toBeLessThanOrEqual(255);
    }
    // Past Node's 16 KiB header limit the HTTP parser answers 431 itself, before the app (not a problem+json).
    const huge = await send('GET', '/me', { headers: { 'x-padding': 'p'.repeat(20_000) } });
    expect(huge.status).toBe(431);
    expect((await g.call('GET', '/me', keys.secretary)).status).toBe(200);
  });

  it('answers 405 with Allow for a method a path does not take, and writes nothing', async () => {
    await writesNothing(async () => {
      const del = await send('DELETE', `/projects/${code}`, { key: keys.operator });
      expectProblem(del, 405, ProblemType.methodNotAllowed);
      expect(del.headers.get('allow')).toBe('GET, HEAD');
      const put = await send('PUT', decisions(), {
        key: keys.department,
        body: JSON.stringify({ action: 'accept' }),
        headers: { 'content-type': 'application/json', 'idempotency-key': `put-${g.tag}` },
      });
      expectProblem(put, 405, ProblemType.methodNotAllowed);
      expect(put.headers.get('allow')).toBe('POST');
      // Unknown paths stay 404, whatever the method.
      expectProblem(await send('DELETE', '/nowhere', { key: null }), 404, ProblemType.notFound);
    });
  });
});

/** A dashboard page in a session signed in with the key; redirects are not followed. */
async function dashboard(path: string, key = keys.secretary) {
  const cookie = await g.uiCookie(key);
  const res = await fetch(g.url + path, { headers: { cookie }, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A GET with the path exactly as given (no dot-segment resolution). */
function rawGet(path: string, key: string): Promise<{ status: number; body: string }> {
  const url = new URL(g.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'GET',
        headers: { authorization: `Bearer ${key}` },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting for the read model');
}
