import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { stateApprovalTime } from '../../domain/approval-time';
import { dueDateOf, makeCalendar } from '../../domain/calendar';
import { shippedCatalog } from '../../domain/catalog-data';
import type { Decision } from '../../domain/decisions';
import { instantiatePlan } from '../../domain/plan';
import type { ItemRecord } from '../../domain/records';
import { ledgerApprovalTime, type ReportItem } from '../../domain/reports';
import { decideItemUpdate } from '../../workflows/messages';
import { newProject, testCalendarYears } from '../helpers/projects';
import { replayAndRecord, useHarness } from '../helpers/workflow-harness';

/**
 * The demo hospital (市第一人民医院新院区, gov-building, untailored) worked from registration to the
 * construction permit on the time-skipping server, one working day per wave of items that open together,
 * and its approval time (审批用时) checked against its elapsed time by figures computed by hand.
 *
 * Working days of June 2035 on the test calendar (Thu 14 and Fri 15 off, Sat 16 a make-up workday):
 * D0 Mon 04 (registration, 10:00), D1 05, D2 06, D3 07, D4 08, D5 Mon 11, D6 12, D7 13, D8 Sat 16, D9 Mon 18,
 * D10 19, D11 20, D12 21, D13 22, D14 Mon 25, D15 26, D16 27, D17 28, D18 29.
 *
 * The waves up to the permit (from the template's prerequisites; items not of kind approval marked):
 *  0 PROPOSAL MINERAL-OVERLAY GEO-HAZARD(t) ARCHAEOLOGY(t) CLIMATE-FEASIBILITY(t) FOREST-LAND SEISMIC-SAFETY(t) FLOOD-IMPACT
 *  1 LAND-PREEXAM ENERGY-REVIEW SOCIAL-STABILITY(t) EIA SOIL-WATER
 *  2 FEASIBILITY — accepted D2, returned (补正) the same day, resubmitted D4, approved D5
 *  3 LAND-CONVERSION — accepted D5, expert review (Art. 45) from D5 to D7, approved D8
 *  4 LAND-ALLOCATION · 5 LAND-USE-PLANNING-PERMIT
 *  6 DESIGN-SCHEME DRAINAGE POWER(u) WATER-SUPPLY(u) GAS(u) TELECOM(u)
 *  7 PRELIM-DESIGN SEISMIC-HIGHRISE CIVIL-DEFENCE · 8 WORKS-PLANNING-PERMIT
 *  9 DRAWING-REVIEW(technical) · 10 FIRE-DESIGN · 11 TENDER(owner) · 12 QUALITY-SUPERVISION
 * 13 CONSTRUCTION-PERMIT — approved D18
 * Every other wave is submitted and accepted at 10:00 of its first day and approved at 10:00 the next.
 *
 * By hand: wave w's approval items are on the clock on the day after it starts, except FEASIBILITY (D3 and
 * D4 paused: counts D5) and LAND-CONVERSION (D6 and D7 paused: counts D8). Counted days: D1 D2 D5 D8 D9
 * D10 D11 D12 D13 D15 D17 D18 = 12 (D14: the drawing review is technical; D16: the tender is the owner's).
 * Elapsed to the permit: D0 → D18 = 18 working days.
 */

const WORKING_DAYS = [
  '06-04',
  '06-05',
  '06-06',
  '06-07',
  '06-08',
  '06-11',
  '06-12',
  '06-13',
  '06-16',
  '06-18',
  '06-19',
  '06-20',
  '06-21',
  '06-22',
  '06-25',
  '06-26',
  '06-27',
  '06-28',
  '06-29',
];
const at = (day: number, time = '10:00') => Date.parse(`2035-${WORKING_DAYS[day]}T${time}:00+08:00`);

const secretary = { role: 'secretary', id: 'sec-wang' } as const;

const h = useHarness('approval-time', at(0));

describe('the demo hospital to its construction permit', () => {
  it('takes 12 working days of approval time and 18 elapsed', async () => {
    const result = instantiatePlan(shippedCatalog, 'gov-building');
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const plan = result.plan;
    const code = 'DEMO-2026-001';
    const project = newProject(code, plan, { name: '市第一人民医院新院区', leader: 'leader-li' });
    const handle = await h.start(code, { kind: 'new', ...project });
    const dept = (item: string) =>
      ({ role: 'department', department: plan.items.find((i) => i.code === item)!.department }) as const;
    const decide = (d: Decision) => send(handle, d);

    const done = new Set<string>();
    const waves: string[][] = [];
    let day = 0;
    while (!done.has('CONSTRUCTION-PERMIT')) {
      const wave = plan.items
        .filter((i) => !done.has(i.code) && i.prerequisites.every((p) => done.has(p)))
        .map((i) => i.code);
      waves.push(wave);
      await h.skipTo(at(day));
      for (const item of wave) {
        await decide({ action: 'submit', item, actor: secretary });
        await decide({ action: 'accept', item, actor: dept(item) });
      }
      if (wave.includes('FEASIBILITY')) {
        await h.skipTo(at(day, '11:00'));
        await decide({
          action: 'return',
          item: 'FEASIBILITY',
          actor: dept('FEASIBILITY'),
          missing: ['节能审查意见'],
        });
        await h.skipTo(at(day + 2));
        await decide({ action: 'resubmit', item: 'FEASIBILITY', actor: secretary });
        day += 2;
      }
      if (wave.includes('LAND-CONVERSION')) {
        await h.skipTo(at(day, '11:00'));
        const actor = dept('LAND-CONVERSION');
        await decide({
          action: 'suspend',
          item: 'LAND-CONVERSION',
          actor,
          period: 'expertReview',
          expectedDays: 2,
        });
        await h.skipTo(at(day + 2));
        await decide({ action: 'resume', item: 'LAND-CONVERSION', actor });
        day += 2;
      }
      day += 1;
      await h.skipTo(at(day));
      for (const item of wave) {
        await decide({ action: 'approve', item, actor: dept(item), documentNo: `${item}〔2035〕1号` });
        done.add(item);
      }
    }
    // The waves the figures above were computed from.
    expect(waves.map((w) => w.length)).toEqual([8, 5, 1, 1, 1, 1, 6, 3, 1, 1, 1, 1, 1, 1]);
    expect(waves[2]).toEqual(['FEASIBILITY']);
    expect(waves[3]).toEqual(['LAND-CONVERSION']);
    expect(waves[9]).toEqual(['DRAWING-REVIEW']);
    expect(waves[11]).toEqual(['TENDER']);
    expect(day).toBe(18);

    const { state } = await h.state(handle);
    const now = await h.now();
    const time = stateApprovalTime(state, makeCalendar(testCalendarYears()), now);
    expect(time.toPermit).toEqual({ date: '2035-06-29', countedDays: 12, elapsedDays: 18 });
    expect(time.countedDays).toBe(12); // nothing after the permit has been submitted
    expect(time.committedDays).toBe(90);
    expect(time.remainingDays).toBe(78);
    // The plan as scheduled at registration: what the schedule promised for the same path.
    expect(time.planned).toMatchObject({
      countedToPermit: expect.any(Number),
      elapsedToPermit: expect.any(Number),
    });
    expect(time.planned!.elapsedToPermit!).toBeGreaterThan(time.planned!.countedToPermit!);

    // The ledger computes the same figures from what the workflow wrote to the read model.
    await until(async () => h.snapshots.at(-1)?.project.revision === state.revision);
    const rows = latestItemRecords(h.snapshots.flatMap((s) => s.items));
    const last = h.snapshots.at(-1)!.project;
    expect(last.committedDays).toBe(90);
    const ledger = ledgerApprovalTime(
      { registeredAt: last.registeredAt, plannedDays: last.plannedDays, committedDays: last.committedDays },
      rows.map((r) => toReportItem(code, r)),
      makeCalendar(testCalendarYears()),
      now,
    );
    expect(ledger.toPermit).toEqual(time.toPermit);
    expect(ledger.countedDays).toBe(12);

    // The run (returns, a stopped clock, escalations of the same-day items approved a day late) replays,
    // and goes into the replay corpus when recorded.
    await replayAndRecord(await handle.fetchHistory(), code, 'demo-hospital-to-permit');
  });
});

async function send(handle: WorkflowHandle, decision: Decision) {
  return handle.executeUpdate(decideItemUpdate, { args: [decision] });
}

async function until(ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the read model never caught up');
}

/** The last record written for each item. */
function latestItemRecords(records: ItemRecord[]): ItemRecord[] {
  const byCode = new Map<string, ItemRecord>();
  for (const r of records) byCode.set(r.code, r);
  return [...byCode.values()];
}

/** A read-model row as db/read-model.ts `loadItems` returns it for this record. */
function toReportItem(projectCode: string, r: ItemRecord): ReportItem {
  return {
    projectCode,
    itemCode: r.code,
    nameZh: r.nameZh,
    department: r.department,
    departmentName: null,
    stage: r.stage,
    status: r.status,
    plannedStart: r.plannedStart,
    plannedFinish: r.plannedFinish,
    latestStart: r.latestStart,
    submittedAt: r.submittedAt,
    acceptedAt: r.acceptedAt,
    dueAt: r.dueAt,
    dueDate: r.dueAt === null ? null : dueDateOf(r.dueAt),
    provisional: r.provisional,
    finishedAt: r.finishedAt,
    workingDaysUsed: r.workingDaysUsed,
    returns: r.returns,
    rung: r.rungLevel,
    timeKind: r.timeKind,
    clockStart: r.clockStart,
    pauses: r.pauses,
  };
}
