import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('fills safe defaults around the one required variable', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@db:5432/x' })).toMatchObject({
      HOST: '0.0.0.0',
      PORT: 8080,
      REVISION_POLL_INTERVAL_MS: 30_000,
      RATE_LIMIT_PER_SECOND: 50_000,
      BODY_LIMIT_BYTES: 65_536,
    });
  });

  it.each([
    ['a missing DATABASE_URL', {}, 'DATABASE_URL'],
    ['a port that is not a number', { DATABASE_URL: 'postgres://x', PORT: 'eighty' }, 'PORT'],
    ['a misspelt log level', { DATABASE_URL: 'postgres://x', LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    ['a REDIS_URL that is not a URL', { DATABASE_URL: 'postgres://x', REDIS_URL: 'localhost' }, 'REDIS_URL'],
    [
      'a negative rate limit',
      { DATABASE_URL: 'postgres://x', RATE_LIMIT_PER_SECOND: '-1' },
      'RATE_LIMIT_PER_SECOND',
    ],
    [
      'a TENANT_SELECTOR that is not a label selector',
      { DATABASE_URL: 'postgres://x', TENANT_SELECTOR: 'tier in gold' },
      'TENANT_SELECTOR',
    ],
  ])('refuses %s, naming the variable', (_name, env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`${variable}:`));
  });

  it('reads TENANT_SELECTOR as a label selector; unset or empty, every tenant', () => {
    const base = { DATABASE_URL: 'postgres://x' };
    expect(loadConfig(base).TENANT_SELECTOR).toBeUndefined();
    expect(loadConfig({ ...base, TENANT_SELECTOR: ' ' }).TENANT_SELECTOR).toBeUndefined();
    expect(loadConfig({ ...base, TENANT_SELECTOR: 'tier=gold,!legacy' }).TENANT_SELECTOR).toEqual({
      requirements: [
        { key: 'tier', operator: 'in', values: ['gold'] },
        { key: 'legacy', operator: 'doesnotexist' },
      ],
    });
  });

  it('freezes what it returns', () => {
    expect(Object.isFrozen(loadConfig({ DATABASE_URL: 'postgres://x' }))).toBe(true);
    expect(Object.isFrozen(loadConfig({ DATABASE_URL: 'postgres://x', RATE_LIMIT_PER_MINUTE: '0' }))).toBe(
      true,
    );
  });

  it('reads the replaced RATE_LIMIT_PER_MINUTE as its 60th per second, unless RATE_LIMIT_PER_SECOND is set', () => {
    const base = { DATABASE_URL: 'postgres://x' };
    expect(loadConfig({ ...base, RATE_LIMIT_PER_MINUTE: '60000' }).RATE_LIMIT_PER_SECOND).toBe(1000);
    expect(loadConfig({ ...base, RATE_LIMIT_PER_MINUTE: '0' }).RATE_LIMIT_PER_SECOND).toBe(0);
    expect(
      loadConfig({ ...base, RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_PER_SECOND: '7' }).RATE_LIMIT_PER_SECOND,
    ).toBe(7);
  });
});
