import type { CalendarYear } from '../../domain/calendar';
import type { Plan } from '../../domain/plan';
import { createProjectState, type ItemState, type ProjectState } from '../../domain/project';
import { type ItemRun, instant, type World } from './world';

/**
 * A project of the synthetic world as its workflow would hold it on working day `cut`, 12:00 China
 * time: what had happened by then is in its items' states, nothing after it. Built straight from the
 * run rather than by replaying decisions through the domain, which would only be slower: the states are
 * the ones domain/decisions.ts would leave (statuses, instants, clock start, pauses, pre-review).
 */
export function stateAt(
  world: World,
  plan: Plan,
  runs: Map<string, ItemRun>,
  opts: { code: string; start: number; cut: number; targetStart: string; calendarYears: CalendarYear[] },
): { state: ProjectState; now: number } {
  const iso = (i: number, time: string) => new Date(Date.parse(instant(world, i, time))).toISOString();
  const registered = Date.parse(instant(world, opts.start, '08:00:00'));
  const state = createProjectState(
    {
      profile: {
        code: opts.code,
        name: opts.code,
        category: plan.category,
        secretary: 'sec-bench',
        leader: 'leader-bench',
        targetStart: opts.targetStart,
      },
      plan,
      calendarYears: opts.calendarYears,
    },
    registered,
  );
  const { cut } = opts;
  for (const def of plan.items) {
    const r = runs.get(def.code)!;
    const s: ItemState = state.items[def.code]!;
    const ready = Math.max(opts.start, ...def.prerequisites.map((p) => runs.get(p)!.finish));
    const pauses = r.returns
      .filter((p) => p.at <= cut)
      .map((p) => ({
        from: iso(p.at, '11:00:00'),
        to: p.at + p.days <= cut ? iso(p.at + p.days, '09:00:00') : null,
        reason: 'return',
      }));
    if (r.submit > cut) {
      s.status = ready <= cut ? 'ready' : 'waiting';
      continue;
    }
    s.submittedAt = iso(r.submit, '09:00:00');
    s.returns = pauses.length;
    if (r.accept > cut) {
      s.status = 'submitted';
      s.preReview = ready > cut;
      continue;
    }
    s.acceptedAt = iso(r.accept, '10:00:00');
    if (r.finish <= cut) {
      s.status = 'approved';
      s.finishedAt = iso(r.finish, '16:00:00');
      s.clockStart = iso(r.clock, '10:00:00');
      s.pauses = pauses.map((p) => ({ ...p, to: p.to! }));
      continue;
    }
    s.preReview = r.clock > cut;
    if (!s.preReview) s.clockStart = iso(r.clock, '10:00:00');
    s.pauses = pauses;
    const open = pauses.some((p) => p.to === null);
    s.status = open ? 'returned' : 'accepted';
    if (open) s.returnedFrom = 'accepted';
  }
  return { state, now: Date.parse(instant(world, cut, '12:00:00')) };
}
