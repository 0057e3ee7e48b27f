import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProblemType } from '../../api/http-problem';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';

/**
 * The quarterly assessment's rules as published data (api/routes/assessment-rules.ts) over real HTTP and
 * PostgreSQL: an edition validated (weights summing to 100), published by operators only, once per
 * version, audited, and scoring the quarters from its effectiveFrom (2099, which no other file touches).
 */

let g: Greenlane;
const keys: Record<string, string> = {};

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  keys.operator = (await g.keyFor('operator')).key;
  keys.leader = (await g.keyFor('leader', { person: 'leader-ar' })).key;
  keys.fgw = (await g.keyFor('department', { department: 'FGW' })).key;
});
afterAll(async () => {
  await g?.stop();
});

describe('the assessment rules as published data', () => {
  it('scores the quarters from its effectiveFrom by a published edition, validated and audited', async () => {
    const edition = {
      version: `it-${g.tag}`,
      title: '测试细则',
      effectiveFrom: '2099Q1',
      weights: { onTime: 60, points: 10, interviews: 10, returns: 10, satisfaction: 10 },
      perPoint: 2,
      perInterview: 10,
    };
    const bad = await g.call('POST', '/reports/assessment/rules', keys.operator!, {
      ...edition,
      weights: { ...edition.weights, onTime: 59 },
    });
    expect([bad.status, bad.body.type]).toEqual([422, ProblemType.validation]);
    expect((await g.call('POST', '/reports/assessment/rules', keys.leader!, edition)).status).toBe(403);
    const res = await g.call('POST', '/reports/assessment/rules', keys.operator!, edition);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject(edition);
    expect((await g.call('POST', '/reports/assessment/rules', keys.operator!, edition)).status).toBe(409);
    const listed = (await g.call('GET', '/reports/assessment/rules', keys.fgw!)).body;
    expect(listed.shipped.version).toBe('2026-12-default');
    expect(listed.editions.map((e: { version: string }) => e.version)).toContain(edition.version);
    const audit = await g.db
      .selectFrom('audit_log')
      .select(['action', 'subject'])
      .where('subject', '=', edition.version)
      .execute();
    expect(audit).toEqual([{ action: 'assessment-rules.publish', subject: edition.version }]);
    const later = (await g.call('GET', '/reports/assessment?quarter=2099Q1', keys.operator!)).body;
    expect(later.rules).toEqual(edition);
    const before = (await g.call('GET', '/reports/assessment?quarter=2098Q4', keys.operator!)).body;
    expect(before.rules.version).not.toBe(edition.version);
  });
});
