import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROBLEM_TYPE_BASE } from '../../api/http-problem';
import { createDb } from '../../db/connect';
import { migrateToLatest } from '../../db/migrate';
import { projectRoot } from '../../scripts/toolchain';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { type Exchange, type FuzzResult, runSchemathesis } from '../helpers/schemathesis';

/**
 * The API fuzzed from its own OpenAPI document by schemathesis (issue 6 §9), served over HTTP with a
 * real worker, Temporal and a PostgreSQL database of its own, seeded through the API: three projects
 * (one with an accepted item, one with a problem) and a key for each role. Schemathesis runs once with
 * a department key and once with an operator key, with a fixed seed and a small budget, drawing path
 * and body values half the time from the seeded identifiers, with every check but
 * `positive_data_acceptance` (the domain refuses schema-valid requests on purpose: an unknown department
 * or template, a reused Idempotency-Key).
 *
 * Beyond its own checks, every exchange in its HAR archive is read back: no 5xx, every error is
 * problem+json with a type under PROBLEM_TYPE_BASE, and nothing changed that an accepted (2xx) request
 * does not explain — each accepted state-changing request left exactly one audit row with its request
 * id; every other row of the read model, keys and calendars, every seeded workflow's revision and the
 * list of workflows on the file's task queue are as they were. Reports land in test-output/fuzz/<run>/
 * (HAR, JSON, JUnit) for a failure to be read.
 */

let g: Greenlane;
const keys: Record<'operator' | 'department' | 'secretary' | 'leader' | 'observer', string> = {
  operator: '',
  department: '',
  secretary: '',
  leader: '',
  observer: '',
};
const projects: string[] = [];
/** Real identifiers schemathesis draws from half the time, so requests get past the 404s. */
let dictionaries: Record<string, (string | number)[]> = {};

let scratch = '';

const SEED = 20261122;
const MAX_EXAMPLES = 8;

beforeAll(async () => {
  // A database of its own: the before/after comparison covers whole tables, which other test files
  // running at the same time would change in the shared one.
  scratch = `greenlane_fuzz_${process.pid}`;
  const databaseUrl = await scratchDatabase(inject('databaseUrl'), scratch);
  g = await startGreenlane({ databaseUrl, temporalAddress: inject('temporalAddress') });
  const secretary = await g.keyFor('secretary', { person: 'fz-sec' });
  const leader = await g.keyFor('leader', { person: 'fz-leader' });
  keys.secretary = secretary.key;
  keys.leader = leader.key;
  keys.operator = (await g.keyFor('operator')).key;
  // Reads the state before and after; an admin key, which an operator cannot revoke.
  keys.observer = (await g.keyFor('admin')).key;

  for (const suffix of ['A', 'B', 'C']) {
    const code = `FZ-${suffix}-${g.tag}`;
    const r = await g.call('POST', '/projects', keys.secretary, {
      code,
      name: `模糊测试项目 ${suffix}`,
      templateId: 'gov-building',
      leader: leader.personId,
      targetStart: '2028-06-30',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    projects.push(code);
  }
  // A: its first item submitted and accepted by its department, whose key fuzzes. B: a problem raised.
  const live = await g.call('GET', `/projects/${projects[0]}`, keys.secretary);
  const first = live.body.plan.items.find((i: { prerequisites: string[] }) => i.prerequisites.length === 0);
  keys.department = (await g.keyFor('department', { department: first.department })).key;
  const decisions = `/projects/${projects[0]}/items/${first.code}/decisions`;
  expect((await g.call('POST', decisions, keys.secretary, { action: 'submit' })).status).toBe(200);
  expect((await g.call('POST', decisions, keys.department, { action: 'accept' })).status).toBe(200);
  const raised = await g.call('POST', `/projects/${projects[1]}/problems`, keys.secretary, {
    title: '用地红线待确认',
    description: '规划与国土的红线不一致',
  });
  expect(raised.status, JSON.stringify(raised.body)).toBe(201);
  await readModelSettled();

  const items: { code: string; department: string }[] = live.body.plan.items;
  const departments = [...new Set(items.map((i) => i.department))];
  const people = [secretary.personId!, leader.personId!];
  dictionaries = {
    'path.code': [...projects, `NOPE-${g.tag}`],
    'path.item': items.map((i) => i.code),
    'path.department': departments,
    'path.id': ['P1', 'P2', 'gov-building'],
    'path.year': [2026, 2027],
    'body.templateId': ['gov-building', 'social-industrial'],
    'body.leader': people,
    'body.secretary': people,
    'body.personId': people,
    'body.ownerPerson': people,
    'body.department': departments,
    'body.ownerDepartment': departments,
    'body.blocksItem': items.map((i) => i.code),
  };
});
afterAll(async () => {
  await g?.stop();
  if (scratch) await dropDatabase(inject('databaseUrl'), scratch);
});

describe('schemathesis over /openapi.json', () => {
  // The department first: an operator may revoke department keys, and schemathesis' stateful phase does.
  it.each(['department', 'operator'] as const)(
    'with a %s key: no 5xx, only problems, no refused change',
    async (role) => {
      // The read model catches up asynchronously (activities): the previous run's changes land first.
      await readModelSettled();
      const before = await snapshot();
      const result = await runSchemathesis({
        baseUrl: g.url,
        apiKey: keys[role],
        reportDir: join(projectRoot, 'test-output', 'fuzz', role),
        checks: 'all',
        excludeChecks: 'positive_data_acceptance',
        maxExamples: MAX_EXAMPLES,
        seed: SEED,
        timeoutMs: 100_000,
        dictionaries,
      });
      const accepted = stateChanging(result.exchanges);
      console.log(summary(role, result, accepted));

      // Schemathesis' own verdict, from its report rather than its exit code.
      const { report } = result;
      expect(report.complete, result.output.slice(-4000)).toBe(true);
      expect(report.errors, result.output.slice(-4000)).toEqual([]);
      expect(report.failures, result.output.slice(-8000)).toEqual([]);
      expect(report.operations.tested).toBe(report.operations.selected);
      expect(report.operations.selected).toBeGreaterThan(25);
      expect(result.exitCode, result.output.slice(-4000)).toBe(0);
      expect(result.exchanges.length).toBeGreaterThan(300);

      // Every exchange, read back from the HAR archive.
      const serverErrors = result.exchanges.filter((e) => e.status >= 500).map(line);
      expect(serverErrors).toEqual([]);
      const notProblems = result.exchanges.filter((e) => e.status >= 400 && !isProblem(e)).map(line);
      expect(notProblems).toEqual([]);

      // Nothing changed but what the accepted requests explain, once a refused change would have landed.
      await readModelSettled();
      const after = await snapshot();
      const allowed = changedBy(accepted);
      expect(unexplainedChanges(before, after, allowed)).toEqual([]);
      const newAudit = after.audit.filter((a) => a.id > before.auditMaxId).map((a) => a.request_id);
      expect(newAudit.sort(), 'one audit row per accepted state-changing request').toEqual(
        accepted.map((e) => e.requestId).sort(),
      );
      for (const code of projects) {
        if (allowed.has(`project:${code}`) || allowed.has('project:*')) continue;
        expect(after.revisions[code], `revision of ${code}`).toBe(before.revisions[code]);
      }
      // No workflow started on this file's task queue but by an accepted registration.
      const started = after.workflows.filter((id) => !before.workflows.includes(id));
      expect(started.filter((id) => !allowed.has(`project:${id.replace(/^project-/, '')}`))).toEqual([]);
    },
  );
});

// --- Exchanges -----------------------------------------------------------------------------------------

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** Accepted requests that may change state: 2xx, not safe, not an idempotent replay of an earlier one. */
function stateChanging(exchanges: Exchange[]): Exchange[] {
  return exchanges.filter((e) => e.status >= 200 && e.status < 300 && !SAFE.has(e.method) && !e.replayed);
}

function isProblem(e: Exchange): boolean {
  if (!e.contentType?.startsWith('application/problem+json')) return false;
  if (e.method === 'HEAD') return true;
  try {
    const body = JSON.parse(e.body) as { type?: unknown; status?: unknown };
    return (
      typeof body.type === 'string' && body.type.startsWith(PROBLEM_TYPE_BASE) && body.status === e.status
    );
  } catch {
    return false;
  }
}

const line = (e: Exchange) =>
  `${e.method} ${e.path} → ${e.status} ${e.contentType ?? ''} ${e.body.slice(0, 300)}`;

/**
 * What each accepted request may have changed: `project:<code>`, `key:<id>`, `calendar:<year>`,
 * `person:<id>`; `project:*` and `key:*` for requests that change many.
 */
function changedBy(accepted: Exchange[]): Set<string> {
  const owners = new Set<string>();
  for (const e of accepted) {
    const [path = ''] = e.path.split('?');
    const segments = path.split('/').map(decodeURIComponent);
    const body = parse(e.body);
    if (segments[1] === 'projects' && segments[2]) owners.add(`project:${segments[2]}`);
    else if (segments[1] === 'projects' && typeof body?.code === 'string') owners.add(`project:${body.code}`);
    else if (segments[1] === 'keys' && segments[2]) owners.add(`key:${segments[2]}`);
    else if (segments[1] === 'keys' && typeof body?.id === 'string') owners.add(`key:${body.id}`);
    else if (segments[1] === 'calendars' && segments[2]) {
      // The year is stored and sent to every running project.
      owners.add(`calendar:${segments[2]}`);
      owners.add('project:*');
    } else if (segments[1] === 'escalations' && segments[2]) {
      owners.add(`project:${segments[2].split('/')[0]}`); // ids are `<project>/<subject>/…`
    } else if (segments[1] === 'people' && (segments[2] || typeof body?.id === 'string')) {
      const person = segments[2] ?? String(body?.id);
      owners.add(`person:${person}`);
      // Moving a clerk revokes their keys; a handover also reassigns the person's projects.
      if (segments[3] === 'move' || segments[3] === 'handover' || e.method === 'PUT') owners.add('key:*');
      if (segments[3] === 'handover') owners.add('project:*');
    } else if (segments[1] === 'meetings') {
      owners.add(`meeting:${segments[2] ?? 'new'}`);
      // The minutes' decisions act on the projects on the meeting's agenda.
      if (segments[3] === 'minutes') owners.add('project:*');
    } else owners.add(`unknown:${e.method} ${path}`);
  }
  return owners;
}

function parse(text: string): Record<string, unknown> | null {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function summary(role: string, r: FuzzResult, accepted: Exchange[]): string {
  const byStatus = new Map<string, number>();
  for (const e of r.exchanges) {
    const k = `${e.status}`;
    byStatus.set(k, (byStatus.get(k) ?? 0) + 1);
  }
  const statuses = [...byStatus].sort().map(([s, n]) => `${s}×${n}`);
  return [
    `schemathesis ${r.report.schemathesis_version}, ${role} key: ${r.exchanges.length} requests over ${r.report.operations.tested} operations in ${r.report.running_time.toFixed(1)} s (seed ${r.report.seed})`,
    `  statuses: ${statuses.join(' ')}`,
    `  accepted state-changing: ${accepted.length} ${accepted.map((e) => `${e.method} ${e.path.split('?')[0]}`).join(', ')}`,
    `  ${r.command.join(' ')}`,
  ].join('\n');
}

// --- State ----------------------------------------------------------------------------------------------

type Snapshot = {
  /** `<owner>|<table>|<primary key>` → the row as JSON. */
  rows: Map<string, string>;
  auditMaxId: number;
  audit: { id: number; request_id: string }[];
  revisions: Record<string, number>;
  /** Ids of the workflows on this file's task queue. */
  workflows: string[];
};

async function snapshot(): Promise<Snapshot> {
  const rows = new Map<string, string>();
  const put = (owner: string, table: string, key: string, row: unknown) =>
    rows.set(`${owner}|${table}|${key}`, JSON.stringify(row));
  const db = g.db;
  for (const r of await db.selectFrom('projects').selectAll().execute())
    put(`project:${r.code}`, 'projects', r.code, r);
  for (const r of await db.selectFrom('project_items').selectAll().execute())
    put(`project:${r.project_code}`, 'project_items', r.item_code, r);
  for (const r of await db.selectFrom('problems').selectAll().execute())
    put(`project:${r.project_code}`, 'problems', r.problem_id, r);
  for (const r of await db.selectFrom('escalations').selectAll().execute())
    put(`project:${r.project_code}`, 'escalations', r.id, r);
  for (const r of await db.selectFrom('department_scores').selectAll().execute())
    put(`project:${r.project_code}`, 'department_scores', r.department, r);
  // last_used_at moves on any authenticated request, refused or not: by design, not a change of state.
  for (const { last_used_at: _, ...r } of await db.selectFrom('api_keys').selectAll().execute())
    put(`key:${r.id}`, 'api_keys', r.id, r);
  for (const r of await db.selectFrom('calendar_years').selectAll().execute())
    put(`calendar:${r.year}`, 'calendar_years', String(r.year), r);
  for (const r of await db.selectFrom('people').selectAll().execute())
    put(`person:${r.id}`, 'people', r.id, r);
  for (const r of await db.selectFrom('departments').selectAll().execute())
    put('global', 'departments', r.code, r);
  const audit = await db.selectFrom('audit_log').select(['id', 'request_id']).orderBy('id').execute();
  const revisions: Record<string, number> = {};
  for (const code of projects) {
    const live = await g.call('GET', `/projects/${code}`, keys.observer);
    expect(live.status).toBe(200);
    revisions[code] = live.body.revision;
  }
  const workflows: string[] = [];
  for await (const w of g.client.workflow.list({ query: `TaskQueue = '${g.config.temporal.taskQueue}'` })) {
    workflows.push(w.workflowId);
  }
  return { rows, audit, auditMaxId: audit.at(-1)?.id ?? 0, revisions, workflows };
}

/** Rows added, removed or changed whose owner no accepted request names. */
function unexplainedChanges(before: Snapshot, after: Snapshot, allowed: Set<string>): string[] {
  const changes: string[] = [];
  for (const key of new Set([...before.rows.keys(), ...after.rows.keys()])) {
    const [owner = ''] = key.split('|');
    if (before.rows.get(key) === after.rows.get(key)) continue;
    const wildcard = `${owner.split(':')[0]}:*`;
    if (allowed.has(owner) || (wildcard !== 'global:*' && allowed.has(wildcard))) continue;
    const what = !before.rows.has(key) ? 'added' : !after.rows.has(key) ? 'removed' : 'changed';
    changes.push(`${what}: ${key}`);
  }
  return changes;
}

/** The read model has caught up with every seeded workflow (its activities run after each update). */
async function readModelSettled(): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const rows = await g.db.selectFrom('projects').select(['code', 'revision']).execute();
    const stored = new Map(rows.map((r) => [r.code, r.revision]));
    let settled = true;
    for (const code of projects) {
      const live = await g.call('GET', `/projects/${code}`, keys.observer);
      if (stored.get(code) !== live.body.revision) settled = false;
    }
    if (settled) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the read model did not catch up with the seeded workflows');
}

/** A fresh, migrated database next to `url`'s (same server and user), named `name`; its URL. */
async function scratchDatabase(url: string, name: string): Promise<string> {
  await dropDatabase(url, name);
  const admin = createDb(url, { maxConnections: 1 });
  try {
    await sql`create database ${sql.id(name)}`.execute(admin);
  } finally {
    await admin.destroy();
  }
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  await migrateToLatest(scratch.toString());
  return scratch.toString();
}

async function dropDatabase(url: string, name: string): Promise<void> {
  const admin = createDb(url, { maxConnections: 1 });
  try {
    await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin);
  } finally {
    await admin.destroy();
  }
}
