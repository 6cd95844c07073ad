import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { loadState, StateWriter, writePrivateFile, type FileContent } from './local-state.ts';

let dir: string;
const lines: string[] = [];
const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xc-state-'));
  lines.length = 0;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('loadState', () => {
  it('starts empty when there is no state yet', async () => {
    expect(await loadState(join(dir, 'cluster-state.json'))).toEqual({
      resourceVersion: 0,
      resources: [],
      keys: [],
    });
  });

  it('refuses state it cannot parse, naming the file, rather than starting over', async () => {
    const path = join(dir, 'cluster-state.json');
    await writeFile(path, '{"resourceVersion": 3,');
    await expect(loadState(path)).rejects.toThrow(`cannot read ${path}`);
  });
});

describe('writePrivateFile', () => {
  it('replaces the file whole, readable by its owner only, even over a file others could read', async () => {
    const path = join(dir, 'nested', 'api-keys.json');
    await writePrivateFile(path, 'first');
    await chmod(path, 0o644);
    await writePrivateFile(path, 'second');
    expect(await readFile(path, 'utf8')).toBe('second');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });
});

describe('StateWriter', () => {
  const counting = (files: () => FileContent[]) => {
    let reads = 0;
    const writer = new StateWriter(() => {
      reads++;
      return files();
    }, log);
    return { writer, reads: () => reads };
  };

  it('writes a burst of changes once, with the content as it is when the write starts', async () => {
    let content = 'v1';
    const { writer, reads } = counting(() => [{ path: join(dir, 'state.json'), content }]);
    for (const version of ['v2', 'v3', 'v4']) {
      content = version;
      writer.save();
    }
    await writer.settled();
    expect(reads()).toBe(1);
    expect(await readFile(join(dir, 'state.json'), 'utf8')).toBe('v4');
  });

  it('writes once more, after the running write, for changes made while it runs', async () => {
    let content = 'v1';
    const { writer, reads } = counting(() => [
      { path: join(dir, 'a.json'), content },
      { path: join(dir, 'b.json'), content },
    ]);
    writer.save();
    await tick(); // the first write has started
    content = 'v2';
    writer.save();
    writer.save();
    await writer.settled();
    expect(reads()).toBe(2);
    expect(await readFile(join(dir, 'b.json'), 'utf8')).toBe('v2');
  });

  it('logs a failed write and writes again on the next change', async () => {
    await writeFile(join(dir, 'blocker'), '');
    let path = join(dir, 'blocker', 'state.json'); // a file where a directory should be
    const { writer } = counting(() => [{ path, content: 'saved' }]);
    writer.save();
    await writer.settled();
    expect(lines.map((line) => JSON.parse(line) as { msg: string; path: string })).toEqual([
      expect.objectContaining({ msg: 'local state not saved', path }),
    ]);
    path = join(dir, 'state.json');
    writer.save();
    await writer.settled();
    expect(await readFile(path, 'utf8')).toBe('saved');
  });
});
