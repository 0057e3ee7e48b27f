import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys as strings: their format, making them, and checking a presented one. Pure: no I/O.
 *
 * A key is `gl_<id>_<secret>`: `id` is 12 hex characters, public (it names the key in lists, logs and
 * the audit trail); `secret` is 32 random bytes in base64url. Only SHA-256(secret) is stored. A fast
 * hash is right here: slow password hashes (bcrypt, scrypt, argon2) exist to make guessing *low-entropy*
 * passwords expensive, but a 256-bit random secret cannot be guessed at any hash speed, and a slow hash
 * would cost every request tens of milliseconds of CPU. The id makes the lookup a primary-key read and
 * the secret is compared in constant time.
 */

const KEY_PATTERN = /^gl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** A fresh key: its public id, its plaintext (shown once) and the hash to store. */
export function generateKey(): { id: string; key: string; secretHash: string } {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `gl_${id}_${secret}`, secretHash: hashSecret(secret) };
}

/** The id and secret of a well-formed key, or null. */
export function parseKey(key: string): { id: string; secret: string } | null {
  const m = KEY_PATTERN.exec(key);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The key a request presents: `Authorization: Bearer <key>`, else `X-Api-Key: <key>`.
 * `undefined` when it presents none, `null` when the Authorization header is not a Bearer one.
 */
export function presentedKey(authorization?: string, apiKey?: string): string | null | undefined {
  if (authorization !== undefined) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    return m ? m[1]! : null;
  }
  return apiKey === undefined ? undefined : apiKey.trim();
}
