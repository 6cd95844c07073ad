import { randomUUID } from 'node:crypto';
import {
  canonicalJson,
  GROUP,
  isOurKind,
  resourceIssues,
  VERSION,
  type SpecIssue,
} from '../../../core/src/index.ts';
import type { WatchEvent } from '../../../operator/src/cluster/cluster.ts';
import {
  resourceKey,
  type CustomResource,
  type ResourceStatus,
} from '../../../operator/src/kube/custom-resource.ts';
import { LocalApiError } from './local-api-error.ts';
import type { LocalState, StoredResource } from './local-state.ts';
import type { DeclaredResource } from './read-manifests.ts';

/** Called after every change, with the resource as it is now (as it was last, for `delete`). */
export type StoreListener = (event: WatchEvent, view: CustomResource) => void;

/** What applying a declared resource did, as `kubectl apply` would report it. */
export type ApplyOutcome =
  | { outcome: 'created' | 'updated' | 'unchanged' }
  /** Being deleted: it is created anew once its finalizers are gone and it is applied again. */
  | { outcome: 'deleting' }
  /** The API server's rules refused the update; the stored version stays. */
  | { outcome: 'refused'; issues: SpecIssue[] };

const API_VERSION = `${GROUP}/${VERSION}`;
const idOf = (resource: { kind: string; namespace: string; name: string }) =>
  resourceKey(resource.kind, resource.namespace, resource.name);

/**
 * Our two kinds as an API server keeps them: uids, generations that move only when the spec changes,
 * a resourceVersion checked on every write (404 when the resource is gone, 409 when it changed since it was
 * read), finalizers that hold a deletion back, deletion timestamps and status. Reads return the resource as
 * the API server would, the same object until it changes. It does no I/O: `onChange` hears every change.
 */
export class ObjectStore {
  readonly #resources: Map<string, StoredResource>;
  readonly #views = new Map<string, CustomResource>();
  readonly #onChange: StoreListener;
  #resourceVersion: number;

  constructor(state: Pick<LocalState, 'resourceVersion' | 'resources'>, onChange: StoreListener) {
    this.#resourceVersion = state.resourceVersion;
    this.#resources = new Map(state.resources.map((stored) => [idOf(stored), stored]));
    for (const [id, stored] of this.#resources) this.#views.set(id, viewOf(stored));
    this.#onChange = onChange;
  }

  get(kind: string, namespace: string, name: string): CustomResource | undefined {
    return this.#views.get(resourceKey(kind, namespace, name));
  }

  list(kind: string, namespace?: string): CustomResource[] {
    return [...this.#views.values()].filter(
      (view) => view.kind === kind && (namespace === undefined || view.metadata.namespace === namespace),
    );
  }

  /** Every stored resource, deleting ones included, for a caller that compares them with what is declared. */
  stored(): readonly Readonly<StoredResource>[] {
    return [...this.#resources.values()];
  }

  /** What is saved to survive a restart. */
  toState(): Pick<LocalState, 'resourceVersion' | 'resources'> {
    return { resourceVersion: this.#resourceVersion, resources: [...this.#resources.values()] };
  }

  /**
   * Creates the resource, or updates it when it differs and the update rules (core's) allow it: a new spec is
   * a new generation, changed labels or annotations only a new resourceVersion. `writer` says who made a
   * change (the file when it says nothing); it is asked only when there is one.
   */
  apply(resource: DeclaredResource, writer: () => string | undefined = () => undefined): ApplyOutcome {
    const manager = () => writer() ?? `manifests:${resource.file}`;
    const { kind, namespace, name, spec } = resource;
    if (!isOurKind(kind)) throw new Error(`unknown kind ${kind}`);
    const stored = this.#resources.get(idOf(resource));
    if (!stored) {
      this.#create(resource, manager());
      return { outcome: 'created' };
    }
    if (stored.deletionTimestamp) return { outcome: 'deleting' };
    const metadata = { labels: resource.labels, annotations: resource.annotations ?? {} };
    const metadataChanged =
      canonicalJson(metadata) !==
      canonicalJson({ labels: stored.labels, annotations: stored.annotations ?? {} });
    if (canonicalJson(stored.spec) === canonicalJson(spec)) {
      if (!metadataChanged) return { outcome: 'unchanged' };
      Object.assign(stored, metadata, { metadataManager: manager() });
      this.#changed(stored, 'update');
      return { outcome: 'updated' };
    }
    const issues = resourceIssues(kind, { name, namespace, spec }, { name: stored.name, spec: stored.spec });
    if (issues.length > 0) return { outcome: 'refused', issues };
    const changedBy = manager();
    Object.assign(stored, {
      spec,
      ...metadata,
      file: resource.file,
      specManager: changedBy,
      metadataManager: changedBy,
    });
    stored.generation++;
    stored.specChangedAt = new Date().toISOString();
    this.#changed(stored, 'update');
    return { outcome: 'updated' };
  }

  /** Deletes it as the API server would: at once without finalizers, else marked and held until they go. */
  delete(kind: string, namespace: string, name: string): 'removed' | 'deleting' {
    const stored = this.#require(kind, namespace, name);
    if (stored.finalizers.length === 0) {
      this.#remove(stored);
      return 'removed';
    }
    if (!stored.deletionTimestamp) {
      stored.deletionTimestamp = new Date().toISOString();
      this.#changed(stored, 'update');
    }
    return 'deleting';
  }

  /** Replaces the finalizers of the version read; a deleting resource left without any is removed. */
  setFinalizers(resource: CustomResource, finalizers: string[]): CustomResource {
    const stored = this.#current(resource);
    stored.finalizers = [...finalizers];
    if (stored.deletionTimestamp && finalizers.length === 0) {
      const last = viewOf(stored);
      this.#remove(stored);
      return last;
    }
    return this.#changed(stored, 'update');
  }

  /** Replaces the status of the version read; the generation stays, as only the spec moves it. */
  writeStatus(resource: CustomResource, status: ResourceStatus): CustomResource {
    const stored = this.#current(resource);
    stored.status = structuredClone(status);
    return this.#changed(stored, 'update');
  }

  #create(resource: DeclaredResource, specManager: string): void {
    const now = new Date().toISOString();
    const stored: StoredResource = {
      ...resource,
      specManager,
      metadataManager: specManager,
      uid: randomUUID(),
      generation: 1,
      resourceVersion: 0,
      creationTimestamp: now,
      finalizers: [],
      specChangedAt: now,
    };
    this.#resources.set(idOf(stored), stored);
    this.#changed(stored, 'add');
  }

  #changed(stored: StoredResource, event: 'add' | 'update'): CustomResource {
    stored.resourceVersion = ++this.#resourceVersion;
    const view = viewOf(stored);
    this.#views.set(idOf(stored), view);
    this.#onChange(event, view);
    return view;
  }

  #remove(stored: StoredResource): void {
    const id = idOf(stored);
    const last = this.#views.get(id) ?? viewOf(stored);
    this.#resources.delete(id);
    this.#views.delete(id);
    this.#onChange('delete', last);
  }

  #require(kind: string, namespace: string, name: string): StoredResource {
    const stored = this.#resources.get(resourceKey(kind, namespace, name));
    if (!stored) throw new LocalApiError(404, `${kind} ${namespace}/${name} not found`);
    return stored;
  }

  /** The stored resource `resource` was read from; 404 when it is gone, 409 when it changed since. */
  #current(resource: CustomResource): StoredResource {
    const { namespace, name, resourceVersion } = resource.metadata;
    const stored = this.#require(resource.kind ?? '', namespace, name);
    if (String(stored.resourceVersion) !== resourceVersion)
      throw new LocalApiError(409, `${resource.kind} ${namespace}/${name} has changed; read it again`);
    return stored;
  }
}

/** The resource as the API server would return it. */
function viewOf(stored: StoredResource): CustomResource {
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
      annotations: { ...stored.annotations },
      // The audit log's actor is the last manager of the spec: the file it came from, or the management API.
      managedFields: [
        {
          manager: stored.specManager ?? `manifests:${stored.file}`,
          operation: 'Apply',
          apiVersion: API_VERSION,
          time: new Date(stored.specChangedAt),
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:spec': {} },
        },
        {
          manager: stored.metadataManager ?? `manifests:${stored.file}`,
          operation: 'Apply',
          apiVersion: API_VERSION,
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': {
              'f:annotations': Object.fromEntries(
                Object.keys(stored.annotations ?? {}).map((key) => [`f:${key}`, {}]),
              ),
            },
          },
        },
      ],
    },
    spec: structuredClone(stored.spec),
    ...(stored.status ? { status: structuredClone(stored.status) } : {}),
  };
}
