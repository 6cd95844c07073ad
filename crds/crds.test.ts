import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { crdFiles } from './crd-files.ts';

describe('crds/', () => {
  it.each(crdFiles().map(([path, text]) => [path.split('/').pop(), path, text]))(
    '%s matches the core schemas (run `npm run crds` after changing them)',
    (_name, path, text) => {
      expect(readFileSync(path as string, 'utf8')).toBe(text);
    },
  );
});
