import { describe, expect, it } from 'vitest';
import { AccessCache } from '../../api/access';

const access = (secretary: string) => ({
  secretary,
  leader: 'leader-li',
  itemDepartments: new Map([['EIA', 'STHJ']]),
});

describe('the per-process cache of project authorization facts', () => {
  it('answers nothing until its listener is live, and forgets everything when the listener is lost', () => {
    const cache = new AccessCache();
    cache.set('P1', access('sec-wang'));
    expect(cache.get('P1')).toBeUndefined();
    cache.setLive(true);
    cache.set('P1', access('sec-wang'));
    expect(cache.get('P1')?.secretary).toBe('sec-wang');
    cache.setLive(false);
    expect(cache.get('P1')).toBeUndefined();
    cache.setLive(true);
    expect(cache.get('P1')).toBeUndefined();
  });

  it('drops a project on change, and does not store a lookup that started before the change', () => {
    const cache = new AccessCache();
    cache.setLive(true);
    cache.set('P1', access('sec-wang'));
    const stamp = cache.stamp();
    cache.changed('P1'); // heard while the lookup below was reading
    expect(cache.get('P1')).toBeUndefined();
    cache.set('P1', access('sec-wang'), stamp);
    expect(cache.get('P1')).toBeUndefined();
    // Another project's change does not hold back this one's lookup.
    const later = cache.stamp();
    cache.changed('P2');
    cache.set('P1', access('sec-zhao'), later);
    expect(cache.get('P1')?.secretary).toBe('sec-zhao');
    // Nor does a lookup stamped before a reconnect store anything.
    const beforeReset = cache.stamp();
    cache.setLive(true);
    cache.set('P1', access('sec-old'), beforeReset);
    expect(cache.get('P1')).toBeUndefined();
  });

  it('expires entries after its time to live', async () => {
    const cache = new AccessCache(40);
    cache.setLive(true);
    cache.set('P1', access('sec-zhao'));
    await new Promise((r) => setTimeout(r, 60));
    expect(cache.get('P1')).toBeUndefined();
  });

  it('holds at most its size, dropping the oldest entry', () => {
    const cache = new AccessCache(60_000, 2);
    cache.setLive(true);
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
