import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { createManifest, editManifest, mergeKeyPath, removeFromManifest } from './manifest-editor.ts';

const FILE = `# flags of the shop
apiVersion: flags.exclusive-change.io/v1alpha1
kind: Environment
metadata: { name: production, namespace: shop }
spec:
  apiKeys: [{ name: web }] # spacing kept
---
apiVersion: flags.exclusive-change.io/v1alpha1
kind: FeatureFlag
metadata:
  name: banner
  namespace: shop
spec:
  variants: { "on": true, "off": false }
  # the rollout
  rollout: { percentage: 10 } # ten
  description: old
`;
const banner = { kind: 'FeatureFlag', namespace: 'shop', name: 'banner' };
const bannerSpec = { variants: { on: true, off: false }, rollout: { percentage: 10 }, description: 'old' };

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xc-editor-'));
  path = join(dir, 'shop.yaml');
  await writeFile(path, FILE);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const specsIn = async () =>
  parseAllDocuments(await readFile(path, 'utf8'), { version: '1.1' }).map(
    (doc) => (doc.toJS() as { spec: unknown }).spec,
  );

describe('editManifest', () => {
  it("sets only what changed: comments, styles and the other document stay, and YAML 1.1's on/off stay keys", async () => {
    await editManifest(
      path,
      banner,
      { spec: bannerSpec, annotations: {} },
      {
        spec: { variants: { on: true, off: false }, rollout: { percentage: 50 }, state: 'DISABLED' },
        annotations: { 'flags.exclusive-change.io/changed-by': 'alice' },
      },
    );
    const text = await readFile(path, 'utf8');
    expect(text.startsWith(FILE.split('---\n')[0]!)).toBe(true);
    for (const line of [
      '  # the rollout',
      '  rollout: { percentage: 50 } # ten',
      '  variants: { "on": true, "off": false }',
    ])
      expect(text.split('\n')).toContain(line);
    expect(text).not.toContain('description');
    const specs = await specsIn();
    expect(specs[1]).toEqual({
      variants: { on: true, off: false },
      rollout: { percentage: 50 },
      state: 'DISABLED',
    });
    expect(text).toContain('flags.exclusive-change.io/changed-by: alice');
  });
});

describe('removeFromManifest and createManifest', () => {
  it('removes one document and keeps the other byte for byte; the file goes with its last', async () => {
    await removeFromManifest(path, banner);
    expect(await readFile(path, 'utf8')).toBe(FILE.split('---\n')[0]);
    await removeFromManifest(path, { kind: 'Environment', namespace: 'shop', name: 'production' });
    await expect(readFile(path, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  // Regression (attack review): a `<<` key was printed plain, and YAML 1.1 read it back as a merge key.
  it('finds the "<<" keys a YAML 1.1 manifest cannot hold, so the write is refused', () => {
    expect(mergeKeyPath({ variants: { a: { '<<': { x: 1 }, y: 2 } } })).toBe('spec.variants.a');
    expect(mergeKeyPath({ variants: { a: [{ b: 1 }, { '<<': 2 }] } })).toBe('spec.variants.a[1]');
    expect(mergeKeyPath({ variants: { a: { x: 1 } } })).toBeNull();
  });

  it('writes a new manifest that reads back as the resource', async () => {
    const created = join(dir, 'shop', 'featureflag-new.yaml');
    await createManifest(
      created,
      { ...banner, name: 'new' },
      { spec: { variants: { on: true, off: false } }, annotations: { a: 'b' } },
    );
    const [doc] = parseAllDocuments(await readFile(created, 'utf8'), { version: '1.1' });
    expect(doc!.toJS()).toEqual({
      apiVersion: 'flags.exclusive-change.io/v1alpha1',
      kind: 'FeatureFlag',
      metadata: { name: 'new', namespace: 'shop', annotations: { a: 'b' } },
      spec: { variants: { on: true, off: false } },
    });
  });
});
