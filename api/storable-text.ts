import type { Context, MiddlewareHandler } from 'hono';
import type { App } from './app';
import { type FieldError, ProblemError, ProblemType } from './http-problem';

/**
 * Refuses text that cannot be kept as sent, before any handler sees it (422, every place listed):
 * - U+0000: PostgreSQL's text and jsonb cannot hold it, Temporal can — a project was started whose
 *   read-model row could never be written and whose audit entry failed (a 500 after the fact);
 * - unpaired UTF-16 surrogates (`"\ud800"` in JSON): not encodable in UTF-8, so they reached PostgreSQL
 *   and Temporal as U+FFFD;
 * and a JSON body that is not valid UTF-8 (400): decoding would put U+FFFD in place of the bad bytes.
 * Everything else — emoji, zero-width joiners, bidi marks, combining characters, CJK Extension B — is
 * stored and returned exactly as sent, without normalisation.
 *
 * It looks at the decoded path, the query and a JSON body (object keys too). Registered right after the
 * API-key check, so an unauthenticated caller gets its 401 first and nothing is parsed for it.
 */
export function registerStorableText(app: App): void {
  app.use(storableText());
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `s` cannot be stored as sent, or null. */
export function unstorable(s: string): string | null {
  if (s.includes('\u0000')) return 'contains U+0000 (NUL), which cannot be stored';
  if (LONE_SURROGATE.test(s)) return 'contains an unpaired UTF-16 surrogate, which is not Unicode text';
  return null;
}

export function storableText(): MiddlewareHandler {
  return async (c, next) => {
    const errors: FieldError[] = [];
    const check = (where: FieldError['in'], path: string, s: string) => {
      const why = unstorable(s);
      if (why) errors.push({ in: where, path, message: why, code: 'unstorable_text' });
    };
    c.req.path.split('/').forEach((segment, i) => {
      check('path', String(i), decodeSegment(segment));
    });
    for (const [name, value] of new URL(c.req.url).searchParams) {
      check('query', name, name);
      check('query', name, value);
    }
    const body = await jsonBody(c);
    if (body !== undefined) walk(body, (path, s) => check('body', path, s));
    if (errors.length > 0) {
      throw new ProblemError({
        status: 422,
        type: ProblemType.validation,
        title: 'The request holds text that cannot be stored',
        detail: errors.map((e) => `${e.in} ${e.path}: ${e.message}`).join('; '),
        errors,
      });
    }
    await next();
  };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // not UTF-8 once decoded: the route's own validation refuses it
  }
}

/** The parsed JSON body, or undefined when there is none or it does not parse (the route answers that). */
async function jsonBody(c: Context): Promise<unknown> {
  const type = (c.req.header('content-type') ?? '').toLowerCase();
  if (!c.req.raw.body || !/^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/.test(type)) return undefined;
  // Read as bytes, which hono caches: the validators and the idempotency hash read the same bytes later.
  const bytes = await c.req.arrayBuffer();
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ProblemError({
      status: 400,
      type: ProblemType.malformedRequest,
      title: 'The request could not be parsed',
      detail: 'the body is not valid UTF-8',
    });
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Every string in a JSON value, keys included, with its dotted path; iterative, for any nesting depth. */
function walk(value: unknown, visit: (path: string, s: string) => void): void {
  const stack: [string, unknown][] = [['', value]];
  while (stack.length > 0) {
    const [path, v] = stack.pop()!;
    if (typeof v === 'string') visit(path, v);
    else if (Array.isArray(v)) {
      v.forEach((item, i) => {
        stack.push([join(path, String(i)), item]);
      });
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        visit(join(path, k), k);
        stack.push([join(path, k), item]);
      }
    }
  }
}

const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);
