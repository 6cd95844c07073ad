import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The shared folder beside the checkout: `../shared` from the repository root. */
export const sharedDir = fileURLToPath(new URL('../../../shared/', import.meta.url));

export function readSharedJson<T>(relativePath: string): T {
  return JSON.parse(readFileSync(sharedDir + relativePath, 'utf8')) as T;
}

export interface RolloutVector {
  user_id: string;
  flag_key: string;
  bucket: number;
}
export const rolloutVectors = readSharedJson<{ cases: RolloutVector[] }>('vectors/rollout-md5.json').cases;
