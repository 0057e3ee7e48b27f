import { describe, expect, it } from 'vitest';
import { AccessCache } from '../../api/access';

const access = (secretary: string) => ({
  secretary,
  leader: 'leader-li',
  itemDepartments: new Map([['EIA', 'STHJ']]),
});

describe('the per-process cache of project authorization facts', () => {
  it('answers within its time to live, forgets on demand, and expires', async () => {
    const cache = new AccessCache(40);
    cache.set('P1', access('sec-wang'));
    expect(cache.get('P1')?.secretary).toBe('sec-wang');
    cache.forget('P1');
    expect(cache.get('P1')).toBeUndefined();
    cache.set('P1', access('sec-zhao'));
    await new Promise((r) => setTimeout(r, 60));
    expect(cache.get('P1')).toBeUndefined();
  });

  it('holds at most its size, dropping the oldest entry', () => {
    const cache = new AccessCache(60_000, 2);
    cache.set('P1', access('a'));
    cache.set('P2', access('b'));
    cache.set('P3', access('c'));
    expect([cache.get('P1'), cache.get('P2')?.secretary, cache.get('P3')?.secretary]).toEqual([
      undefined,
      'b',
      'c',
    ]);
  });
});
