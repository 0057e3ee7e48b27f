import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * Loopback stand-ins for DingTalk, WeCom, Feishu, a webhook consumer and an SMTP relay, on free ports of
 * 127.0.0.1. Each checks a request as the real service does (the robots' signatures are recomputed here
 * from the published algorithms, independently of the code under test), answers as the service
 * answers, and records everything it got. Tests can make one answer fail (HTTP 500, a provider error
 * code on HTTP 200, or no answer at all) and give the receiver their clock.
 */

export type RobotKind = 'dingtalk' | 'wecom' | 'feishu' | 'webhook';

export type Received = {
  /** By the receiver's clock (the test's, when it passed one). */
  at: number;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  raw: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read bodies whose shapes the assertions check
  json: any;
  /** The signature (or key) held and the body was well formed. */
  verified: boolean;
  /** What we answered: HTTP status and body. */
  status: number;
  answer: unknown;
};

export type Failure = 'http500' | 'providerError' | 'hang';

export type RobotReceiver = {
  kind: RobotKind;
  /** The URL to configure, with its token or key. */
  url: string;
  /** The token, key or secret a leak test looks for. */
  credentials: string[];
  received: Received[];
  /** Requests answered as delivered. */
  delivered(): Received[];
  /** Make the next `times` requests fail this way (then answer normally again). */
  failNext(failure: Failure, times?: number): void;
  close(): Promise<void>;
};

const HOUR_MS = 3_600_000;

export async function startRobotReceiver(
  kind: RobotKind,
  opts: { secret?: string; clock?: () => number } = {},
): Promise<RobotReceiver> {
  const clock = opts.clock ?? Date.now;
  const token = `tok${randomBytes(12).toString('hex')}`;
  const secret = opts.secret;
  const received: Received[] = [];
  const failures: Failure[] = [];
  const hanging = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let json: unknown = null;
      try {
        json = JSON.parse(raw);
      } catch {
        json = null;
      }
      const entry: Received = {
        at: clock(),
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        raw,
        json,
        verified: false,
        status: 0,
        answer: null,
      };
      received.push(entry);
      const failure = failures.shift();
      if (failure === 'hang') {
        hanging.add(res);
        return;
      }
      const verdict = check(kind, { url, headers: req.headers, raw, json, token, secret, now: clock() });
      entry.verified = verdict.ok;
      let status = verdict.status;
      let answer = verdict.answer;
      if (verdict.ok && failure === 'http500') [status, answer] = [500, { error: 'internal error' }];
      if (verdict.ok && failure === 'providerError') answer = providerError(kind);
      if (verdict.ok && failure === 'providerError' && kind === 'webhook') status = 503;
      entry.status = status;
      entry.answer = answer;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const url = {
    dingtalk: `${base}/robot/send?access_token=${token}`,
    wecom: `${base}/cgi-bin/webhook/send?key=${token}`,
    feishu: `${base}/open-apis/bot/v2/hook/${token}`,
    webhook: `${base}/hooks/greenlane?token=${token}`,
  }[kind];
  return {
    kind,
    url,
    credentials: [token, ...(secret ? [secret] : [])],
    received,
    delivered: () => received.filter((r) => r.verified && r.status === 200 && isSuccess(kind, r.answer)),
    failNext(failure, times = 1) {
      for (let i = 0; i < times; i++) failures.push(failure);
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Verdict = { ok: boolean; status: number; answer: unknown };

function check(
  kind: RobotKind,
  r: {
    url: URL;
    headers: IncomingMessage['headers'];
    raw: string;
    json: unknown;
    token: string;
    secret?: string;
    now: number;
  },
): Verdict {
  // biome-ignore lint/suspicious/noExplicitAny: the body's shape is what is being checked
  const body = r.json as any;
  if (kind === 'dingtalk') {
    const refuse = (errcode: number, errmsg: string) => ({
      ok: false,
      status: 200,
      answer: { errcode, errmsg },
    });
    if (r.url.searchParams.get('access_token') !== r.token) return refuse(300001, 'token is not exist');
    if (r.secret) {
      // DingTalk: timestamp in ms within an hour; sign = base64(HmacSHA256(secret, `${timestamp}\n${secret}`)).
      const ts = r.url.searchParams.get('timestamp') ?? '';
      const sign = r.url.searchParams.get('sign') ?? '';
      const expected = createHmac('sha256', r.secret).update(`${ts}\n${r.secret}`).digest('base64');
      if (!/^\d{13}$/.test(ts) || Math.abs(r.now - Number(ts)) > HOUR_MS)
        return refuse(310000, 'timestamp invalid');
      if (!equal(sign, expected)) return refuse(310000, 'sign not match');
    }
    const markdown = body?.msgtype === 'markdown' && body.markdown?.title && body.markdown?.text;
    // An ActionCard: title, markdown text, and buttons that each open a URL.
    const card = body?.actionCard;
    const actionCard =
      body?.msgtype === 'actionCard' &&
      card?.title &&
      card?.text &&
      Array.isArray(card.btns) &&
      card.btns.length > 0 &&
      card.btns.every(
        (b: { title?: unknown; actionURL?: unknown }) => b.title && /^https?:\/\//.test(String(b.actionURL)),
      );
    if (!markdown && !actionCard) return refuse(40035, 'missing parameter');
    return { ok: true, status: 200, answer: { errcode: 0, errmsg: 'ok' } };
  }
  if (kind === 'wecom') {
    const refuse = (errcode: number, errmsg: string) => ({
      ok: false,
      status: 200,
      answer: { errcode, errmsg },
    });
    if (r.url.searchParams.get('key') !== r.token) return refuse(93000, 'invalid webhook url');
    if (body?.msgtype === 'template_card') {
      // A text-notice card: a main title of at most 26 characters and a card action with a URL.
      const t = body.template_card;
      if (
        t?.card_type !== 'text_notice' ||
        !t.main_title?.title ||
        t.card_action?.type !== 1 ||
        !t.card_action.url
      )
        return refuse(40058, 'template_card invalid');
      if ([...String(t.main_title.title)].length > 26)
        return refuse(40058, 'main_title.title exceed max length');
      return { ok: true, status: 200, answer: { errcode: 0, errmsg: 'ok' } };
    }
    if (body?.msgtype !== 'markdown' || typeof body.markdown?.content !== 'string') {
      return refuse(40008, 'invalid message type');
    }
    if (Buffer.byteLength(body.markdown.content, 'utf8') > 4096)
      return refuse(40058, 'content exceed max length');
    return { ok: true, status: 200, answer: { errcode: 0, errmsg: 'ok' } };
  }
  if (kind === 'feishu') {
    const refuse = (code: number, msg: string) => ({
      ok: false,
      status: 200,
      answer: { code, msg, data: {} },
    });
    if (!r.url.pathname.endsWith(`/hook/${r.token}`))
      return refuse(19001, 'param invalid: incoming webhook access token invalid');
    if (Buffer.byteLength(r.raw, 'utf8') > 20 * 1024) return refuse(9499, 'request body too large');
    if (r.secret) {
      // Feishu: timestamp in SECONDS in the body; sign = base64(HmacSHA256(key = `${timestamp}\n${secret}`, "")).
      const ts = body?.timestamp;
      const expected = createHmac('sha256', `${ts}\n${r.secret}`).update('').digest('base64');
      const fresh =
        typeof ts === 'string' && /^\d{10}$/.test(ts) && Math.abs(r.now / 1000 - Number(ts)) < 3600;
      if (!fresh || !equal(String(body?.sign ?? ''), expected)) {
        return refuse(19021, 'sign match fail or timestamp is not within one hour from current time');
      }
    }
    const post = body?.msg_type === 'post' && body.content?.post?.zh_cn?.content;
    const interactive =
      body?.msg_type === 'interactive' && body.card?.header && Array.isArray(body.card.elements);
    if (!post && !interactive) return refuse(9499, 'Bad Request');
    return { ok: true, status: 200, answer: { code: 0, msg: 'success', data: {} } };
  }
  // The webhook: HMAC-SHA256 of the raw body, and a timestamp header matching the signed body.
  if (r.url.searchParams.get('token') !== r.token)
    return { ok: false, status: 404, answer: { error: 'not found' } };
  const signature = String(r.headers['x-greenlane-signature'] ?? '');
  const expected = `sha256=${createHmac('sha256', r.secret ?? '')
    .update(r.raw, 'utf8')
    .digest('hex')}`;
  const ts = Number(r.headers['x-greenlane-timestamp']);
  if (!equal(signature, expected) || body?.sentAt !== ts || Math.abs(r.now / 1000 - ts) > 300) {
    return { ok: false, status: 401, answer: { error: 'bad signature' } };
  }
  return { ok: true, status: 200, answer: { received: body.escalations.length } };
}

function providerError(kind: RobotKind): unknown {
  if (kind === 'dingtalk') return { errcode: 400101, errmsg: 'system busy' };
  if (kind === 'wecom') return { errcode: -1, errmsg: 'system busy' };
  if (kind === 'feishu') return { code: 19024, msg: 'system busy' };
  return { error: 'unavailable' };
}

function isSuccess(kind: RobotKind, answer: unknown): boolean {
  // biome-ignore lint/suspicious/noExplicitAny: answers are the receiver's own
  const a = answer as any;
  if (kind === 'dingtalk' || kind === 'wecom') return a?.errcode === 0;
  if (kind === 'feishu') return a?.code === 0;
  return typeof a?.received === 'number';
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// --- SMTP -----------------------------------------------------------------------------------------

export type ReceivedMail = {
  at: number;
  from: string;
  to: string[];
  user: string | undefined;
  headers: Record<string, string>;
  subject: string;
  text: string;
  raw: string;
};

export type SmtpReceiver = {
  host: string;
  port: number;
  user: string;
  password: string;
  mails: ReceivedMail[];
  /** Refuse the next `times` messages with a temporary error (451). */
  failNext(times?: number): void;
  close(): Promise<void>;
};

/** An SMTP relay on loopback (smtp-server), requiring AUTH with its own user and password. */
export async function startSmtpReceiver(opts: { clock?: () => number } = {}): Promise<SmtpReceiver> {
  const clock = opts.clock ?? Date.now;
  const user = 'greenlane';
  const password = `pw-${randomBytes(10).toString('hex')}`;
  const mails: ReceivedMail[] = [];
  let failures = 0;
  const server = new SMTPServer({
    // Plain SMTP on loopback: no TLS to negotiate, AUTH allowed without it (never do this off loopback).
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === password) cb(null, { user });
      else cb(new Error('535 authentication failed'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (failures > 0) {
          failures--;
          const err = new Error('Temporary local problem, try again later') as Error & {
            responseCode: number;
          };
          err.responseCode = 451;
          cb(err);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const { headers, body } = parseMime(raw);
        mails.push({
          at: clock(),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          headers,
          subject: decodeWords(headers.subject ?? ''),
          text: decodeBody(body, headers['content-transfer-encoding']),
          raw,
        });
        cb(null);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    mails,
    failNext(times = 1) {
      failures += times;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Headers (lower-cased, unfolded) and body of a single-part message, as nodemailer writes a text mail. */
function parseMime(raw: string): { headers: Record<string, string>; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { headers, body: raw.slice(split + 4) };
}

/** RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?UTF-8?Q?…?=`). */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, _charset: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : qp(text.replace(/_/g, ' ')),
    );
}

function decodeBody(body: string, encoding = '7bit'): string {
  const e = encoding.toLowerCase();
  const text =
    e === 'base64'
      ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
      : e === 'quoted-printable'
        ? qp(body)
        : body;
  return text.replace(/\r\n/g, '\n').replace(/\n$/, '');
}

function qp(text: string): string {
  const bytes: number[] = [];
  const s = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(s[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A clock tests move by hand: the dispatcher's and the receivers' time. */
export function manualClock(start = Date.now()) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    set(t: number) {
      now = t;
    },
  };
}
