import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { eventually } from '../../../tests/support/eventually.ts';
import type { CustomResource } from '../../../operator/src/kube/custom-resource.ts';
import { ManifestCluster } from './manifest-cluster.ts';

let dir: string;
let manifests: string;
let home: string;
let cluster: ManifestCluster | null;
const lines: string[] = [];
const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
const messages = () => lines.map((line) => String((JSON.parse(line) as { msg?: unknown }).msg));

const resource = (kind: string, name: string, spec: Record<string, unknown>) =>
  JSON.stringify({
    apiVersion: 'flags.exclusive-change.io/v1alpha1',
    kind,
    metadata: { name, namespace: 'shop' },
    spec,
  });
const declare = (file: string, kind: string, name: string, spec: Record<string, unknown> = {}) =>
  writeFile(join(manifests, file), resource(kind, name, spec));

// No source is started in these tests, so nothing watches the directory: every pass is one asked for here.
const open = async () => (cluster = await ManifestCluster.open({ directory: manifests, home, log }));
const flag = () =>
  cluster!.resources('FeatureFlag', 'shop').find((each) => each.metadata.name === 'dark-mode');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xc-cluster-'));
  manifests = join(dir, 'manifests');
  home = join(dir, 'home');
  await mkdir(manifests);
  lines.length = 0;
  cluster = null;
});

afterEach(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('ManifestCluster', () => {
  // Regression: #remove called rescan() from inside a scan; the pass after the deletion now re-creates it.
  it('creates anew, in the next pass, a resource whose deletion finished while a manifest declares it', async () => {
    await declare('flags.json', 'FeatureFlag', 'dark-mode');
    await open();
    const created = await cluster!.writer.setFinalizers('featureflags', flag()!, ['cleanup']);
    await rm(join(manifests, 'flags.json'));
    await cluster!.rescan();
    expect(flag()?.metadata.deletionTimestamp).toBeInstanceOf(Date);
    await declare('flags.json', 'FeatureFlag', 'dark-mode');
    await cluster!.rescan();
    const deleting = flag()!;
    expect(deleting.metadata).toMatchObject({ uid: created.metadata.uid, finalizers: ['cleanup'] });
    await cluster!.writer.setFinalizers('featureflags', deleting, []);
    expect(flag()).toBeUndefined();
    const recreated = await eventually(async () => flag(), Boolean, 2000);
    expect(recreated!.metadata).toMatchObject({ generation: 1, finalizers: [] });
    expect(recreated!.metadata.uid).not.toBe(created.metadata.uid);
    expect(recreated!.metadata.deletionTimestamp).toBeUndefined();
  });

  it.each([
    ['adding spec.key equal to the name', {}, { key: 'dark-mode' }, true],
    ['removing spec.key equal to the name', { key: 'dark-mode' }, {}, true],
    ['changing spec.key', { key: 'dark_mode' }, { key: 'dark-mode-v2' }, false],
    ['adding a spec.key other than the name', {}, { key: 'dark_mode' }, false],
    ['removing a spec.key other than the name', { key: 'dark_mode' }, {}, false],
  ])('applies the API server rule to %s', async (_change, before, after, accepted) => {
    await declare('flags.json', 'FeatureFlag', 'dark-mode', before);
    await open();
    await declare('flags.json', 'FeatureFlag', 'dark-mode', after);
    await cluster!.rescan();
    expect(flag()!.spec).toEqual(accepted ? after : before);
    const refusals = messages().filter((message) => message.startsWith('manifest refused:'));
    expect(refusals).toEqual(
      accepted
        ? []
        : [
            expect.stringMatching(
              /^manifest refused: flags\.json: FeatureFlag shop\/dark-mode: spec\.key: is immutable/,
            ),
          ],
    );
  });

  it('logs a refused update once until the file changes it, keeping the stored version', async () => {
    await declare('flags.json', 'FeatureFlag', 'dark-mode', { key: 'dark_mode' });
    await open();
    await declare('flags.json', 'FeatureFlag', 'dark-mode', { key: 'dark-mode-v2' });
    await cluster!.rescan();
    await cluster!.rescan();
    const refused = () => messages().filter((message) => message.startsWith('manifest refused:')).length;
    expect(refused()).toBe(1);
    expect(flag()!.metadata.generation).toBe(1);
    await declare('flags.json', 'FeatureFlag', 'dark-mode', { key: 'dark_mode' });
    await cluster!.rescan();
    await declare('flags.json', 'FeatureFlag', 'dark-mode', { key: 'dark-mode-v2' });
    await cluster!.rescan();
    expect(refused()).toBe(2);
  });

  it("removes a removed Environment's keys from api-keys.json, as the garbage collector removes Secrets", async () => {
    await declare('environment.json', 'Environment', 'production');
    await declare('staging.json', 'Environment', 'staging');
    await open();
    const [production, staging] = ['production', 'staging'].map(
      (name) =>
        cluster!.resources('Environment').find((each) => each.metadata.name === name) as CustomResource,
    );
    await cluster!.keys.create(production!, 'checkout', 'xc_production');
    await cluster!.keys.create(staging!, 'checkout', 'xc_staging');
    await rm(join(manifests, 'environment.json'));
    await cluster!.rescan();
    await cluster!.stop();
    const keys = JSON.parse(await readFile(cluster!.keysFile, 'utf8')) as { key: string }[];
    expect(keys.map((key) => key.key)).toEqual(['xc_staging']);
  });

  it('keeps uids, generations and keys across a restart, in files only its owner can read', async () => {
    await declare('environment.json', 'Environment', 'production');
    await open();
    const before = cluster!.resources('Environment')[0]!;
    await cluster!.keys.create(before, 'checkout', 'xc_production');
    await cluster!.stop();
    await open();
    const after = cluster!.resources('Environment')[0]!;
    expect(after.metadata).toMatchObject({ uid: before.metadata.uid, generation: 1 });
    expect(await cluster!.keys.read(after, 'checkout')).toBe('xc_production');
    for (const file of ['cluster-state.json', 'api-keys.json'])
      expect((await stat(join(home, file))).mode & 0o777).toBe(0o600);
  });
});
