import { describe, expect, it } from 'vitest';
import { ProblemError } from '../../api/http-problem';
import { ProjectLanes } from '../../api/project-lanes';

/** A call that finishes when the test says so. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('updates to one project, a few at a time (finding: overload reported as an outage)', () => {
  it('runs at most maxInFlight per project, queues the rest in order, and never holds up another project', async () => {
    const lanes = new ProjectLanes(2, 10);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const calls = gates.map((g, i) =>
      lanes.run('P1', async () => {
        started.push(i);
        await g.opened;
        return i;
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual([0, 1]);
    expect(lanes.load('P1')).toEqual({ running: 2, waiting: 2 });
    // Another project goes straight through.
    expect(await lanes.run('P2', async () => 'other')).toBe('other');
    gates[1]!.open();
    await calls[1];
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    expect(await Promise.all(calls)).toEqual([0, 1, 2, 3]);
    expect(lanes.load('P1')).toEqual({ running: 0, waiting: 0 });
  });

  it('frees the slot when a call fails', async () => {
    const lanes = new ProjectLanes(1, 10);
    await expect(lanes.run('P1', async () => Promise.reject(new Error('refused')))).rejects.toThrow(
      'refused',
    );
    expect(await lanes.run('P1', async () => 'next')).toBe('next');
    expect(lanes.load('P1')).toEqual({ running: 0, waiting: 0 });
  });

  it('answers 429 with Retry-After, not 503, when the queue for one project is full', async () => {
    const lanes = new ProjectLanes(1, 1);
    const g = gate();
    const first = lanes.run('P1', () => g.opened);
    const second = lanes.run('P1', async () => 'queued');
    const third = lanes.run('P1', async () => 'refused');
    const refusal = await third.then(
      () => null,
      (err: unknown) => err,
    );
    expect(refusal).toBeInstanceOf(ProblemError);
    const problem = refusal as ProblemError;
    expect(problem.problem.status).toBe(429);
    expect(problem.problem.type).toBe('https://greenlane.dev/problems/too-many-requests');
    expect(problem.headers).toEqual({ 'Retry-After': '1' });
    g.open();
    await first;
    expect(await second).toBe('queued');
  });
});
