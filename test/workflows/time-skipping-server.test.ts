import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTimeSkippingEnv } from '../helpers/time-skipping';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('time-skipping test server (scripts/setup.sh wrapper)', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('skips time', async () => {
    expect(env.supportsTimeSkipping).toBe(true);
    const wallStart = Date.now();
    const before = await env.currentTimeMs();
    await env.sleep('3 days');
    const after = await env.currentTimeMs();
    expect(after - before).toBeGreaterThanOrEqual(3 * DAY_MS);
    // Skipped, not waited: three days pass in seconds of wall time.
    expect(Date.now() - wallStart).toBeLessThan(30_000);
  });
});
