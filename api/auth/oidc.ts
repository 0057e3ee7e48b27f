import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Kysely } from 'kysely';
import * as client from 'openid-client';
import type { OidcSettings } from '../../config';
import { insertLogin, linkIdentityIfFree, personOfIdentity, takeLogin } from '../../db/identities';
import { findPerson } from '../../db/people';
import type { DB } from '../../db/schema';
import { PersonId } from '../../domain/project';
import { recordAudit } from '../audit';
import { cookiesSecure } from '../web-session';
import { clientIp } from './client-ip';
import { hashSecret } from './key-material';

/**
 * Signing in to the dashboard with the organisation's identity: OpenID Connect, authorization code with
 * PKCE, as relying party through openid-client (which validates the provider's answers and ID tokens).
 *
 * `begin` makes a state, a nonce and a PKCE verifier, keeps them in PostgreSQL under the hash of a
 * random token the browser holds in a short-lived HttpOnly cookie (so the callback must come back to
 * the browser that left), and answers the provider's authorization URL. `finish` takes that sign-in
 * (once), exchanges the code, and maps the ID token's (iss, sub) to a person of the directory: through
 * `oidc_identities`, or at a first sign-in through the configured claim carrying the person id. Role
 * and department are the person's, from the directory, never from the token. The session is then
 * started by WebSessions like any other.
 */

const LOGIN_COOKIE = 'greenlane_oidc';
const CALLBACK_PATH = '/ui/login/oidc/callback';
/**
 * openid-client's error codes that say the provider did not answer properly (a timeout, an aborted
 * request, an unexpected HTTP status such as a 502), rather than that its answer was refused.
 */
const UNAVAILABLE = new Set(['OAUTH_TIMEOUT', 'OAUTH_ABORT', 'OAUTH_RESPONSE_IS_NOT_CONFORM']);
/** How long a sign-in at the provider may take. */
const LOGIN_MS = 10 * 60_000;
/** Every request to the provider gives up after this long. */
const PROVIDER_TIMEOUT_MS = 10_000;

/** Why a sign-in through the provider did not end in a session; each has its page. */
export type OidcRefusal =
  /** No sign-in under way in this browser (expired, used, or the cookie missing). */
  | 'expired'
  /** The answer did not match the sign-in (state, nonce, PKCE) or was not valid. */
  | 'invalid'
  /** The provider answered with an error (e.g. the user refused). */
  | 'provider'
  /** The provider could not be reached. */
  | 'unavailable'
  /** The identity is linked to nobody. */
  | 'unknown'
  /** The person has left (their handover is done). */
  | 'left';

export type OidcOutcome =
  | { personId: string; idToken: string }
  | { refused: OidcRefusal; issuer?: string; subject?: string };

export class OidcSignIn {
  private configuration: Promise<client.Configuration> | undefined;
  private readonly redirectUri: string;
  private readonly afterLogout: string;
  private readonly secure: boolean;

  constructor(
    private readonly db: Kysely<DB>,
    readonly settings: OidcSettings,
    publicUrl: string,
  ) {
    this.redirectUri = new URL(CALLBACK_PATH, publicUrl).href;
    this.afterLogout = new URL('/ui/login', publicUrl).href;
    this.secure = cookiesSecure(publicUrl);
  }

  /** The provider's metadata, discovered once (again after a failure). */
  private config(): Promise<client.Configuration> {
    if (!this.configuration) {
      const { issuer, clientId, clientSecret } = this.settings;
      const url = new URL(issuer);
      const options: client.DiscoveryRequestOptions = {
        [client.customFetch]: (input, init) =>
          fetch(input, { ...init, signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) }),
        // config.ts allows plain http only on a loopback address (a developer's provider).
        ...(url.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
      };
      const auth = clientSecret ? client.ClientSecretBasic(clientSecret) : client.None();
      this.configuration = client.discovery(url, clientId, undefined, auth, options);
      this.configuration.catch(() => {
        this.configuration = undefined;
      });
    }
    return this.configuration;
  }

  /** Starts a sign-in: the URL to send the browser to; null when the provider cannot be reached. */
  async begin(c: Context): Promise<URL | null> {
    let config: client.Configuration;
    try {
      config = await this.config();
    } catch {
      return null;
    }
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const secret = randomBytes(32).toString('base64url');
    await insertLogin(
      this.db,
      hashSecret(secret),
      { state, nonce, codeVerifier },
      new Date(Date.now() + LOGIN_MS),
    );
    // Lax, not Strict: the provider sends the browser back with a top-level GET from its own site.
    setCookie(c, LOGIN_COOKIE, secret, {
      httpOnly: true,
      sameSite: 'Lax',
      path: '/ui/login/oidc',
      secure: this.secure,
      maxAge: LOGIN_MS / 1000,
    });
    return client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: this.settings.scope,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
  }

  /** The provider's answer at the callback: the person signed in, or why not. */
  async finish(c: Context): Promise<OidcOutcome> {
    const secret = getCookie(c, LOGIN_COOKIE);
    deleteCookie(c, LOGIN_COOKIE, { path: '/ui/login/oidc', secure: this.secure });
    const login = secret ? await takeLogin(this.db, hashSecret(secret)) : undefined;
    if (!login) return { refused: 'expired' };
    let config: client.Configuration;
    try {
      config = await this.config();
    } catch {
      return { refused: 'unavailable' };
    }
    // The registered redirect URI with the answer's parameters (the request may have come via a proxy).
    const current = new URL(this.redirectUri);
    current.search = new URL(c.req.url).search;
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: login.codeVerifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      if (err instanceof client.AuthorizationResponseError) return { refused: 'provider' };
      if (err instanceof TypeError) return { refused: 'unavailable' }; // fetch: no connection
      if (err instanceof client.ClientError && err.code && UNAVAILABLE.has(err.code)) {
        return { refused: 'unavailable' };
      }
      // Refused by the provider (invalid_grant; invalid_client, as a 401 challenge, when the secret is
      // wrong) or by openid-client's checks (state, nonce, signature, issuer, audience).
      if (
        err instanceof client.ResponseBodyError ||
        err instanceof client.WWWAuthenticateChallengeError ||
        err instanceof client.ClientError
      ) {
        return { refused: 'invalid' };
      }
      throw err;
    }
    const claims = tokens.claims();
    if (!claims || !tokens.id_token) return { refused: 'invalid' };
    return this.person(c, claims, tokens.id_token);
  }

  /**
   * The person an ID token's identity is, linking it at a first sign-in through the configured claim
   * (audited as `person.identity`, by the person, in their trail).
   */
  private async person(c: Context, claims: client.IDToken, idToken: string): Promise<OidcOutcome> {
    const { iss: issuer, sub: subject } = claims;
    let personId = await personOfIdentity(this.db, issuer, subject);
    const claim = this.settings.personClaim;
    const named = claim === undefined ? undefined : PersonId.safeParse(claims[claim]);
    const candidate = named?.success ? await findPerson(this.db, named.data) : undefined;
    // Only someone of the directory who has no identity at this provider yet, and has not left.
    if (personId === undefined && candidate && candidate.left_at === null) {
      const linkedBy = `claim:${claim}`;
      const linked = await this.db.transaction().execute(async (tx) => {
        const link = { issuer, subject, personId: candidate.id, linkedBy };
        if (!(await linkIdentityIfFree(tx, link))) return false;
        await recordAudit(tx, {
          principal: {
            keyId: linkedBy,
            personId: candidate.id,
            name: candidate.name,
            role: candidate.role,
            department: candidate.department,
          },
          requestId: (c.get('requestId') as string | undefined) ?? 'none',
          ip: clientIp(c),
          userAgent: c.req.header('user-agent') ?? null,
          projectCode: null,
          action: 'person.identity',
          subject: candidate.id,
          body: { issuer, subject, claim },
          result: { linkedBy },
        });
        return true;
      });
      if (linked) personId = candidate.id;
    }
    if (personId === undefined) return { refused: 'unknown', issuer, subject };
    const person = await findPerson(this.db, personId);
    if (!person || person.left_at !== null) return { refused: 'left', issuer, subject };
    return { personId, idToken };
  }

  /**
   * Where to send the browser after its session ended, to sign out at the provider too (RP-initiated
   * logout) and come back to the sign-in page; null when the provider offers no end-session endpoint.
   */
  async logoutUrl(idToken: string): Promise<URL | null> {
    let config: client.Configuration;
    try {
      config = await this.config();
    } catch {
      return null;
    }
    if (!config.serverMetadata().end_session_endpoint) return null;
    return client.buildEndSessionUrl(config, {
      id_token_hint: idToken,
      post_logout_redirect_uri: this.afterLogout,
    });
  }
}
