import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../core/src/index.ts';
import { loadConfig as loadEvaluatorConfig } from '../../evaluator/src/config.ts';
import { loadConfig as loadOperatorConfig } from '../../operator/src/config.ts';
import { parseSentinels } from './data-store-variables.ts';
import { redisTargetOf } from './redis-connection.ts';

const dir = mkdtempSync(join(tmpdir(), 'xc-ca-'));
const ca = join(dir, 'ca.pem');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const apps = [
  ['evaluator', loadEvaluatorConfig],
  ['operator', loadOperatorConfig],
] as const;
const db = { DATABASE_URL: 'postgres://u@db:5432/x' };

describe.each(apps)('the %s reads the data stores’ TLS and Sentinel variables', (_app, loadConfig) => {
  it('takes CA files, rediss:// and sentinels as given', () => {
    expect(
      loadConfig({ ...db, DATABASE_CA_FILE: ca, REDIS_URL: 'rediss://redis:6380', REDIS_CA_FILE: ca }),
    ).toMatchObject({ DATABASE_CA_FILE: ca, REDIS_CA_FILE: ca });
    const sentinel = loadConfig({
      ...db,
      REDIS_SENTINELS: 'sentinel-0:26379, [fd00::1]:26380',
      REDIS_SENTINEL_MASTER: 'mymaster',
      REDIS_PASSWORD: 'secret',
    });
    expect(redisTargetOf(sentinel)).toMatchObject({
      url: undefined,
      sentinels: [
        { host: 'sentinel-0', port: 26379 },
        { host: 'fd00::1', port: 26380 },
      ],
      sentinelMaster: 'mymaster',
      password: 'secret',
    });
  });

  it.each([
    [
      'a CA file that does not exist',
      { DATABASE_CA_FILE: join(dir, 'missing.pem') },
      'DATABASE_CA_FILE',
      'ENOENT',
    ],
    [
      'a Redis CA file that does not exist',
      { REDIS_URL: 'rediss://r:6380', REDIS_CA_FILE: join(dir, 'missing.pem') },
      'REDIS_CA_FILE',
      'ENOENT',
    ],
    [
      'a Redis CA with a plain redis:// URL',
      { REDIS_URL: 'redis://r:6379', REDIS_CA_FILE: ca },
      'REDIS_CA_FILE',
      'rediss://',
    ],
    [
      'a REDIS_URL query that would turn TLS off',
      { REDIS_URL: 'rediss://r:6380?tls=', REDIS_CA_FILE: ca },
      'REDIS_URL',
      'no query parameters',
    ],
    ['sentinels without a master name', { REDIS_SENTINELS: 's:26379' }, 'REDIS_SENTINEL_MASTER', 'required'],
    [
      'a sentinel without a port',
      { REDIS_SENTINELS: 's', REDIS_SENTINEL_MASTER: 'm' },
      'REDIS_SENTINELS',
      'host:port',
    ],
    [
      'both REDIS_URL and sentinels',
      { REDIS_URL: 'redis://r', REDIS_SENTINELS: 's:1', REDIS_SENTINEL_MASTER: 'm' },
      'REDIS_SENTINELS',
      'not both',
    ],
    ['a master name without sentinels', { REDIS_SENTINEL_MASTER: 'm' }, 'REDIS_SENTINEL_MASTER', 'no effect'],
  ])('refuses %s, naming the variable', (_case, env, variable, words) => {
    const load = () => loadConfig({ ...db, ...env });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`${variable}: .*${words.replace(/[/]/g, '\\/')}`));
  });
});

describe('parseSentinels', () => {
  it.each([
    ['a:1', [{ host: 'a', port: 1 }]],
    [
      'a:1,b.example:26379',
      [
        { host: 'a', port: 1 },
        { host: 'b.example', port: 26379 },
      ],
    ],
    ['a', null],
    ['a:0', null],
    ['a:70000', null],
    ['a:1,', null],
    ['fd00::1:26379', null],
  ])('reads %j', (list, expected) => {
    expect(parseSentinels(list)).toEqual(expected);
  });
});
