/**
 * A project's colour on the battle map (挂图作战), as the cities' card schemes use it: red once an item
 * or problem reached the red card (督办 to the responsible leader) or beyond; yellow at a yellow card or
 * with any item overdue; green otherwise.
 */
export type Colour = 'green' | 'yellow' | 'red';

export function projectColour(p: { escalationLevel: number; overdueItems: number }): Colour {
  if (p.escalationLevel >= 3) return 'red';
  if (p.escalationLevel >= 2 || p.overdueItems > 0) return 'yellow';
  return 'green';
}

export const colourLabelZh: Record<Colour, string> = { green: '绿灯', yellow: '黄灯', red: '红灯' };
