import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKey, ensureAdminKey, upsertPerson } from '../api/auth/people-and-keys';
import type { Role } from '../api/auth/principal';
import { createDb } from '../db/connect';
import { seedReferenceData } from '../db/seed';
import { projectRoot } from './toolchain';

/**
 * The demo `npm start` loads: a few people of a city's service centre with API keys, and one running
 * major project (a hospital, on the gov-building template) with its first items decided, so the API,
 * the department queues and the Temporal UI have something real to show.
 *
 * Keys are printed at every start. Their plaintext is kept in .data/demo-keys.json (in the data folder
 * npm start was given; git-ignored, this machine only) because the database stores only hashes; delete
 * .data/ to start afresh.
 */

const DEMO_PROJECT = 'DEMO-2026-001';

type DemoPerson = { id: string; name: string; role: Role; department?: string; label: string };
const people: DemoPerson[] = [
  { id: 'sec-wang', name: '王秘书', role: 'secretary', label: '项目秘书 王秘书' },
  { id: 'leader-li', name: '李副市长', role: 'leader', label: '包抓领导 李副市长' },
  { id: 'fgw-chen', name: '陈科长', role: 'department', department: 'FGW', label: '发改委审批科' },
  { id: 'zrzy-zhou', name: '周科长', role: 'department', department: 'ZRZY', label: '自然资源和规划局窗口' },
  { id: 'zj-sun', name: '孙科长', role: 'department', department: 'ZJ', label: '住建局窗口' },
  { id: 'sthj-wu', name: '吴科长', role: 'department', department: 'STHJ', label: '生态环境局窗口' },
];

type Keys = Record<string, string>;

export async function loadDemo(env: Record<string, string>): Promise<void> {
  const say = (line: string) => console.log(`[demo] ${line}`);
  const db = createDb(env.DATABASE_URL!, { applicationName: 'greenlane-demo' });
  try {
    await seedReferenceData(db);
    const admin = await ensureAdminKey(db);
    if (admin) say(`admin key (shown once, keep it): ${admin.key}`);

    const keysFile = join(env.GREENLANE_DATA_DIR ?? join(projectRoot, '.data'), 'demo-keys.json');
    const keys: Keys = existsSync(keysFile) ? (JSON.parse(readFileSync(keysFile, 'utf8')) as Keys) : {};
    for (const p of people) {
      if (keys[p.id]) continue;
      await upsertPerson(db, { id: p.id, name: p.name, role: p.role, department: p.department });
      keys[p.id] = (
        await createKey(db, { role: p.role, department: p.department, label: p.label, personId: p.id })
      ).key;
    }
    writeFileSync(keysFile, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });

    const api = env.API_URL!;
    const post = async (path: string, key: string, idem: string, body: unknown) => {
      const res = await fetch(api + path, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'idempotency-key': idem,
        },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const existing = await fetch(`${api}/projects/${DEMO_PROJECT}`, {
      headers: { authorization: `Bearer ${keys['sec-wang']}` },
    });
    const registered = existing.ok
      ? { status: 409, body: {} }
      : await post('/projects', keys['sec-wang']!, `demo-register-${DEMO_PROJECT}`, {
          code: DEMO_PROJECT,
          name: '市第一人民医院新院区',
          templateId: 'gov-building',
          leader: 'leader-li',
          targetStart: '2028-06-30',
        });
    if (registered.status === 201) {
      // The proposal is approved; the EIA is with 生态环境局, its clock running; the mineral-overlay
      // clearance waits in 自然资源和规划局's queue for acceptance.
      const steps: [string, string, Record<string, unknown>][] = [
        ['PROPOSAL', 'sec-wang', { action: 'submit' }],
        ['PROPOSAL', 'fgw-chen', { action: 'accept' }],
        ['PROPOSAL', 'fgw-chen', { action: 'approve', documentNo: '发改投资〔2026〕88号' }],
        ['EIA', 'sec-wang', { action: 'submit' }],
        ['EIA', 'sthj-wu', { action: 'accept' }],
        ['MINERAL-OVERLAY', 'sec-wang', { action: 'submit' }],
      ];
      for (const [i, [item, who, body]] of steps.entries()) {
        const r = await post(
          `/projects/${DEMO_PROJECT}/items/${item}/decisions`,
          keys[who]!,
          `demo-${i}`,
          body,
        );
        if (r.status !== 200)
          say(`demo step ${item} ${String(body.action)}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      }
      say(`registered demo project ${DEMO_PROJECT} (市第一人民医院新院区) and took its first decisions`);
    } else if (registered.status === 409) {
      say(`demo project ${DEMO_PROJECT} is already running`);
    } else {
      say(`demo project not registered: HTTP ${registered.status} ${JSON.stringify(registered.body)}`);
    }

    say('API keys of the demo people (Authorization: Bearer <key>):');
    for (const p of people) say(`  ${p.id.padEnd(10)} ${p.label.padEnd(14)} ${keys[p.id]}`);
    say(`try: curl -H "Authorization: Bearer ${keys['zrzy-zhou']}" ${api}/departments/ZRZY/queue`);
  } finally {
    await db.destroy();
  }
}
