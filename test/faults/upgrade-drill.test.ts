import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index';
import { projectStartOptions, projectWorkflowId } from '../../api/temporal';
import { govBuildingPlan } from '../../bench/lib/gov-building';
import { createDb } from '../../db/connect';
import { loadCalendarYears } from '../../db/reference';
import { acceptanceDueAt } from '../../domain/acceptance';
import { makeCalendar } from '../../domain/calendar';
import { shippedCatalog } from '../../domain/catalog-data';
import type { Decision } from '../../domain/decisions';
import { amendPlan } from '../../domain/plan';
import { ProjectProfile } from '../../domain/project';
import { temporalCliPath } from '../../scripts/toolchain';
import { readBundle } from '../../scripts/workflow-bundle';
import { workflowBundle } from '../../workflow-bundle';
import type { majorProjectWorkflow } from '../../workflows/major-project';
import {
  amendPlanUpdate,
  decideItemUpdate,
  problemUpdate,
  projectStateQuery,
} from '../../workflows/messages';
import { startTestServers, type TestServers } from '../helpers/servers';
import { until } from '../helpers/until';

/**
 * The upgrade drill (issue: projects outlive their code). Ten projects start on build A, the workflow
 * as it was before the acceptance clock (test/fixtures/build-a, a bundle kept as it was built), and are
 * taken mid-flight: items accepted with their ladders armed, items waiting for acceptance, open problems,
 * an amended plan, a continue-as-new behind one. Build B, the current code, is deployed and made current
 * with the Temporal CLI, as an operator does; A stops. Seven projects then take decisions: each moves
 * to B at that task, nothing A accepted is refused, and B's acceptance clock applies to them from there
 * (its patch). Three stay idle and never run B. Rolled back, with the seven pinned to B first, the three
 * continue on A and the seven on B.
 */

const execCli = promisify(execFile);
const DEPLOYMENT = 'greenlane';
const TASK_QUEUE = 'upgrade-drill';
const secretary = { role: 'secretary', id: 'sec-drill' } as const;
const dept = (department: string) => ({ role: 'department', department }) as const;

let servers: TestServers;
let client: Client;
let db: ReturnType<typeof createDb>;
const workers: { [build: string]: { worker: Worker; running: Promise<void> } } = {};

beforeAll(async () => {
  servers = await startTestServers();
  db = createDb(servers.databaseUrl, { applicationName: 'upgrade-drill' });
  client = new Client({ connection: await Connection.connect({ address: servers.temporalAddress }) });
});
afterAll(async () => {
  for (const w of Object.values(workers)) {
    if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
    await w.running.catch(() => {});
  }
  await client?.connection.close();
  await db?.destroy();
  await servers?.stop();
});

async function startBuild(buildId: 'A' | 'B'): Promise<void> {
  const connection = await NativeConnection.connect({ address: servers.temporalAddress });
  const code =
    buildId === 'A'
      ? {
          workflowBundle: readBundle(
            readFileSync(new URL('../fixtures/build-a/workflows.js.gz', import.meta.url)),
          ),
        }
      : await workflowBundle();
  const worker = await Worker.create({
    connection,
    taskQueue: TASK_QUEUE,
    ...code,
    activities: createActivities({ db }),
    workerDeploymentOptions: {
      useWorkerVersioning: true,
      version: { deploymentName: DEPLOYMENT, buildId },
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    },
  });
  const running = worker.run().finally(() => connection.close());
  workers[buildId] = { worker, running };
}

async function stopBuild(buildId: 'A' | 'B'): Promise<void> {
  workers[buildId]!.worker.shutdown();
  await workers[buildId]!.running;
}

/** The Temporal CLI, as an operator runs it. */
async function cli(...args: string[]): Promise<string> {
  const { stdout } = await execCli(temporalCliPath(), [...args, '--address', servers.temporalAddress]);
  return stdout;
}

/** An operator makes a build current (the server knows a version once its worker has polled). */
async function makeCurrent(buildId: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await cli(
        'worker',
        'deployment',
        'set-current-version',
        '--deployment-name',
        DEPLOYMENT,
        '--build-id',
        buildId,
        '--yes',
      );
      return;
    } catch (err) {
      if (attempt > 40) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

const handle = (code: string): WorkflowHandle<typeof majorProjectWorkflow> =>
  client.workflow.getHandle(projectWorkflowId(code));
const decide = (code: string, decision: Decision) =>
  handle(code).executeUpdate(decideItemUpdate, { args: [decision] });
/** The build that ran the project's latest task (a run just continued-as-new has none until its first). */
const buildOf = (code: string) =>
  until(
    async () =>
      (await handle(code).describe()).raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId,
    (buildId) => buildId !== undefined && buildId !== null,
    `a build to have run ${code}`,
  );
const stateOf = async (code: string) => handle(code).query(projectStateQuery);

const codes = Array.from({ length: 10 }, (_, i) => `DRILL-${i}`);
/** Decide under B: 0–6. Idle under B, rolled back to A: 7–9. */
const upgraded = codes.slice(0, 7);
const idle = codes.slice(7);
const timeline: string[] = [];
let firstRunOf4 = '';

describe('upgrade drill: build A to build B and back', () => {
  it('starts ten projects on build A and takes them mid-flight', async () => {
    await startBuild('A');
    await makeCurrent('A');
    const plan = govBuildingPlan();
    const calendarYears = await loadCalendarYears(db);
    for (const [i, code] of codes.entries()) {
      const profile = ProjectProfile.parse({
        code,
        name: `演练项目${i}`,
        category: 'government',
        secretary: secretary.id,
        leader: 'leader-drill',
      });
      const options = projectStartOptions(TASK_QUEUE, { profile, plan, calendarYears });
      // DRILL-4 continues as new after a few events, so B picks up a carried state.
      if (i === 4) options.args[0] = { ...options.args[0], maxHistoryEvents: 40 };
      const started = await client.workflow.start('majorProjectWorkflow', options);
      if (i === 4) firstRunOf4 = started.firstExecutionRunId;
      await decide(code, { action: 'submit', item: 'PROPOSAL', actor: secretary });
      await decide(code, { action: 'accept', item: 'PROPOSAL', actor: dept('FGW') });
      // Waiting for acceptance when B arrives: its acceptance clock takes them on.
      await decide(code, { action: 'submit', item: 'MINERAL-OVERLAY', actor: secretary });
    }
    await handle('DRILL-1').executeUpdate(problemUpdate, {
      args: [
        {
          action: 'raise',
          actor: secretary,
          title: '用地',
          description: '征地补偿未完成',
          ownerDepartment: 'ZRZY',
        },
      ],
    });
    const amended = amendPlan(
      plan,
      { waive: ['REAL-ESTATE-REGISTRATION'] },
      { catalog: shippedCatalog, finished: [] },
    );
    if (!amended.ok) throw new Error(amended.problems.join('; '));
    await handle('DRILL-3').executeUpdate(amendPlanUpdate, {
      args: [{ plan: amended.plan, by: 'ops-drill', reason: '演练：免办不动产登记' }],
    });
    for (let n = 0; n < 6; n++) {
      await decide('DRILL-4', {
        action: 'return',
        item: 'PROPOSAL',
        actor: dept('FGW'),
        missing: [`材料${n}`],
      });
      await decide('DRILL-4', { action: 'resubmit', item: 'PROPOSAL', actor: secretary });
    }
    // DRILL-4's history passed 40 events: it runs in a later run, from its carried state.
    expect(firstRunOf4).not.toBe('');
    // The run continues as new once the last update's handler has finished: wait for it (bounded).
    const later = await until(
      async () => (await handle('DRILL-4').describe()).runId,
      (runId) => runId !== firstRunOf4,
      'DRILL-4 to continue as new',
    );
    expect(later).not.toBe(firstRunOf4);
    for (const code of codes) {
      expect(await buildOf(code)).toBe('A');
      const { state } = await stateOf(code);
      expect(state.acceptanceClock).toBeUndefined();
    }
    timeline.push(
      'A: 10 projects started, PROPOSAL accepted, MINERAL-OVERLAY submitted; P1 on DRILL-1, amendment on DRILL-3, continue-as-new on DRILL-4',
    );
  });

  it('deploys B and makes it current; each project moves to B at its next task and takes on the acceptance clock', async () => {
    await startBuild('B');
    await makeCurrent('B');
    await stopBuild('A');
    const calendar = makeCalendar(await loadCalendarYears(db));
    for (const code of upgraded) {
      const result = await decide(code, {
        action: 'approve',
        item: 'PROPOSAL',
        actor: dept('FGW'),
        documentNo: `发改〔2026〕${code}`,
      });
      expect(result.item.status).toBe('approved');
      expect(await buildOf(code)).toBe('B');
      const view = await stateOf(code);
      expect(view.state.acceptanceClock).toBe(true);
      // MINERAL-OVERLAY was submitted under A: B's window counts from that submission, and its reminder
      // (a working day before the window closes) is now the next thing the project waits for.
      const due = acceptanceDueAt(view.state.items['MINERAL-OVERLAY']!, calendar)!;
      expect(due).toBe(
        calendar.deadline(Date.parse(view.state.items['MINERAL-OVERLAY']!.submittedAt!), {
          days: 5,
          dayType: 'working',
        })!.dueAt,
      );
      expect(Date.parse(view.nextEscalationAt!)).toBeLessThanOrEqual(calendar.shiftWorkingDays(due, -1).at);
    }
    for (const code of idle) expect(await buildOf(code)).toBe('A');
    const versions = await cli('worker', 'deployment', 'describe', '--name', DEPLOYMENT);
    expect(versions).toMatch(/CurrentVersionBuildID\s+B/);
    timeline.push(
      `B current, A stopped: ${upgraded.join(', ')} approved PROPOSAL on B with the acceptance clock; ${idle.join(', ')} idle, still recorded on A`,
    );
  });

  it('rolls back to A for the projects that never ran B, with the others pinned to B', async () => {
    for (const code of upgraded) {
      await cli(
        'workflow',
        'update-options',
        '--workflow-id',
        projectWorkflowId(code),
        '--versioning-override-behavior',
        'pinned',
        '--versioning-override-deployment-name',
        DEPLOYMENT,
        '--versioning-override-build-id',
        'B',
      );
    }
    await startBuild('A');
    await makeCurrent('A');
    for (const code of idle) {
      const result = await decide(code, {
        action: 'approve',
        item: 'PROPOSAL',
        actor: dept('FGW'),
        documentNo: `发改〔2026〕${code}`,
      });
      expect(result.item.status).toBe('approved');
      expect(await buildOf(code)).toBe('A');
      expect((await stateOf(code)).state.acceptanceClock).toBeUndefined();
    }
    for (const code of upgraded) {
      await decide(code, { action: 'accept', item: 'MINERAL-OVERLAY', actor: dept('ZRZY') });
      expect(await buildOf(code)).toBe('B');
    }
    timeline.push(
      `rolled back: ${idle.join(', ')} approved PROPOSAL on A; ${upgraded.join(', ')} pinned to B accepted MINERAL-OVERLAY`,
    );
    console.log(`upgrade drill:\n  ${timeline.join('\n  ')}`);
  });
});
