import { getHeapStatistics } from 'node:v8';

/**
 * How many projects a worker keeps in its workflow cache. A cached project answers a decision at once;
 * one that is not must first be replayed from its history, which takes longer the longer it has lived.
 *
 * The SDK would size the cache for about 1.7 MiB of heap per workflow ((heap MiB − 200) × 600 / 1024),
 * which fits what a workflow cost while each held its own instance of the workflow modules. They are
 * shared now (workflow-bundle.ts) and a cached project holds its state and the SDK's bookkeeping: about
 * 150 KiB for the scale benchmark's young projects, and a project's state grows by about 70 KiB by the
 * time all 47 items of a government building are approved, each returned once and escalated (17 → 87
 * KiB). `PROJECT_HEAP_KIB` is that with a margin. The cache gets the heap less `RESERVED_HEAP_MIB` for
 * the shared modules, in-flight work and the V8 context; the workflow thread's heap limit is the
 * process's (the same node flags; 4,144 MiB for both by default on a 24 GiB machine).
 */
export const PROJECT_HEAP_KIB = 400;
const RESERVED_HEAP_MIB = 256;

export function cachedProjectsForHeap(heapLimitBytes = getHeapStatistics().heap_size_limit): number {
  const available = heapLimitBytes / 2 ** 20 - RESERVED_HEAP_MIB;
  return Math.max(Math.floor((available * 1024) / PROJECT_HEAP_KIB), 10);
}
