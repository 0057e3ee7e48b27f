/**
 * Pacing, as pure functions of time: per-target rate windows, folding a backlog into digests, and the
 * retry backoff. The dispatcher feeds them the request log kept in PostgreSQL (shared by every worker)
 * and its injectable clock, so tests move time instead of waiting for it.
 */

/** At most `max` requests within any `windowMs`. */
export type RateLimit = { max: number; windowMs: number };

/** Provider limits per robot (messages per minute each robot accepts). E-mail and the webhook have none of their own. */
export const channelLimits = {
  dingtalk: [{ max: 20, windowMs: 60_000 }],
  wecom: [{ max: 20, windowMs: 60_000 }],
  feishu: [
    { max: 5, windowMs: 1_000 },
    { max: 100, windowMs: 60_000 },
  ],
  email: [],
  webhook: [],
} as const satisfies Record<string, RateLimit[]>;

/**
 * Windows are widened by this fraction: a request is logged when it is claimed and reaches the provider a
 * little later (after the claim commits, and after other requests to the same target in the batch), so
 * a window counted exactly from claim times could let the provider see one request too many. DingTalk
 * punishes that with a 10-minute silence.
 */
export const WINDOW_MARGIN = 0.1;

/**
 * How many requests a target may take at `now`, given the instants of its earlier requests, and, when
 * none, the first instant at which one will be free.
 */
export function freeSlots(
  history: readonly number[],
  limits: readonly RateLimit[],
  now: number,
): { free: number; nextFreeAt: number } {
  let free = Number.POSITIVE_INFINITY;
  let nextFreeAt = now;
  for (const limit of limits) {
    const window = Math.ceil(limit.windowMs * (1 + WINDOW_MARGIN));
    const inWindow = history.filter((t) => t > now - window && t <= now).sort((a, b) => a - b);
    const left = limit.max - inWindow.length;
    free = Math.min(free, Math.max(0, left));
    if (left <= 0) {
      // The window frees a slot when its (excess + 1)-th oldest request leaves it.
      const leaving = inWindow[inWindow.length - limit.max]!;
      nextFreeAt = Math.max(nextFreeAt, leaving + window);
    }
  }
  return { free: Number.isFinite(free) ? free : Number.MAX_SAFE_INTEGER, nextFreeAt };
}

/**
 * How to send `due` messages to a target with `free` requests left: the sizes of the requests, in order
 * (1 = a message of its own, more = a digest), and how many wait for the next free slot. Messages fit
 * in free requests go alone; past that, as many as possible still go alone and the rest are folded into
 * digests of at most `digestMax`; only what even full digests cannot carry waits. Nothing is dropped.
 */
export function planRequests(
  due: number,
  free: number,
  digestMax: number,
): { sizes: number[]; deferred: number } {
  if (due <= free) return { sizes: Array(due).fill(1), deferred: 0 };
  if (free <= 0) return { sizes: [], deferred: due };
  const d = Math.max(1, digestMax);
  if (d === 1 || Math.ceil(due / d) > free) {
    return { sizes: Array(free).fill(d), deferred: due - free * d };
  }
  let singles = free - 1;
  while (singles > 0 && singles + Math.ceil((due - singles) / d) > free) singles--;
  const sizes: number[] = Array(singles).fill(1);
  for (let rest = due - singles; rest > 0; rest -= d) sizes.push(Math.min(d, rest));
  return { sizes, deferred: 0 };
}

/**
 * The wait before retry number `attempt` (1 = after the first failure): exponential from `baseMs`,
 * capped at `capMs`, with “equal jitter” (half fixed, half random) so that rows that failed together do
 * not all come back at the same instant.
 */
export function retryDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(exp / 2 + random() * (exp / 2));
}
