import { describe, expect, it } from 'vitest';
import { redact, urlSecrets } from '../../notify/http';
import {
  channelLimits,
  freeSlots,
  planRequests,
  type RateLimit,
  retryDelayMs,
  WINDOW_MARGIN,
} from '../../notify/pacing';

const MINUTE = 60_000;
const widened = (ms: number) => Math.ceil(ms * (1 + WINDOW_MARGIN));

describe('rate windows', () => {
  const t0 = 1_800_000_000_000;

  it('leaves DingTalk 20 requests a minute, then none until the oldest leaves the window', () => {
    expect(freeSlots([], channelLimits.dingtalk, t0)).toEqual({ free: 20, nextFreeAt: t0 });
    const nineteen = Array.from({ length: 19 }, (_, i) => t0 - 1_000 * i);
    expect(freeSlots(nineteen, channelLimits.dingtalk, t0).free).toBe(1);
    const twenty = [...nineteen, t0 - 30_000];
    expect(freeSlots(twenty, channelLimits.dingtalk, t0)).toEqual({
      free: 0,
      nextFreeAt: t0 - 30_000 + widened(MINUTE),
    });
    // Requests older than the (widened) window no longer count.
    expect(freeSlots(twenty, channelLimits.dingtalk, t0 + widened(MINUTE)).free).toBeGreaterThan(0);
  });

  it('applies both of Feishu’s limits, 5 a second and 100 a minute', () => {
    const fiveNow = Array(5).fill(t0);
    expect(freeSlots(fiveNow, channelLimits.feishu, t0)).toEqual({
      free: 0,
      nextFreeAt: t0 + widened(1_000),
    });
    const hundred = Array.from({ length: 100 }, (_, i) => t0 - 50_000 + i * 400);
    const later = t0 + 1_000;
    expect(freeSlots(hundred, channelLimits.feishu, later).free).toBe(0);
    expect(freeSlots(hundred, channelLimits.feishu, later).nextFreeAt).toBe(t0 - 50_000 + widened(MINUTE));
  });

  it('has no limit for e-mail and the webhook', () => {
    expect(freeSlots(Array(1000).fill(t0), channelLimits.email, t0).free).toBeGreaterThan(1_000_000);
  });
});

describe('planning requests: send, fold into digests, or wait — never drop', () => {
  it('sends alone what fits', () => {
    expect(planRequests(5, 20, 10)).toEqual({ sizes: [1, 1, 1, 1, 1], deferred: 0 });
  });

  it('a burst of 25 with 20 free: 19 alone and one digest of 6', () => {
    expect(planRequests(25, 20, 10)).toEqual({ sizes: [...Array(19).fill(1), 6], deferred: 0 });
  });

  it('a backlog beyond what full digests carry waits', () => {
    expect(planRequests(500, 20, 10)).toEqual({ sizes: Array(20).fill(10), deferred: 300 });
    expect(planRequests(3, 0, 10)).toEqual({ sizes: [], deferred: 3 });
  });

  it('without digests (digestMax 1) the excess waits', () => {
    expect(planRequests(25, 20, 1)).toEqual({ sizes: Array(20).fill(1), deferred: 5 });
  });

  it('never exceeds a limit over time and delivers everything (simulated bursts)', () => {
    const check = (limits: RateLimit[], digestMax: number) => {
      let now = 1_800_000_000_000;
      const history: number[] = [];
      let pending = 0;
      let delivered = 0;
      let total = 0;
      for (let step = 0; step < 400; step++) {
        if (step % 37 === 0 && step < 300) {
          pending += 25 + (step % 5) * 9;
          total += 25 + (step % 5) * 9;
        }
        const { free, nextFreeAt } = freeSlots(history, limits, now);
        const plan = planRequests(pending, free, digestMax);
        for (const size of plan.sizes) {
          history.push(now);
          delivered += size;
        }
        pending = plan.deferred;
        now = pending > 0 && free === 0 ? Math.max(nextFreeAt, now + 1) : now + 997;
      }
      expect(delivered).toBe(total);
      for (const limit of limits) {
        for (const t of history) {
          expect(history.filter((u) => u >= t && u < t + limit.windowMs).length).toBeLessThanOrEqual(
            limit.max,
          );
        }
      }
    };
    check(channelLimits.dingtalk, 10);
    check(channelLimits.dingtalk, 1);
    check(channelLimits.feishu, 10);
  });
});

describe('retry backoff', () => {
  const base = 15_000;
  const cap = 1_800_000;

  it('doubles per attempt with half of it random, and stops growing at the cap', () => {
    expect(retryDelayMs(1, base, cap, () => 0)).toBe(7_500);
    expect(retryDelayMs(1, base, cap, () => 1)).toBe(15_000);
    expect(retryDelayMs(2, base, cap, () => 1)).toBe(30_000);
    expect(retryDelayMs(4, base, cap, () => 0.5)).toBe(90_000);
    expect(retryDelayMs(20, base, cap, () => 1)).toBe(cap);
    expect(retryDelayMs(20, base, cap, () => 0)).toBe(cap / 2);
  });
});

describe('redaction', () => {
  it('removes a webhook URL, its token and a secret, in plain and URL-encoded form', () => {
    const url = 'https://oapi.dingtalk.com/robot/send?access_token=tok_0123456789abcdef';
    const secret = 'SECabc+def/ghi=';
    const text = `POST ${url}&timestamp=1 failed; token tok_0123456789abcdef; key ${encodeURIComponent(secret)} / ${secret}`;
    const out = redact(text, [...urlSecrets(url), secret]);
    expect(out).not.toContain('tok_0123456789abcdef');
    expect(out).not.toContain(secret);
    expect(out).not.toContain(encodeURIComponent(secret));
    expect(out).toContain('***');
  });

  it('treats a Feishu hook token in the path as a secret', () => {
    const url = 'https://open.feishu.cn/open-apis/bot/v2/hook/2b3c4d5e-6f70-8192-a3b4-c5d6e7f80912';
    expect(redact(`connect to hook/2b3c4d5e-6f70-8192-a3b4-c5d6e7f80912`, urlSecrets(url))).not.toContain(
      '2b3c4d5e-6f70',
    );
  });
});
