import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { cachedProjectsForHeap } from '../../worker-cache';

/** How many projects a worker keeps cached: set by WORKER_CACHED_PROJECTS, else sized from its heap. */

const base = { DATABASE_URL: 'postgres://u@h/d' };
const MiB = 2 ** 20;

describe('the worker cache', () => {
  it('is sized from the heap when WORKER_CACHED_PROJECTS is unset or empty (compose passes empty values)', () => {
    expect(loadConfig(base).temporal.cachedProjects).toBeUndefined();
    expect(loadConfig({ ...base, WORKER_CACHED_PROJECTS: '' }).temporal.cachedProjects).toBeUndefined();
    // Node's default heap limit on a 24 GiB machine, 4,144 MiB: 3,888 MiB for projects at 400 KiB each.
    expect(cachedProjectsForHeap(4_144 * MiB)).toBe(9_953);
    expect(cachedProjectsForHeap(2_048 * MiB)).toBe(4_587);
    // A tiny heap still caches a few.
    expect(cachedProjectsForHeap(200 * MiB)).toBe(10);
  });

  it('takes a number of projects, and refuses one that would disable or cripple the cache', () => {
    expect(loadConfig({ ...base, WORKER_CACHED_PROJECTS: '6000' }).temporal.cachedProjects).toBe(6000);
    for (const bad of ['1', '0', '-5', '2.5', 'many']) {
      expect(() => loadConfig({ ...base, WORKER_CACHED_PROJECTS: bad }), bad).toThrow(
        /WORKER_CACHED_PROJECTS/,
      );
    }
  });
});
