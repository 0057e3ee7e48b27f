import { ProblemError, ProblemType } from './http-problem';

/**
 * Updates to one project, admitted a few at a time. Temporal holds at most 10 updates in flight per
 * workflow and refuses more (the SDK then retries until the call's deadline, and the caller saw a 503
 * "cannot reach Temporal" when that ran out). A joint review (联审) where twenty departments decide within the
 * same second is normal work, not an outage: here the extra ones wait their turn in this process,
 * first come first served, and only a queue longer than anyone should wait in is refused — with 429
 * and Retry-After, never a claim that Temporal is down. Other projects are never held up.
 */
export class ProjectLanes {
  private readonly lanes = new Map<string, { running: number; waiting: (() => void)[] }>();

  constructor(
    /** Below Temporal's 10 per workflow, leaving room for a second API process. */
    readonly maxInFlight = 5,
    /** More than this many waiting for one project: 429. */
    readonly maxWaiting = 200,
  ) {}

  async run<T>(code: string, fn: () => Promise<T>): Promise<T> {
    let lane = this.lanes.get(code);
    if (!lane) {
      lane = { running: 0, waiting: [] };
      this.lanes.set(code, lane);
    }
    if (lane.running < this.maxInFlight) {
      lane.running += 1;
    } else {
      if (lane.waiting.length >= this.maxWaiting) throw tooBusy(code, lane.waiting.length);
      // The slot is handed over by the finishing call (running stays the same).
      await new Promise<void>((resolve) => lane.waiting.push(resolve));
    }
    try {
      return await fn();
    } finally {
      const next = lane.waiting.shift();
      if (next) next();
      else if (--lane.running === 0) this.lanes.delete(code);
    }
  }

  /** Calls running and waiting for `code` (for tests and metrics). */
  load(code: string): { running: number; waiting: number } {
    const lane = this.lanes.get(code);
    return { running: lane?.running ?? 0, waiting: lane?.waiting.length ?? 0 };
  }
}

function tooBusy(code: string, waiting: number): ProblemError {
  return new ProblemError(
    {
      status: 429,
      type: ProblemType.tooManyRequests,
      title: 'Too many requests for this project at once',
      detail: `${waiting} requests for project ${code} are already waiting; retry in a second`,
    },
    { headers: { 'Retry-After': '1' } },
  );
}
