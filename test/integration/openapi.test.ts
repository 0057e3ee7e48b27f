import { serve } from '@hono/node-server';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Client, Connection } from '@temporalio/client';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type App, createApp } from '../../api/app';
import { AUTHENTICATED_PATHS } from '../../api/auth/middleware';
import { loadConfig } from '../../config';
import { createDb } from '../../db/connect';
import type { DB } from '../../db/schema';
import { validateCalendarYear } from '../../domain/calendar';

/**
 * The OpenAPI document as the real app serves it (real PostgreSQL and Temporal behind it): valid OpenAPI
 * 3.1, in step with the routes the app serves, every operation answering with documented problems, every
 * `$ref` resolvable, every example and default valid against its own schema.
 */

// biome-ignore lint/suspicious/noExplicitAny: the document is walked as plain JSON
type Json = any;

let app: App;
let doc: Json;
let db: Kysely<DB>;
let connection: Connection;
let close: () => Promise<void>;

beforeAll(async () => {
  const config = loadConfig({
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    API_PORT: '0',
  });
  db = createDb(config.databaseUrl);
  connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  app = createApp({ temporal: { client, namespace: config.temporal.namespace }, db, config });
  const url = await new Promise<string>((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
      close = () => new Promise<void>((done) => server.close(() => done()));
      resolve(`http://127.0.0.1:${info.port}`);
    });
  });
  const res = await fetch(`${url}/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  doc = await res.json();
});
afterAll(async () => {
  await close?.();
  await connection?.close();
  await db?.destroy();
});

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;
/** Served but deliberately not in the document: the document itself, its page, and the HTML dashboard. */
// The document itself, the page that shows it (with its style and script), the dashboard's pages and the
// page a leader's action link opens (/l/{token}, api/routes/leader-page.ts).
const UNDOCUMENTED = (path: string) =>
  ['/openapi.json', '/docs', '/docs.css', '/docs.js', '/'].includes(path) || /^\/(ui|l)(\/|$)/.test(path);

function operations(): { key: string; path: string; method: string; op: Json }[] {
  return Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({
      key: `${m.toUpperCase()} ${path}`,
      path,
      method: m,
      op: item[m],
    })),
  );
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and valid against its official schema', async () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(validator.version).toBe('3.1');
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every route the app serves, and serves every route it documents', () => {
    const served = new Set(
      app.routes
        // `ALL` entries are middleware (app.use); a route's own middleware repeats its method and path.
        .filter((r) => r.method !== 'ALL' && !UNDOCUMENTED(r.path))
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}')}`),
    );
    const documented = new Set(operations().map((o) => o.key));
    expect([...served].filter((k) => !documented.has(k)).sort(), 'served but not documented').toEqual([]);
    expect([...documented].filter((k) => !served.has(k)).sort(), 'documented but not served').toEqual([]);
    expect(served.size).toBeGreaterThan(20);
  });

  it('gives every operation a summary, a 2xx answer, and the problem responses it can give', () => {
    const gaps: string[] = [];
    for (const { key, path, op } of operations()) {
      gaps.push(...operationGaps(key, path, op));
    }
    const known = new Set(KNOWN_GAPS);
    expect(
      gaps.filter((g) => !known.has(g)),
      'new gaps: document these responses',
    ).toEqual([]);
    expect(
      KNOWN_GAPS.filter((g) => !gaps.includes(g)),
      'fixed: remove these from KNOWN_GAPS',
    ).toEqual([]);
  });

  it('resolves every $ref', () => {
    const refs: { at: string; ref: string }[] = [];
    walk(doc, '#', (value, at) => {
      if (value && typeof value === 'object' && typeof value.$ref === 'string')
        refs.push({ at, ref: value.$ref });
    });
    expect(refs.length).toBeGreaterThan(10);
    const unresolved = refs.filter(
      ({ ref }) => !ref.startsWith('#/') || resolvePointer(doc, ref) === undefined,
    );
    expect(unresolved).toEqual([]);
  });

  it('has examples and defaults, and each one is valid against its schema', () => {
    const ajv = schemaValidator();
    const samples = collectSamples();
    expect(samples.filter((s) => s.kind === 'example').length, 'the document has examples').toBeGreaterThan(
      0,
    );
    expect(samples.filter((s) => s.kind === 'default').length, 'the document has defaults').toBeGreaterThan(
      0,
    );
    const invalid = samples.flatMap((s) => {
      const validate = ajv.compile(withComponentRefs(s.schema));
      return validate(s.value) ? [] : [{ at: s.at, kind: s.kind, errors: ajv.errorsText(validate.errors) }];
    });
    expect(invalid).toEqual([]);

    // The check can fail: a calendar whose year is a string is refused by the same schema.
    const calendar = ajv.compile(withComponentRefs({ $ref: '#/components/schemas/CalendarYear' }));
    expect(calendar({ year: '2027', papers: [], days: [] })).toBe(false);
  });

  it('shows a calendar example that the domain validator accepts too (JSON Schema cannot check dates)', () => {
    const example = doc.components.schemas.CalendarYear.example;
    expect(validateCalendarYear(example)).toMatchObject({ ok: true });
  });
});

// --- Which problem responses an operation can give -------------------------------------------------

function isAuthenticated(path: string): boolean {
  const honoPath = path.replace(/\{(\w+)\}/g, ':$1');
  return AUTHENTICATED_PATHS.some((p) =>
    p.endsWith('/*') ? honoPath.startsWith(p.slice(0, -1)) : honoPath === p,
  );
}

/**
 * What an operation's responses must include, from what it declares: an API key (401), any parameter or
 * body, which the shared validation hook refuses with 422, an Idempotency-Key (400 missing or malformed,
 * 409 in flight). 403, 404 and 409 depend on the handler and are not guessed here; 500 and 503 can come
 * from any operation and are not required on each.
 */
function operationGaps(key: string, path: string, op: Json): string[] {
  const gaps: string[] = [];
  const responses: Record<string, Json> = op.responses ?? {};
  const statuses = Object.keys(responses);
  if (typeof op.summary !== 'string' || op.summary.trim() === '') gaps.push(`${key}: summary`);
  if (!statuses.some((s) => /^2\d\d$/.test(s))) gaps.push(`${key}: 2xx`);
  for (const s of statuses.filter((s) => /^[45]\d\d$/.test(s))) {
    const schema = responses[s]?.content?.['application/problem+json']?.schema;
    if (schema?.$ref !== '#/components/schemas/Problem')
      gaps.push(`${key}: ${s} as application/problem+json`);
  }
  const need = (status: string) => {
    if (!statuses.includes(status)) gaps.push(`${key}: ${status}`);
  };
  const params: Json[] = op.parameters ?? [];
  if (isAuthenticated(path)) {
    // The operation's own requirement, else the document's default one.
    const security = op.security ?? doc.security;
    if (!Array.isArray(security) || security.length === 0) gaps.push(`${key}: security`);
    need('401');
  }
  if (params.length > 0 || op.requestBody) need('422');
  if (params.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key')) {
    need('400');
    need('409');
  }
  return gaps;
}

/**
 * Gaps accepted for now: none. The responses the app-wide middleware gives (401/503 from the key check,
 * 422 from validation, 400/409 from idempotency) are added to every operation by api/routes/meta.ts, so
 * a route file documents only its own answers. A gap listed here fails the test the day it is fixed.
 */
const KNOWN_GAPS: string[] = [];

// --- Examples and defaults -------------------------------------------------------------------------

type Sample = { at: string; kind: 'example' | 'default'; schema: Json; value: unknown };

/** Every `example`, `examples` entry and `default` with the schema it must satisfy. */
function collectSamples(): Sample[] {
  const samples: Sample[] = [];
  const fromSchema = (schema: Json, at: string) =>
    walkSchema(schema, at, (s, where) => {
      if ('default' in s)
        samples.push({ at: `${where}/default`, kind: 'default', schema: s, value: s.default });
      if ('example' in s)
        samples.push({ at: `${where}/example`, kind: 'example', schema: s, value: s.example });
      if (Array.isArray(s.examples)) {
        s.examples.forEach((value: unknown, i: number) => {
          samples.push({ at: `${where}/examples/${i}`, kind: 'example', schema: s, value });
        });
      }
    });
  /** A parameter, header or media type: its schema, and its own `example` / `examples` map. */
  const fromHolder = (holder: Json, at: string) => {
    if (!holder?.schema) return;
    fromSchema(holder.schema, `${at}/schema`);
    if ('example' in holder) {
      samples.push({ at: `${at}/example`, kind: 'example', schema: holder.schema, value: holder.example });
    }
    for (const [name, ex] of Object.entries<Json>(holder.examples ?? {})) {
      if (ex && 'value' in ex) {
        samples.push({
          at: `${at}/examples/${name}`,
          kind: 'example',
          schema: holder.schema,
          value: ex.value,
        });
      }
    }
  };
  for (const [name, schema] of Object.entries<Json>(doc.components?.schemas ?? {})) {
    fromSchema(schema, `#/components/schemas/${name}`);
  }
  for (const { path, method, op } of operations()) {
    const at = `#/paths/${path.replaceAll('/', '~1')}/${method}`;
    for (const [i, p] of (op.parameters ?? []).entries()) fromHolder(p, `${at}/parameters/${i}`);
    for (const [type, media] of Object.entries<Json>(op.requestBody?.content ?? {})) {
      fromHolder(media, `${at}/requestBody/content/${type}`);
    }
    for (const [status, response] of Object.entries<Json>(op.responses ?? {})) {
      for (const [type, media] of Object.entries<Json>(response.content ?? {})) {
        fromHolder(media, `${at}/responses/${status}/content/${type}`);
      }
      for (const [name, header] of Object.entries<Json>(response.headers ?? {})) {
        fromHolder(header, `${at}/responses/${status}/headers/${name}`);
      }
    }
  }
  return samples;
}

const SUBSCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SUBSCHEMAS = [
  'items',
  'additionalProperties',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedItems',
  'unevaluatedProperties',
];

function walkSchema(schema: Json, at: string, visit: (schema: Json, at: string) => void): void {
  if (!schema || typeof schema !== 'object') return;
  visit(schema, at);
  for (const k of SUBSCHEMA_MAPS) {
    for (const [name, sub] of Object.entries<Json>(schema[k] ?? {}))
      walkSchema(sub, `${at}/${k}/${name}`, visit);
  }
  for (const k of SUBSCHEMA_LISTS) {
    for (const [i, sub] of (schema[k] ?? []).entries()) walkSchema(sub, `${at}/${k}/${i}`, visit);
  }
  for (const k of SUBSCHEMAS) walkSchema(schema[k], `${at}/${k}`, visit);
}

const COMPONENTS_ID = 'https://greenlane.dev/openapi/components';

/**
 * JSON Schema 2020-12 (the dialect of OpenAPI 3.1) with formats. `strict: false` because OpenAPI adds
 * keywords of its own (`example`, `discriminator`, `xml`). The document's component schemas are one
 * registered schema, so `#/components/schemas/X` refs are rewritten to point into it.
 */
function schemaValidator(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: COMPONENTS_ID, $defs: withComponentRefs(doc.components?.schemas ?? {}) });
  return ajv;
}

function withComponentRefs(schema: Json): Json {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${COMPONENTS_ID}#/$defs/`));
}

// --- JSON walking ---------------------------------------------------------------------------------

function walk(value: Json, at: string, visit: (value: Json, at: string) => void): void {
  visit(value, at);
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value))
      walk(v, `${at}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`, visit);
  }
}

function resolvePointer(root: Json, ref: string): Json {
  return ref
    .slice(2)
    .split('/')
    .map((s) => decodeURIComponent(s).replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((node, key) => (node && typeof node === 'object' ? node[key] : undefined), root);
}
