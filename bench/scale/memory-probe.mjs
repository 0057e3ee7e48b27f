// Where a worker's memory goes, for `npm run bench -- scale` (bench/README.md, scale). Not part of
// the product: preloaded into every Node process of a benchmark with
//   MEMPROBE_DIR=/tmp/probe NODE_OPTIONS="--import $PWD/bench/scale/memory-probe.mjs" npm run bench -- scale
// it acts only in the worker process (worker.ts) and in its threads, the workflow thread included.
// Every 10 s each of them appends a line to MEMPROBE_DIR/mem-<pid>.jsonl: its V8 heap (used, committed,
// limit) and, in the main thread, the process RSS; RSS minus both heaps is native memory (Temporal's Rust
// core, the allocator). With MEMPROBE_SNAP_MB=110,260 the workflow thread also writes a heap snapshot
// (MEMPROBE_DIR/thread-<pid>-<MiB>.heapsnapshot) as its heap passes each size; two snapshots of one run,
// divided by the difference in workflows (`Activator` objects), give the heap per cached workflow.
import { appendFileSync } from 'node:fs';
import v8 from 'node:v8';
import { isMainThread, threadId } from 'node:worker_threads';

const dir = process.env.MEMPROBE_DIR;
// Worker threads inherit the environment as it is when they start, so the main thread marks it.
if (isMainThread && dir && process.argv.some((arg) => arg.endsWith('worker.ts'))) {
  process.env.MEMPROBE_ACTIVE = '1';
}
if (dir && process.env.MEMPROBE_ACTIVE === '1') {
  const file = `${dir}/mem-${process.pid}.jsonl`;
  const sample = () => {
    const heap = v8.getHeapStatistics();
    const row = {
      t: Date.now(),
      thread: threadId,
      main: isMainThread,
      heapUsed: heap.used_heap_size,
      heapTotal: heap.total_heap_size,
      heapLimit: heap.heap_size_limit,
      external: heap.external_memory,
      contexts: heap.number_of_native_contexts,
      ...(isMainThread ? { rss: process.memoryUsage.rss() } : {}),
    };
    appendFileSync(file, `${JSON.stringify(row)}\n`);
  };
  setInterval(sample, 10_000).unref();

  const snapshotsAt = (process.env.MEMPROBE_SNAP_MB ?? '').split(',').filter(Boolean).map(Number);
  if (!isMainThread && snapshotsAt.length > 0) {
    const timer = setInterval(() => {
      if (v8.getHeapStatistics().used_heap_size <= snapshotsAt[0] * 2 ** 20) return;
      const mib = snapshotsAt.shift();
      if (snapshotsAt.length === 0) clearInterval(timer);
      v8.writeHeapSnapshot(`${dir}/thread-${process.pid}-${mib}.heapsnapshot`);
    }, 1_000);
    timer.unref();
  }
}
