import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ResourceStatus } from '../../../operator/src/kube/custom-resource.ts';

/** What a cluster would keep in etcd for one of our resources. */
export interface StoredResource {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  generation: number;
  resourceVersion: number;
  creationTimestamp: string;
  deletionTimestamp?: string;
  finalizers: string[];
  spec: Record<string, unknown>;
  labels: Record<string, string>;
  status?: ResourceStatus;
  file: string;
  specChangedAt: string;
}

/** A generated API key, as a Secret would hold it. */
export interface StoredKey {
  namespace: string;
  environment: string;
  environmentUid: string;
  name: string;
  secretName: string;
  key: string;
}

/** The saved form; in memory the cluster keeps maps. */
export interface LocalState {
  resourceVersion: number;
  resources: StoredResource[];
  keys: StoredKey[];
}

export async function loadState(path: string): Promise<LocalState> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LocalState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { resourceVersion: 0, resources: [], keys: [] };
    throw new Error(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Replaces `path` whole (write then rename), readable by the owner only: it holds API keys. */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, content, { mode: 0o600 });
  await chmod(partial, 0o600);
  await rename(partial, path);
}
