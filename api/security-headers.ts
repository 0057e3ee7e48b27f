import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/**
 * Security headers on every answer (pages, JSON, problems, files), from Hono's secure-headers
 * middleware. The Content-Security-Policy allows only this origin's own style sheets, scripts and
 * forms, no inline style or script (the dashboard and /docs load theirs as files), and no framing;
 * `Referrer-Policy: same-origin` keeps project codes out of other sites' logs. HSTS only when the
 * public URL is https: sent over plain http it would be meaningless at best. `formTargets` are other
 * origins a form post may be redirected to: the identity provider's, where signing out continues.
 */
export function securityHeaders(publicUrl: string, formTargets: readonly string[] = []): MiddlewareHandler {
  const https = new URL(publicUrl).protocol === 'https:';
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      formAction: ["'self'", ...formTargets],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    xFrameOptions: 'DENY',
    // same-origin, not no-referrer: under no-referrer browsers send `Origin: null` with our own form
    // posts, and the sign-in's origin check could not tell them from a sandboxed page elsewhere.
    referrerPolicy: 'same-origin',
    strictTransportSecurity: https ? 'max-age=31536000; includeSubDomains' : false,
    crossOriginEmbedderPolicy: false,
  });
}
