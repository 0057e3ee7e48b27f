import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bodiesFromCsv } from '../../scripts/import-batch';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';

/**
 * `npm run import` with the spreadsheets a centre keeps (CSV, UTF-8 with BOM as Excel saves it), run as
 * an operator runs it: the command as a child process against the API over HTTP. A batch with one bad
 * row imports nothing; fixed, it imports every project; run again, it answers the same without
 * importing anything twice.
 */

const run = promisify(execFile);
let g: Greenlane;
let operatorKey = '';
let leader = '';
let secretary = '';
const dir = mkdtempSync(join(tmpdir(), 'greenlane-import-'));

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  operatorKey = (await g.keyFor('operator')).key;
  leader = (await g.keyFor('leader', { person: 'leader-batch' })).personId!;
  secretary = (await g.keyFor('secretary', { person: 'sec-batch' })).personId!;
});
afterAll(async () => {
  await g?.stop();
});

const BOM = '\uFEFF';
const projectsCsv = (a: string, b: string) =>
  `${BOM}code,name,templateId,leader,secretary,registeredOn,targetStart,waive\r\n` +
  `${a},市第一人民医院新院区,gov-building,${leader},${secretary},2026-09-14,2028-06-30,REAL-ESTATE-REGISTRATION\r\n` +
  `${b},"城东污水处理厂, 二期",gov-building,${leader},${secretary},2026-10-12,,\r\n`;
const historyCsv = (a: string, b: string, bDecision: string) =>
  `${BOM}code,on,item,action,documentNo,missing,reason\r\n` +
  `${a},2026-09-14,PROPOSAL,submit,,,\r\n` +
  `${a},2026-09-15,PROPOSAL,accept,,,\r\n` +
  `${a},2026-09-22,PROPOSAL,approve,发改审批〔2026〕88号,,\r\n` +
  `${a},2026-09-23,EIA,submit,,,\r\n` +
  `${a},2026-09-28,EIA,return,,环评报告书；公众参与说明,\r\n` +
  `${b},2026-10-12,PROPOSAL,submit,,,\r\n` +
  `${b},2026-10-13,PROPOSAL,${bDecision},${bDecision === 'approve' ? 'X-1' : ''},,\r\n`;
const problemsCsv = (a: string) =>
  `${BOM}code,raisedOn,title,description,ownerDepartment,deadline,blocksItem\r\n` +
  `${a},2026-10-12,东侧征地,3 户补偿未谈妥,ZRZY,2026-10-16,\r\n`;

async function importCommand(files: Record<string, string>) {
  const args = ['--import', 'tsx', 'scripts/import.ts', '--api', g.url];
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, `${name}-${Date.now()}.csv`);
    writeFileSync(path, text);
    args.push(`--${name}`, path);
  }
  try {
    const out = await run(process.execPath, args, {
      env: { ...process.env, GREENLANE_API_KEY: operatorKey },
    });
    return { code: 0, stdout: out.stdout, stderr: out.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run import', () => {
  it('reads the spreadsheets into import bodies: lists split on ；, empty cells absent, quotes kept', () => {
    const [a, b] = bodiesFromCsv({
      projects: projectsCsv('A-1', 'B-1'),
      history: historyCsv('A-1', 'B-1', 'accept'),
      problems: problemsCsv('A-1'),
    });
    expect(a).toMatchObject({
      code: 'A-1',
      targetStart: '2028-06-30',
      tailoring: { waive: ['REAL-ESTATE-REGISTRATION'] },
    });
    expect(a!.history).toContainEqual({
      on: '2026-09-28',
      item: 'EIA',
      decision: { action: 'return', missing: ['环评报告书', '公众参与说明'] },
    });
    expect(a!.problems).toEqual([
      {
        raisedOn: '2026-10-12',
        title: '东侧征地',
        description: '3 户补偿未谈妥',
        ownerDepartment: 'ZRZY',
        deadline: '2026-10-16',
      },
    ]);
    expect(b).toMatchObject({ name: '城东污水处理厂, 二期', problems: [] });
    expect(b).not.toHaveProperty('targetStart');
    expect(() =>
      bodiesFromCsv({ projects: projectsCsv('A-1', 'B-1'), history: historyCsv('A-1', 'C-9', 'accept') }),
    ).toThrow('history.csv: project C-9 is not in projects.csv');
  });

  it('imports nothing while one row is refused, everything once fixed, and nothing twice when run again', async () => {
    const a = `BATCH-A-${g.tag}`;
    const b = `BATCH-B-${g.tag}`;
    // B's proposal is "approved" before it was accepted: refused, so A is not imported either.
    const bad = await importCommand({
      projects: projectsCsv(a, b),
      history: historyCsv(a, b, 'approve'),
      problems: problemsCsv(a),
    });
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stdout).toContain(`check  ${a}: ok`);
    expect(bad.stdout).toContain(`check  ${b}: refused 422`);
    expect(bad.stdout).toContain(
      'history.1: 2026-10-13: PROPOSAL is submitted; approve is allowed only when it is accepted',
    );
    expect(bad.stderr).toContain('nothing was imported');
    expect((await g.call('GET', `/projects/${a}`, operatorKey)).status).toBe(404);

    const files = {
      projects: projectsCsv(a, b),
      history: historyCsv(a, b, 'accept'),
      problems: problemsCsv(a),
    };
    const good = await importCommand(files);
    expect(good.code, good.stderr + good.stdout).toBe(0);
    expect(good.stdout).toContain(`import ${a}: imported (6 facts;`);
    expect(good.stdout).toContain(`import ${b}: imported (2 facts;`);
    const live = (await g.call('GET', `/projects/${a}`, operatorKey)).body;
    expect(live.items.EIA).toMatchObject({ status: 'returned', missing: ['环评报告书', '公众参与说明'] });
    expect(live.items['REAL-ESTATE-REGISTRATION']).toBeUndefined();
    expect(live.problems.P1).toMatchObject({ ownerDepartment: 'ZRZY' });

    const again = await importCommand(files);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`import ${a}: imported (6 facts;`);
    const audit = (await g.call('GET', `/projects/${a}/audit`, operatorKey)).body.entries;
    expect(audit.filter((e: { action: string }) => e.action === 'project.import')).toHaveLength(1);
  });
});
