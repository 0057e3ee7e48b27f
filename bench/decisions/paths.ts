import type { Decision } from '../../domain/decisions';
import type { Plan } from '../../domain/plan';
import { rawProjects, TEMPLATE } from '../lib/gov-building';
import type { Stack } from '../lib/stack';

/** The decisions every item takes, in order, on both paths. */
export const STEPS = ['submit', 'accept', 'approve'] as const;
export type Action = (typeof STEPS)[number];

export type PathName = 'greenlane' | 'raw';

/** One way of registering projects and taking decisions; `decide` returns the items the answer opened. */
export type Path = {
  register(code: string, secretary: string): Promise<void>;
  decide(code: string, item: string, action: Action): Promise<string[]>;
};

export type Cast = {
  plan: Plan;
  leader: string;
  secretaries: { id: string; key: string }[];
  departmentKeys: Map<string, string>;
};

/** Secretaries (projects are shared out among them), a leader, and one key per department of the plan. */
export async function castOf(stack: Stack, plan: Plan, secretaryCount: number): Promise<Cast> {
  const leader = `bench-leader-${stack.tag}`;
  await stack.keyFor('leader', { person: leader });
  const secretaries = [];
  for (let i = 1; i <= secretaryCount; i++) {
    const id = `bench-sec-${stack.tag}-${i}`;
    secretaries.push({ id, key: await stack.keyFor('secretary', { person: id }) });
  }
  const departmentKeys = new Map<string, string>();
  for (const department of new Set(plan.items.map((i) => i.department))) {
    departmentKeys.set(department, await stack.keyFor('department', { department }));
  }
  return { plan, leader, secretaries, departmentKeys };
}

const decisionBody = (item: string, action: Action) =>
  action === 'approve' ? { action, documentNo: `${item}〔2040〕1号` } : { action };

/** Over HTTP as a client would: one key per caller, a fresh Idempotency-Key per intended action. */
export function greenlanePath(apiUrl: string, cast: Cast): Path {
  const secretaryOf = new Map<string, string>();
  const departmentOf = new Map(cast.plan.items.map((i) => [i.code, i.department]));
  const post = async (path: string, key: string, idempotencyKey: string, body: unknown) => {
    // Node's fetch keeps connections alive: at most `concurrency` sockets, reused.
    const res = await fetch(apiUrl + path, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey,
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text };
  };
  return {
    async register(code, secretary) {
      const key = cast.secretaries.find((s) => s.id === secretary)!.key;
      secretaryOf.set(code, key);
      const body = { code, name: `基准项目 ${code}`, templateId: TEMPLATE, leader: cast.leader };
      const res = await post('/projects', key, `register-${code}`, body);
      if (res.status !== 201)
        throw new Error(`register ${code}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
    },
    async decide(code, item, action) {
      const key =
        action === 'submit' ? secretaryOf.get(code)! : cast.departmentKeys.get(departmentOf.get(item)!)!;
      const path = `/projects/${code}/items/${item}/decisions`;
      const res = await post(path, key, `${code}-${item}-${action}`, decisionBody(item, action));
      if (res.status !== 200) {
        throw new Error(`${action} ${code}/${item}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
      }
      return (JSON.parse(res.text) as { opened: string[] }).opened;
    },
  };
}

/** Straight to Temporal with the workflow's own input and update: what our layer is compared with. */
export async function rawPath(stack: Stack, cast: Cast): Promise<Path> {
  const raw = await rawProjects(stack, cast.plan);
  const departmentOf = new Map(cast.plan.items.map((i) => [i.code, i.department]));
  const secretaryOf = new Map<string, string>();
  return {
    async register(code, secretary) {
      secretaryOf.set(code, secretary);
      await raw.start(code, `基准项目 ${code}`, { secretary, leader: cast.leader });
    },
    async decide(code, item, action) {
      const actor =
        action === 'submit'
          ? { role: 'secretary' as const, id: secretaryOf.get(code)! }
          : { role: 'department' as const, department: departmentOf.get(item)! };
      return raw.decide(code, { ...decisionBody(item, action), item, actor } as Decision);
    },
  };
}
