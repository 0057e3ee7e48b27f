import { describe, expect, it, vi } from 'vitest';
import {
  type ChildRun,
  DEFAULT_RESTART_POLICY,
  decideOnExit,
  formatDuration,
  type RestartPolicy,
  type SupervisedChild,
  supervise,
} from '../../scripts/supervisor';

const MIN = 60_000;

describe('the restart policy (decideOnExit)', () => {
  const policy = DEFAULT_RESTART_POLICY;

  it('restarts a first crash after 1 s, and doubles the delay for each restart within the window', () => {
    const restarts: number[] = [];
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const now = i * 30_000;
      const decision = decideOnExit(restarts, now, policy, false);
      expect(decision).toMatchObject({ action: 'restart', attempt: i + 1 });
      if (decision.action === 'restart') delays.push(decision.delayMs);
      restarts.push(now);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
  });

  it('gives up at the sixth exit within 10 minutes', () => {
    const restarts = [0, 1_000, 3_000, 7_000, 15_000];
    expect(decideOnExit(restarts, 9 * MIN, policy, false)).toEqual({ action: 'give-up', restarts: 5 });
  });

  it('forgets restarts older than the window: a crash a day restarts after 1 s every time', () => {
    const restarts = [0, 1_000, 3_000, 7_000, 15_000];
    // 10 minutes after the first one, that one no longer counts.
    expect(decideOnExit(restarts, 10 * MIN, policy, false)).toEqual({
      action: 'restart',
      attempt: 5,
      delayMs: 16_000,
    });
    expect(decideOnExit(restarts, 15_000 + 10 * MIN, policy, false)).toEqual({
      action: 'restart',
      attempt: 1,
      delayMs: 1_000,
    });
    const daily = [0, 24 * 60 * MIN, 48 * 60 * MIN];
    expect(decideOnExit(daily, 72 * 60 * MIN, policy, false)).toMatchObject({ attempt: 1, delayMs: 1_000 });
  });

  it('never waits longer than maxDelayMs', () => {
    const many: RestartPolicy = { ...policy, maxRestarts: 20 };
    const restarts = Array.from({ length: 9 }, (_, i) => i * 1_000);
    expect(decideOnExit(restarts, 10_000, many, false)).toEqual({
      action: 'restart',
      attempt: 10,
      delayMs: 30_000,
    });
  });

  it('restarts nothing once shutdown began, even past the cap', () => {
    expect(decideOnExit([], 0, policy, true)).toEqual({ action: 'stay-down' });
    expect(decideOnExit([0, 1, 2, 3, 4, 5], 6, policy, true)).toEqual({ action: 'stay-down' });
  });

  it('words durations for the log', () => {
    expect([250, 1_000, 1_500, 16_000, 10 * MIN, 90_000].map(formatDuration)).toEqual([
      '250 ms',
      '1 s',
      '1.5 s',
      '16 s',
      '10 min',
      '90 s',
    ]);
  });
});

// --- Running a child through it, with runs that are not processes -------------------------------------

type FakeRun = ChildRun & { exit(how: string): void; stopped: boolean };

function fakeRun(pid: number): FakeRun {
  let end: (how: string) => void = () => {};
  const exited = new Promise<string>((resolve) => {
    end = resolve;
  });
  const run: FakeRun = {
    pid,
    exited,
    stopped: false,
    exit: (how) => end(how),
    async stop() {
      run.stopped = true;
      end('SIGTERM');
    },
  };
  return run;
}

/** A child whose runs the test ends by hand; its starts can be made to fail or to hang. */
function fakeChild(
  policy: RestartPolicy = { firstDelayMs: 5, maxDelayMs: 40, maxRestarts: 3, windowMs: MIN },
) {
  const runs: FakeRun[] = [];
  const lines: string[] = [];
  const gaveUp: string[] = [];
  const states: boolean[] = [];
  let failNext = 0;
  let hold: Promise<void> | undefined;
  const controller = new AbortController();
  const start = vi.fn(async (): Promise<ChildRun> => {
    if (hold) await hold;
    if (failNext > 0) {
      failNext -= 1;
      throw new Error('port 7233 is in use\nand the log tail');
    }
    const run = fakeRun(100 + runs.length);
    runs.push(run);
    return run;
  });
  const supervised = supervise({
    name: 'worker',
    start,
    policy,
    signal: controller.signal,
    log: (line) => lines.push(line),
    onGiveUp: (reason) => gaveUp.push(reason),
    onChange: (child: SupervisedChild) => states.push(child.restarting),
  });
  return {
    runs,
    lines,
    gaveUp,
    states,
    start,
    supervised,
    shutdown: () => controller.abort(),
    failStarts: (n: number) => {
      failNext = n;
    },
    holdStarts: () => {
      let release: () => void = () => {};
      hold = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        hold = undefined;
        release();
      };
    },
  };
}

describe('supervise', () => {
  it('starts a run that exited again, saying which child, how it ended, the attempt and the delay', async () => {
    const c = fakeChild();
    const child = await c.supervised;
    expect(child.pid).toBe(100);
    c.runs[0]!.exit('SIGKILL');
    await vi.waitFor(() => expect(c.runs).toHaveLength(2));
    await vi.waitFor(() => expect(child.restarting).toBe(false));
    expect(child.pid).toBe(101);
    expect(child.restarts).toBe(1);
    expect(c.lines[0]).toBe('worker exited unexpectedly (SIGKILL): restart 1 of 3 within 1 min, in 5 ms');
    expect(c.lines[1]).toMatch(/^worker is running again \(pid 101\), [\d.]+ m?s after it exited$/);
    // Ready, restarting, ready again.
    expect(c.states).toEqual([false, true, false]);
    await child.stop();
    expect(c.runs[1]!.stopped).toBe(true);
  });

  it('gives up, once, when the child exits more often than the cap allows', async () => {
    const c = fakeChild();
    const child = await c.supervised;
    for (let i = 0; i < 3; i++) {
      c.runs[i]!.exit('exit code 1');
      await vi.waitFor(() => expect(c.runs).toHaveLength(i + 2));
    }
    c.runs[3]!.exit('exit code 1');
    await vi.waitFor(() => expect(c.gaveUp).toHaveLength(1));
    expect(c.gaveUp[0]).toBe(
      'worker exited unexpectedly (exit code 1) after 3 restarts within 1 min: giving up',
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(c.start).toHaveBeenCalledTimes(4);
    expect(c.lines.filter((l) => l.includes('restart '))).toEqual([
      expect.stringContaining('restart 1 of 3 within 1 min, in 5 ms'),
      expect.stringContaining('restart 2 of 3 within 1 min, in 10 ms'),
      expect.stringContaining('restart 3 of 3 within 1 min, in 20 ms'),
    ]);
    await child.stop();
  });

  it('restarts nothing once shutdown began', async () => {
    const c = fakeChild();
    const child = await c.supervised;
    c.shutdown();
    c.runs[0]!.exit('SIGTERM');
    await new Promise((r) => setTimeout(r, 50));
    expect(c.start).toHaveBeenCalledTimes(1);
    expect(c.lines).toEqual([]);
    await child.stop();
  });

  it('a shutdown during the restart delay cancels the restart', async () => {
    const c = fakeChild({ firstDelayMs: 10_000, maxDelayMs: 10_000, maxRestarts: 3, windowMs: MIN });
    const child = await c.supervised;
    c.runs[0]!.exit('SIGKILL');
    await vi.waitFor(() => expect(c.lines).toHaveLength(1));
    const stopping = Date.now();
    await child.stop();
    expect(Date.now() - stopping).toBeLessThan(1_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.start).toHaveBeenCalledTimes(1);
  });

  it('a stop during a restart under way waits for it, then stops the new run', async () => {
    const c = fakeChild();
    const child = await c.supervised;
    const release = c.holdStarts();
    c.runs[0]!.exit('SIGKILL');
    await vi.waitFor(() => expect(c.start).toHaveBeenCalledTimes(2));
    const stopped = child.stop();
    release();
    await stopped;
    expect(c.runs).toHaveLength(2);
    expect(c.runs[1]!.stopped).toBe(true);
    expect(c.lines.some((l) => l.includes('running again'))).toBe(false);
  });

  it('a restart that fails counts as an exit: tried again after a longer delay, its reason on one line', async () => {
    const c = fakeChild();
    const child = await c.supervised;
    c.failStarts(1);
    c.runs[0]!.exit('SIGKILL');
    await vi.waitFor(() => expect(c.runs).toHaveLength(2));
    expect(c.lines[1]).toBe(
      'worker exited unexpectedly (its restart failed: port 7233 is in use): restart 2 of 3 within 1 min, in 10 ms',
    );
    expect(child.restarts).toBe(2);
    await child.stop();
  });

  it('a first start that fails is the caller’s to report: it throws and nothing retries', async () => {
    const controller = new AbortController();
    const start = vi.fn(async (): Promise<ChildRun> => {
      throw new Error('cannot reach Temporal');
    });
    await expect(
      supervise({ name: 'api', start, signal: controller.signal, log: () => {}, onGiveUp: () => {} }),
    ).rejects.toThrow('cannot reach Temporal');
    expect(start).toHaveBeenCalledTimes(1);
  });
});
