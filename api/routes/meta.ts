import type { App, AppDeps } from '../app';
import { AUTHENTICATED_PATHS, apiKeySecurity, authResponses } from '../auth/middleware';
import { PROBLEM_CONTENT_TYPE } from '../http-problem';
import { idempotencyResponses } from '../idempotency';

export const API_TITLE = 'Greenlane API';
export const API_VERSION = '0.1.0';

/** The OpenAPI 3.1 document of every route registered with `app.openapi`. */
export function openApiDocument(app: App, deps: AppDeps) {
  return withMiddlewareResponses(
    app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: API_TITLE,
        version: API_VERSION,
        description:
          'Runs major-project approval programmes on Temporal. Every error is RFC 9457 ' +
          '`application/problem+json` with a stable `type` under https://greenlane.dev/problems/.',
      },
      servers: [{ url: deps.config.api.publicUrl }],
    }),
  );
}

type Operation = {
  parameters?: { in: string; name: string }[];
  requestBody?: unknown;
  security?: unknown[];
  responses?: Record<string, unknown>;
};

/**
 * What the app-wide middleware answers on each operation, added where the route's own definition does
 * not say it: the API key (`authenticate` on AUTHENTICATED_PATHS: 401, and 503 when the key cannot be
 * checked), the shared validation hook (422 for any parameter or body), body parsing (400 malformed,
 * 415 not JSON), and the idempotency middleware (400 without a key, 409 while the first request runs).
 */
function withMiddlewareResponses<D extends { paths?: object }>(doc: D): D {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Operation> | undefined>;
  for (const [path, item] of Object.entries(paths)) {
    const honoPath = path.replace(/\{(\w+)\}/g, ':$1');
    const authenticated = AUTHENTICATED_PATHS.some((p) =>
      p.endsWith('/*') ? honoPath.startsWith(p.slice(0, -1)) : honoPath === p,
    );
    for (const op of Object.values(item ?? {})) {
      if (!op || typeof op !== 'object' || !('responses' in op)) continue;
      op.responses ??= {};
      const responses = op.responses;
      const add = (extra: Record<string, unknown>) => {
        for (const [status, response] of Object.entries(extra)) responses[status] ??= response;
      };
      if (authenticated) {
        op.security ??= apiKeySecurity;
        add({ 401: problemJson(authResponses[401].description), 503: problemJson(UNAVAILABLE) });
      }
      if ((op.parameters?.length ?? 0) > 0 || op.requestBody) add({ 422: problemJson(INVALID) });
      if (op.parameters?.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key')) {
        add({
          400: problemJson(idempotencyResponses[400].description),
          409: problemJson(idempotencyResponses[409].description),
        });
      }
      // hono's body parsing and @hono/zod-openapi's media-type gate, before any handler runs (after the
      // idempotency block, whose 400 description names a malformed body too).
      if (op.requestBody) add({ 400: problemJson(MALFORMED), 415: problemJson(UNSUPPORTED_MEDIA_TYPE) });
    }
  }
  return doc;
}

const INVALID = 'A parameter or the body fails validation; every failing field is listed';
const MALFORMED = 'The body could not be parsed (malformed JSON)';
const UNSUPPORTED_MEDIA_TYPE = 'The body is not application/json';
const UNAVAILABLE = 'Temporal or PostgreSQL is unavailable; retry after Retry-After seconds';

/** A problem response as it stands in the generated document (the Problem schema by reference). */
function problemJson(description: string) {
  return {
    description,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

/** GET /openapi.json and GET /docs (a dependency-free page that renders /openapi.json). */
export function registerMetaRoutes(app: App, deps: AppDeps): void {
  // Built on first request, when every route file has registered; routes do not change afterwards.
  let document: ReturnType<typeof openApiDocument> | undefined;
  app.get('/openapi.json', (c) => {
    document ??= openApiDocument(app, deps);
    return c.json(document);
  });
  app.get('/docs', (c) => c.html(DOCS_HTML));
  // Style and script as files of their own: the Content-Security-Policy refuses inline ones.
  app.get('/docs.css', (c) => c.body(DOCS_CSS, 200, { 'content-type': 'text/css; charset=utf-8' }));
  app.get('/docs.js', (c) => c.body(DOCS_JS, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
}

// A single static page, no build step, no CDN: it fetches the document and lists the operations
// with their parameters, bodies and responses. Text is inserted with textContent, never as HTML.
const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${API_TITLE}</title>
<link rel="stylesheet" href="docs.css">
</head>
<body>
<h1 id="title">${API_TITLE}</h1>
<p class="muted" id="info">Loading <a href="openapi.json">openapi.json</a>…</p>
<main id="ops"></main>
<script src="docs.js"></script>
</body>
</html>
`;

const DOCS_CSS = `
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 960px; padding: 1rem 1.5rem; color: #1d2a1f; }
  h1 { color: #2f6b3a; margin-bottom: .25rem; }
  .op { border: 1px solid #d5e3d7; border-radius: 6px; margin: .75rem 0; }
  .op > summary { cursor: pointer; padding: .5rem .75rem; list-style: none; }
  .method { display: inline-block; min-width: 4.5em; font-weight: 700; text-transform: uppercase; }
  .get { color: #1f6feb; } .post { color: #2f6b3a; } .put, .patch { color: #9a6700; } .delete { color: #cf222e; }
  .path { font-family: ui-monospace, monospace; }
  .body { padding: 0 .75rem .75rem; }
  pre { background: #f4f8f4; padding: .5rem; overflow: auto; font-size: 13px; }
  .muted { color: #5b6b5e; }
`;

const DOCS_JS = `
(async () => {
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const res = await fetch('openapi.json');
  const doc = await res.json();
  // Shows a referenced component in place of its $ref (one level: enough to read a body).
  const deref = (s) => {
    const name = s && typeof s.$ref === 'string' ? s.$ref.split('/').pop() : undefined;
    return (name && doc.components && doc.components.schemas && doc.components.schemas[name]) || s;
  };
  const json = (v) => el('pre', '', JSON.stringify(deref(v), null, 2));
  document.getElementById('title').textContent = doc.info.title + ' ' + doc.info.version;
  const info = document.getElementById('info');
  info.textContent = (doc.info.description || '') + ' ';
  const raw = el('a', '', 'openapi.json');
  raw.href = 'openapi.json';
  info.append(raw);
  const ops = document.getElementById('ops');
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const box = el('details', 'op');
      const head = el('summary');
      head.append(el('span', 'method ' + method, method), el('span', 'path', path), el('span', 'muted', '  ' + (op.summary || '')));
      const body = el('div', 'body');
      if (op.description) body.append(el('p', '', op.description));
      if (op.parameters && op.parameters.length) {
        body.append(el('h4', '', 'Parameters'));
        for (const p of op.parameters) body.append(el('div', '', p.in + ' ' + p.name + (p.required ? ' (required)' : '') + (p.description ? ': ' + p.description : '')));
      }
      const reqBody = op.requestBody && op.requestBody.content;
      if (reqBody) {
        for (const [type, media] of Object.entries(reqBody)) {
          body.append(el('h4', '', 'Request body (' + type + ')'), json(media.schema));
        }
      }
      body.append(el('h4', '', 'Responses'));
      for (const [status, r] of Object.entries(op.responses || {})) {
        body.append(el('div', '', status + ' ' + (r.description || '')));
        for (const [type, media] of Object.entries(r.content || {})) {
          body.append(el('div', 'muted', type), json(media.schema));
        }
      }
      box.append(head, body);
      ops.append(box);
    }
  }
})().catch((e) => { document.getElementById('info').textContent = 'Could not load openapi.json: ' + e; });
`;
