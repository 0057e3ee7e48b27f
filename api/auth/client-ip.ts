import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

export type ClientIpOptions = {
  /** Proxies of ours in front of the API, each appending to X-Forwarded-For (default 0: none). */
  trustedProxyHops?: number;
};

/**
 * Where the request comes from: the socket's remote address (@hono/node-server `getConnInfo`).
 * `X-Forwarded-For` is believed only with `trustedProxyHops` > 0, and then only the entry that many hops
 * from the right — the address our outermost proxy saw; anything left of it is the client's say-so.
 * Null when the app is not served by @hono/node-server (tests calling `app.request`).
 */
export function clientIp(c: Context, options: ClientIpOptions = {}): string | null {
  const hops = options.trustedProxyHops ?? 0;
  if (hops > 0) {
    const chain = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const seen = chain[chain.length - hops];
    if (seen) return normalizeIp(seen);
  }
  try {
    const address = getConnInfo(c).remote.address;
    return address ? normalizeIp(address) : null;
  } catch {
    return null;
  }
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) → `10.0.0.1`. */
function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
