import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Keeps `npm start`'s children running: a child that exits without being asked to is started again
 * after a delay that doubles with each restart, until it has been restarted too often within a window;
 * then the supervisor gives up and the caller stops everything. Nothing restarts once shutdown began.
 *
 * Two halves: `decideOnExit`, the policy (pure: times in, a decision out), and `supervise`, which runs
 * a child through it (any child: a process, a server started by a helper; it only needs `start()`).
 */

// --- The policy ---------------------------------------------------------------------------------------

export type RestartPolicy = {
  /** Delay before a restart when the child was not restarted within the window; doubled for each one that was. */
  firstDelayMs: number;
  /** The delay never grows beyond this. */
  maxDelayMs: number;
  /** At most this many restarts of one child within `windowMs`: the next exit gives up. */
  maxRestarts: number;
  windowMs: number;
};

/** 1, 2, 4, 8, 16 s; a sixth exit within 10 minutes gives up. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  firstDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxRestarts: 5,
  windowMs: 10 * 60_000,
};

export type ExitDecision =
  /** Shutting down: the exit was expected, or comes too late to matter. */
  | { action: 'stay-down' }
  /** Start it again after `delayMs`; this is restart number `attempt` within the window. */
  | { action: 'restart'; attempt: number; delayMs: number }
  /** It was restarted `restarts` times within the window already: stop everything. */
  | { action: 'give-up'; restarts: number };

/**
 * What to do when a child exited at `now`, given when it was restarted before (`restartTimes`, ms).
 * Restarts older than the window are forgotten: a child that crashes once a day restarts after
 * `firstDelayMs` every time.
 */
export function decideOnExit(
  restartTimes: readonly number[],
  now: number,
  policy: RestartPolicy,
  shuttingDown: boolean,
): ExitDecision {
  if (shuttingDown) return { action: 'stay-down' };
  const recent = restartTimes.filter((t) => now - t < policy.windowMs).length;
  if (recent >= policy.maxRestarts) return { action: 'give-up', restarts: recent };
  const attempt = recent + 1;
  const delayMs = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (attempt - 1));
  return { action: 'restart', attempt, delayMs };
}

/** "250 ms", "1 s", "1.5 s", "10 min" */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Number((ms / 1000).toFixed(1))} s`;
}

// --- Running a child through it --------------------------------------------------------------------

/** One run of a child, as its starter returns it once the child is ready. */
export type ChildRun = {
  readonly pid: number | undefined;
  /** Resolves when the run ends, expectedly or not, with how it ended (`SIGKILL`, `exit code 1`). */
  readonly exited: Promise<string>;
  /** Asks it to stop and waits until it did. Safe when it has already ended. */
  stop(): Promise<void>;
};

export type SupervisedChild = {
  readonly name: string;
  /** The pid of the current run. */
  readonly pid: number | undefined;
  /** True from an unexpected exit until the run that replaces it is ready. */
  readonly restarting: boolean;
  /** Restarts so far. */
  readonly restarts: number;
  /** Stops it for good (no restart afterwards; a restart under way is waited for, then stopped). */
  stop(): Promise<void>;
};

export type SuperviseOptions = {
  /** Names the child in every line (`worker`, `api`, `temporal`, `postgres`). */
  name: string;
  /** Starts one run and resolves once it is ready; rejects when it could not start. */
  start(): Promise<ChildRun>;
  policy?: RestartPolicy;
  /** Aborted when everything shuts down: from then on nothing restarts. */
  signal: AbortSignal;
  log(line: string): void;
  /** Said once, when the child has exited more often than the policy allows. */
  onGiveUp(reason: string): void;
  /** After each run became ready and when a restart begins (`restarting` is then true). */
  onChange?(child: SupervisedChild): void;
  /** Where a line may point for the child's own account of its exit, e.g. `see .data/temporal.log`. */
  hint?: string;
  now?: () => number;
};

/**
 * Starts a child and keeps it running. The first start is the caller's: if it fails, this throws and
 * nothing retries it (a child that never ran is a setup problem, not a crash). Each restart prints
 * one line: the child, how it ended, the attempt within the window and the delay; then one when the
 * new run is ready.
 */
export async function supervise(options: SuperviseOptions): Promise<SupervisedChild> {
  const policy = options.policy ?? DEFAULT_RESTART_POLICY;
  const now = options.now ?? Date.now;
  const restartTimes: number[] = [];
  /** Set by stop(): wakes a restart delay and ends the loop. */
  const stopped = new AbortController();
  const quit = AbortSignal.any([options.signal, stopped.signal]);
  let current = await options.start();
  let starting: Promise<ChildRun> | undefined;
  let restarting = false;

  const child: SupervisedChild = {
    name: options.name,
    get pid() {
      return current.pid;
    },
    get restarting() {
      return restarting;
    },
    get restarts() {
      return restartTimes.length;
    },
    async stop() {
      stopped.abort();
      await starting?.catch(() => {});
      await current.stop();
    },
  };
  options.onChange?.(child);

  const startAgain = (): Promise<ChildRun> => {
    starting = options.start().then((run) => {
      current = run;
      return run;
    });
    return starting.finally(() => {
      starting = undefined;
    });
  };

  const keepRunning = async () => {
    let how = await current.exited;
    let exitedAt = now();
    for (;;) {
      const at = now();
      const decision = decideOnExit(restartTimes, at, policy, quit.aborted);
      if (decision.action === 'stay-down') return;
      const hint = options.hint ? `; ${options.hint}` : '';
      if (decision.action === 'give-up') {
        options.onGiveUp(
          `${options.name} exited unexpectedly (${how}) after ${decision.restarts} restarts within ` +
            `${formatDuration(policy.windowMs)}: giving up${hint}`,
        );
        return;
      }
      restartTimes.push(at);
      restarting = true;
      options.onChange?.(child);
      options.log(
        `${options.name} exited unexpectedly (${how}): restart ${decision.attempt} of ${policy.maxRestarts} ` +
          `within ${formatDuration(policy.windowMs)}, in ${formatDuration(decision.delayMs)}${hint}`,
      );
      try {
        await sleep(decision.delayMs, undefined, { signal: quit });
        await startAgain();
      } catch (error) {
        if (quit.aborted) return;
        // The first line only: a server's start-up error may carry its log's tail.
        how = `its restart failed: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`;
        continue;
      }
      if (quit.aborted) return; // stop() stops the run that just started
      restarting = false;
      options.onChange?.(child);
      options.log(
        `${options.name} is running again (pid ${current.pid}), ${formatDuration(now() - exitedAt)} after it exited`,
      );
      how = await current.exited;
      exitedAt = now();
    }
  };
  void keepRunning();
  return child;
}
