import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProblemType } from '../../api/http-problem';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';

/** Amending a running project's plan through the API: the secretary tailors, the workflow re-checks. */

let g: Greenlane;
let secretaryKey = '';
let leader = '';
beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  secretaryKey = (await g.keyFor('secretary', { person: 'sec-amend' })).key;
  leader = (await g.keyFor('leader', { person: 'leader-amend' })).personId!;
});
afterAll(async () => {
  await g?.stop();
});

describe('POST /projects/{code}/plan', () => {
  it('waives items, refuses dangling references with every problem, and is the secretary’s to do', async () => {
    const code = `AM-${g.tag}`;
    const reg = await g.call('POST', '/projects', secretaryKey, {
      code,
      name: '城市展览馆',
      templateId: 'gov-building',
      leader,
    });
    expect(reg.status).toBe(201);
    const before = await g.call('GET', `/projects/${code}`, secretaryKey);
    const plan: { code: string; prerequisites: string[] }[] = before.body.plan.items;
    const required = new Set(plan.flatMap((i) => i.prerequisites));
    const needed = plan.find((i) => required.has(i.code) && i.prerequisites.length === 0)!;
    const dependents = plan.filter((i) => i.prerequisites.includes(needed.code)).map((i) => i.code);

    const dangling = await g.call('POST', `/projects/${code}/plan`, secretaryKey, {
      tailoring: { waive: [needed.code] },
      reason: '区域评估已覆盖',
    });
    expect([dangling.status, dangling.body.type]).toEqual([422, ProblemType.validation]);
    for (const d of dependents) expect(dangling.body.detail).toContain(d);

    // Waive it and give its dependents the rest of their prerequisites.
    const rechain = plan
      .filter((i) => dependents.includes(i.code))
      .map((i) => ({ code: i.code, prerequisites: i.prerequisites.filter((p) => p !== needed.code) }));
    const ok = await g.call('POST', `/projects/${code}/plan`, secretaryKey, {
      tailoring: { waive: [needed.code], prerequisites: rechain },
      reason: '区域评估已覆盖',
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.removed).toEqual([needed.code]);
    const after = await g.call('GET', `/projects/${code}`, secretaryKey);
    expect(after.body.plan.items).toHaveLength(plan.length - 1);
    expect(after.body.items[needed.code]).toBeUndefined();

    const dept = await g.keyFor('department', { department: 'FGW' });
    const refused = await g.call('POST', `/projects/${code}/plan`, dept.key, {
      tailoring: { waive: [] },
      reason: 'x',
    });
    expect(refused.status).toBe(403);
    const audit = await g.call('GET', `/projects/${code}/audit`, secretaryKey);
    expect(audit.body.entries.map((e: { action: string }) => e.action)).toEqual([
      'project.register',
      'project.amend',
    ]);
  });
});
