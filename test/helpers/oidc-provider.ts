import { createServer, type Server } from 'node:http';
import Provider from 'oidc-provider';
import { freePort } from '../../scripts/toolchain';

/**
 * An OpenID Provider for the tests: the certified oidc-provider, in this process on a loopback port,
 * with one client registered for a Greenlane stack's callback. Its development login page takes any
 * login and password (the login becomes the account's `sub`); `claims` adds claims to an account's
 * ID token (e.g. the one carrying a Greenlane person id).
 */

export type TestProvider = {
  issuer: string;
  clientId: string;
  /** Extra ID token claims by account id (the login typed on the provider's page). */
  claims: Map<string, Record<string, string>>;
  stop(): Promise<void>;
};

/** `secret`: a confidential client authenticating with it (client_secret_basic); none: a public one. */
export async function startTestProvider(greenlaneUrl: string, secret?: string): Promise<TestProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'greenlane-dashboard';
  const claims = new Map<string, Record<string, string>>();
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        ...(secret
          ? { client_secret: secret, token_endpoint_auth_method: 'client_secret_basic' }
          : { token_endpoint_auth_method: 'none' }),
        redirect_uris: [`${greenlaneUrl}/ui/login/oidc/callback`],
        post_logout_redirect_uris: [`${greenlaneUrl}/ui/login`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    cookies: { keys: ['greenlane-test-provider-cookie-key'] },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'greenlane_person'] },
    // Profile claims in the ID token itself, as Keycloak puts preferred_username there.
    conformIdTokenClaims: false,
    findAccount: async (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: () => ({ sub, preferred_username: sub, ...claims.get(sub) }),
    }),
  });
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    issuer,
    clientId,
    claims,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A browser at the provider, by plain HTTP: follows the authorization URL, fills the development login
 * form with `login` (any password) and confirms the consent form, keeping the provider's cookies, and
 * stops at the redirect back to Greenlane: that URL (with its code, state and iss), not followed.
 */
export async function signInAtProvider(authorizationUrl: string, login: string, until: string): Promise<URL> {
  const cookies = new Map<string, string>();
  const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  let next: { url: string; form?: URLSearchParams } = { url: authorizationUrl };
  for (let step = 0; step < 12; step++) {
    const res = await fetch(next.url, {
      method: next.form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: cookieHeader(),
        ...(next.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: next.form?.toString(),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at), pair.slice(at + 1)];
      if (/expires=Thu, 01 Jan 1970/i.test(c) || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
    const location = res.headers.get('location');
    if (location) {
      const to = new URL(location, next.url);
      if (to.href.startsWith(until)) return to;
      next = { url: to.href };
      continue;
    }
    const page = await res.text();
    const action = /<form[^>]*action="([^"]+)"[^>]*method="post"/.exec(page)?.[1];
    if (!action) throw new Error(`the provider answered ${res.status} without a form at ${next.url}`);
    const form = new URLSearchParams();
    for (const [, name, value] of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
      form.set(name!, value!);
    }
    if (page.includes('name="login"')) {
      form.set('login', login);
      form.set('password', 'any');
    }
    next = { url: new URL(action.replaceAll('&amp;', '&'), next.url).href, form };
  }
  throw new Error('the provider did not send the browser back');
}
