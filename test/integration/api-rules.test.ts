import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProblemType } from '../../api/http-problem';
import { createDb } from '../../db/connect';
import { migrateToLatest } from '../../db/migrate';
import { defaultEscalationPolicy } from '../../domain/ladder';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { until } from '../helpers/until';

/**
 * Rules editions over real HTTP: an operator publishes an edition (the proposal's committed limit cut
 * from 7 to 3 working days, the red card a day later), previews it on a running project, applies it; a
 * project registered afterwards runs on it from the start. The latest edition is what every new
 * registration runs on, so this file has a database of its own: the other files' hand-computed
 * schedules stay on the shipped rules.
 */

let g: Greenlane;
const keys: Record<string, string> = {};
let leader = '';
const name = `rules_${randomBytes(4).toString('hex')}`;
const shared = inject('databaseUrl');
const ownUrl = (() => {
  const u = new URL(shared);
  u.pathname = `/${name}`;
  return u.toString();
})();

beforeAll(async () => {
  const admin = createDb(shared);
  await sql`create database ${sql.id(name)}`.execute(admin);
  await admin.destroy();
  await migrateToLatest(ownUrl);
  g = await startGreenlane({ databaseUrl: ownUrl, temporalAddress: inject('temporalAddress') });
  keys.secretary = (await g.keyFor('secretary', { person: 'sec-rules' })).key;
  const lead = await g.keyFor('leader', { person: 'leader-rules' });
  leader = lead.personId!;
  keys.operator = (await g.keyFor('operator')).key;
  keys.FGW = (await g.keyFor('department', { department: 'FGW' })).key;
  keys.QX = (await g.keyFor('department', { department: 'QX' })).key;
});
afterAll(async () => {
  await g?.stop();
  const admin = createDb(shared);
  await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin);
  await admin.destroy();
});

const edition = {
  id: '2027-01',
  note: '市政府办公室〔2027〕3号：立项审批压缩至 3 个工作日，红牌督办顺延 1 日',
  limits: { PROPOSAL: { days: 3, dayType: 'working', estimate: false } },
  policy: {
    ...defaultEscalationPolicy,
    rungs: defaultEscalationPolicy.rungs.map((r) => (r.name === 'red' ? { ...r, offsetWorkingDays: 3 } : r)),
  },
};

async function register(code: string) {
  const reg = await g.call('POST', '/projects', keys.secretary!, {
    code,
    name: '市体育中心',
    templateId: 'gov-building',
    leader,
  });
  expect(reg.status, JSON.stringify(reg.body)).toBe(201);
}

describe('rules editions', () => {
  const code = () => `RUL-${g.tag}`;

  it('publishes an edition: operators only, checked against the catalog, one per id', async () => {
    await register(code());
    for (const [key, body] of [
      [keys.secretary!, { action: 'submit' }],
      [keys.FGW!, { action: 'accept' }],
    ] as const) {
      expect((await g.call('POST', `/projects/${code()}/items/PROPOSAL/decisions`, key, body)).status).toBe(
        200,
      );
    }
    expect((await g.call('POST', '/rules/editions', keys.secretary!, edition)).status).toBe(403);
    const unknown = await g.call('POST', '/rules/editions', keys.operator!, {
      ...edition,
      limits: { NOPE: { days: 3, dayType: 'working', estimate: false } },
    });
    expect([unknown.status, unknown.body.errors?.[0]?.path]).toEqual([422, 'limits.NOPE']);
    const published = await g.call('POST', '/rules/editions', keys.operator!, edition);
    expect(published.status, JSON.stringify(published.body)).toBe(201);
    expect(published.body).toMatchObject({ id: '2027-01', limits: edition.limits });
    const again = await g.call('POST', '/rules/editions', keys.operator!, edition);
    expect([again.status, again.body.type]).toEqual([409, ProblemType.conflict]);
    const list = await g.call('GET', '/rules/editions', keys.secretary!);
    expect(list.body.editions.map((e: { id: string }) => e.id)).toEqual(['2027-01']);
    expect(list.body.editions[0]).toMatchObject({ withdraw: [], add: [] });
  });

  it('previews the edition on a running project, applies it, and refuses it twice', async () => {
    const live = (await g.call('GET', `/projects/${code()}`, keys.secretary!)).body;
    const dueFrom = live.items.PROPOSAL.dueDate;
    const preview = await g.call('GET', `/projects/${code()}/rules-preview?edition=2027-01`, keys.secretary!);
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    console.log(`rules preview for ${code()}:\n${JSON.stringify(preview.body, null, 2)}`);
    expect(preview.body).toMatchObject({
      edition: '2027-01',
      from: 'shipped',
      ladderChanged: true,
      overdueAtOnce: [],
    });
    expect(preview.body.items).toEqual([
      expect.objectContaining({ item: 'PROPOSAL', limitFrom: 7, limitTo: 3, dueFrom, shift: -4 }),
    ]);
    // Previewing changed nothing.
    expect((await g.call('GET', `/projects/${code()}`, keys.secretary!)).body.revision).toBe(live.revision);

    expect(
      (await g.call('POST', `/projects/${code()}/rules`, keys.secretary!, { edition: '2027-01' })).status,
    ).toBe(403);
    const applied = await g.call('POST', `/projects/${code()}/rules`, keys.operator!, { edition: '2027-01' });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body.items).toEqual(preview.body.items);
    const after = (await g.call('GET', `/projects/${code()}`, keys.secretary!)).body;
    expect(after.rulesEdition).toBe('2027-01');
    expect(after.items.PROPOSAL.dueDate).toBe(preview.body.items[0].dueTo);
    expect(after.policy.rungs.find((r: { name: string }) => r.name === 'red').offsetWorkingDays).toBe(3);
    const twice = await g.call('POST', `/projects/${code()}/rules`, keys.operator!, { edition: '2027-01' });
    expect(twice.status).toBe(409);
    expect(
      (await g.call('GET', `/projects/${code()}/rules-preview?edition=nope`, keys.operator!)).status,
    ).toBe(404);
    const audit = (await g.call('GET', `/projects/${code()}/audit`, keys.operator!)).body.entries;
    expect(audit.map((e: { action: string }) => e.action)).toContain('project.rules');
    const page = await fetch(`${g.url}/ui/projects/${code()}`, {
      headers: { cookie: await g.uiCookie(keys.operator!) },
    });
    expect(await page.text()).toContain('规则版本 <span id="rules-edition">2027-01</span>');
  });

  it('adds and withdraws items: refused where a template would break, applied through the amendment rules', async () => {
    const breaking = await g.call('POST', '/rules/editions', keys.operator!, {
      ...edition,
      id: '2027-bad',
      withdraw: ['PROPOSAL'],
    });
    expect(breaking.status).toBe(422);
    expect(breaking.body.errors.map((e: { path: string }) => e.path)).toContain('templates.gov-building');
    const next = {
      ...edition,
      id: '2027-02',
      note: '取消不动产首次登记前置；新增防雷装置设计审核',
      withdraw: ['REAL-ESTATE-REGISTRATION'],
      add: [{ code: 'LIGHTNING-DESIGN', prerequisites: ['DESIGN-SCHEME'] }],
    };
    expect((await g.call('POST', '/rules/editions', keys.operator!, next)).status).toBe(201);
    const preview = await g.call('GET', `/projects/${code()}/rules-preview?edition=2027-02`, keys.operator!);
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body).toMatchObject({
      added: ['LIGHTNING-DESIGN'],
      withdrawn: ['REAL-ESTATE-REGISTRATION'],
    });
    const applied = await g.call('POST', `/projects/${code()}/rules`, keys.operator!, { edition: '2027-02' });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body).toMatchObject({ edition: '2027-02', from: '2027-01', added: ['LIGHTNING-DESIGN'] });
    // The added item is its department's at once, before the read model has it: the workflow, not the
    // authorization, answers its decision (waiting for its prerequisite: 409, not 403).
    const early = await g.call('POST', `/projects/${code()}/items/LIGHTNING-DESIGN/decisions`, keys.QX!, {
      action: 'accept',
    });
    expect(early.status, JSON.stringify(early.body)).toBe(409);
    const live = (await g.call('GET', `/projects/${code()}`, keys.operator!)).body;
    expect(live.items['LIGHTNING-DESIGN']).toMatchObject({ status: 'waiting' });
    expect(live.items['REAL-ESTATE-REGISTRATION']).toBeUndefined();
    const ledger = await until(
      async () => (await g.call('GET', `/reports/projects/${code()}/ledger`, keys.operator!)).body,
      (b) => b.items.some((i: { itemCode: string }) => i.itemCode === 'LIGHTNING-DESIGN'),
      'the ledger to show the added item',
    );
    const withdrawn = ledger.items.find(
      (i: { itemCode: string }) => i.itemCode === 'REAL-ESTATE-REGISTRATION',
    );
    expect(withdrawn.status).toBe('withdrawn');
  });

  it('registers new projects on the latest edition', async () => {
    const fresh = `RUL-N-${g.tag}`;
    await register(fresh);
    const live = (await g.call('GET', `/projects/${fresh}`, keys.secretary!)).body;
    expect(live.rulesEdition).toBe('2027-02');
    const codes = live.plan.items.map((i: { code: string }) => i.code);
    expect(codes).toContain('LIGHTNING-DESIGN');
    expect(codes).not.toContain('REAL-ESTATE-REGISTRATION');
    expect(live.plan.items.find((i: { code: string }) => i.code === 'PROPOSAL').committedLimit.days).toBe(3);
  });
});
