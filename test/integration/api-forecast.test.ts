import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDigestActivities } from '../../activities/digests';
import { projectStateReader } from '../../activities/project-states';
import { ProblemType } from '../../api/http-problem';
import { Forecast } from '../../domain/forecast';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { until } from '../helpers/until';

/**
 * The permit forecast over real HTTP, a real worker, Temporal dev server and PostgreSQL: three projects
 * brought in with their history give the record a slow proposal approval (9 working days against 7
 * committed); a project registered today is forecast from its live state and that record. Other files
 * share the database and add records of their own, so the counts here are lower bounds; the arithmetic is
 * pinned by test/domain/forecast.test.ts.
 */

let g: Greenlane;
const keys: Record<string, string> = {};
let leader = '';
let secretary = '';
let code = '';
let permitPlanned = '';

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  const sec = await g.keyFor('secretary', { person: 'sec-fc' });
  keys.secretary = sec.key;
  secretary = sec.personId!;
  keys.otherSecretary = (await g.keyFor('secretary', { person: 'sec-fc2' })).key;
  const lead = await g.keyFor('leader', { person: 'leader-fc' });
  keys.leader = lead.key;
  leader = lead.personId!;
  keys.operator = (await g.keyFor('operator')).key;
});
afterAll(async () => {
  await g?.stop();
});

/** Proposal submitted Mon 14 Sep 2026, accepted the 15th, approved Mon the 28th: 9 working days (中秋 25–27 off, Sun 20 worked). */
const history = (n: number) => ({
  code: `FC-H${n}-${g.tag}`,
  name: `历史项目 ${n}`,
  templateId: 'gov-building',
  leader,
  secretary,
  registeredOn: '2026-09-14',
  history: [
    { on: '2026-09-14', item: 'PROPOSAL', decision: { action: 'submit' } },
    { on: '2026-09-15', item: 'PROPOSAL', decision: { action: 'accept' } },
    { on: '2026-09-28', item: 'PROPOSAL', decision: { action: 'approve', documentNo: `发改〔2026〕${n}号` } },
  ],
  problems: [],
});

type Figures = { item: string; decisionDays: { item: number | null; itemObservations: number } };
const forecast = (key: string, query = '?samples=500&seed=it') =>
  g.call('GET', `/projects/${code}/forecast${query}`, key);

describe('GET /projects/{code}/forecast', () => {
  it('forecasts a live project from its state and the record, with the observations behind it', async () => {
    for (const n of [1, 2, 3]) {
      const res = await g.call('POST', '/projects/import', keys.operator!, history(n));
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    code = `FC-${g.tag}`;
    const reg = await g.call('POST', '/projects', keys.secretary!, {
      code,
      name: '市儿童医院',
      templateId: 'gov-building',
      leader,
      targetStart: '2031-03-03',
    });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    permitPlanned = reg.body.schedule.permitFinish;

    const proposal = (body: { method: { items: Figures[] } }) =>
      body.method.items.find((i) => i.item === 'PROPOSAL');
    const res = await until(
      () => forecast(keys.secretary!),
      (r) => r.status === 200 && (proposal(r.body)?.decisionDays.itemObservations ?? 0) >= 3,
      'the imported approvals in the record',
    );
    const body = res.body;
    expect(Forecast.safeParse(body).success).toBe(true);
    expect(body).toMatchObject({
      samples: 500,
      seed: 'it',
      targetStart: '2031-03-03',
      baselinePermit: permitPlanned,
    });
    // The imported approvals took 9 working days each: the proposal's own mean cannot be 0.
    expect(proposal(body)!.decisionDays.item).toBeGreaterThan(0);
    expect(body.method.observations).toBeGreaterThanOrEqual(3);
    const { p50, p80, p95 } = body.permit;
    expect(p50 <= p80 && p80 <= p95).toBe(true);
    expect(body.planPermit).not.toBeNull();
    expect(body.probabilityOnTarget).toBeGreaterThanOrEqual(0);
    expect(body.probabilityOnTarget).toBeLessThanOrEqual(1);
    expect(body.milestones.map((m: { stage: number }) => m.stage)).toEqual([1, 2, 3, 4]);
    expect(body.riskDrivers.length).toBeLessThanOrEqual(3);
    // The permit lies on its own chain in every sample.
    expect(body.items.find((i: { code: string }) => i.code === 'CONSTRUCTION-PERMIT').criticality).toBe(1);
    const shares = body.permitDistribution.reduce((s: number, d: { share: number }) => s + d.share, 0);
    expect(Math.abs(shares - 1)).toBeLessThan(0.01);
  });

  it('is the project’s own readers’, refuses bad sizes and says so for unknown projects', async () => {
    expect((await forecast(keys.leader!)).status).toBe(200);
    const other = await forecast(keys.otherSecretary!);
    expect([other.status, other.body.type]).toEqual([403, ProblemType.forbidden]);
    const small = await forecast(keys.secretary!, '?samples=5');
    expect([small.status, small.body.type]).toEqual([422, ProblemType.validation]);
    const unknown = await g.call('GET', `/projects/FC-NONE-${g.tag}/forecast`, keys.operator!);
    expect(unknown.status).toBe(404);
  });

  it("gives the leader's weekly digest one line per project: the chance of the target start and the risks", async () => {
    const date = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const digests = createDigestActivities({ db: g.db, projectStates: projectStateReader(g.client) });
    const written = await digests.writeDigests({ kind: 'leaders-weekly', date, people: [leader] });
    expect(written).toMatchObject({ people: 1, written: 1 });
    const mine = await g.call('GET', '/me/digests?kind=leaders-weekly', keys.leader!);
    const lines: string[] = mine.body.digests[0].body.split('\n');
    expect(lines.find((l) => l.includes(`（${code}）`))).toMatch(/；开工目标达成概率 \d+%，主要风险：.+$/);
    // The imported projects have no target start: their P80 permit date instead.
    expect(lines.find((l) => l.includes(`（FC-H1-${g.tag}）`))).toMatch(
      /；施工许可预计（P80）\d{4}-\d{2}-\d{2}，主要风险：/,
    );
  });

  it('is documented with its parameters', async () => {
    const doc = await g.call('GET', '/openapi.json', null);
    const op = doc.body.paths['/projects/{code}/forecast'].get;
    expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['code', 'samples', 'seed']);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '403', '404']));
  });
});
