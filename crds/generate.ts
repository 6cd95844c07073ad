// `npm run crds`: writes crds/*.yaml from the core's zod schemas.
import { writeFileSync } from 'node:fs';
import { crdFiles } from './crd-files.ts';

for (const [path, text] of crdFiles()) writeFileSync(path, text);
console.log('crds written');
