/**
 * The role × route authorization matrix that test/security/role-matrix.http.test.ts checks against the
 * running API, one rule per operation of the OpenAPI document, keyed `'METHOD /path'` in the document's
 * path form. A route added to the API without a rule here fails that test: add its rule.
 *
 * The expectations follow the rules as written — the matrix in api/auth/permissions.ts, the table in
 * api/routes/reports.ts and each operation's description in the OpenAPI document — not what the code
 * happens to do. Each case's request passes validation, so the answer reflects authorization and not a
 * 422; state-changing requests are ones the workflow refuses (409), repeats of the current state
 * (reassigning the same people, an empty amendment) or harmless (a service-log entry, revoking a spare
 * key), so the order of the rows does not matter.
 */

/** Who calls. Every keyed caller's key names a person (departments and operators included). */
export const CALLERS = [
  'anonymous',
  'deptWithItems',
  'deptWithoutItems',
  'secretary',
  'otherSecretary',
  'leader',
  'otherLeader',
  'operator',
  'admin',
] as const;
export type Caller = (typeof CALLERS)[number];

/** Column headings of the printed table. */
export const CALLER_LABELS: Record<Caller, string> = {
  anonymous: 'no key',
  deptWithItems: 'dept+',
  deptWithoutItems: 'dept-',
  secretary: 'sec',
  otherSecretary: 'sec2',
  leader: 'lead',
  otherLeader: 'lead2',
  operator: 'op',
  admin: 'admin',
};

/**
 * `allowed`: past authorization (any status but 401 and 403, never a 5xx; the case's `allowedStatus`
 * when it gives one). `denied`: 403 problem of type forbidden. A number: exactly that status.
 */
export type Expected = 'allowed' | 'denied' | number;
export type Matrix = Record<Caller, Expected>;

/** What the test knows once its fixtures exist. */
export type Fixture = {
  /** A project registered by `secretary`, led by `leader`. */
  project: string;
  secretary: string;
  leader: string;
  /** The department of `deptWithItems`, with items on the project. */
  department: string;
  /** An item of `department`, waived by the secretary: every decision on it is refused by the workflow. */
  item: string;
  /** An item of another department on the project. */
  otherItem: string;
  /** A problem owned by `department`, verified (closed): every action on it is refused by the workflow. */
  problem: string;
  /** An escalation of the project, already answered. */
  escalation: string;
  /** A calendar year that is loaded. */
  calendarYear: string;
  /** A person id that is not in the directory. */
  nobody: string;
  /** Keys issued for the test to revoke. */
  spareDepartmentKeyId: string;
  spareAdminKeyId: string;
};

export type Case = {
  /** What this case tries, when an operation has more than one. */
  label?: string;
  /** Values of the path's `{parameters}`. */
  params?: (f: Fixture) => Record<string, string>;
  /** Query string, without `?`. */
  query?: (f: Fixture) => string;
  body?: (f: Fixture) => unknown;
  /** The status a caller that is allowed gets with this request. */
  allowedStatus?: number;
  expect: Matrix;
};
export type Rule = Case | { cases: Case[] };

export const casesOf = (rule: Rule): Case[] => ('cases' in rule ? rule.cases : [rule]);

// --- Who ---------------------------------------------------------------------------------------------

const OPERATORS = ['operator', 'admin'] as const satisfies Caller[];
/** canReadProject: the assigned secretary and leader, operators. */
const READERS = ['secretary', 'leader', ...OPERATORS] as const satisfies Caller[];
/** canActOnProject: the assigned secretary, operators. */
const ACTORS = ['secretary', ...OPERATORS] as const satisfies Caller[];

/** Public: anyone, with or without a key. */
function publicRoute(): Matrix {
  return Object.fromEntries(CALLERS.map((c) => [c, 'allowed'])) as Matrix;
}

/** Any valid key; 401 without one. */
function anyKey(): Matrix {
  return { ...publicRoute(), anonymous: 401 };
}

/** Only these callers; every other key 403, no key 401. */
function only(...allowed: Caller[]): Matrix {
  const m = Object.fromEntries(CALLERS.map((c) => [c, allowed.includes(c) ? 'allowed' : 'denied'])) as Matrix;
  return { ...m, anonymous: 401 };
}

/** Any valid key except these (403). */
function allBut(...denied: Caller[]): Matrix {
  const m = anyKey();
  for (const c of denied) m[c] = 'denied';
  return m;
}

// --- The rules ---------------------------------------------------------------------------------------

const code = (f: Fixture) => ({ code: f.project });
const PAST = '2020-01-02';

export const RULES: Record<string, Rule> = {
  // Operations: unauthenticated on purpose (api/routes/health.ts, api/routes/metrics.ts).
  'GET /healthz': { allowedStatus: 200, expect: publicRoute() },
  'GET /metrics': { allowedStatus: 200, expect: publicRoute() },

  // Keys (api/routes/keys.ts): any key asks who it is; operators manage department, secretary and leader
  // keys, admins also operator and admin keys (canManageKey).
  'GET /me': { allowedStatus: 200, expect: anyKey() },
  'GET /me/digests': { allowedStatus: 200, expect: anyKey() },
  'GET /keys': { allowedStatus: 200, expect: only(...OPERATORS) },
  'POST /keys': {
    cases: [
      {
        label: 'a secretary key',
        // The person is not in the directory: refused after the role checks, and nothing is issued.
        body: (f) => ({ role: 'secretary', personId: f.nobody, label: 'role matrix' }),
        allowedStatus: 422,
        expect: only(...OPERATORS),
      },
      {
        label: 'an operator key',
        body: (f) => ({ role: 'operator', personId: f.nobody, label: 'role matrix' }),
        allowedStatus: 422,
        expect: only('admin'),
      },
    ],
  },
  'POST /keys/{id}/revoke': {
    cases: [
      {
        label: 'a department key',
        params: (f) => ({ id: f.spareDepartmentKeyId }),
        allowedStatus: 200,
        expect: only(...OPERATORS),
      },
      {
        label: 'an admin key',
        params: (f) => ({ id: f.spareAdminKeyId }),
        allowedStatus: 200,
        expect: only('admin'),
      },
    ],
  },

  // Reference data (api/routes/reference.ts): any key reads; operators publish a calendar year.
  'GET /catalog': { allowedStatus: 200, expect: anyKey() },
  'GET /templates': { allowedStatus: 200, expect: anyKey() },
  'GET /templates/{id}': {
    params: () => ({ id: 'social-industrial' }),
    allowedStatus: 200,
    expect: anyKey(),
  },
  'GET /departments': { allowedStatus: 200, expect: anyKey() },
  'GET /calendars': { allowedStatus: 200, expect: anyKey() },
  'GET /calendars/{year}': {
    params: (f) => ({ year: f.calendarYear }),
    allowedStatus: 200,
    expect: anyKey(),
  },
  'PUT /calendars/{year}': {
    // The body names another year than the path: refused (422) after the role check, nothing stored.
    params: () => ({ year: '2098' }),
    body: () => ({ year: 2097, papers: [], days: [] }),
    allowedStatus: 422,
    expect: only(...OPERATORS),
  },

  // Projects (api/routes/projects.ts, canRegisterProject, canReadProject, canActOnProject).
  'GET /projects': { allowedStatus: 200, expect: anyKey() },
  'POST /projects': {
    // The project's own code: the secretary (as its secretary) and operators get as far as Temporal (409).
    body: (f) => ({
      code: f.project,
      name: '权限矩阵测试项目',
      templateId: 'social-industrial',
      secretary: f.secretary,
      leader: f.leader,
    }),
    allowedStatus: 409,
    expect: only('secretary', ...OPERATORS),
  },
  'GET /projects/{code}': { params: code, allowedStatus: 200, expect: only(...READERS) },
  'POST /projects/{code}/assignment': {
    params: code,
    body: (f) => ({ secretary: f.secretary, leader: f.leader }),
    allowedStatus: 200,
    expect: only(...OPERATORS),
  },
  'POST /projects/{code}/plan': {
    params: code,
    body: () => ({ tailoring: {}, reason: '权限矩阵：空修订' }),
    allowedStatus: 200,
    expect: only(...ACTORS),
  },
  'GET /projects/{code}/audit': { params: code, allowedStatus: 200, expect: only(...READERS) },
  // Import (api/routes/project-import.ts): operators only; the fixture's own code is taken (409).
  'POST /projects/import': {
    body: (f) => ({
      code: f.project,
      name: '权限矩阵测试项目',
      templateId: 'social-industrial',
      secretary: f.secretary,
      leader: f.leader,
      registeredOn: '2026-09-01',
    }),
    allowedStatus: 409,
    expect: only(...OPERATORS),
  },
  // Rules editions (api/routes/rules.ts): anyone with a key reads them; operators publish (an edition
  // naming an unknown item: 422, nothing stored) and apply (an edition that does not exist: 404); the
  // project's readers preview.
  'GET /rules/editions': { allowedStatus: 200, expect: anyKey() },
  'POST /rules/editions': {
    body: () => ({
      id: 'matrix-1',
      note: '权限矩阵',
      limits: { NOPE: { days: 1, dayType: 'working', estimate: false } },
      policy: {
        rungs: [{ name: 'yellow', level: 2, offsetWorkingDays: 0, notify: ['secretary'], points: 1 }],
        doubleWhenOwnDelay: false,
        alertThreshold: 10,
      },
    }),
    allowedStatus: 422,
    expect: only(...OPERATORS),
  },
  'GET /projects/{code}/rules-preview': {
    params: code,
    query: () => 'edition=no-such-edition',
    allowedStatus: 404,
    expect: only(...READERS),
  },
  'POST /projects/{code}/rules': {
    params: code,
    body: () => ({ edition: 'no-such-edition' }),
    allowedStatus: 404,
    expect: only(...OPERATORS),
  },
  // Lifecycle (api/routes/project-lifecycle.ts, canChangeLifecycle): operators and the project's leader;
  // resuming a project that is not suspended is refused by the workflow (409).
  'POST /projects/{code}/lifecycle': {
    params: code,
    body: () => ({ action: 'resume' }),
    allowedStatus: 409,
    expect: only('leader', ...OPERATORS),
  },
  'GET /projects/{code}/forecast': { params: code, allowedStatus: 200, expect: only(...READERS) },

  // Items (api/routes/items.ts): departments decide their own items; "act on a project (amend, submit,
  // resubmit, waive, problems)" is the assigned secretary's and every operator's (api/auth/permissions.ts).
  'POST /projects/{code}/items/{item}/decisions': {
    cases: [
      {
        label: 'accept (department)',
        params: (f) => ({ code: f.project, item: f.item }),
        body: () => ({ action: 'accept' }),
        allowedStatus: 409,
        expect: only('deptWithItems'),
      },
      {
        label: 'submit (secretary)',
        params: (f) => ({ code: f.project, item: f.item }),
        body: () => ({ action: 'submit' }),
        allowedStatus: 409,
        expect: only(...ACTORS),
      },
      {
        label: 'waive (secretary)',
        params: (f) => ({ code: f.project, item: f.item }),
        body: () => ({ action: 'waive', reason: '权限矩阵' }),
        allowedStatus: 409,
        expect: only(...ACTORS),
      },
    ],
  },
  'GET /departments/{department}/queue': {
    params: (f) => ({ department: f.department }),
    allowedStatus: 200,
    expect: only('deptWithItems', ...OPERATORS),
  },

  // Problems (api/routes/problems.ts, canRaiseProblem, mayBlockItem).
  'POST /projects/{code}/problems': {
    cases: [
      {
        label: 'raise',
        params: code,
        // A deadline in the past: the workflow refuses (409), nothing is raised.
        body: () => ({ title: '权限矩阵', description: '不应创建', deadline: PAST }),
        allowedStatus: 409,
        expect: only('deptWithItems', ...READERS),
      },
      {
        label: "raise blocking another department's item",
        params: code,
        body: (f) => ({
          title: '权限矩阵',
          description: '不应创建',
          deadline: PAST,
          blocksItem: f.otherItem,
        }),
        allowedStatus: 409,
        expect: only(...READERS),
      },
    ],
  },
  'POST /projects/{code}/problems/{id}/actions': {
    cases: [
      {
        label: 'assign (secretary)',
        params: (f) => ({ code: f.project, id: f.problem }),
        body: (f) => ({ action: 'assign', ownerDepartment: f.department }),
        allowedStatus: 409,
        expect: only(...ACTORS),
      },
      {
        label: 'plan (owner or secretary)',
        params: (f) => ({ code: f.project, id: f.problem }),
        body: () => ({ action: 'plan', solution: '权限矩阵' }),
        allowedStatus: 409,
        expect: only('deptWithItems', ...ACTORS),
      },
      {
        label: 'resolve (owner or secretary)',
        params: (f) => ({ code: f.project, id: f.problem }),
        body: () => ({ action: 'resolve', resolution: '权限矩阵' }),
        allowedStatus: 409,
        expect: only('deptWithItems', ...ACTORS),
      },
      {
        label: 'verify (secretary)',
        params: (f) => ({ code: f.project, id: f.problem }),
        body: () => ({ action: 'verify', accepted: true }),
        allowedStatus: 409,
        expect: only(...ACTORS),
      },
    ],
  },
  // "a department sees those it owns or raised": the one with items owns the problem.
  'GET /projects/{code}/problems': {
    params: code,
    allowedStatus: 200,
    expect: only('deptWithItems', ...READERS),
  },

  // Escalations (api/routes/escalations.ts, canAnswerEscalation): every inbox is the caller's own.
  'GET /escalations': { allowedStatus: 200, expect: anyKey() },
  'POST /escalations/{id}/acknowledge': {
    params: (f) => ({ id: f.escalation }),
    body: () => ({ instruction: '权限矩阵' }),
    allowedStatus: 409,
    expect: only('leader', ...OPERATORS),
  },

  // Urgings (api/urge.ts): the secretary's or an operator's; read by those who read the project.
  'POST /projects/{code}/items/{item}/urgings': {
    // The fixture's item is waived (not open): 409, nothing urged or sent.
    params: (f) => ({ code: f.project, item: f.item }),
    body: () => ({ note: '权限矩阵' }),
    allowedStatus: 409,
    expect: only(...ACTORS),
  },
  'GET /projects/{code}/urgings': { params: code, allowedStatus: 200, expect: only(...READERS) },

  // Service log and return visits (api/routes/service.ts): kept by the secretary or an operator, read by
  // those who read the project.
  'POST /projects/{code}/service-log': {
    params: code,
    body: () => ({
      date: '2025-06-03',
      contactType: 'phone',
      participants: ['权限矩阵'],
      outcome: '测试记录',
    }),
    allowedStatus: 201,
    expect: only(...ACTORS),
  },
  'GET /projects/{code}/service-log': { params: code, allowedStatus: 200, expect: only(...READERS) },
  'POST /projects/{code}/return-visits': {
    // Stage 1 has not closed: 409, nothing recorded.
    params: code,
    body: () => ({ stage: 1, satisfaction: 5 }),
    allowedStatus: 409,
    expect: only(...ACTORS),
  },
  'GET /projects/{code}/return-visits': { params: code, allowedStatus: 200, expect: only(...READERS) },

  // Coordination meetings (api/routes/meetings.ts): operators convene weekly ones, the secretary special
  // ones on the project; departments take part through the actions they become. A meeting that does not
  // exist is 404 to whoever may read meetings.
  'POST /meetings': {
    cases: [
      {
        label: 'special, on the project',
        body: (f) => ({ kind: 'special', heldOn: '2026-12-07', projectCode: f.project }),
        allowedStatus: 201,
        expect: only(...ACTORS),
      },
      {
        label: 'weekly',
        body: () => ({ kind: 'weekly', heldOn: '2026-12-07' }),
        allowedStatus: 201,
        expect: only(...OPERATORS),
      },
    ],
  },
  'GET /meetings': { allowedStatus: 200, expect: allBut('deptWithItems', 'deptWithoutItems') },
  'GET /meetings/{id}': {
    params: () => ({ id: '2147483647' }),
    allowedStatus: 404,
    expect: allBut('deptWithItems', 'deptWithoutItems'),
  },
  'POST /meetings/{id}/minutes': {
    params: () => ({ id: '2147483647' }),
    body: () => ({ decisions: [] }),
    allowedStatus: 404,
    expect: allBut('deptWithItems', 'deptWithoutItems'),
  },

  // Reports (the table in api/routes/reports.ts).
  'GET /reports/projects/{code}/ledger': { params: code, allowedStatus: 200, expect: only(...READERS) },
  'GET /reports/departments/monthly': {
    query: () => 'month=2026-01',
    allowedStatus: 200,
    expect: allBut('secretary', 'otherSecretary'),
  },
  'GET /reports/leaders/{leader}/projects': {
    params: (f) => ({ leader: f.leader }),
    allowedStatus: 200,
    expect: only('leader', ...OPERATORS),
  },
  // The bulletin names departments: leaders and operators (api/routes/bulletin.ts); the assessment also
  // to departments, their own row.
  'GET /reports/bulletin': {
    query: () => 'month=2026-01',
    allowedStatus: 200,
    expect: only('leader', 'otherLeader', ...OPERATORS),
  },
  'GET /reports/assessment': {
    query: () => 'quarter=2026Q1',
    allowedStatus: 200,
    expect: allBut('secretary', 'otherSecretary'),
  },
  // The assessment's rules (api/routes/assessment-rules.ts): anyone with a key reads them; operators
  // publish (weights summing to 99: 422, nothing stored).
  'GET /reports/assessment/rules': { allowedStatus: 200, expect: anyKey() },
  'POST /reports/assessment/rules': {
    body: () => ({
      version: 'matrix-1',
      title: '权限矩阵',
      effectiveFrom: '2030Q1',
      weights: { onTime: 40, points: 20, interviews: 15, returns: 15, satisfaction: 9 },
      perPoint: 1,
      perInterview: 5,
    }),
    allowedStatus: 422,
    expect: only(...OPERATORS),
  },
  'GET /reports/annual-plan': { query: () => 'year=2026', allowedStatus: 200, expect: anyKey() },
  'GET /reports/returns': {
    cases: [
      { label: 'own scope', allowedStatus: 200, expect: anyKey() },
      {
        label: "one department's",
        query: (f) => `department=${f.department}`,
        allowedStatus: 200,
        expect: allBut('deptWithoutItems'),
      },
    ],
  },

  // The directory (api/routes/people.ts, api/routes/department-contacts.ts): operators and admins only.
  'GET /people': { allowedStatus: 200, expect: only(...OPERATORS) },
  'POST /people': {
    // An unknown department: refused (422) after the role check, nobody registered.
    body: (f) => ({ id: f.nobody, name: '权限矩阵', role: 'department', department: 'NOPE' }),
    allowedStatus: 422,
    expect: only(...OPERATORS),
  },
  'GET /people/{id}': {
    params: (f) => ({ id: f.secretary }),
    allowedStatus: 200,
    expect: only(...OPERATORS),
  },
  'PUT /people/{id}': {
    // The secretary's details as they are.
    params: (f) => ({ id: f.secretary }),
    body: (f) => ({ name: f.secretary, role: 'secretary' }),
    allowedStatus: 200,
    expect: only(...OPERATORS),
  },
  'POST /people/{id}/move': {
    // A secretary is not a department's clerk: 409, nothing moved.
    params: (f) => ({ id: f.secretary }),
    body: (f) => ({ department: f.department, reason: '权限矩阵' }),
    allowedStatus: 409,
    expect: only(...OPERATORS),
  },
  'POST /people/{id}/handover': {
    // Handed over to themselves: 422, nothing reassigned or revoked.
    params: (f) => ({ id: f.secretary }),
    body: (f) => ({ to: f.secretary, reason: '权限矩阵' }),
    allowedStatus: 422,
    expect: only(...OPERATORS),
  },
  'PUT /people/{id}/identity': {
    // Nobody of that id: 404, nothing linked.
    params: (f) => ({ id: f.nobody }),
    body: () => ({ issuer: 'https://id.example.gov.cn', subject: 'role-matrix' }),
    allowedStatus: 404,
    expect: only(...OPERATORS),
  },
  'POST /people/{id}/identity/unlink': {
    // Nobody of that id: 404, nothing removed.
    params: (f) => ({ id: f.nobody }),
    body: () => ({ issuer: 'https://id.example.gov.cn' }),
    allowedStatus: 404,
    expect: only(...OPERATORS),
  },
  'GET /people/{id}/audit': {
    params: (f) => ({ id: f.secretary }),
    allowedStatus: 200,
    expect: only(...OPERATORS),
  },
  'GET /departments/{department}/contacts': {
    params: (f) => ({ department: f.department }),
    allowedStatus: 200,
    expect: only(...OPERATORS),
  },
  'PUT /departments/{department}/contacts': {
    // A channel target the configuration lacks: 422, nothing replaced.
    params: (f) => ({ department: f.department }),
    body: () => ({ heads: [], handlers: [], routes: [{ channel: 'dingtalk', target: 'rm-nowhere' }] }),
    allowedStatus: 422,
    expect: only(...OPERATORS),
  },

  // Notifications (api/routes/notifications.ts): operators and admins only.
  'GET /notifications': { allowedStatus: 200, expect: only(...OPERATORS) },
  'POST /notifications/{id}/retry': {
    params: () => ({ id: '999999999' }),
    allowedStatus: 404,
    expect: only(...OPERATORS),
  },
};
