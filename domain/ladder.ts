import { z } from 'zod';

/**
 * The escalation ladder (督办制) and department points, as data.
 *
 * Every rung sits a number of working days from a deadline (negative = before it). A rung fires once per
 * round of an item or problem; department points are deducted per rung and doubled when the delay is the
 * department's own (the file was in its hands). Passing the alert threshold tells the responsible leader.
 */

export const RungName = z.enum(['reminder', 'yellow', 'red', 'interview']);
export type RungName = z.infer<typeof RungName>;

/** Who a rung reaches: the handling officer, the project secretary, the department head (一把手), the leader. */
export const Recipient = z.enum(['handler', 'secretary', 'departmentHead', 'leader']);
export type Recipient = z.infer<typeof Recipient>;

/**
 * The level of each rung. Items and problems carry the level of the last rung fired; a leader's standing,
 * the digests and the meeting agenda read a level at or past `yellow` as a yellow card and at or past
 * `red` as a red one.
 */
export const RUNG_LEVEL: Readonly<Record<RungName, number>> = {
  reminder: 1,
  yellow: 2,
  red: 3,
  interview: 4,
};

const RUNG_AT_LEVEL: ReadonlyMap<number, RungName> = new Map(
  Object.entries(RUNG_LEVEL).map(([name, level]) => [level, name as RungName]),
);

/** The rung a level stands for; undefined for 0 (none fired) or a level no rung has. */
export const rungNameOf = (level: number): RungName | undefined => RUNG_AT_LEVEL.get(level);

export const Rung = z.object({
  name: RungName,
  /** 1 reminder (提醒), 2 yellow card (黄牌), 3 red card (红牌), 4 interview notice (约谈): `RUNG_LEVEL`. */
  level: z.number().int().min(1).max(9),
  offsetWorkingDays: z.number().int().min(-30).max(60),
  notify: z.array(Recipient).min(1),
  points: z.number().int().min(0).max(100),
});
export type Rung = z.infer<typeof Rung>;

export const EscalationPolicy = z
  .object({
    rungs: z.array(Rung).min(1),
    /** Points double when the delay is the department's own. */
    doubleWhenOwnDelay: z.boolean(),
    /** A department's points within one project at or past this tell the responsible leader. */
    alertThreshold: z.number().int().positive(),
  })
  .superRefine((p, ctx) => {
    // The rung's name is in each escalation's dedupe key: a second rung of the same name would be dropped
    // as a duplicate by the escalation store and never reach anyone.
    const seen = new Set<string>();
    p.rungs.forEach((r, i) => {
      if (seen.has(r.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rungs', i, 'name'],
          message: `rung ${r.name} is named twice: each rung needs its own name, which keys its escalations`,
        });
      }
      seen.add(r.name);
    });
    for (let i = 1; i < p.rungs.length; i++) {
      const prev = p.rungs[i - 1]!;
      const cur = p.rungs[i]!;
      if (cur.offsetWorkingDays <= prev.offsetWorkingDays || cur.level <= prev.level) {
        ctx.addIssue({
          code: 'custom',
          path: ['rungs', i],
          message: `rung ${cur.name} must come after ${prev.name}: both its offset and its level must be higher`,
        });
      }
    }
  });
export type EscalationPolicy = z.infer<typeof EscalationPolicy>;

/**
 * The default ladder, as the cities' electronic-supervision rules set it: a reminder to the handler
 * before the deadline, a yellow card to the department head when it passes, a red card to the
 * responsible leader after that, then an interview notice; each card costs the department points.
 */
export const defaultEscalationPolicy: EscalationPolicy = EscalationPolicy.parse({
  rungs: [
    {
      name: 'reminder',
      level: RUNG_LEVEL.reminder,
      offsetWorkingDays: -1,
      notify: ['handler', 'secretary'],
      points: 0,
    },
    {
      name: 'yellow',
      level: RUNG_LEVEL.yellow,
      offsetWorkingDays: 0,
      notify: ['departmentHead', 'secretary'],
      points: 1,
    },
    {
      name: 'red',
      level: RUNG_LEVEL.red,
      offsetWorkingDays: 2,
      notify: ['leader', 'departmentHead', 'secretary'],
      points: 2,
    },
    {
      name: 'interview',
      level: RUNG_LEVEL.interview,
      offsetWorkingDays: 5,
      notify: ['leader', 'departmentHead', 'secretary'],
      points: 3,
    },
  ],
  doubleWhenOwnDelay: true,
  alertThreshold: 20,
});

export const rungLabelZh: Record<RungName, string> = {
  reminder: '到期提醒',
  yellow: '黄牌预警',
  red: '红牌督办',
  interview: '约谈通知',
};

/** Points a rung costs the department. */
export function pointsFor(rung: Rung, ownDelay: boolean, policy: EscalationPolicy): number {
  return ownDelay && policy.doubleWhenOwnDelay ? rung.points * 2 : rung.points;
}

/** The next rung to fire after `firedLevel` (0 = none yet), or undefined when the ladder is done. */
export function nextRung(policy: EscalationPolicy, firedLevel: number): Rung | undefined {
  return policy.rungs.find((r) => r.level > firedLevel);
}
