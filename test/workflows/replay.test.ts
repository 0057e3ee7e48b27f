import { readdir, readFile } from 'node:fs/promises';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../../workflow-bundle';

/**
 * Every history recorded under test/workflows/histories/ must replay against the current workflow code:
 * a change that would make a running project's history non-deterministic fails here, and needs `patched()`.
 * Record new histories with `RECORD_HISTORIES=1 npx vitest run --project workflows` when the workflow
 * changes on purpose (and keep the old ones: running projects still have them).
 */
const folder = new URL('./histories/', import.meta.url);

describe('replay of recorded project histories', () => {
  it('replays every recorded history without non-determinism', async () => {
    const files = (await readdir(folder)).filter((f) => f.endsWith('.json')).sort();
    expect(files.length).toBeGreaterThan(0);
    const histories = await Promise.all(
      files.map(async (f) => ({
        workflowId: f,
        history: historyFromJSON(JSON.parse(await readFile(new URL(f, folder), 'utf8'))),
      })),
    );
    const results = Worker.runReplayHistories(await workflowBundle(), histories);
    const failures: string[] = [];
    let replayed = 0;
    for await (const r of results) {
      replayed += 1;
      if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  });
});
