import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  openEvaluatorTestBed,
  redisUrl,
  type EvaluatorTestBed,
} from '../../tests/support/evaluator-harness.ts';
import { putFlag, seedApiKey, seedEnvironment } from '../../tests/support/seed-rows.ts';
import { freePort } from '../../tests/support/processes.ts';

// The real entry point as a process: start-up, readiness, a bad variable, and a graceful drain on SIGTERM.

let bed: EvaluatorTestBed;
let key: string;

beforeAll(async () => {
  bed = await openEvaluatorTestBed();
  const shop = await seedEnvironment(bed.owner, 'shop');
  key = await seedApiKey(bed.owner, shop);
  await putFlag(bed.owner, shop, 'banner', { variants: { a: 'A' }, defaultVariant: 'a' });
});

afterAll(() => bed.close());

function startMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['evaluator/src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, exited, output: () => output };
}

describe('evaluator/src/main.ts', () => {
  it('stops at once with exit code 2 and the variable named when the configuration is bad', async () => {
    const main = startMain({ DATABASE_URL: bed.db.url, PORT: 'eighty' });
    expect(await main.exited).toBe(2);
    expect(main.output()).toContain('PORT:');
  });

  it('serves once ready and drains on SIGTERM, exiting 0', async () => {
    const port = await freePort();
    const main = startMain({
      DATABASE_URL: bed.db.url,
      REDIS_URL: redisUrl(),
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
    });
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20_000;
    while (
      (await fetch(`${base}/readyz`).then(
        (r) => r.status,
        () => 0,
      )) !== 200
    ) {
      if (Date.now() > deadline) throw new Error(`not ready: ${main.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const evaluation = await fetch(`${base}/ofrep/v1/evaluate/flags/banner`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(await evaluation.json()).toMatchObject({ key: 'banner', value: 'A' });
    main.child.kill('SIGTERM');
    expect(await main.exited).toBe(0);
    expect(main.output()).toContain('stopping: draining in-flight work');
    expect(main.output()).not.toContain(key);
  });
});
