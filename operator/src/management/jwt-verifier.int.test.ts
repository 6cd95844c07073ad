import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Fastify from 'fastify';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { createJwtVerifier } from './jwt-verifier.ts';

// Token verification against a real JWKS endpoint on loopback, and the classic attacks on it.

const issuer = 'https://issuer.test';
const audience = 'exclusive-change-management';
const jwks = Fastify();
let jwksUrl: string;
let keys: Awaited<ReturnType<typeof generateKeyPair>>;

const claims = { tenants: ['shop'] };
const sign = (
  key: Parameters<SignJWT['sign']>[0],
  alg: string,
  overrides: { audience?: string; expires?: string } = {},
) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg, kid: 'k1' })
    .setIssuer(issuer)
    .setAudience(overrides.audience ?? audience)
    .setSubject('alice')
    .setIssuedAt()
    .setExpirationTime(overrides.expires ?? '5m')
    .sign(key);

beforeAll(async () => {
  keys = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwks.get('/jwks.json', async () => ({ keys: [jwk] }));
  jwksUrl = `${await jwks.listen({ host: '127.0.0.1', port: 0 })}/jwks.json`;
});

afterAll(() => jwks.close());

describe('createJwtVerifier with a JWKS URL', () => {
  const verifier = () => createJwtVerifier({ issuer, audience, jwksUrl, tenantClaim: 'tenants' });

  it('accepts a valid RS256 token and reads its tenants (a list: viewer of each)', async () => {
    expect(await verifier()(await sign(keys.privateKey, 'RS256'))).toEqual({
      subject: 'alice',
      email: null,
      roles: new Map([['shop', 'viewer']]),
      expiresAt: expect.any(Number),
    });
  });

  it('reads roles per tenant from a dotted claim path, ignoring roles it does not know', async () => {
    const token = await new SignJWT({
      app_metadata: { tenants: { shop: 'editor', bank: 'viewer', zoo: 'owner' } },
      email: 'a@x.io',
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setAudience(audience)
      .setSubject('alice')
      .setExpirationTime('5m')
      .sign(keys.privateKey);
    // no issuer configured: Supabase-style tokens are checked by audience
    const verify = createJwtVerifier({ audience, jwksUrl, tenantClaim: 'app_metadata.tenants' });
    expect(await verify(token)).toEqual({
      subject: 'alice',
      email: 'a@x.io',
      roles: new Map([
        ['shop', 'editor'],
        ['bank', 'viewer'],
      ]),
      expiresAt: expect.any(Number),
    });
  });

  it('refuses an expired token, a wrong audience, alg none, and an HS256 token signed with the public key', async () => {
    const verify = verifier();
    const expired = await sign(keys.privateKey, 'RS256', { expires: '-1m' });
    const wrongAudience = await sign(keys.privateKey, 'RS256', { audience: 'someone-else' });
    const none = new UnsecuredJWT(claims)
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('alice')
      .setExpirationTime('5m')
      .encode();
    const confused = await sign(new TextEncoder().encode(await exportSPKI(keys.publicKey)), 'HS256');
    for (const token of [expired, wrongAudience, none, confused, 'not-a-jwt'])
      expect(await verify(token)).toBeNull();
  });
});

describe('createJwtVerifier with an HS256 secret', () => {
  const secret = 'a-test-secret-that-is-long-enough-for-hs256';
  const verify = createJwtVerifier({ issuer, audience, secret, tenantClaim: 'tenants' });

  it('accepts its own tokens and refuses others', async () => {
    expect(await verify(await sign(new TextEncoder().encode(secret), 'HS256'))).toMatchObject({
      subject: 'alice',
    });
    expect(await verify(await sign(new TextEncoder().encode(`${secret}-other`), 'HS256'))).toBeNull();
    expect(await verify(await sign(keys.privateKey, 'RS256'))).toBeNull();
  });

  // Regression (attack review): an empty subject was accepted, and the write audited as no one.
  it('refuses a token whose subject is empty or not a string', async () => {
    const key = new TextEncoder().encode(secret);
    for (const sub of ['', '  ', 12345, { id: 1 }]) {
      const token = await new SignJWT({ sub } as never)
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setExpirationTime('5m')
        .sign(key);
      expect(await verify(token)).toBeNull();
    }
  });
});
