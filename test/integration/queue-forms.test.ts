import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { until } from '../helpers/until';

/**
 * The queue page's decision forms over HTTP, as a browser posts them: the session's CSRF token is
 * required, a clerk decides only their own department's items, the form's token makes a double submit
 * apply (and be audited) once, and the workflow's refusal comes back in Chinese beside the form.
 */

let g: Greenlane;
let code = '';
let operatorKey = '';
let fgw = '';
let sthj = '';

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  operatorKey = (await g.keyFor('operator')).key;
  const sec = await g.keyFor('secretary', { person: 'sec-qf' });
  const leader = (await g.keyFor('leader', { person: 'leader-qf' })).personId!;
  fgw = (await g.keyFor('department', { department: 'FGW' })).key;
  sthj = (await g.keyFor('department', { department: 'STHJ' })).key;
  code = `QF-${g.tag}`;
  const reg = await g.call('POST', '/projects', sec.key, {
    code,
    name: '城东污水处理厂',
    templateId: 'gov-building',
    leader,
  });
  expect(reg.status).toBe(201);
  const submit = await g.call('POST', `/projects/${code}/items/PROPOSAL/decisions`, sec.key, {
    action: 'submit',
  });
  expect(submit.status).toBe(200);
  // The queue is the read model's, written a moment after the workflow took the submission.
  await until(
    () => queuePage(fgw, 'FGW', 'PROPOSAL'),
    (q) => q.forms.has('accept'),
    'the proposal in the queue of FGW',
  );
});

afterAll(async () => {
  await g?.stop();
});

/**
 * The queue page as the clerk sees it, narrowed to this file's project (the shared database holds other
 * files' projects in the same queues): its CSRF token and, per decision on `item`, the form's token.
 */
async function queuePage(key: string, department: string, item: string, query = `project=${code}`) {
  const cookie = await g.uiCookie(key);
  const res = await fetch(`${g.url}/ui/departments/${department}?${query}`, { headers: { cookie } });
  const text = await res.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(text)?.[1] ?? '';
  const forms = new Map<string, string>();
  const formRe =
    /<form class="decision"[^>]*data-action="(\w+)">[\s\S]*?name="token" value="([^"]+)"[\s\S]*?name="item" value="([^"]+)"/g;
  for (const m of text.matchAll(formRe)) if (m[3] === item) forms.set(m[1]!, m[2]!);
  return { status: res.status, text, cookie, csrf, forms };
}

async function post(
  key: string,
  department: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const cookie = await g.uiCookie(key);
  const res = await fetch(`${g.url}/ui/departments/${department}/decisions`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const audited = async (action: string) =>
  ((await g.call('GET', `/projects/${code}/audit`, operatorKey)).body.entries as { action: string }[]).filter(
    (e) => e.action === action,
  ).length;

describe('decision forms on the queue page', () => {
  it('draws a page of the queue, narrowed to a project or not, and refuses a page or project it cannot read', async () => {
    // Past the last page: the last page, here the only one, with the project's proposal and its forms.
    const past = await queuePage(fgw, 'FGW', 'PROPOSAL', `project=${code}&page=99`);
    expect(past.status).toBe(200);
    expect(past.text).toContain(`仅显示项目 ${code} 的事项。`);
    expect(past.forms.has('accept')).toBe(true);
    // Submitted and not yet accepted: no promised time yet, but the acceptance deadline, five working
    // days on, which the queue orders by and the page shows.
    const listed = (await g.call('GET', '/departments/FGW/queue', fgw)).body.items as {
      projectCode: string;
      item: string;
      dueAt: string | null;
      submittedAt: string;
      acceptBy: string | null;
      acceptByDate: string | null;
    }[];
    const proposal = listed.find((i) => i.projectCode === code && i.item === 'PROPOSAL')!;
    expect(proposal.dueAt).toBeNull();
    expect(proposal.acceptByDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // Five working days from the day after submission end at least five days after it.
    expect(Date.parse(proposal.acceptBy!) - Date.parse(proposal.submittedAt)).toBeGreaterThan(5 * 86_400_000);
    expect(past.text).toContain(`受理 ${proposal.acceptByDate}`);
    const deadlines = listed.map((i) => i.dueAt ?? i.acceptBy).filter((t): t is string => t !== null);
    expect(deadlines).toEqual([...deadlines].sort());
    // The whole queue: its first page, at most 50 items; empty parameters are absent ones.
    expect((await queuePage(fgw, 'FGW', 'PROPOSAL', 'page=&project=')).status).toBe(200);
    const whole = await queuePage(fgw, 'FGW', 'PROPOSAL', '');
    expect(whole.status).toBe(200);
    expect([...whole.text.matchAll(/<tr data-item=/g)].length).toBeLessThanOrEqual(50);
    for (const [query, text] of [
      ['page=abc', '页码应为正整数。'],
      ['page=0', '页码应为正整数。'],
      ['project=%3Cscript%3E', '项目代码格式不正确。'],
    ]) {
      const bad = await queuePage(fgw, 'FGW', 'PROPOSAL', query!);
      expect([query, bad.status, bad.text.includes(text!)]).toEqual([query, 422, true]);
    }
  });

  it('refuses a post without the session token, or from another site, with a 403 page', async () => {
    const q = await queuePage(fgw, 'FGW', 'PROPOSAL');
    expect(q.status).toBe(200);
    const token = q.forms.get('accept')!;
    // Each form gets a token of its own when the page renders.
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const fields = { token, project: code, item: 'PROPOSAL', action: 'accept' };
    const missing = await post(fgw, 'FGW', fields);
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('此表单已过期或并非来自本站');
    const foreign = await post(fgw, 'FGW', { ...fields, csrf: q.csrf }, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    // Nothing was decided, and the form's token was not used up.
    expect((await g.call('GET', `/projects/${code}`, operatorKey)).body.items.PROPOSAL.status).toBe(
      'submitted',
    );
  });

  it("refuses another department's queue and another department's item", async () => {
    const q = await queuePage(fgw, 'FGW', 'PROPOSAL');
    const sthjCsrf = (await queuePage(sthj, 'STHJ', 'PROPOSAL')).csrf;
    const fields = { project: code, item: 'PROPOSAL', action: 'accept', token: q.forms.get('accept')! };
    const otherQueue = await post(sthj, 'FGW', { ...fields, csrf: sthjCsrf });
    expect(otherQueue.status).toBe(403);
    expect(otherQueue.text).toContain('只能查看本部门的队列');
    // Its own queue's address, an item of 发改委: the decision path's own 403, in Chinese.
    const otherItem = await post(sthj, 'STHJ', { ...fields, token: `sthj-${g.tag}`, csrf: sthjCsrf });
    expect(otherItem.status).toBe(403);
    expect(otherItem.text).toContain('该事项不由本部门办理，不能受理。');
    expect(await audited('item.accept')).toBe(0);
    // Operators read every queue; the decisions are the department's.
    const ops = await queuePage(operatorKey, 'FGW', 'PROPOSAL');
    expect([ops.status, ops.forms.size]).toEqual([200, 0]);
    expect(ops.text).toContain('由本部门经办人办理。');
  });

  it('applies a form sent twice once, and refuses what the item no longer allows, in Chinese', async () => {
    const q = await queuePage(fgw, 'FGW', 'PROPOSAL');
    // Submitted: accept, return and reject are offered; approval waits for acceptance.
    expect(q.forms.has('accept') && q.forms.has('return') && q.forms.has('reject')).toBe(true);
    expect(q.forms.has('approve')).toBe(false);
    const fields = {
      csrf: q.csrf,
      token: q.forms.get('accept')!,
      project: code,
      item: 'PROPOSAL',
      action: 'accept',
      note: '发改受理〔2026〕8号',
      // The view the form was drawn on, which the answer goes back to.
      page: '1',
      viewProject: code,
    };
    const [first, second] = await Promise.all([post(fgw, 'FGW', fields), post(fgw, 'FGW', fields)]);
    expect([first.status, second.status]).toEqual([303, 303]);
    expect(first.headers.get('location')).toBe(second.headers.get('location'));
    expect(new URL(first.headers.get('location')!, g.url).searchParams.get('project')).toBe(code);
    expect([first, second].filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(1);
    expect(await audited('item.accept')).toBe(1);
    const page = await fetch(`${g.url}${first.headers.get('location')}`, {
      headers: { cookie: q.cookie },
    }).then((r) => r.text());
    expect(page).toContain('id="decision-result"');

    // The stale page's accept form (another token): the workflow refuses, the page says why in Chinese.
    const stale = await post(fgw, 'FGW', { ...fields, token: q.forms.get('reject')! });
    expect(stale.status).toBe(409);
    expect(stale.text).toContain('该事项当前为「已受理」，不能受理（仅在已申报时可受理）');
    expect(await audited('item.accept')).toBe(1);

    // An empty document number is the form's fault: said beside the form, nothing sent to the workflow.
    const now = await queuePage(fgw, 'FGW', 'PROPOSAL');
    const approve = {
      ...fields,
      csrf: now.csrf,
      token: now.forms.get('approve')!,
      action: 'approve',
      note: '',
    };
    const empty = await post(fgw, 'FGW', approve);
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('请完整填写本表单后再提交。');
  });
});
