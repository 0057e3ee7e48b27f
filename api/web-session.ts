import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema';
import { endSession, insertSession, liveSession, touchSession } from '../db/sessions';
import { hashSecret } from './auth/key-material';
import type { Principal } from './auth/principal';

/**
 * The dashboard's sign-in, one mechanism for every way of signing in (an API key today, the
 * organisation's identity provider next): the browser holds an opaque random token in an HttpOnly
 * cookie; PostgreSQL holds its hash, what it stands for, its CSRF token and its idle and absolute
 * ends. Signing in always makes a new session (the old one, if any, is ended); signing out ends it on
 * the server, so a copied cookie is worth nothing afterwards. Every form carries the session's CSRF
 * token; the sign-in form, which has no session yet, carries a token bound to a short-lived cookie.
 */

export const SESSION_COOKIE = 'greenlane_session';
const LOGIN_COOKIE = 'greenlane_login';
/** A session ends after this long without a request... */
export const SESSION_IDLE_MS = 2 * 3_600_000;
/** ...and after this long in any case. */
export const SESSION_ABSOLUTE_MS = 12 * 3_600_000;
/** Requests closer together than this do not move `last_seen_at` (one write a minute at most). */
const TOUCH_RESOLUTION_MS = 60_000;

const token = () => randomBytes(32).toString('base64url');

/**
 * Cookies are `Secure` unless the public URL is plain http on a loopback address (a developer's
 * machine, `npm start`): a browser would not send a Secure cookie back over http at all.
 */
export function cookiesSecure(publicUrl: string): boolean {
  const url = new URL(publicUrl);
  if (url.protocol === 'https:') return true;
  return !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

export type WebSession = { principal: Principal; csrfToken: string; id: string };

export class WebSessions {
  readonly secure: boolean;
  constructor(
    private readonly db: Kysely<DB>,
    publicUrl: string,
  ) {
    this.secure = cookiesSecure(publicUrl);
  }

  /**
   * Signs in: a new session for this key, or for this person signed in through the identity provider
   * (with their ID token), ending the one the browser had; its cookie set.
   */
  async start(c: Context, subject: { keyId: string } | { personId: string; idToken: string }): Promise<void> {
    const previous = getCookie(c, SESSION_COOKIE);
    if (previous) await endSession(this.db, hashSecret(previous));
    const secret = token();
    await insertSession(this.db, {
      id: hashSecret(secret),
      ...subject,
      csrfToken: token(),
      expiresAt: new Date(Date.now() + SESSION_ABSOLUTE_MS),
      userAgent: c.req.header('user-agent') ?? null,
    });
    setCookie(c, SESSION_COOKIE, secret, {
      httpOnly: true,
      sameSite: 'Lax',
      path: '/',
      secure: this.secure,
      maxAge: SESSION_ABSOLUTE_MS / 1000,
    });
    deleteCookie(c, LOGIN_COOKIE, { path: '/ui/login', secure: this.secure });
  }

  /** The live session this request carries, or null. */
  async current(c: Context): Promise<WebSession | null> {
    const secret = getCookie(c, SESSION_COOKIE);
    if (!secret) return null;
    const row = await liveSession(this.db, hashSecret(secret), SESSION_IDLE_MS);
    if (!row || row.role === null) return null;
    if (Date.now() - row.lastSeenAt.getTime() > TOUCH_RESOLUTION_MS) await touchSession(this.db, row.id);
    return {
      id: row.id,
      csrfToken: row.csrfToken,
      principal: {
        keyId: row.keyId ?? `session-${row.id.slice(0, 12)}`,
        personId: row.personId,
        name: row.name ?? row.label ?? '',
        role: row.role,
        department: row.department,
      },
    };
  }

  /**
   * Signs out: the session ended on the server and its cookie cleared. Returns the ID token of a
   * session signed in through the identity provider (to sign out there too), else null.
   */
  async end(c: Context): Promise<string | null> {
    const secret = getCookie(c, SESSION_COOKIE);
    const idToken = secret ? await endSession(this.db, hashSecret(secret)) : null;
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: this.secure });
    return idToken;
  }

  /** The sign-in form's CSRF token, bound to a short-lived cookie of this browser. */
  loginToken(c: Context): string {
    const value = token();
    setCookie(c, LOGIN_COOKIE, value, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/ui/login',
      secure: this.secure,
      maxAge: 3600,
    });
    return value;
  }

  /** Whether a sign-in form came from our own page in this browser. */
  loginTokenValid(c: Context, sent: unknown): boolean {
    return sameToken(getCookie(c, LOGIN_COOKIE), sent);
  }
}

/** Constant-time comparison of a form's token with the expected one; false when either is missing. */
export function sameToken(expected: string | undefined, sent: unknown): boolean {
  if (!expected || typeof sent !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether a form post is from this site: the Origin header, when the browser sends one, must be ours
 * (the public URL's origin or the one the request was made to).
 */
export function sameOrigin(c: Context, publicUrl: string): boolean {
  const origin = c.req.header('origin');
  if (origin === undefined) return true; // the tokens decide
  return origin === new URL(publicUrl).origin || origin === new URL(c.req.url).origin;
}
