import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { pino } from 'pino';
import { eventually } from '../../tests/support/eventually.ts';
import { loadConfig } from './config.ts';
import { startLocalStack, type LocalStack } from './local-stack.ts';

// Local mode end to end: embedded Postgres (PGlite), the in-process bus, a directory of manifests.

let dir: string;
let manifests: string;
let home: string;
let stack: LocalStack | null = null;
const log = pino({ level: 'silent' });

const start = () =>
  startLocalStack(
    loadConfig({
      XC_MANIFESTS: manifests,
      XC_HOME: home,
      PORT: '0',
      OPERATOR_PORT: '0',
      METRICS_PORT: '0',
      LOG_LEVEL: 'silent',
    }),
    log,
  );

async function apiKey(): Promise<string> {
  const keys = JSON.parse(await readFile(join(home, 'api-keys.json'), 'utf8')) as { key: string }[];
  return keys[0]!.key;
}

async function evaluate(
  flag: string,
  user: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${stack!.evaluatorUrl}/ofrep/v1/evaluate/flags/${flag}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await apiKey()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ context: { targetingKey: user, user_id: user } }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function darkModeShare(): Promise<number> {
  const users = Array.from({ length: 200 }, (_, index) => `user-${index}`);
  const results = await Promise.all(users.map((user) => evaluate('dark_mode', user)));
  return results.filter((result) => result.body.value === true).length / users.length;
}

/** Audit rows and the chain's verdict, read in one transaction (the embedded server has one session). */
async function audit(): Promise<{ rows: number; intact: boolean }> {
  const client = new pg.Client(stack!.databaseUrl);
  await client.connect();
  try {
    await client.query('BEGIN');
    const rows = await client.query<{ count: string }>('SELECT count(*) FROM audit_log');
    const broken = await client.query(
      'SELECT * FROM tenants t, LATERAL xc_verify_audit_chain(t.id) AS verdict',
    );
    await client.query('COMMIT');
    return { rows: Number(rows.rows[0]!.count), intact: broken.rowCount === 0 };
  } finally {
    await client.end();
  }
}

async function editManifest(from: string, to: string): Promise<void> {
  const path = join(manifests, 'shop.yaml');
  const text = await readFile(path, 'utf8');
  expect(text).toContain(from);
  await writeFile(path, text.replace(from, to));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xc-local-'));
  manifests = join(dir, 'manifests');
  home = join(dir, 'home');
  await mkdir(manifests);
  await copyFile(new URL('../../examples/shop.yaml', import.meta.url), join(manifests, 'shop.yaml'));
});

afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('local mode', () => {
  it('starts on the embedded defaults in under 30 s and serves the examples', async () => {
    const started = Date.now();
    stack = await start();
    expect(Date.now() - started).toBeLessThan(30_000);
    const result = await evaluate('dark_mode', 'user-1');
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ key: 'dark_mode', reason: 'SPLIT' });
    // production overrides the rollout to 5 %
    expect(await darkModeShare()).toBeLessThan(0.15);
  });

  it('follows an edited percentage within a second', async () => {
    const edited = Date.now();
    await editManifest(
      'production: { rollout: { percentage: 5 } }',
      'production: { rollout: { percentage: 100 } }',
    );
    await eventually(darkModeShare, (share) => share === 1, 1000);
    expect(Date.now() - edited).toBeLessThan(1000);
  });

  it('refuses a manifest the CRD would refuse and keeps serving what was there', async () => {
    await editManifest("defaultVariant: 'off'", "defaultVariant: 'maybe'");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await darkModeShare()).toBe(1);
    await editManifest("defaultVariant: 'maybe'", "defaultVariant: 'off'");
  });

  it('archives a flag whose manifest is removed', async () => {
    expect((await evaluate('checkout-button', 'user-1')).status).toBe(200);
    const path = join(manifests, 'shop.yaml');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, text.lastIndexOf('---')));
    await eventually(
      () => evaluate('checkout-button', 'user-1'),
      (result) => result.status === 404 && result.body.errorCode === 'FLAG_NOT_FOUND',
      1000,
    );
  });

  it('keeps flags, keys and the audit log across a restart', async () => {
    const key = await apiKey();
    const before = await audit();
    expect(before.intact).toBe(true);
    // created: environment, two flags; edited: one flag; archived: one flag
    expect(before.rows).toBeGreaterThanOrEqual(5);
    await stack!.stop();
    stack = null;
    stack = await start();
    expect(await apiKey()).toBe(key);
    expect(await darkModeShare()).toBe(1);
    expect((await evaluate('checkout-button', 'user-1')).status).toBe(404);
    expect(await audit()).toEqual(before);
  });
});
