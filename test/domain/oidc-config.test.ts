import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';

/** The identity provider's settings (OIDC_*): off unless an issuer is set, and refused when unsafe. */

const base = { DATABASE_URL: 'postgres://u@h/d' };

describe('OIDC configuration', () => {
  it('is off when OIDC_ISSUER is unset or empty (compose passes empty values)', () => {
    expect(loadConfig(base).oidc).toBeUndefined();
    const empty = {
      OIDC_ISSUER: '',
      OIDC_CLIENT_ID: '',
      OIDC_CLIENT_SECRET: '',
      OIDC_PERSON_CLAIM: '',
      OIDC_SCOPE: '',
    };
    expect(loadConfig({ ...base, ...empty }).oidc).toBeUndefined();
  });

  it('reads a public client by default, a confidential one with a secret, and the person claim', () => {
    const issuer = 'https://id.city.gov.cn/realms/gov';
    expect(loadConfig({ ...base, OIDC_ISSUER: issuer, OIDC_CLIENT_ID: 'greenlane' }).oidc).toEqual({
      issuer,
      clientId: 'greenlane',
      clientSecret: undefined,
      personClaim: undefined,
      scope: 'openid profile',
    });
    const full = loadConfig({
      ...base,
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: 'greenlane',
      OIDC_CLIENT_SECRET: 's3cret',
      OIDC_PERSON_CLAIM: 'preferred_username',
      OIDC_SCOPE: 'openid profile greenlane',
    }).oidc;
    expect(full).toMatchObject({ clientSecret: 's3cret', personClaim: 'preferred_username' });
    expect(full?.scope).toBe('openid profile greenlane');
  });

  it('refuses an issuer without a client id, plain http beyond loopback, and malformed values', () => {
    expect(() => loadConfig({ ...base, OIDC_ISSUER: 'https://id.city.gov.cn' })).toThrow(/OIDC_CLIENT_ID/);
    const plain = { ...base, OIDC_CLIENT_ID: 'greenlane' };
    expect(() => loadConfig({ ...plain, OIDC_ISSUER: 'http://id.city.gov.cn' })).toThrow(/OIDC_ISSUER/);
    expect(loadConfig({ ...plain, OIDC_ISSUER: 'http://127.0.0.1:9000' }).oidc?.issuer).toBe(
      'http://127.0.0.1:9000',
    );
    expect(() => loadConfig({ ...plain, OIDC_ISSUER: 'not a url' })).toThrow(/OIDC_ISSUER/);
    expect(() => loadConfig({ ...plain, OIDC_ISSUER: 'https://x', OIDC_PERSON_CLAIM: 'a b' })).toThrow(
      /OIDC_PERSON_CLAIM/,
    );
    expect(() => loadConfig({ ...plain, OIDC_ISSUER: 'https://x', OIDC_SCOPE: 'profile' })).toThrow(
      /OIDC_SCOPE/,
    );
  });
});
