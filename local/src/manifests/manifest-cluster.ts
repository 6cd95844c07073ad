import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  ENVIRONMENTS,
  FEATURE_FLAGS,
  formatIssues,
  MANAGEMENT_FIELD_MANAGER,
  specDigest,
} from '../../../core/src/index.ts';
import type {
  Cluster,
  EventSink,
  KeyStore,
  ManagedResources,
  ResourceSource,
  ResourceWriter,
  WatchEvent,
  WatchHandler,
} from '../../../operator/src/cluster/cluster.ts';
import { resourceKey, type CustomResource } from '../../../operator/src/kube/custom-resource.ts';
import { DirectoryWatcher } from './directory-watcher.ts';
import { LocalKeyStore } from './local-key-store.ts';
import { LocalManagedResources } from './local-managed-resources.ts';
import { loadState, StateWriter, type LocalState } from './local-state.ts';
import { ObjectStore } from './object-store.ts';
import { readManifests } from './read-manifests.ts';
import { ScanLoop } from './scan-loop.ts';

export interface ManifestClusterOptions {
  /** The directory of manifests: the desired state. */
  directory: string;
  /** Where the cluster's own state (uids, generations, finalizers, status, keys) and api-keys.json live. */
  home: string;
  log: Logger;
  /** Quiet time after a file change before the directory is read again. */
  debounceMs?: number;
}

const STATE_FILE = 'cluster-state.json';
const KEYS_FILE = 'api-keys.json';
const KIND_OF_PLURAL = new Map<string, string>([
  [FEATURE_FLAGS.plural, FEATURE_FLAGS.kind],
  [ENVIRONMENTS.plural, ENVIRONMENTS.kind],
]);
const idOf = (resource: { kind: string; namespace: string; name: string }) =>
  resourceKey(resource.kind, resource.namespace, resource.name);

/**
 * The operator's cluster in local mode: a directory of manifests is the desired state, and file changes are
 * watch events. What an API server would keep is in an ObjectStore, the keys Secrets would hold in a
 * LocalKeyStore; both are saved to the home directory, so a restart neither recreates resources nor
 * regenerates keys. A scan applies the manifests as `kubectl apply` would, and deletes what they no longer
 * declare.
 */
export class ManifestCluster implements Cluster {
  readonly writer: ResourceWriter;
  readonly events: EventSink;
  readonly keys: KeyStore;
  readonly managed: ManagedResources;
  readonly keysFile: string;
  readonly #log: Logger;
  readonly #directory: string;
  readonly #state: StateWriter;
  readonly #keys: LocalKeyStore;
  readonly #store: ObjectStore;
  readonly #scans: ScanLoop;
  readonly #watcher: DirectoryWatcher;
  readonly #sources = new Map<string, { onEvent: WatchHandler; started: boolean }>();
  #watching: Promise<void> | null = null;
  /** Declared while their deletion was finishing: the pass after it finishes creates them anew. */
  #awaitingDeletion = new Set<string>();
  #reported = new Set<string>();
  /** The spec digest the management API last wrote, by resource: a scan that reads it names that writer. */
  readonly #managementWrites = new Map<string, string>();

  private constructor(options: ManifestClusterOptions, state: LocalState) {
    const statePath = join(options.home, STATE_FILE);
    this.#log = options.log;
    this.#directory = options.directory;
    this.keysFile = join(options.home, KEYS_FILE);
    this.#state = new StateWriter(
      () => [
        {
          path: statePath,
          content: JSON.stringify({ ...this.#store.toState(), keys: this.#keys.toState() }),
        },
        { path: this.keysFile, content: this.#keys.apiKeysJson() },
      ],
      options.log,
    );
    this.#keys = new LocalKeyStore(state.keys, () => this.#state.save());
    this.#store = new ObjectStore(state, (event, view) => this.#changed(event, view));
    this.#scans = new ScanLoop(
      () => this.#scan(),
      (error) => options.log.error({ err: error }, 'cannot read the manifests directory'),
    );
    this.#watcher = new DirectoryWatcher({
      directory: options.directory,
      debounceMs: options.debounceMs ?? 50,
      onChange: () => void this.rescan(),
      log: options.log,
    });
    this.keys = this.#keys;
    this.writer = {
      setFinalizers: async (_plural, resource, finalizers) => this.#store.setFinalizers(resource, finalizers),
      writeStatus: async (_plural, resource, status) => void this.#store.writeStatus(resource, status),
    };
    this.events = {
      record: async (resource, type, reason, note) => this.#record(resource, type, reason, note),
    };
    this.managed = new LocalManagedResources({
      directory: options.directory,
      get: (kind, namespace, name) => this.#store.get(kind, namespace, name),
      list: (kind, namespace) => this.#store.list(kind, namespace),
      fileOf: (kind, namespace, name) =>
        this.#store.stored().find((each) => idOf(each) === idOf({ kind, namespace, name }))?.file,
      noteManagementWrite: (kind, namespace, name, spec) =>
        this.#managementWrites.set(idOf({ kind, namespace, name }), specDigest(spec)),
      rescan: () => this.rescan(),
    });
  }

  /** Loads the saved state and reads the directory once; watching starts with the first source. */
  static async open(options: ManifestClusterOptions): Promise<ManifestCluster> {
    const cluster = new ManifestCluster(options, await loadState(join(options.home, STATE_FILE)));
    await cluster.rescan();
    return cluster;
  }

  watch(plural: string, onEvent: WatchHandler): ResourceSource {
    const kind = KIND_OF_PLURAL.get(plural);
    if (!kind) throw new Error(`unknown resource ${plural}`);
    const source = { onEvent, started: false };
    this.#sources.set(kind, source);
    return {
      get synced() {
        return source.started;
      },
      start: async () => {
        await this.#startWatching();
        await this.#scans.idle();
        source.started = true;
        for (const view of this.#store.list(kind)) onEvent('add', view);
      },
      stop: async () => {
        source.started = false;
        if ([...this.#sources.values()].every((each) => !each.started)) await this.#stopWatching();
      },
      get: (namespace, name) => this.#store.get(kind, namespace, name),
      list: (namespace) => this.#store.list(kind, namespace),
    };
  }

  /** Reads the directory again and turns the differences into watch events. Scans never overlap. */
  rescan(): Promise<void> {
    return this.#scans.request();
  }

  async stop(): Promise<void> {
    await this.#stopWatching();
    await this.#scans.idle();
    await this.#state.settled();
  }

  /** The resources of `kind` as they are now. */
  resources(kind: string, namespace?: string): readonly CustomResource[] {
    return this.#store.list(kind, namespace);
  }

  #startWatching(): Promise<void> {
    // A file saved between the last scan and the watch being ready is read by one more pass.
    this.#watching ??= this.#watcher.start().then(() => this.rescan());
    return this.#watching;
  }

  async #stopWatching(): Promise<void> {
    this.#watching = null;
    await this.#watcher.stop();
  }

  /** One pass: applies what the manifests declare, then deletes what they no longer do. */
  async #scan(): Promise<void> {
    const reading = await readManifests(this.#directory);
    const problems = [...reading.problems];
    const declared = new Set<string>();
    const awaitingDeletion = new Set<string>();
    for (const resource of reading.resources) {
      const id = idOf(resource);
      declared.add(id);
      const applied = this.#store.apply(resource, () => this.#writer(id, resource.spec));
      if (applied.outcome === 'deleting') awaitingDeletion.add(id);
      if (applied.outcome === 'refused') {
        const { file, kind, namespace, name } = resource;
        problems.push(`${file}: ${kind} ${namespace}/${name}: ${formatIssues(applied.issues)}`);
      }
    }
    this.#awaitingDeletion = awaitingDeletion;
    for (const stored of this.#store.stored()) {
      const id = idOf(stored);
      const kept = declared.has(id) || reading.refused.has(id) || reading.unreadable.has(stored.file);
      if (!kept && !stored.deletionTimestamp) this.#store.delete(stored.kind, stored.namespace, stored.name);
    }
    this.#report(problems);
  }

  /**
   * Who made a change a scan found: the management API when the resource's spec is the one it last wrote there
   * (its note is then used up), otherwise the file (undefined). Asked only for a change, so a pass that read
   * the file just before the API's write landed leaves the note for the pass that reads it.
   */
  #writer(id: string, spec: unknown): string | undefined {
    const written = this.#managementWrites.get(id);
    if (written === undefined) return undefined;
    this.#managementWrites.delete(id);
    return written === specDigest(spec) ? MANAGEMENT_FIELD_MANAGER : undefined;
  }

  /** Logs each refusal once, the way `kubectl apply` would print it, until the file changes it. */
  #report(problems: string[]): void {
    for (const problem of problems)
      if (!this.#reported.has(problem)) this.#log.error(`manifest refused: ${problem}`);
    this.#reported = new Set(problems);
  }

  #changed(event: WatchEvent, view: CustomResource): void {
    this.#state.save();
    const kind = view.kind!;
    if (event === 'delete') {
      // Like the garbage collector, the resource's owned keys go with it.
      this.#keys.removeOwnedBy(view.metadata.uid);
      // A manifest that still declares it creates it anew, as `kubectl apply` after a finished delete would.
      const id = resourceKey(kind, view.metadata.namespace, view.metadata.name);
      if (this.#awaitingDeletion.delete(id)) void this.#scans.request();
    }
    const source = this.#sources.get(kind);
    if (source?.started) source.onEvent(event, view);
  }

  #record(resource: CustomResource, type: 'Normal' | 'Warning', reason: string, note: string): void {
    const { namespace, name } = resource.metadata;
    const entry = { event: reason, resource: `${resource.kind} ${namespace}/${name}` };
    if (type === 'Warning') this.#log.warn(entry, note);
    else this.#log.info(entry, note);
  }
}
