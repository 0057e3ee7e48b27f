import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProblemType } from '../../api/http-problem';
import type { CalendarYearRow } from '../../db/schema';
import { type CalendarYear, makeCalendar } from '../../domain/calendar';
import { shippedCatalog } from '../../domain/catalog-data';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { until } from '../helpers/until';

/**
 * Reference data over real HTTP (catalog, templates, departments, calendars), publishing a calendar year
 * to running projects (their deadlines move), and /metrics, against the real API, worker, Temporal dev
 * server and PostgreSQL.
 */

let g: Greenlane;
const keys: Record<string, string> = {};
let secretary = '';
let leader = '';

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  const sec = await g.keyFor('secretary', { person: 'sec-ref' });
  const lead = await g.keyFor('leader', { person: 'leader-ref' });
  keys.secretary = sec.key;
  keys.leader = lead.key;
  keys.operator = (await g.keyFor('operator')).key;
  keys.fgw = (await g.keyFor('department', { department: 'FGW' })).key;
  secretary = sec.personId!;
  leader = lead.personId!;
});
afterAll(async () => {
  await g?.stop();
});

let requests = 0;
/** PUT (which the shared helper does not send) with a fresh Idempotency-Key unless one is given. */
async function put(path: string, key: string | null, body: unknown, headers: Record<string, string> = {}) {
  const h: Record<string, string> = { 'content-type': 'application/json', ...headers };
  if (key) h.authorization = `Bearer ${key}`;
  if (!('idempotency-key' in h)) h['idempotency-key'] = `ref-${g.tag}-${++requests}`;
  const res = await fetch(g.url + path, { method: 'PUT', headers: h, body: JSON.stringify(body) });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: assertions check the shape
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : null };
}

/** 'YYYY-MM-DD' ± n days, and its weekday (0 Sunday … 6 Saturday), in plain UTC date arithmetic. */
const addDays = (date: string, n: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const weekday = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();

describe('reference data', () => {
  it('serves the catalog with its limits, estimates flagged, to any key and to no one without one', async () => {
    const catalog = await g.call('GET', '/catalog', keys.fgw!);
    expect(catalog.status).toBe(200);
    expect(catalog.body.version).toBe(shippedCatalog.version);
    expect(catalog.body.items).toHaveLength(shippedCatalog.items.length);
    expect(catalog.body.departments.map((d: { code: string }) => d.code)).toContain('FGW');
    const proposal = catalog.body.items.find((i: { code: string }) => i.code === 'PROPOSAL');
    expect(proposal).toMatchObject({
      department: 'FGW',
      legalLimit: null,
      committedLimit: { days: 7, dayType: 'working', estimate: true },
      estimated: true,
    });
    const published = catalog.body.items.filter((i: { estimated: boolean }) => !i.estimated);
    expect(published.length).toBeGreaterThan(0);

    const none = await g.call('GET', '/catalog', null);
    expect([none.status, none.body.type]).toEqual([401, ProblemType.unauthorized]);
  });

  it('lists templates and shows one with its prerequisites resolved; 404 for an unknown one', async () => {
    const list = await g.call('GET', '/templates', keys.secretary!);
    expect(list.status).toBe(200);
    const gov = list.body.templates.find((t: { id: string }) => t.id === 'gov-building');
    expect(gov).toMatchObject({ category: 'government' });
    const one = await g.call('GET', '/templates/gov-building', keys.leader!);
    expect(one.status).toBe(200);
    expect(one.body.items).toHaveLength(gov.items);
    const byCode = new Map(one.body.items.map((i: { code: string }) => [i.code, i]));
    expect(byCode.get('PROPOSAL')).toMatchObject({ prerequisites: [], department: 'FGW' });
    expect(byCode.get('LAND-PREEXAM')).toMatchObject({ prerequisites: ['PROPOSAL', 'MINERAL-OVERLAY'] });
    const unknown = await g.call('GET', '/templates/no-such-template', keys.leader!);
    expect([unknown.status, unknown.body.type]).toEqual([404, ProblemType.notFound]);
  });

  it('lists the departments with how many items each decides', async () => {
    const res = await g.call('GET', '/departments', keys.secretary!);
    expect(res.status).toBe(200);
    const fgw = res.body.departments.find((d: { code: string }) => d.code === 'FGW');
    expect(fgw).toMatchObject({ nameZh: '发展和改革委员会', nameEn: 'Development and Reform Commission' });
    expect(fgw.items).toBe(shippedCatalog.items.filter((i) => i.department === 'FGW').length);
  });

  it('lists the calendar years with their source and shows one; 404 for a year not loaded', async () => {
    const list = await g.call('GET', '/calendars', keys.fgw!);
    expect(list.status).toBe(200);
    const y2026 = list.body.calendars.find((y: { year: number }) => y.year === 2026);
    expect(y2026).toMatchObject({
      published: true,
      source: 'holiday-cn 2026.json (shipped)',
      loadedBy: 'seed',
    });
    expect(y2026.offDays).toBeGreaterThan(20);
    expect(Date.parse(y2026.loadedAt)).not.toBeNaN();
    // From 1 November (China time), a next year without a published notice is called out.
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const next = Number(today.slice(0, 4)) + 1;
    const nextPublished = list.body.calendars.some(
      (y: { year: number; published: boolean }) => y.year === next && y.published,
    );
    expect(list.body.missingNotice).toEqual(
      today.slice(5) >= '11-01' && !nextPublished ? { year: next, since: `${next - 1}-11-01` } : null,
    );

    const one = await g.call('GET', '/calendars/2026', keys.fgw!);
    expect(one.status).toBe(200);
    expect(one.body.days).toContainEqual({ name: '国庆节', date: '2026-10-01', isOffDay: true });
    const missing = await g.call('GET', '/calendars/1999', keys.fgw!);
    expect([missing.status, missing.body.type]).toEqual([404, ProblemType.notFound]);
    const malformed = await g.call('GET', '/calendars/twenty', keys.fgw!);
    expect([malformed.status, malformed.body.type]).toEqual([422, ProblemType.validation]);
  });
});

describe('publishing a calendar year', () => {
  it('refuses a non-operator (403) and a caller without a key (401), before any validation', async () => {
    const year = { year: 2095, papers: [], days: [] };
    for (const key of [keys.secretary!, keys.fgw!, keys.leader!]) {
      const res = await put('/calendars/2095', key, year);
      expect([res.status, res.body.type]).toEqual([403, ProblemType.forbidden]);
    }
    expect((await put('/calendars/2095', null, year)).status).toBe(401);
    expect((await g.call('GET', '/calendars/2095', keys.operator!)).status).toBe(404);
  });

  it('lists every problem of an invalid year (422) and stores nothing', async () => {
    // 2094-01-06 is a Wednesday: a make-up workday must fall on a weekend.
    const wednesday = '2094-01-06';
    expect(weekday(wednesday)).toBe(3);
    const res = await put('/calendars/2093', keys.operator!, {
      year: 2094,
      papers: [],
      days: [
        { name: '元旦', date: '2094-01-01', isOffDay: true },
        { name: '元旦', date: '2094-01-01', isOffDay: true },
        { name: '调休', date: wednesday, isOffDay: false },
      ],
    });
    expect([res.status, res.body.type]).toEqual([422, ProblemType.validation]);
    expect(res.body.errors.map((e: { path: string; code: string }) => [e.path, e.code])).toEqual([
      ['days.1', 'calendar'],
      ['days.2', 'calendar'],
      ['year', 'year_mismatch'],
    ]);
    expect(res.body.detail).toContain('2094-01-01 is listed twice');
    expect(res.body.detail).toContain(`${wednesday} is a Wednesday`);
    expect(res.body.detail).toContain('the body is the 2094 calendar but the path names 2093');
    expect((await g.call('GET', '/calendars/2093', keys.operator!)).status).toBe(404);
    expect((await g.call('GET', '/calendars/2094', keys.operator!)).status).toBe(404);

    const shape = await put('/calendars/2093', keys.operator!, { year: 2093, days: [{ date: 'soon' }] });
    expect(shape.status).toBe(422);
    expect(shape.body.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['papers', 'days.0.name', 'days.0.date', 'days.0.isOffDay']),
    );
    // A key the calendar does not read is refused, not dropped: at the top and in a day.
    const extra = await put('/calendars/2093', keys.operator!, {
      year: 2093,
      papers: [],
      days: [{ name: '元旦', date: '2093-01-01', isOffDay: true, isWorkday: false }],
      holidays: [],
    });
    expect([extra.status, extra.body.type]).toEqual([422, ProblemType.validation]);
    expect(extra.body.errors.map((e: { path: string; code: string }) => [e.path, e.code])).toEqual([
      ['days.0.isWorkday', 'unrecognized_keys'],
      ['holidays', 'unrecognized_keys'],
    ]);
    expect((await g.call('GET', '/calendars/2093', keys.operator!)).status).toBe(404);
    const noKey = await put(
      '/calendars/2093',
      keys.operator!,
      { year: 2093, papers: [], days: [] },
      {
        'idempotency-key': '',
      },
    );
    expect(noKey.status).toBe(400);
  });

  it("moves a running project's deadline when the year it falls in is published", async () => {
    // A deadline counts from the acceptance instant (the workflow's clock), not the planning start, so a
    // far-future start cannot put one in a synthetic year. A 400-working-day promise does: it lands well
    // past this year, in a year the shipped calendar leaves unpublished or lacks (2028 when written).
    const code = `REF-${g.tag}`;
    const registered = await g.call('POST', '/projects', keys.secretary!, {
      code,
      name: '市民中心',
      templateId: 'gov-building',
      leader,
      secretary,
      tailoring: {
        overrideLimits: [
          { code: 'PROPOSAL', committedLimit: { days: 400, dayType: 'working', estimate: false } },
        ],
      },
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const decide = (key: string, body: unknown) =>
      g.call('POST', `/projects/${code}/items/PROPOSAL/decisions`, key, body);
    expect((await decide(keys.secretary!, { action: 'submit' })).status).toBe(200);
    expect((await decide(keys.fgw!, { action: 'accept' })).status).toBe(200);

    const before = (await g.call('GET', `/projects/${code}`, keys.secretary!)).body.items.PROPOSAL;
    expect(before).toMatchObject({ status: 'accepted' });
    const oldDue: string = before.dueDate;
    const year = Number(oldDue.slice(0, 4));
    expect(year).toBeGreaterThan(new Date().getUTCFullYear());

    // The new year: what is stored for it (if anything) plus a day off on the last working day before the
    // deadline, so the 400th working day comes one working day later.
    const stored = await g.db
      .selectFrom('calendar_years')
      .selectAll()
      .where('year', '=', year)
      .executeTakeFirst();
    const base: CalendarYear = stored ? (stored.data as CalendarYear) : { year, papers: [], days: [] };
    const oldCalendar = makeCalendar([base]);
    let holiday = addDays(oldDue, -1);
    while (!oldCalendar.isWorkingDay(holiday)) holiday = addDays(holiday, -1);
    expect(holiday.startsWith(String(year))).toBe(true);
    const published: CalendarYear = {
      year,
      papers: ['test'],
      days: [...base.days, { name: '测试假日', date: holiday, isOffDay: true }].sort((a, b) =>
        a.date.localeCompare(b.date),
      ),
    };
    const expectedDue = makeCalendar([published]).nextWorkingDay(oldDue).date;
    expect(expectedDue > oldDue).toBe(true);

    // Visibility is eventually consistent: wait until the listing the route uses sees the project.
    const query = `WorkflowType = 'majorProjectWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${g.config.temporal.taskQueue}'`;
    await until(
      () => g.client.workflow.count(query),
      (r) => r.count === 1,
      'the project in visibility',
    );

    try {
      const idem = { 'idempotency-key': `publish-${g.tag}` };
      // As holiday-cn publishes it: its `$schema` and `$id` are taken (and not kept).
      const file = {
        $schema: 'https://raw.githubusercontent.com/NateScarlet/holiday-cn/master/schema.json',
        $id: `https://raw.githubusercontent.com/NateScarlet/holiday-cn/master/${year}.json`,
        ...published,
      };
      const res = await put(`/calendars/${year}?source=test%20suite`, keys.operator!, file, idem);
      expect(res.status, JSON.stringify(res.body)).toBe(stored ? 200 : 201);
      expect(res.body).toEqual({ year, days: published.days.length, signalled: 1 });

      const after = await until(
        () => g.call('GET', `/projects/${code}`, keys.secretary!),
        (r) => r.body.items.PROPOSAL.dueDate !== oldDue,
        'the deadline to move',
      );
      expect(after.body.items.PROPOSAL.dueDate).toBe(expectedDue);

      // A retry with the same key replays the answer and signals no one again.
      const replay = await put(`/calendars/${year}?source=test%20suite`, keys.operator!, file, idem);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body).toEqual(res.body);

      const shown = await g.call('GET', `/calendars/${year}`, keys.leader!);
      expect(shown.body).toMatchObject({ year, source: 'test suite', days: published.days });
      expect(shown.body).not.toHaveProperty('$schema');
      expect(shown.body.loadedBy).toMatch(/^key-[0-9a-f]{12}$/);
      const audit = await g.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'calendar.publish')
        .where('subject', '=', String(year))
        .where('role', '=', 'operator')
        .execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ project_code: null, result: res.body });
    } finally {
      await restore(year, stored);
    }
  });
});

/** Puts the year back as it was: other test files share this database and may register projects. */
async function restore(year: number, row: CalendarYearRow | undefined): Promise<void> {
  if (!row) {
    await g.db.deleteFrom('calendar_years').where('year', '=', year).execute();
    return;
  }
  await g.db
    .updateTable('calendar_years')
    .set({
      data: JSON.stringify(row.data),
      source: row.source,
      loaded_by: row.loaded_by,
      loaded_at: row.loaded_at,
    })
    .where('year', '=', year)
    .execute();
}

describe('/metrics', () => {
  /** The value of one sample line, 0 when absent. */
  const sample = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  };
  const scrape = async () => {
    const res = await fetch(`${g.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    return res.text();
  };

  it('counts requests by method, route pattern and status, times them, and reads the read model', async () => {
    const ok = 'greenlane_http_requests_total{method="GET",route="/catalog",status="200"}';
    const refused = 'greenlane_http_requests_total{method="GET",route="/catalog",status="401"}';
    const timed = 'greenlane_http_request_duration_seconds_count{method="GET",route="/catalog"}';
    const first = await scrape();
    await g.call('GET', '/catalog', keys.secretary!);
    await g.call('GET', '/catalog', keys.fgw!);
    await g.call('GET', '/catalog', null);
    await g.call('GET', `/nothing-here-${g.tag}`, null);
    await g.call('GET', '/calendars/2026', keys.fgw!);
    const second = await scrape();
    expect(sample(second, ok) - sample(first, ok)).toBe(2);
    expect(sample(second, refused) - sample(first, refused)).toBe(1);
    expect(sample(second, timed) - sample(first, timed)).toBe(3);
    expect(
      sample(
        second,
        'greenlane_http_request_duration_seconds_bucket{method="GET",route="/catalog",le="+Inf"}',
      ),
    ).toBe(sample(second, timed));
    expect(
      sample(second, 'greenlane_http_requests_total{method="GET",route="unmatched",status="404"}'),
    ).toBeGreaterThanOrEqual(1);
    // Routes are patterns: neither a year nor a random path becomes a label.
    const byYear = 'greenlane_http_requests_total{method="GET",route="/calendars/:year",status="200"}';
    expect(sample(second, byYear) - sample(first, byYear)).toBe(1);
    expect(second).not.toMatch(/route="\/calendars\/2026"/);
    expect(second).not.toContain(`nothing-here-${g.tag}`);

    expect(sample(second, 'greenlane_read_model_up')).toBe(1);
    const projects = second
      .split('\n')
      .filter((l) => l.startsWith('greenlane_projects{'))
      .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    expect(projects).toBeGreaterThanOrEqual(1);
    for (const rung of ['reminder', 'yellow', 'red', 'interview', 'score-alert']) {
      expect(second).toMatch(new RegExp(`^greenlane_open_escalations\\{rung="${rung}"\\} \\d+$`, 'm'));
    }
    expect(sample(second, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
  });
});
