import type { App, AppDeps } from '../app';

export const API_TITLE = 'Greenlane API';
export const API_VERSION = '0.1.0';

/** The OpenAPI 3.1 document of every route registered with `app.openapi`. */
export function openApiDocument(app: App, deps: AppDeps) {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: API_TITLE,
      version: API_VERSION,
      description:
        'Runs major-project approval programmes on Temporal. Every error is RFC 9457 ' +
        '`application/problem+json` with a stable `type` under https://greenlane.dev/problems/.',
    },
    servers: [{ url: deps.config.api.publicUrl }],
  });
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
}

// A single static page, no build step, no CDN: it fetches the document and lists the operations
// with their parameters, bodies and responses. Text is inserted with textContent, never as HTML.
const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${API_TITLE}</title>
<style>
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
</style>
</head>
<body>
<h1 id="title">${API_TITLE}</h1>
<p class="muted" id="info">Loading <a href="openapi.json">openapi.json</a>…</p>
<main id="ops"></main>
<script>
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
</script>
</body>
</html>
`;
