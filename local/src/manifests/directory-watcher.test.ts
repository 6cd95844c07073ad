import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { eventually } from '../../../tests/support/eventually.ts';
import { DirectoryWatcher } from './directory-watcher.ts';

const DEBOUNCE_MS = 100;
const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

let dir: string;
let changes: number;
let watcher: DirectoryWatcher;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xc-watch-'));
  await writeFile(join(dir, 'shop.yaml'), 'a: 1\n');
  changes = 0;
  watcher = new DirectoryWatcher({
    directory: dir,
    debounceMs: DEBOUNCE_MS,
    onChange: () => changes++,
    log: pino({ level: 'silent' }),
  });
});

afterEach(async () => {
  await watcher.stop();
  await rm(dir, { recursive: true, force: true });
});

const changed = (count: number) =>
  eventually(
    async () => changes,
    (seen) => seen >= count,
    3000,
  );

describe('DirectoryWatcher', () => {
  it('reports a burst of changes once, after the quiet time', async () => {
    await watcher.start();
    for (let index = 0; index < 5; index++) await writeFile(join(dir, `flag-${index}.yaml`), 'a: 1\n');
    await changed(1);
    await tick(DEBOUNCE_MS * 3);
    expect(changes).toBe(1);
  });

  // Regression (hostile-tenant probe, item 5): after one rename over a file, Node's recursive fs.watch never
  // reported that file again.
  it('sees saves in place and atomic saves (a rename over the file), alternating', async () => {
    await watcher.start();
    for (let save = 1; save <= 4; save++) {
      if (save % 2 === 0) {
        await writeFile(join(dir, `.shop.yaml.${save}.tmp`), `a: ${save}\n`);
        await rename(join(dir, `.shop.yaml.${save}.tmp`), join(dir, 'shop.yaml'));
      } else await writeFile(join(dir, 'shop.yaml'), `a: ${save}\n`);
      await changed(save);
      await tick(DEBOUNCE_MS * 2);
    }
    expect(changes).toBe(4);
  });

  it('sees files in a directory created after it started', async () => {
    await watcher.start();
    await mkdir(join(dir, 'team'));
    await changed(1);
    await tick(DEBOUNCE_MS * 2);
    await writeFile(join(dir, 'team', 'flags.yaml'), 'a: 1\n');
    await changed(2);
  });

  it('starts once however often it is started, and reports nothing once stopped', async () => {
    const started = watcher.start();
    expect(watcher.start()).toBe(started);
    await started;
    await writeFile(join(dir, 'shop.yaml'), 'a: 2\n');
    await tick(DEBOUNCE_MS / 4);
    await watcher.stop();
    await writeFile(join(dir, 'shop.yaml'), 'a: 3\n');
    await tick(DEBOUNCE_MS * 3);
    expect(changes).toBe(0);
  });
});
