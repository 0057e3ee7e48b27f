import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import { projectWorkflowId } from '../../api/temporal';
import { govBuildingPlan } from '../lib/gov-building';
import { fetchRunChain, mergeTypes } from '../lib/history';
import { measurePhase, processUsage, round } from '../lib/load';
import { startStack } from '../lib/stack';
import { runPath } from './drive';
import { castOf, greenlanePath, STEPS } from './paths';

/**
 * Where the CPU of one decision through HTTP goes, process by process (issue 15): the greenlane path of
 * `decisions` run twice on one stack, at 16 in flight, after a warm-up project.
 *
 * 1. Measured: CPU seconds of the API, the worker, Temporal and the driver from /proc, and PostgreSQL's
 *    backends split by the application_name of their connection (the API's `greenlane`, the worker's
 *    `greenlane-worker`), divided by the decisions answered. No profiler runs in this phase.
 * 2. Profiled: the same again with every thread of the API and the worker (the worker's workflow thread
 *    too) sampled by V8's profiler (lib/cpu-profile-preload.mjs, preloaded with NODE_OPTIONS into the
 *    child processes), each sample charged to a part of the work by the frames on its stack. Shares of a
 *    profile apply to the CPU measured in phase 1.
 *
 * Also the history of one project by event type. Run: `node --import tsx bench/decisions/accounting.ts
 * [projects per phase] [out dir]`; it prints a report and leaves the .cpuprofile files in the out dir.
 */

const projects = Number(process.argv[2] === 'analyze' ? 0 : (process.argv[2] ?? 8));
const out = resolve(process.argv[3] ?? '/tmp/greenlane-accounting');
const CONCURRENCY = 16;

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

/** The first rule (in order) that matches a frame on the sample's stack, innermost frame first. */
type Rule = { part: string; test: (f: ProfileNode['callFrame']) => boolean };
const fn = (...names: string[]) => {
  const set = new Set(names);
  return (f: ProfileNode['callFrame']) => set.has(f.functionName);
};
const url = (re: RegExp) => (f: ProfileNode['callFrame']) => re.test(f.url);

/** Parts of the workflow thread, by what is on the stack (innermost first). */
const WORKFLOW_RULES: Rule[] = [
  {
    part: 'SDK: stack trace of each new promise (promise hook)',
    test: (f) =>
      /promise_hooks/.test(f.url) ||
      (/vm-shared\.js/.test(f.url) && ['init', 'settled'].includes(f.functionName)),
  },
  { part: 'zod parse (validator and handler)', test: fn('safeParse', 'parse', 'parseOrRefuse') },
  {
    part: 'domain: read-model delta (records, fingerprints)',
    test: fn('delta', 'itemRecords', 'problemRecords', 'projectRecord'),
  },
  {
    part: 'domain: applyDecision / refuseDecision',
    test: fn('applyDecision', 'refuseDecision', 'refuseInPhase'),
  },
  {
    part: 'domain: escalations, deadlines (fireDueEscalations, nextEscalationAt)',
    test: fn('fireDueEscalations', 'nextEscalationAt', 'refreshAllDeadlines'),
  },
  {
    part: 'domain: summarize, search attributes, details',
    test: fn('summarize', 'publishVisibility', 'currentDetails'),
  },
  { part: 'workflow code, other', test: url(/workflow-bundle.*majorProject|workflows\//) },
  { part: 'SDK: payloads (JSON, protobuf)', test: url(/protobufjs|payload-converter|@temporalio\/proto/) },
  { part: 'SDK: activation in the workflow bundle', test: url(/workflow-bundle/) },
  {
    part: 'SDK: vm context entry, messages to the main thread',
    test: (f) =>
      f.functionName === 'runInContext' ||
      f.functionName === 'postMessage' ||
      /workflow-worker-thread|threaded-vm|reusable-vm|@temporalio/.test(f.url),
  },
];

/** Parts of a main thread (API or worker), by what is on the stack (innermost first). */
const MAIN_RULES: Rule[] = [
  {
    part: 'PostgreSQL client (kysely, pg)',
    test: url(/node_modules\/(kysely|pg|pg-pool|pg-protocol|postgres-[a-z]+)\//),
  },
  {
    part: 'Temporal client / core bridge (gRPC, protobuf, payloads)',
    test: url(/@grpc|@temporalio|protobufjs|long\//),
  },
  { part: 'zod', test: url(/node_modules\/(zod|@hono\/zod)/) },
  { part: 'HTTP server (hono, node-server)', test: url(/node_modules\/(hono|@hono\/node-server)\//) },
  { part: 'our code (api/, db/, domain/, activities/)', test: url(/\/(api|db|domain|activities|notify)\//) },
  { part: 'rxjs (worker internals)', test: url(/rxjs/) },
  { part: 'node internals (sockets, streams, timers, async hooks)', test: (f) => f.url.startsWith('node:') },
];

function partsOf(profile: CpuProfile, rules: Rule[]) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ms = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const leaf = byId.get(profile.samples[i]!)!;
    if (leaf.callFrame.functionName === '(idle)') continue;
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    total += dt;
    const frames: ProfileNode['callFrame'][] = [];
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id))
      frames.push(byId.get(id)!.callFrame);
    let part = leaf.callFrame.functionName === '(garbage collector)' ? 'garbage collector' : '';
    part ||= rules.find((r) => frames.some(r.test))?.part ?? '';
    part ||= `other (${leaf.callFrame.url ? 'JS' : leaf.callFrame.functionName || 'native'})`;
    ms.set(part, (ms.get(part) ?? 0) + dt);
  }
  return { total, parts: [...ms.entries()].sort((a, b) => b[1] - a[1]) };
}

function backendTicks(pids: { pid: number; app: string }[]): Map<string, number> {
  const byApp = new Map<string, number>();
  for (const { pid, app } of pids) {
    const u = processUsage(pid);
    if (u) byApp.set(app, (byApp.get(app) ?? 0) + u.cpuSeconds);
  }
  return byApp;
}

async function main() {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  process.env.CPU_PROFILE_DIR = out;
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${resolve('bench/lib/cpu-profile-preload.mjs')}`;
  const stack = await startStack({});
  const report: string[] = [];
  try {
    const plan = govBuildingPlan();
    const cast = await castOf(stack, plan, 4);
    const path = greenlanePath(stack.apiUrl, cast);
    await runPath(stack, path, cast, [`AW-${stack.tag}`], CONCURRENCY);
    const perProject = plan.items.length * STEPS.length;

    // Phase 1: CPU by process, PostgreSQL by caller.
    const backends = async () =>
      (
        await sql<{
          pid: number;
          app: string;
        }>`select pid, application_name as app from pg_stat_activity where backend_type = 'client backend'`.execute(
          stack.db,
        )
      ).rows;
    const before = backendTicks(await backends());
    const usage = measurePhase(stack.usage);
    const codes1 = Array.from({ length: projects }, (_, i) => `AM-${stack.tag}-${i + 1}`);
    const run1 = await runPath(stack, path, cast, codes1, CONCURRENCY);
    const used = usage.stop();
    const after = backendTicks(await backends());
    const n = run1.decisions.latency.count;
    const lat = run1.decisions.latency.summary();
    report.push(
      `phase 1 (not profiled): ${n} decisions in ${round(run1.decisions.wallMs / 1000)} s = ${round(n / (run1.decisions.wallMs / 1000), 1)}/s, p50/p99 ${lat.p50Ms}/${lat.p99Ms} ms, errors ${run1.errors.length}`,
    );
    const cpu: Record<string, number> = {};
    for (const p of ['api', 'worker', 'temporal', 'postgres', 'driver', 'machine'] as const) {
      cpu[p] = round(((used[p]?.cpuSeconds ?? 0) * 1000) / n, 2);
    }
    report.push(`CPU ms per decision: ${JSON.stringify(cpu)}`);
    const pg: Record<string, number> = {};
    for (const [app, s] of after) pg[app] = round(((s - (before.get(app) ?? 0)) * 1000) / n, 2);
    report.push(
      `PostgreSQL backends' CPU ms per decision by application_name (backends alive at both ends): ${JSON.stringify(pg)}`,
    );

    const handle = stack.client.workflow.getHandle(projectWorkflowId(codes1[0]!));
    const first = (await handle.describe()).raw.workflowExecutionInfo?.firstRunId ?? '';
    const chain = await fetchRunChain(stack.client, handle.workflowId, first);
    const types = mergeTypes(chain);
    report.push(
      `history of one project (${perProject} decisions): ${types.map((t) => `${t.type} ${t.count}`).join(', ')}`,
    );

    // Phase 2: the same, profiled.
    writeFileSync(join(out, 'start'), '');
    await new Promise((r) => setTimeout(r, 600));
    const codes2 = Array.from({ length: projects }, (_, i) => `AP-${stack.tag}-${i + 1}`);
    const run2 = await runPath(stack, path, cast, codes2, CONCURRENCY);
    writeFileSync(join(out, 'stop'), '');
    await new Promise((r) => setTimeout(r, 1500));
    const n2 = run2.decisions.latency.count;
    report.push(`phase 2 (profiled): ${n2} decisions, errors ${run2.errors.length}`);
    report.push(...profileReport(out, n2, stack.pids));
  } finally {
    await stack.stop();
  }
  console.log(report.join('\n'));
  writeFileSync(join(out, 'report.txt'), `${report.join('\n')}\n`);
}

/** The profiles in `dir`, part by part, per decision. */
function profileReport(dir: string, decisions: number, pids: { api: number; worker: number }): string[] {
  const lines: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const pid = Number(file.split('-')[0]);
    const who = pid === pids.api ? 'api' : pid === pids.worker ? 'worker' : `pid ${pid}`;
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const thread = file.includes('-main') ? 'main thread' : 'workflow thread';
    const { total, parts } = partsOf(profile, thread === 'main thread' ? MAIN_RULES : WORKFLOW_RULES);
    lines.push(`\n${who} ${thread}: ${round(total / decisions, 2)} ms sampled per decision`);
    for (const [part, ms] of parts) {
      lines.push(
        `  ${String(round(ms / decisions, 3)).padStart(6)} ms ${String(Math.round((100 * ms) / total)).padStart(3)}%  ${part}`,
      );
    }
  }
  return lines;
}

// `accounting.ts analyze <dir> <decisions> <api pid> <worker pid>`: the report of profiles taken before.
if (process.argv[2] === 'analyze') {
  const [dir, n, api, worker] = process.argv.slice(3);
  console.log(profileReport(dir!, Number(n), { api: Number(api), worker: Number(worker) }).join('\n'));
} else {
  await main();
}
