import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import {
  apiKeySecretName,
  canonicalJson,
  ENVIRONMENTS,
  FEATURE_FLAGS,
  GROUP,
  VERSION,
} from '../../../core/src/index.ts';
import {
  SecretNotOursError,
  type Cluster,
  type EventSink,
  type KeyStore,
  type ResourceSource,
  type ResourceWriter,
  type WatchEvent,
  type WatchHandler,
} from '../../../operator/src/cluster/cluster.ts';
import type { CustomResource, ResourceStatus } from '../../../operator/src/kube/custom-resource.ts';
import {
  loadState,
  writePrivateFile,
  type LocalState,
  type StoredKey,
  type StoredResource,
} from './local-state.ts';
import { readManifests, type DeclaredResource } from './read-manifests.ts';

export interface ManifestClusterOptions {
  /** The directory of manifests: the desired state. */
  directory: string;
  /** Where the cluster's own state (uids, generations, finalizers, status, keys) and api-keys.json live. */
  home: string;
  log: Logger;
  /** Quiet time after a file change before the directory is read again. */
  debounceMs?: number;
}

/** An error shaped like the Kubernetes client's, so the operator's 404/409 handling applies unchanged. */
class LocalApiError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

const API_VERSION = `${GROUP}/${VERSION}`;
const KIND_OF_PLURAL = new Map<string, string>([
  [FEATURE_FLAGS.plural, FEATURE_FLAGS.kind],
  [ENVIRONMENTS.plural, ENVIRONMENTS.kind],
]);
const idOf = (kind: string, namespace: string, name: string) => `${kind}/${namespace}/${name}`;

/**
 * The operator's cluster in local mode: a directory of manifests is the desired state, and file changes are
 * watch events. It keeps what an API server would (uids, generations that move only with the spec,
 * resourceVersions checked on every write, finalizers, deletion timestamps, status) in a JSON file, so a
 * restart neither recreates resources nor regenerates keys. API keys go to `api-keys.json` instead of Secrets.
 */
export class ManifestCluster implements Cluster {
  readonly writer: ResourceWriter;
  readonly events: EventSink;
  readonly keys: KeyStore;
  readonly keysFile: string;
  readonly #options: ManifestClusterOptions;
  readonly #statePath: string;
  readonly #resources: Map<string, StoredResource>;
  readonly #keys: Map<string, StoredKey>;
  #resourceVersion: number;
  readonly #sources = new Map<string, { onEvent: WatchHandler; started: boolean }>();
  #views = new Map<string, CustomResource>();
  #scanning: Promise<void> = Promise.resolve();
  #scanTimer: NodeJS.Timeout | null = null;
  #watcher: FSWatcher | null = null;
  #reported = new Set<string>();
  #dirty = false;
  #saving: Promise<void> | null = null;

  private constructor(options: ManifestClusterOptions, state: LocalState) {
    this.#options = options;
    this.#resourceVersion = state.resourceVersion;
    this.#resources = new Map(state.resources.map((stored) => [this.#id(stored), stored]));
    this.#keys = new Map(state.keys.map((key) => [`${key.namespace}/${key.secretName}`, key]));
    this.#statePath = join(options.home, 'cluster-state.json');
    this.keysFile = join(options.home, 'api-keys.json');
    for (const stored of Object.values(state.resources))
      this.#views.set(this.#id(stored), this.#view(stored));
    this.writer = {
      setFinalizers: async (_plural, resource, finalizers) => this.#setFinalizers(resource, finalizers),
      writeStatus: async (_plural, resource, status) => this.#writeStatus(resource, status),
    };
    this.events = {
      record: async (resource, type, reason, note) => this.#record(resource, type, reason, note),
    };
    this.keys = {
      read: async (environment, keyName) => this.#readKey(environment, keyName),
      create: async (environment, keyName, key) => this.#createKey(environment, keyName, key),
      delete: async (environment, keyName) => this.#deleteKey(environment, keyName),
    };
  }

  /** Loads the saved state and reads the directory once; watching starts with the first source. */
  static async open(options: ManifestClusterOptions): Promise<ManifestCluster> {
    const cluster = new ManifestCluster(options, await loadState(join(options.home, 'cluster-state.json')));
    await cluster.rescan();
    return cluster;
  }

  watch(plural: string, onEvent: WatchHandler): ResourceSource {
    const kind = KIND_OF_PLURAL.get(plural);
    if (!kind) throw new Error(`unknown resource ${plural}`);
    const source = { onEvent, started: false };
    this.#sources.set(kind, source);
    return {
      start: async () => {
        this.#startWatching();
        await this.#scanning;
        source.started = true;
        for (const view of this.#list(kind)) onEvent('add', view);
      },
      stop: async () => {
        source.started = false;
        if ([...this.#sources.values()].every((each) => !each.started)) await this.#stopWatching();
      },
      get: (namespace, name) => this.#views.get(idOf(kind, namespace, name)),
      list: (namespace) => this.#list(kind, namespace),
    };
  }

  /** Reads the directory again and turns the differences into watch events. Scans never overlap. */
  rescan(): Promise<void> {
    this.#scanning = this.#scanning
      .then(() => this.#scan())
      .catch((error: unknown) => {
        this.#options.log.error({ err: error }, 'cannot read the manifests directory');
      });
    return this.#scanning;
  }

  async stop(): Promise<void> {
    await this.#stopWatching();
    await this.#scanning;
    await this.#saving;
  }

  /**
   * Watches the directory tree with chokidar, which watches directories rather than files: a file replaced by a
   * rename (an editor's atomic save) is seen like one written in place, every time.
   */
  #startWatching(): void {
    if (this.#watcher) return;
    this.#watcher = watch(this.#options.directory, { ignoreInitial: true });
    this.#watcher.on('all', () => {
      if (this.#scanTimer) clearTimeout(this.#scanTimer);
      this.#scanTimer = setTimeout(() => {
        this.#scanTimer = null;
        void this.rescan();
      }, this.#options.debounceMs ?? 50);
    });
    this.#watcher.on('error', (error) => this.#options.log.error({ err: error }, 'manifest watch failed'));
  }

  async #stopWatching(): Promise<void> {
    const watcher = this.#watcher;
    this.#watcher = null;
    if (this.#scanTimer) clearTimeout(this.#scanTimer);
    this.#scanTimer = null;
    await watcher?.close();
  }

  async #scan(): Promise<void> {
    const reading = await readManifests(this.#options.directory);
    const problems = [...reading.problems];
    const declared = new Map(reading.resources.map((resource) => [this.#id(resource), resource]));
    for (const [id, resource] of declared) {
      const stored = this.#resources.get(id);
      if (!stored) this.#create(resource);
      else if (stored.deletionTimestamp)
        continue; // created again once the deletion finishes
      else if (canonicalJson(stored.spec) !== canonicalJson(resource.spec)) {
        if (stored.kind === FEATURE_FLAGS.kind && stored.spec.key !== resource.spec.key) {
          problems.push(`${resource.file}: ${id}: spec.key: is immutable once set`);
          continue;
        }
        Object.assign(stored, { spec: resource.spec, labels: resource.labels, file: resource.file });
        stored.generation++;
        stored.specChangedAt = new Date().toISOString();
        this.#changed(stored, 'update');
      }
    }
    for (const [id, stored] of this.#resources) {
      const kept = declared.has(id) || reading.refused.has(id) || reading.unreadable.has(stored.file);
      if (kept || stored.deletionTimestamp) continue;
      if (stored.finalizers.length === 0) this.#remove(stored);
      else {
        stored.deletionTimestamp = new Date().toISOString();
        this.#changed(stored, 'update');
      }
    }
    this.#report(problems);
  }

  /** Logs each refusal once, the way `kubectl apply` would print it, until the file changes it. */
  #report(problems: string[]): void {
    for (const problem of problems)
      if (!this.#reported.has(problem)) this.#options.log.error(`manifest refused: ${problem}`);
    this.#reported = new Set(problems);
  }

  #create(resource: DeclaredResource): void {
    const now = new Date().toISOString();
    const stored: StoredResource = {
      ...resource,
      uid: randomUUID(),
      generation: 1,
      resourceVersion: 0,
      creationTimestamp: now,
      finalizers: [],
      specChangedAt: now,
    };
    this.#resources.set(this.#id(stored), stored);
    this.#changed(stored, 'add');
  }

  #changed(stored: StoredResource, event: WatchEvent): CustomResource {
    stored.resourceVersion = ++this.#resourceVersion;
    const view = this.#view(stored);
    this.#views.set(this.#id(stored), view);
    this.#save();
    this.#emit(stored.kind, event, view);
    return view;
  }

  /** The resource is gone; like the garbage collector, its owned keys go with it. */
  #remove(stored: StoredResource): void {
    const id = this.#id(stored);
    const view = this.#views.get(id) ?? this.#view(stored);
    this.#resources.delete(id);
    this.#views.delete(id);
    for (const [secret, key] of this.#keys) if (key.environmentUid === stored.uid) this.#keys.delete(secret);
    this.#save();
    this.#emit(stored.kind, 'delete', view);
    // A manifest that still declares it creates it anew, as `kubectl apply` after a finished delete would.
    void this.rescan();
  }

  #emit(kind: string, event: WatchEvent, view: CustomResource): void {
    const source = this.#sources.get(kind);
    if (source?.started) source.onEvent(event, view);
  }

  /** The stored resource `resource` was read from; 404 when it is gone, 409 when it changed since. */
  #current(resource: CustomResource): StoredResource {
    const { namespace, name, resourceVersion } = resource.metadata;
    const stored = this.#resources.get(idOf(resource.kind!, namespace, name));
    if (!stored) throw new LocalApiError(404, `${resource.kind} ${namespace}/${name} not found`);
    if (String(stored.resourceVersion) !== resourceVersion)
      throw new LocalApiError(409, `${resource.kind} ${namespace}/${name} has changed; read it again`);
    return stored;
  }

  #setFinalizers(resource: CustomResource, finalizers: string[]): CustomResource {
    const stored = this.#current(resource);
    stored.finalizers = [...finalizers];
    if (stored.deletionTimestamp && finalizers.length === 0) {
      const view = this.#view(stored);
      this.#remove(stored);
      return view;
    }
    return this.#changed(stored, 'update');
  }

  #writeStatus(resource: CustomResource, status: ResourceStatus): void {
    const stored = this.#current(resource);
    stored.status = structuredClone(status);
    this.#changed(stored, 'update');
  }

  #record(resource: CustomResource, type: 'Normal' | 'Warning', reason: string, note: string): void {
    const { namespace, name } = resource.metadata;
    const entry = { event: reason, resource: `${resource.kind} ${namespace}/${name}` };
    if (type === 'Warning') this.#options.log.warn(entry, note);
    else this.#options.log.info(entry, note);
  }

  #readKey(environment: CustomResource, keyName: string): string | null {
    const stored = this.#keys.get(this.#secretId(environment, keyName));
    if (!stored) return null;
    if (stored.environmentUid !== environment.metadata.uid)
      throw new SecretNotOursError(`key ${stored.secretName} belongs to another Environment`);
    return stored.key;
  }

  #createKey(environment: CustomResource, keyName: string, key: string): string {
    const { namespace, name, uid } = environment.metadata;
    const secretName = apiKeySecretName(name, keyName);
    const id = this.#secretId(environment, keyName);
    if (this.#keys.has(id)) throw new LocalApiError(409, `key ${secretName} already exists`);
    this.#keys.set(id, {
      namespace,
      environment: name,
      environmentUid: uid,
      name: keyName,
      secretName,
      key,
    });
    this.#save();
    return secretName;
  }

  #deleteKey(environment: CustomResource, keyName: string): void {
    const id = this.#secretId(environment, keyName);
    if (this.#keys.get(id)?.environmentUid !== environment.metadata.uid) return;
    this.#keys.delete(id);
    this.#save();
  }

  #secretId(environment: CustomResource, keyName: string): string {
    return `${environment.metadata.namespace}/${apiKeySecretName(environment.metadata.name, keyName)}`;
  }

  #id(resource: { kind: string; namespace: string; name: string }): string {
    return idOf(resource.kind, resource.namespace, resource.name);
  }

  /** The resources of `kind` as they are now. */
  resources(kind: string, namespace?: string): readonly CustomResource[] {
    return this.#list(kind, namespace);
  }

  #list(kind: string, namespace?: string): CustomResource[] {
    return [...this.#views.values()].filter(
      (view) => view.kind === kind && (namespace === undefined || view.metadata.namespace === namespace),
    );
  }

  /** The resource as the API server would return it. */
  #view(stored: StoredResource): CustomResource {
    return {
      apiVersion: API_VERSION,
      kind: stored.kind,
      metadata: {
        name: stored.name,
        namespace: stored.namespace,
        uid: stored.uid,
        generation: stored.generation,
        resourceVersion: String(stored.resourceVersion),
        creationTimestamp: new Date(stored.creationTimestamp),
        ...(stored.deletionTimestamp ? { deletionTimestamp: new Date(stored.deletionTimestamp) } : {}),
        finalizers: [...stored.finalizers],
        labels: { ...stored.labels },
        // The audit log's actor is the last manager of the spec: here, the file it came from.
        managedFields: [
          {
            manager: `manifests:${stored.file}`,
            operation: 'Apply',
            apiVersion: API_VERSION,
            time: new Date(stored.specChangedAt),
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:spec': {} },
          },
        ],
      },
      spec: structuredClone(stored.spec),
      ...(stored.status ? { status: structuredClone(stored.status) } : {}),
    };
  }

  /** Writes the state and api-keys.json after a change; writes never overlap, and bursts coalesce. */
  #save(): void {
    this.#dirty = true;
    this.#saving ??= this.#flush().finally(() => (this.#saving = null));
  }

  async #flush(): Promise<void> {
    while (this.#dirty) {
      this.#dirty = false;
      const keys = [...this.#keys.values()]
        .map(({ namespace, environment, name, key }) => ({ namespace, environment, name, key }))
        .sort((a, b) =>
          `${a.namespace}/${a.environment}/${a.name}`.localeCompare(
            `${b.namespace}/${b.environment}/${b.name}`,
          ),
        );
      try {
        const state: LocalState = {
          resourceVersion: this.#resourceVersion,
          resources: [...this.#resources.values()],
          keys: [...this.#keys.values()],
        };
        await writePrivateFile(this.#statePath, JSON.stringify(state));
        await writePrivateFile(this.keysFile, `${JSON.stringify(keys, null, 2)}\n`);
      } catch (error) {
        this.#options.log.error({ err: error, path: this.#statePath }, 'local state not saved');
      }
    }
  }
}
