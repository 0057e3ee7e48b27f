import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseKey } from '../../api/auth/key-material';
import type { Role } from '../../api/auth/principal';
import { ProblemType } from '../../api/http-problem';
import { jsonb } from '../../db/schema';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import {
  CALLER_LABELS,
  CALLERS,
  type Caller,
  type Case,
  casesOf,
  type Expected,
  type Fixture,
  RULES,
} from './role-matrix.rules';

/**
 * The role × route authorization matrix over real HTTP against the real stack (PostgreSQL, Temporal, the
 * worker, the API). Every operation of GET /openapi.json must have a rule in role-matrix.rules.ts, and
 * every rule an operation; each rule's requests are sent as each caller and the answers compared with
 * the rule. The whole matrix is printed at the end for the record.
 */

let g: Greenlane;
const f = {} as Fixture;
const keys = {} as Record<Exclude<Caller, 'anonymous'>, string>;
let documented: string[] = [];
/** Row (operation and case) → caller → status, for the printed table; `!` marks an unexpected answer. */
const table = new Map<string, Partial<Record<Caller, string>>>();

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });

  const doc = (await (await fetch(`${g.url}/openapi.json`)).json()) as { paths: object };
  documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m] !== undefined).map((m) => `${m.toUpperCase()} ${path}`),
  );

  const person = async (caller: Exclude<Caller, 'anonymous'>, role: Role, department?: string) => {
    const k = await g.keyFor(role, { person: `rm-${caller}`, department });
    keys[caller] = k.key;
    return k.personId!;
  };
  f.secretary = await person('secretary', 'secretary');
  await person('otherSecretary', 'secretary');
  f.leader = await person('leader', 'leader');
  await person('otherLeader', 'leader');
  await person('operator', 'operator');
  await person('admin', 'admin');

  f.project = `RM-${g.tag}`;
  const reg = await send('POST', '/projects', keys.secretary, {
    code: f.project,
    name: '权限矩阵测试项目',
    templateId: 'social-industrial',
    leader: f.leader,
  });
  expect(reg.status, JSON.stringify(reg.body)).toBe(201);
  const live = await send('GET', `/projects/${f.project}`, keys.secretary);
  const items: { code: string; department: string; prerequisites: string[] }[] = live.body.plan.items;
  const first = items.find((i) => i.prerequisites.length === 0)!;
  f.department = first.department;
  f.item = first.code;
  f.otherItem = items.find((i) => i.department !== f.department)!.code;
  const inPlan = new Set(items.map((i) => i.department));
  const outsider = (await g.db.selectFrom('departments').select('code').orderBy('code').execute())
    .map((d) => d.code)
    .find((d) => !inPlan.has(d))!;
  await person('deptWithItems', 'department', f.department);
  await person('deptWithoutItems', 'department', outsider);

  // The item waived: every decision on it is refused by the workflow from now on.
  const decisions = `/projects/${f.project}/items/${f.item}/decisions`;
  const waived = await send('POST', decisions, keys.secretary, { action: 'waive', reason: '权限矩阵' });
  expect(waived.status, JSON.stringify(waived.body)).toBe(200);

  // A problem owned by the department, taken to verified: every action on it is refused from now on.
  const raised = await send('POST', `/projects/${f.project}/problems`, keys.secretary, {
    title: '权限矩阵的问题',
    description: '用于测试，已办结',
    ownerDepartment: f.department,
  });
  expect(raised.status, JSON.stringify(raised.body)).toBe(201);
  f.problem = raised.body.problem.id;
  const actions = `/projects/${f.project}/problems/${f.problem}/actions`;
  for (const action of [
    { action: 'resolve', resolution: '已解决' },
    { action: 'verify', accepted: true },
  ]) {
    const res = await send('POST', actions, keys.secretary, action);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }

  // An escalation of the project, answered already (the inbox is a read model; no card fires in a test).
  f.escalation = `${f.project}/item/${f.otherItem}/1/red`;
  const now = Date.now();
  await g.db
    .insertInto('escalations')
    .values({
      id: f.escalation,
      project_code: f.project,
      subject_kind: 'item',
      subject_id: f.otherItem,
      rung: 'red',
      department: f.department,
      recipients: jsonb(['leader', 'departmentHead', 'secretary']),
      title: 'red card',
      body: 'overdue',
      due_at: new Date(now - 86_400_000),
      fired_at: new Date(now - 3_600_000),
      acknowledged_at: new Date(now - 1_800_000),
      acknowledged_by: f.leader,
      instruction: '限期解决',
    })
    .execute();

  const year = await g.db
    .selectFrom('calendar_years')
    .select('year')
    .orderBy('year')
    .executeTakeFirstOrThrow();
  f.calendarYear = String(year.year);
  f.nobody = `rm-nobody-${g.tag}`;
  f.spareDepartmentKeyId = parseKey((await g.keyFor('department', { department: outsider })).key)!.id;
  f.spareAdminKeyId = parseKey((await g.keyFor('admin')).key)!.id;
});

afterAll(async () => {
  printTable();
  await g?.stop();
});

let requests = 0;
/** One request as a client sends it; every state-changing one with a fresh Idempotency-Key. */
async function send(method: string, path: string, key: string | null, body?: unknown) {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['idempotency-key'] = `rm-${g.tag}-${++requests}`;
  const res = await fetch(g.url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  // biome-ignore lint/suspicious/noExplicitAny: bodies are read loosely; the assertions check them
  const parsed: any = type.includes('json') && text ? JSON.parse(text) : text;
  return { status: res.status, type, body: parsed };
}

/** The request path of a case: the operation's path with its parameters filled in, and the query. */
function pathOf(operation: string, c: Case): string {
  const template = operation.slice(operation.indexOf(' ') + 1);
  const params = c.params?.(f) ?? {};
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`the rule for ${operation} gives no value for {${name}}`);
    return encodeURIComponent(value);
  });
  const query = c.query?.(f);
  return query ? `${path}?${query}` : path;
}

/** Why the answer breaks the expectation, or null when it keeps it. */
function mismatch(
  expected: Expected,
  allowedStatus: number | undefined,
  res: Awaited<ReturnType<typeof send>>,
): string | null {
  const got = `got ${res.status}${typeof res.body === 'object' && res.body?.detail ? ` (${res.body.detail})` : ''}`;
  if (expected === 'denied') {
    const ok =
      res.status === 403 &&
      res.type.startsWith('application/problem+json') &&
      res.body?.type === ProblemType.forbidden;
    return ok ? null : `expected 403 forbidden problem, ${got}`;
  }
  if (expected === 'allowed') {
    if (res.status === 401 || res.status === 403 || res.status >= 500)
      return `expected to be allowed, ${got}`;
    if (allowedStatus !== undefined && res.status !== allowedStatus) {
      return `expected to be allowed with ${allowedStatus}, ${got}`;
    }
    return null;
  }
  if (res.status !== expected) return `expected ${expected}, ${got}`;
  if (expected === 401 && res.body?.type !== ProblemType.unauthorized)
    return `expected an unauthorized problem, ${got}`;
  return null;
}

describe('the OpenAPI document and the rules cover each other', () => {
  it('every documented operation has a rule', () => {
    const missing = documented.filter((op) => !(op in RULES));
    expect(
      missing.map((op) => `${op}: no rule; add a rule for it to test/security/role-matrix.rules.ts`),
    ).toEqual([]);
  });

  it('every rule names a documented operation', () => {
    const stale = Object.keys(RULES).filter((op) => !documented.includes(op));
    expect(stale.map((op) => `${op}: the rule names an operation the API no longer documents`)).toEqual([]);
  });
});

describe('each operation answers each caller as its rule says', () => {
  it.each(Object.keys(RULES))('%s', async (operation) => {
    expect(documented, `${operation} is not in the OpenAPI document`).toContain(operation);
    const method = operation.slice(0, operation.indexOf(' '));
    const failures: string[] = [];
    for (const c of casesOf(RULES[operation]!)) {
      const row = c.label ? `${operation} [${c.label}]` : operation;
      const cells: Partial<Record<Caller, string>> = {};
      table.set(row, cells);
      for (const caller of CALLERS) {
        const key = caller === 'anonymous' ? null : keys[caller];
        const res = await send(method, pathOf(operation, c), key, c.body?.(f));
        const why = mismatch(c.expect[caller], c.allowedStatus, res);
        cells[caller] = `${res.status}${why ? '!' : ''}`;
        if (why) failures.push(`${row} as ${caller}: ${why}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

function printTable(): void {
  if (table.size === 0) return;
  const rows = [...table];
  const width = Math.max(...rows.map(([row]) => row.length));
  const head = `${'operation'.padEnd(width)} ${CALLERS.map((c) => CALLER_LABELS[c].padStart(6)).join('')}`;
  const lines = rows.map(
    ([row, cells]) => `${row.padEnd(width)} ${CALLERS.map((c) => (cells[c] ?? '-').padStart(6)).join('')}`,
  );
  console.log(
    ['role × route matrix (status per caller; ! = not as the rule says)', head, ...lines].join('\n'),
  );
}
