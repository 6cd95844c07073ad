import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { ManifestCluster } from '../../local/src/manifests/manifest-cluster.ts';
import { VERDICTS } from './admission-verdicts.ts';

// The verdict table against local mode: each row's manifest saved in a directory of manifests that a
// ManifestCluster reads (its `before` first, for an update), and refused or admitted as the table says, the
// refusal (logged as `manifest refused: ...`, as kubectl would print it) naming what the row says.

const namespace = 'verdicts';
const document = (yaml: string, index: number) =>
  yaml.replaceAll('NAMESPACE', namespace).replaceAll('NAME', `row-${index}`);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xc-verdicts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the verdict table, against local mode', () => {
  it.each(VERDICTS.map((row, index) => [row.name, row, index] as const))('%s', async (_name, row, index) => {
    const manifests = join(dir, `row-${index}`, 'manifests');
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    await mkdir(manifests, { recursive: true });
    const file = join(manifests, 'manifest.yaml');
    if (row.before) await writeFile(file, document(row.before, index));
    const cluster = await ManifestCluster.open({
      directory: manifests,
      home: join(dir, `row-${index}`, 'home'),
      log,
    });
    try {
      if (row.before) expect(lines.filter((line) => line.includes('manifest refused'))).toEqual([]);
      lines.length = 0;
      await writeFile(file, document(row.manifest, index));
      await cluster.rescan();
      const refusals = lines
        .map((line) => String((JSON.parse(line) as { msg?: unknown }).msg))
        .filter((message) => message.startsWith('manifest refused'));
      if (row.refused === undefined) expect(refusals).toEqual([]);
      else expect(refusals.join('\n')).toContain(row.refused);
    } finally {
      await cluster.stop();
    }
  });
});
