import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { loadConfig } from '../../operator/src/config.ts';
import { startOperator, type RunningOperator } from '../../operator/src/operator-service.ts';
import { redisUrl } from '../support/evaluator-harness.ts';
import { eventually } from '../support/eventually.ts';
import { kubectl } from '../support/kubectl.ts';
import { tool } from '../support/tools.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

// The README's quick start and docs/quick-start.md, run as written: `npm start` and the curl it prints; the
// Helm commands against the real test control plane, with an operator reconciling what they apply.

const run = promisify(execFile);
const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8');

/** The commands of the fenced block tagged `quick-start=<name>`. */
async function block(name: string): Promise<string> {
  const match = new RegExp(`\`\`\`sh quick-start=${name}\\n([\\s\\S]*?)\`\`\``).exec(
    await read('docs/quick-start.md'),
  );
  if (!match) throw new Error(`docs/quick-start.md has no block quick-start=${name}`);
  return match[1]!.trim();
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xc-docs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('local quick start', () => {
  let child: ChildProcess | null = null;
  let output = '';
  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });

  it('is the same line in the README and the docs', async () => {
    expect(await block('local')).toBe('npm ci && npm start');
    expect(await read('README.md')).toContain('npm ci && npm start');
  });

  it('npm start serves the examples, and the curl it prints returns an evaluation', async () => {
    // `npm ci` has run already (it is .ci/run's first step); this runs the second half of the line.
    const manifests = join(dir, 'manifests');
    await cp(new URL('../../examples/', import.meta.url), manifests, { recursive: true });
    child = spawn('npm', ['start', '--silent', '--', '--manifests', manifests], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: {
        ...process.env,
        XC_HOME: join(dir, 'home'),
        PORT: '0',
        OPERATOR_PORT: '0',
        METRICS_PORT: '0',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const started = Date.now();
    const curl = await eventually(
      async () => /^\s*(curl .+)$/m.exec(output)?.[1],
      (line) => line !== undefined,
      30_000,
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    const answer = async () => JSON.parse((await run('sh', ['-c', curl!])).stdout) as Record<string, unknown>;
    expect(await answer()).toMatchObject({ key: 'dark_mode', reason: 'SPLIT' });

    // The doc's suggested edit: production's 5 % becomes 100 %.
    const file = join(manifests, 'shop.yaml');
    const text = await readFile(file, 'utf8');
    expect(text).toContain('production: { rollout: { percentage: 5 } }');
    await writeFile(file, text.replace('percentage: 5 }', 'percentage: 100 }'));
    await eventually(answer, (result) => result.value === true, 1000);
  });

  it('stops cleanly on Ctrl-C, and stops serving', async () => {
    const url = /evaluator\s+(http:\/\/\S+)/.exec(output)![1]!;
    const exited = new Promise<string>((resolve) =>
      child!.once('exit', (code, signal) => resolve(signal ?? String(code))),
    );
    process.kill(-child!.pid!, 'SIGINT'); // the terminal's Ctrl-C signals the whole process group
    expect(await exited).toBe('SIGINT'); // npm re-raises the signal; the stack itself logs a clean stop
    expect(output).toContain('"msg":"stopping: draining in-flight work"');
    expect(output).not.toContain('shutdown failed');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});

describe('Helm quick start', () => {
  const namespace = `xc-docs-${randomBytes(3).toString('hex')}`;
  let database: TestDatabase;
  let operator: RunningOperator;
  let bin: string;

  beforeAll(async () => {
    bin = join(dir, 'bin');
    await mkdir(bin);
    await symlink(process.env.XC_KUBECTL!, join(bin, 'kubectl'));
    await symlink(process.env.XC_HELM!, join(bin, 'helm'));
    database = await createTestDatabase();
    const config = loadConfig({
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl(),
      HOST: '127.0.0.1',
      PORT: '0',
      LEADER_ELECTION: 'false',
      LOG_LEVEL: 'silent',
      WATCH_NAMESPACES: 'shop',
    });
    // The chart's pods cannot run here (the control plane has no nodes): this operator plays their part.
    operator = await startOperator(config, pino({ level: 'silent' }));
  }, 60_000);

  afterAll(async () => {
    await kubectl(['delete', 'featureflags,environments', '--all', '-n', 'shop', '--timeout=30s']);
    await operator?.stop();
    await database?.drop();
    await tool('XC_HELM', ['uninstall', 'xc', '-n', namespace]);
    await kubectl(['delete', 'namespace', namespace, '--wait=false']);
  });

  it('runs as written: namespace, Secrets, helm install, the examples, and Ready', async () => {
    const commands = (await block('helm'))
      .replaceAll('-n exclusive-change', `-n ${namespace}`)
      .replaceAll('namespace exclusive-change', `namespace ${namespace}`);
    const result = await run('bash', ['-euo', 'pipefail', '-c', commands], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    }).catch((error: { stdout: string; stderr: string }) => {
      throw new Error(`${error.stdout}\n${error.stderr}`);
    });
    expect(result.stdout).toContain('STATUS: deployed');
    expect(result.stdout).toMatch(/featureflag.flags.exclusive-change.io\/dark-mode condition met/);
  });
});
