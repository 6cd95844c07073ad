// `npm run crds`: writes crds/*.yaml and the chart's copies from the core's zod schemas and its one admission rule list.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { crdFiles } from './crd-files.ts';

for (const [path, text] of crdFiles()) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
console.log('crds written');
