import type { SendOutcome } from './channel';

/**
 * The one HTTP call every robot and the webhook make, with a deadline, and the redaction that keeps a
 * target's URL, token, key and secret out of every error text we store or log.
 */

export type HttpAnswer = { status: number; text: string; json: unknown; retryAfterMs?: number };

/** POST a body; resolves with any HTTP answer, rejects on network failure or timeout. */
export async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<HttpAnswer> {
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'error',
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  const retryAfter = Number(res.headers.get('retry-after'));
  return {
    status: res.status,
    text,
    json,
    ...(res.status === 429 && Number.isFinite(retryAfter) && retryAfter > 0
      ? { retryAfterMs: retryAfter * 1000 }
      : {}),
  };
}

/**
 * The answer as an outcome: a 2xx whose JSON `judge` accepts is delivered; anything else failed, with a
 * short description. Robots answer HTTP 200 with an error code in the body (`errcode`, Feishu `code`),
 * so the status alone never means success.
 */
export function outcomeOf(
  answer: HttpAnswer,
  judge: (json: unknown) => { ok: true } | { ok: false; error: string; retryAfterMs?: number },
): SendOutcome {
  if (answer.status < 200 || answer.status >= 300) {
    return {
      ok: false,
      error: `HTTP ${answer.status}: ${snippet(answer.text)}`,
      ...(answer.retryAfterMs ? { retryAfterMs: answer.retryAfterMs } : {}),
    };
  }
  const verdict = judge(answer.json);
  if (verdict.ok) return { ok: true, response: answer.json ?? snippet(answer.text) };
  return verdict;
}

/** Why a request failed, from a thrown error (timeout, refused connection, DNS). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'no answer before the timeout';
  const cause = (error as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? `: ${(cause as { code?: string }).code ?? cause.message}` : '';
  return `${error.message}${detail}`;
}

export function snippet(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/**
 * The parts of a webhook URL that are credentials: the whole URL, every query value (access_token, key)
 * and every long path segment (Feishu's hook token).
 */
export function urlSecrets(url: string): string[] {
  const out = [url];
  try {
    const u = new URL(url);
    out.push(u.origin + u.pathname);
    for (const v of u.searchParams.values()) if (v.length >= 6) out.push(v);
    for (const seg of u.pathname.split('/')) if (seg.length >= 16) out.push(decodeURIComponent(seg));
  } catch {
    // Not a URL: the whole string is all we can hide.
  }
  return out;
}

/** `text` with every secret (and its URL-encoded form) replaced by `***`; longest first. */
export function redact(text: string, secrets: string[]): string {
  const all = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < 4) continue;
    all.add(s);
    all.add(encodeURIComponent(s));
  }
  let out = text;
  for (const s of [...all].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
  return out;
}

/** POST, judge the answer, and return an outcome whose error text holds none of `secrets`. */
export async function postAndJudge(
  request: { url: string; body: string; headers: Record<string, string> },
  timeoutMs: number,
  judge: Parameters<typeof outcomeOf>[1],
  secrets: string[],
): Promise<SendOutcome> {
  try {
    const outcome = outcomeOf(await post(request.url, request.body, request.headers, timeoutMs), judge);
    return outcome.ok ? outcome : { ...outcome, error: redact(outcome.error, secrets) };
  } catch (error) {
    return { ok: false, error: redact(describeError(error), secrets) };
  }
}

export type Verdict = { ok: true } | { ok: false; error: string; retryAfterMs?: number };

/**
 * The verdict of a robot that answers HTTP 200 with `errcode` (DingTalk, WeCom): 0 is the only
 * success; `slowDown` says which codes mean "too fast" and how long the robot is silenced.
 */
export function errcodeVerdict(
  provider: string,
  json: unknown,
  slowDown: Readonly<Record<number, number>>,
): Verdict {
  const body = (json ?? {}) as { errcode?: unknown; errmsg?: unknown };
  if (body.errcode === 0) return { ok: true };
  const code = body.errcode ?? 'missing';
  const retryAfterMs = typeof code === 'number' ? slowDown[code] : undefined;
  return {
    ok: false,
    error: `${provider} errcode ${String(code)}: ${String(body.errmsg ?? '')}`.trim(),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}
