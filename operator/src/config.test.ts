import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.ts';

const DATABASE_URL = 'postgres://u@db:5432/x';
const ISSUER = 'https://login.example.com/realms/flags';
const jwks = {
  DATABASE_URL,
  MANAGEMENT_JWKS_URL: `${ISSUER}/protocol/openid-connect/certs`,
  MANAGEMENT_JWT_AUDIENCE: 'flags-console',
};

describe('loadConfig', () => {
  it('leaves the management API and the console sign-in off by default', () => {
    const config = loadConfig({ DATABASE_URL });
    expect(config).toMatchObject({ PORT: 8081, CONSOLE: true, CONSOLE_TOKEN_LINK: false });
    expect(config.CONSOLE_OIDC_CLIENT_ID).toBeUndefined();
    expect(config.CONSOLE_OIDC_SCOPE).toBeUndefined();
    expect(config.CONSOLE_OIDC_ISSUER).toBeUndefined();
  });

  it('takes the console sign-in issuer from MANAGEMENT_JWT_ISSUER unless it is given', () => {
    const defaulted = loadConfig({
      ...jwks,
      MANAGEMENT_JWT_ISSUER: ISSUER,
      CONSOLE_OIDC_CLIENT_ID: 'flags-console',
    });
    expect(defaulted).toMatchObject({
      CONSOLE_OIDC_ISSUER: ISSUER,
      CONSOLE_OIDC_SCOPE: 'openid profile email',
    });
    const given = loadConfig({
      ...jwks,
      CONSOLE_OIDC_CLIENT_ID: 'flags-console',
      CONSOLE_OIDC_ISSUER: ISSUER,
      CONSOLE_OIDC_SCOPE: 'openid email groups',
    });
    expect(given).toMatchObject({ CONSOLE_OIDC_ISSUER: ISSUER, CONSOLE_OIDC_SCOPE: 'openid email groups' });
  });

  it('accepts a plain http issuer on loopback only', () => {
    const local = { ...jwks, CONSOLE_OIDC_CLIENT_ID: 'c', CONSOLE_OIDC_ISSUER: 'http://127.0.0.1:4444' };
    expect(loadConfig(local).CONSOLE_OIDC_ISSUER).toBe('http://127.0.0.1:4444');
    expect(loadConfig({ ...local, CONSOLE_OIDC_ISSUER: 'http://localhost:4444/' }).CONSOLE_OIDC_ISSUER).toBe(
      'http://localhost:4444/',
    );
  });

  it.each([
    ['a port that is not a number', { DATABASE_URL, PORT: 'eighty' }, /PORT:/],
    [
      'a console client id with a shared-secret management API',
      {
        DATABASE_URL,
        MANAGEMENT_JWT_SECRET: 'x'.repeat(32),
        MANAGEMENT_JWT_AUDIENCE: 'authenticated',
        MANAGEMENT_JWT_ISSUER: ISSUER,
        CONSOLE_OIDC_CLIENT_ID: 'flags-console',
      },
      /CONSOLE_OIDC_CLIENT_ID: needs MANAGEMENT_JWKS_URL/,
    ],
    [
      'a console client id without any management API key',
      { DATABASE_URL, CONSOLE_OIDC_CLIENT_ID: 'flags-console', CONSOLE_OIDC_ISSUER: ISSUER },
      /CONSOLE_OIDC_CLIENT_ID: needs MANAGEMENT_JWKS_URL/,
    ],
    [
      'a console client id with no issuer anywhere',
      { ...jwks, CONSOLE_OIDC_CLIENT_ID: 'flags-console' },
      /CONSOLE_OIDC_ISSUER: is required when CONSOLE_OIDC_CLIENT_ID is set/,
    ],
    [
      'an issuer that is not a URL',
      { ...jwks, CONSOLE_OIDC_CLIENT_ID: 'c', MANAGEMENT_JWT_ISSUER: 'login.example.com' },
      /CONSOLE_OIDC_ISSUER: must be an https:\/\/ URL/,
    ],
    [
      'a plain http issuer off loopback',
      { ...jwks, CONSOLE_OIDC_CLIENT_ID: 'c', CONSOLE_OIDC_ISSUER: 'http://login.example.com' },
      /CONSOLE_OIDC_ISSUER: must be an https:\/\/ URL \(http:\/\/ only on loopback\)/,
    ],
    [
      'an issuer other than the one the management API accepts',
      {
        ...jwks,
        MANAGEMENT_JWT_ISSUER: ISSUER,
        CONSOLE_OIDC_CLIENT_ID: 'c',
        CONSOLE_OIDC_ISSUER: 'https://other.example.com',
      },
      /CONSOLE_OIDC_ISSUER: must be MANAGEMENT_JWT_ISSUER/,
    ],
    ['an empty scope', { DATABASE_URL, CONSOLE_OIDC_SCOPE: '' }, /CONSOLE_OIDC_SCOPE:/],
    [
      'an issuer without a client id (a misspelt one would turn the sign-in off silently)',
      { ...jwks, CONSOLE_OIDC_ISSUER: ISSUER },
      /CONSOLE_OIDC_ISSUER: has no effect without CONSOLE_OIDC_CLIENT_ID/,
    ],
    [
      'a scope without a client id',
      { ...jwks, CONSOLE_OIDC_SCOPE: 'openid' },
      /CONSOLE_OIDC_SCOPE: has no effect without CONSOLE_OIDC_CLIENT_ID/,
    ],
    [
      'a token link setting that is not a boolean',
      { DATABASE_URL, CONSOLE_TOKEN_LINK: 'yes' },
      /CONSOLE_TOKEN_LINK:/,
    ],
  ])('refuses %s, naming the variable', (_name, env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('freezes what it returns', () => {
    expect(Object.isFrozen(loadConfig({ DATABASE_URL }))).toBe(true);
  });
});
