import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
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
  annotations?: Record<string, string>;
  status?: ResourceStatus;
  file: string;
  specChangedAt: string;
  /** Who last changed the spec, as a field manager: the file, or the management API when it wrote it. */
  specManager?: string;
  /** Who last changed its labels or annotations, likewise. */
  metadataManager?: string;
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

/** The state saved in `path`; an empty one when there is no file yet. Throws when it cannot be read. */
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

/** A file to write and its content. */
export interface FileContent {
  path: string;
  content: string;
}

/**
 * Saves the state after changes: writes never overlap, and changes made while one runs make one more write,
 * with the content as it is by then (`files` is read when a write starts). A failed write is logged, and the
 * next change writes again.
 */
export class StateWriter {
  readonly #files: () => readonly FileContent[];
  readonly #log: Logger;
  #dirty = false;
  #writing: Promise<void> | null = null;

  constructor(files: () => readonly FileContent[], log: Logger) {
    this.#files = files;
    this.#log = log;
  }

  save(): void {
    this.#dirty = true;
    // Deferred a microtask: #flush's last act, clearing #writing, must come after this assignment.
    this.#writing ??= Promise.resolve().then(() => this.#flush());
  }

  /** Resolves once every change saved so far is written (or its write has failed). */
  async settled(): Promise<void> {
    await this.#writing;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#dirty) {
        this.#dirty = false;
        for (const { path, content } of this.#files()) {
          try {
            await writePrivateFile(path, content);
          } catch (error) {
            this.#log.error({ err: error, path }, 'local state not saved');
            break;
          }
        }
      }
    } finally {
      // Set with the last look at #dirty, so a save() after it starts a new flush instead of joining this one.
      this.#writing = null;
    }
  }
}
