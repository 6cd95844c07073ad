import { describe, expect, it } from '@jest/globals';
import { StreamTokens } from './stream-token.ts';

const grant = { apiKeyId: 'key-1', environmentId: 'env-1', revision: 7 };
const SECRET = 's'.repeat(32);

describe('StreamTokens', () => {
  it('verifies what it issued, with the expiry one lifetime (rounded up) ahead', () => {
    let now = 1_000_000_000_000;
    const tokens = new StreamTokens({ secret: SECRET, ttlSeconds: 3600, now: () => now });
    const verified = tokens.verify(tokens.issue(grant));
    expect(verified).toMatchObject(grant);
    expect(verified!.expiresAt * 1000 - now).toBeGreaterThanOrEqual(3600_000);
    expect(verified!.expiresAt * 1000 - now).toBeLessThan(3960_000);
    now += 3960_000;
    expect(tokens.verify(tokens.issue({ ...grant, revision: 8 }))).toMatchObject({ revision: 8 });
  });

  it('hands out one URL per grant for a while, and another after a change', () => {
    let now = 1_000_000_000_000;
    const tokens = new StreamTokens({ secret: SECRET, ttlSeconds: 3600, now: () => now });
    const first = tokens.issue(grant);
    now += 1000;
    expect(tokens.issue(grant)).toBe(first);
    expect(tokens.issue({ ...grant, revision: 8 })).not.toBe(first);
  });

  it('refuses an expired, altered, extended or foreign token', () => {
    let now = 1_000_000_000_000;
    const tokens = new StreamTokens({ secret: SECRET, ttlSeconds: 60, now: () => now });
    const token = tokens.issue(grant);
    const [payload, mac] = token.split('.') as [string, string];
    const otherPayload = Buffer.from('key-2 env-1 7 9999999999').toString('base64url');
    for (const bad of [`${token}x`, `${otherPayload}.${mac}`, `${payload}.${mac.slice(1)}`, 'nonsense', ''])
      expect(tokens.verify(bad)).toBeNull();
    expect(new StreamTokens({ secret: 't'.repeat(32), ttlSeconds: 60 }).verify(token)).toBeNull();
    now += 120_000;
    expect(tokens.verify(token)).toBeNull();
  });
});
