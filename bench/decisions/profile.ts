import { profileCpu, round } from '../lib/load';
import { breakdown, type Stack, startInstrumentedApi } from '../lib/stack';
import { runPath } from './drive';
import { type Cast, greenlanePath } from './paths';

export type Profile = Awaited<ReturnType<typeof profileApi>>;

/**
 * A few more projects through an instrumented API in this process (bench/lib/stack.ts
 * startInstrumentedApi), with this process's CPU sampled: each decision POST split into its
 * PostgreSQL statements, its Temporal calls and the rest. Not part of the measurement above.
 */
export async function profileApi(stack: Stack, cast: Cast, opts: { codes: string[]; concurrency: number }) {
  const api = await startInstrumentedApi(stack);
  try {
    const cpu = await profileCpu();
    const run = await runPath(stack, greenlanePath(api.url, cast), cast, opts.codes, opts.concurrency);
    const cpuByBucket = await cpu.stop();
    const decisions = api
      .requests()
      .filter((r) => r.method === 'POST' && r.path.endsWith('/decisions') && r.status === 200);
    return {
      projects: opts.codes.length,
      clientLatency: run.decisions.latency.summary(),
      server: breakdown(decisions),
      /** Self CPU ms per decision in this process (API and HTTP client both), by package or folder. */
      cpuMsPerDecision: cpuByBucket
        .slice(0, 12)
        .map((b) => ({ bucket: b.bucket, ms: round(b.ms / Math.max(1, decisions.length)) })),
      problems: run.errors.slice(0, 3).map((e) => `profile: ${e}`),
    };
  } finally {
    await api.stop();
  }
}
