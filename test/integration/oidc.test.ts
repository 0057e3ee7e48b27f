import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/toolchain';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { signInAtProvider, startTestProvider, type TestProvider } from '../helpers/oidc-provider';

/**
 * Signing in to the dashboard with the organisation's identity (OpenID Connect, code flow with PKCE) over
 * real HTTP: Greenlane as relying party against oidc-provider on loopback, a browser played by fetch.
 * How an identity becomes a person (linked by an operator, or at a first sign-in by the person-id
 * claim), and every refusal: a forged state, a callback without its sign-in, the provider's error, an
 * unknown identity, a person who has left. The same in Chromium: oidc.browser.test.ts.
 */

let g: Greenlane;
let provider: TestProvider;
let operator = '';
let callback = '';

beforeAll(async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  callback = `${url}/ui/login/oidc/callback`;
  provider = await startTestProvider(url);
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
    env: {
      API_PORT: String(port),
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: provider.clientId,
      OIDC_PERSON_CLAIM: 'greenlane_person',
    },
  });
  expect(g.url).toBe(url);
  operator = (await g.keyFor('operator')).key;
});
afterAll(async () => {
  await g?.stop();
  await provider?.stop();
});

const cookieOf = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`) && c.length > name.length + 1);

/** The first leg: Greenlane's redirect to the provider, and the sign-in cookie it set. */
async function begin() {
  const res = await fetch(`${g.url}/ui/login/oidc`, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const to = new URL(res.headers.get('location')!);
  const cookie = cookieOf(res, 'greenlane_oidc');
  expect(cookie).toBeTruthy();
  return { to, cookie: cookie! };
}

/** The provider's answer brought back to Greenlane by this browser (its sign-in cookie). */
const arrive = (url: URL | string, cookie: string) => fetch(url, { redirect: 'manual', headers: { cookie } });

/** A whole sign-in as `login` at the provider: Greenlane's answer at the callback. */
async function signIn(login: string) {
  const { to, cookie } = await begin();
  return arrive(await signInAtProvider(to.href, login, callback), cookie);
}

const board = (cookie: string) => fetch(`${g.url}/ui`, { redirect: 'manual', headers: { cookie } });

async function person(name: string, role: 'secretary' | 'leader' = 'secretary') {
  const { key, personId } = await g.keyFor(role, { person: name });
  return { key, id: personId! };
}

describe('the sign-in page and the redirect to the provider', () => {
  it('offers the provider next to the key form, and asks with state, nonce and an S256 PKCE challenge', async () => {
    const page = await (await fetch(`${g.url}/ui/login`)).text();
    expect(page).toContain('使用统一身份认证登录');
    expect(page).toContain('name="key"');
    const { to } = await begin();
    expect(to.origin).toBe(provider.issuer);
    const q = to.searchParams;
    expect(q.get('client_id')).toBe(provider.clientId);
    expect(q.get('redirect_uri')).toBe(callback);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(q.get('nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(q.get('scope')?.split(' ')).toContain('openid');
  });
});

describe('an identity linked by an operator', () => {
  it('signs in as the person, with the role and department of the directory; signing out ends it here and at the provider', async () => {
    const sec = await person('oidc-sec');
    await g.db.updateTable('people').set({ name: '周立' }).where('id', '=', sec.id).execute();
    const subject = `zhou.li-${g.tag}`;
    const linked = await g.call('PUT', `/people/${sec.id}/identity`, operator, { subject });
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({ person: sec.id, issuer: provider.issuer, subject, sessionsEnded: 0 });
    const view = await g.call('GET', `/people/${sec.id}`, operator);
    expect(view.body).toMatchObject({ identities: [{ issuer: provider.issuer, subject }], leftAt: null });
    const audit = await g.call('GET', `/people/${sec.id}/audit`, operator);
    expect(audit.body.entries.map((e: { action: string }) => e.action)).toContain('person.identity');

    const res = await signIn(subject);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui');
    const session = cookieOf(res, 'greenlane_session');
    expect(session).toMatch(/^greenlane_session=[A-Za-z0-9_-]{43}$/);
    const page = await board(session!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('周立（项目秘书）');

    const csrf = /name="csrf" value="([^"]+)"/.exec(await (await board(session!)).text())?.[1];
    const out = await fetch(`${g.url}/ui/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session! },
      body: new URLSearchParams({ csrf: csrf! }).toString(),
    });
    expect(out.status).toBe(303);
    const end = new URL(out.headers.get('location')!);
    expect(end.origin + end.pathname).toBe(`${provider.issuer}/session/end`);
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${g.url}/ui/login`);
    expect(end.searchParams.get('id_token_hint')?.split('.')).toHaveLength(3);
    // The form's CSP lets it continue there, and nowhere else.
    expect(out.headers.get('content-security-policy')).toContain(`form-action 'self' ${provider.issuer}`);
    expect((await board(session!)).headers.get('location')).toBe('/ui/login');
  });

  it('refuses to link an identity that is another person’s, a missing person, and a malformed request', async () => {
    const a = await person('oidc-a');
    const b = await person('oidc-b');
    const subject = `shared-${g.tag}`;
    expect((await g.call('PUT', `/people/${a.id}/identity`, operator, { subject })).status).toBe(200);
    const taken = await g.call('PUT', `/people/${b.id}/identity`, operator, { subject });
    expect([taken.status, taken.body.type]).toEqual([409, expect.stringContaining('conflict')]);
    const nobody = await g.call('PUT', `/people/nobody-${g.tag}/identity`, operator, { subject: 'x' });
    expect(nobody.status).toBe(404);
    const empty = await g.call('PUT', `/people/${b.id}/identity`, operator, { subject: '' });
    expect(empty.status).toBe(422);
    const extra = await g.call('PUT', `/people/${b.id}/identity`, operator, { subject: 'y', role: 'admin' });
    expect(extra.status).toBe(422);
    expect((await g.call('PUT', `/people/${b.id}/identity`, a.key, { subject: 'z' })).status).toBe(403);
  });

  it('removing the identity ends the sessions signed in with it, and that sign-in', async () => {
    const sec = await person('oidc-unlink');
    const subject = `unlink-${g.tag}`;
    expect((await g.call('PUT', `/people/${sec.id}/identity`, operator, { subject })).status).toBe(200);
    const session = cookieOf(await signIn(subject), 'greenlane_session')!;
    expect((await board(session)).status).toBe(200);
    const removed = await g.call('POST', `/people/${sec.id}/identity/unlink`, operator, {});
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({
      person: sec.id,
      issuer: provider.issuer,
      removed: subject,
      sessionsEnded: 1,
    });
    expect((await board(session)).headers.get('location')).toBe('/ui/login');
    expect((await signIn(subject)).status).toBe(403);
    const trail = (await g.call('GET', `/people/${sec.id}/audit`, operator)).body.entries;
    expect(trail.map((e: { action: string }) => e.action)).toContain('person.identity-unlink');
    // Nothing left to remove: nothing changes.
    const again = await g.call('POST', `/people/${sec.id}/identity/unlink`, operator, {});
    expect([again.status, again.body.removed, again.body.sessionsEnded]).toEqual([200, null, 0]);
    // The person's API key still works.
    expect((await g.call('GET', '/me', sec.key)).status).toBe(200);
  });

  it('a new identity for the person ends the sessions signed in with the old one', async () => {
    const sec = await person('oidc-relink');
    const first = `relink-1-${g.tag}`;
    expect((await g.call('PUT', `/people/${sec.id}/identity`, operator, { subject: first })).status).toBe(
      200,
    );
    const session = cookieOf(await signIn(first), 'greenlane_session')!;
    expect((await board(session)).status).toBe(200);
    const again = await g.call('PUT', `/people/${sec.id}/identity`, operator, {
      subject: `relink-2-${g.tag}`,
    });
    expect([again.status, again.body.sessionsEnded]).toEqual([200, 1]);
    expect((await board(session)).headers.get('location')).toBe('/ui/login');
    // The old identity is nobody's now.
    expect((await signIn(first)).status).toBe(403);
  });
});

describe('an identity linked at its first sign-in by the person-id claim', () => {
  it('links a person of the directory who has no identity yet, and nobody else', async () => {
    const sec = await person('oidc-claim');
    const subject = `claim-${g.tag}`;
    provider.claims.set(subject, { greenlane_person: sec.id });
    const res = await signIn(subject);
    expect([res.status, res.headers.get('location')]).toEqual([303, '/ui']);
    const row = await g.db
      .selectFrom('oidc_identities')
      .selectAll()
      .where('person_id', '=', sec.id)
      .executeTakeFirstOrThrow();
    expect([row.issuer, row.subject, row.linked_by]).toEqual([
      provider.issuer,
      subject,
      'claim:greenlane_person',
    ]);

    // Another identity naming the same person is not taken: the person has theirs.
    const impostor = `impostor-${g.tag}`;
    provider.claims.set(impostor, { greenlane_person: sec.id });
    const refused = await signIn(impostor);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('账号尚未关联');
    // A claim naming nobody of the directory links nothing.
    provider.claims.set(`ghost-${g.tag}`, { greenlane_person: `ghost-${g.tag}` });
    expect((await signIn(`ghost-${g.tag}`)).status).toBe(403);
  });
});

describe('refusals: a clear page, never a session and never a 500', () => {
  it('an unknown identity: 403, saying to ask the service centre, with the identity to link', async () => {
    const subject = `stranger-${g.tag}`;
    const res = await signIn(subject);
    expect(res.status).toBe(403);
    expect(cookieOf(res, 'greenlane_session')).toBeUndefined();
    const page = await res.text();
    expect(page).toContain('账号尚未关联');
    expect(page).toContain('服务中心');
    expect(page).toContain(subject);
    expect(page).not.toMatch(/<script/i);
  });

  it('a forged state: refused, and the sign-in is used up', async () => {
    const sec = await person('oidc-state');
    const subject = `state-${g.tag}`;
    await g.call('PUT', `/people/${sec.id}/identity`, operator, { subject });
    const { to, cookie } = await begin();
    const back = await signInAtProvider(to.href, subject, callback);
    const forged = new URL(back);
    forged.searchParams.set('state', 'forged-state-value-0123456789');
    const res = await arrive(forged, cookie);
    expect(res.status).toBe(400);
    expect(cookieOf(res, 'greenlane_session')).toBeUndefined();
    expect(await res.text()).toContain('登录未通过校验');
    // The real answer afterwards finds no sign-in under way: taken once.
    const replay = await arrive(back, cookie);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('登录已过期');
  });

  it('an answer brought back by another browser (without the sign-in cookie): refused', async () => {
    const sec = await person('oidc-browser');
    const subject = `browser-${g.tag}`;
    await g.call('PUT', `/people/${sec.id}/identity`, operator, { subject });
    const { to } = await begin();
    const back = await signInAtProvider(to.href, subject, callback);
    const res = await arrive(back, (await begin()).cookie);
    expect(res.status).toBe(400);
    expect(cookieOf(res, 'greenlane_session')).toBeUndefined();
  });

  it('the provider’s error (the user refused): a page saying the sign-in was not completed', async () => {
    const { to, cookie } = await begin();
    const answer = new URL(callback);
    answer.search = new URLSearchParams({
      error: 'access_denied',
      state: to.searchParams.get('state')!,
      iss: provider.issuer,
    }).toString();
    const res = await arrive(answer, cookie);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('统一身份认证未完成');
  });

  it('a person who has left (handed over): their sessions end, and they cannot sign in again', async () => {
    const leaver = await person('oidc-leaver');
    const successor = await person('oidc-successor');
    const subject = `leaver-${g.tag}`;
    await g.call('PUT', `/people/${leaver.id}/identity`, operator, { subject });
    const session = cookieOf(await signIn(subject), 'greenlane_session')!;
    expect((await board(session)).status).toBe(200);
    const handover = await g.call('POST', `/people/${leaver.id}/handover`, operator, {
      to: successor.id,
      reason: '调任',
    });
    expect(handover.status).toBe(200);
    expect((await g.call('GET', `/people/${leaver.id}`, operator)).body.leftAt).toMatch(/^\d{4}-/);
    expect((await board(session)).headers.get('location')).toBe('/ui/login');
    const again = await signIn(subject);
    expect(again.status).toBe(403);
    expect(cookieOf(again, 'greenlane_session')).toBeUndefined();
    expect(await again.text()).toContain('已离任');
    const relink = await g.call('PUT', `/people/${leaver.id}/identity`, operator, { subject: `x-${g.tag}` });
    expect(relink.status).toBe(409);
  });
});

describe('a confidential client', () => {
  it('signs in with the client secret, and a wrong secret is refused at the token endpoint', async () => {
    for (const [given, status] of [
      ['correct-secret-0123456789', 303],
      ['wrong-secret-0123456789', 400],
    ] as const) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const idp = await startTestProvider(url, 'correct-secret-0123456789');
      const stack = await startGreenlane({
        databaseUrl: inject('databaseUrl'),
        temporalAddress: inject('temporalAddress'),
        env: {
          API_PORT: String(port),
          OIDC_ISSUER: idp.issuer,
          OIDC_CLIENT_ID: idp.clientId,
          OIDC_CLIENT_SECRET: given,
        },
      });
      try {
        const operatorKey = (await stack.keyFor('operator')).key;
        const { personId } = await stack.keyFor('secretary', { person: 'oidc-confidential' });
        const subject = `confidential-${stack.tag}`;
        await stack.call('PUT', `/people/${personId}/identity`, operatorKey, { subject });
        const start = await fetch(`${url}/ui/login/oidc`, { redirect: 'manual' });
        const cookie = cookieOf(start, 'greenlane_oidc')!;
        const back = await signInAtProvider(
          start.headers.get('location')!,
          subject,
          `${url}/ui/login/oidc/callback`,
        );
        const res = await arrive(back, cookie);
        expect(res.status, given).toBe(status);
        expect(cookieOf(res, 'greenlane_session') !== undefined, given).toBe(status === 303);
      } finally {
        await stack.stop();
        await idp.stop();
      }
    }
  });
});

describe('a provider that cannot be reached', () => {
  it('says so on a page (503), and the key form still works', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const cut = await startGreenlane({
      databaseUrl: inject('databaseUrl'),
      temporalAddress: inject('temporalAddress'),
      env: { OIDC_ISSUER: closed, OIDC_CLIENT_ID: 'greenlane' },
    });
    try {
      const res = await fetch(`${cut.url}/ui/login/oidc`, { redirect: 'manual' });
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('暂时无法连接统一身份认证平台');
      const page = await (await fetch(`${cut.url}/ui/login`)).text();
      expect(page).toContain('name="key"');
      expect(page).toContain('使用统一身份认证登录');
    } finally {
      await cut.stop();
    }
  });
});

describe('without OIDC_ISSUER', () => {
  it('offers the key form only, as before, and no provider route', async () => {
    const plain = await startGreenlane({
      databaseUrl: inject('databaseUrl'),
      temporalAddress: inject('temporalAddress'),
    });
    try {
      const page = await (await fetch(`${plain.url}/ui/login`)).text();
      expect(page).toContain('name="key"');
      expect(page).not.toContain('统一身份认证');
      expect((await fetch(`${plain.url}/ui/login/oidc`, { redirect: 'manual' })).status).toBe(404);
      const csp = (await fetch(`${plain.url}/ui/login`)).headers.get('content-security-policy');
      expect(csp).toContain("form-action 'self';");
    } finally {
      await plain.stop();
    }
  });
});
