import { loadavg } from 'node:os';
import { check } from './decisions/checks';
import { runPath, runRounds } from './decisions/drive';
import { castOf, greenlanePath, type Path, type PathName, rawPath, STEPS } from './decisions/paths';
import { profileApi } from './decisions/profile';
import { NAME, summarize, toMarkdown } from './decisions/results';
import { govBuildingPlan } from './lib/gov-building';
import { type BenchOptions, publishResults } from './lib/results';
import { startStack } from './lib/stack';

/**
 * Decision throughput and latency. On one real stack (PostgreSQL,
 * Temporal dev server, worker and API as child processes), N gov-building projects (47 items each) are
 * worked to approval twice, at the same concurrency:
 *
 * - greenlane: registered with `POST /projects`, every item submitted by its secretary, accepted and
 *   approved by its department with `POST /projects/{code}/items/{item}/decisions` (API keys,
 *   Idempotency-Keys), following `opened` from each answer;
 * - raw: the same projects started with `client.workflow.start` and the same decisions sent with
 *   `handle.executeUpdate(decideItemUpdate)` from this process: no HTTP, auth, idempotency, read-model
 *   lookup or audit. Greenlane / raw is the cost of our layer.
 *
 * The latency of a decision is from sending it to having the answer, not counting the wait for a slot
 * under the concurrency limit. Every decision must succeed; the goals (throughput ≥ 0.7× raw, p99 ≤
 * 1.5× raw) are reported, not enforced.
 */

/** Projects driven through the instrumented in-process API to see where a request's time goes. */
const PROFILE_PROJECTS = { full: 4, quick: 1 };

export type DecisionsOptions = BenchOptions & {
  projects?: number;
  concurrency?: number;
  temporal?: 'dev' | 'cluster';
};

const DEFAULTS = { full: { projects: 20, concurrency: 16 }, quick: { projects: 2, concurrency: 4 } };

export async function decisions(opts: DecisionsOptions): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadavg()[0]!;
  const defaults = opts.quick ? DEFAULTS.quick : DEFAULTS.full;
  const projects = opts.projects ?? defaults.projects;
  const concurrency = opts.concurrency ?? defaults.concurrency;
  const plan = govBuildingPlan();
  const perProject = plan.items.length * STEPS.length;
  console.log(
    `${projects} projects × ${plan.items.length} items (${perProject} decisions each) per path, concurrency ${concurrency}`,
  );

  const setupStart = performance.now();
  const stack = await startStack({ volatile: opts.volatile, temporal: opts.temporal });
  try {
    const cast = await castOf(stack, plan, Math.min(projects, 4));
    const paths: Record<PathName, Path> = {
      greenlane: greenlanePath(stack.apiUrl, cast),
      raw: await rawPath(stack, cast),
    };
    const setupMs = performance.now() - setupStart;

    // Not measured: the first requests pay for JIT, connection pools and caches in every process.
    if (!opts.quick) {
      for (const name of ['greenlane', 'raw'] as const) {
        await runPath(stack, paths[name], cast, [`W${name[0]!.toUpperCase()}-${stack.tag}`], concurrency);
      }
    }
    const { greenlane, raw, rounds } = await runRounds(stack, paths, cast, {
      projects,
      concurrency,
      abba: !opts.quick && projects >= 2,
    });
    const checks = await check(stack, { greenlane, raw }, perProject);
    const profile = await profileApi(stack, cast, {
      codes: Array.from(
        { length: opts.quick ? PROFILE_PROJECTS.quick : PROFILE_PROJECTS.full },
        (_, i) => `BP-${stack.tag}-${i + 1}`,
      ),
      concurrency,
    });
    checks.problems.push(...profile.problems);
    const result = summarize({
      startedAt,
      quick: opts.quick,
      projects,
      concurrency,
      plan,
      setupMs,
      greenlane,
      raw,
      checks,
      stack,
      profile,
      loadBefore,
      rounds,
    });
    const markdown = toMarkdown(result);
    await publishResults(
      opts.temporal === 'cluster' ? `${NAME}-cluster` : NAME,
      { quick: opts.quick, startedAt },
      result,
      markdown,
    );
    if (checks.problems.length > 0) {
      const output = stack.output();
      throw new Error(
        `${NAME} failed:\n  ${checks.problems.join('\n  ')}\n--- api ---\n${output.api}\n--- worker ---\n${output.worker}`,
      );
    }
  } finally {
    await stack.stop();
  }
}
