import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ENVIRONMENTS,
  FEATURE_FLAGS,
  namespaceIssues,
  resourceIssues,
  type SpecIssue,
} from '../../../core/src/index.ts';
import {
  ResourceRefused,
  type ManagedResources,
  type NewResource,
} from '../../../operator/src/cluster/cluster.ts';
import type { CustomResource } from '../../../operator/src/kube/custom-resource.ts';
import {
  createManifest,
  editManifest,
  mergeKeyPath,
  removeFromManifest,
  type DocumentRef,
} from './manifest-editor.ts';

const KIND_OF: Record<string, typeof FEATURE_FLAGS.kind | typeof ENVIRONMENTS.kind> = {
  [FEATURE_FLAGS.plural]: FEATURE_FLAGS.kind,
  [ENVIRONMENTS.plural]: ENVIRONMENTS.kind,
};

/** What the management API's local writes need of the manifest cluster. */
export interface ManifestAccess {
  directory: string;
  get(kind: string, namespace: string, name: string): CustomResource | undefined;
  list(kind: string, namespace: string): readonly CustomResource[];
  /** The file (relative to the directory) that declares the resource. */
  fileOf(kind: string, namespace: string, name: string): string | undefined;
  /** Says the next spec read for the resource, if it is this one, was written by the management API. */
  noteManagementWrite(kind: string, namespace: string, name: string, spec: unknown): void;
  /** Reads the directory again; resolves once a pass that saw the write is done. */
  rescan(): Promise<void>;
}

const kindOf = (plural: string) => {
  const kind = KIND_OF[plural];
  if (!kind) throw new Error(`unknown resource ${plural}`);
  return kind;
};

const refOf = (plural: string, resource: CustomResource) => ({
  kind: kindOf(plural),
  namespace: resource.metadata.namespace,
  name: resource.metadata.name,
});

/** What a manifest says of a resource: its spec and its annotations. */
const contentOf = (resource: { spec: unknown; metadata: { annotations?: Record<string, string> } }) => ({
  spec: resource.spec as Record<string, unknown>,
  annotations: resource.metadata.annotations ?? {},
});

/** The rule set's issues, and a `<<` key, which a YAML 1.1 manifest cannot hold (manifest-editor.ts). */
function localIssues(issues: SpecIssue[], spec: unknown): SpecIssue[] {
  const merge = mergeKeyPath(spec);
  return merge
    ? [...issues, { field: merge, message: 'a "<<" key cannot be kept in a YAML 1.1 manifest' }]
    : issues;
}

function invalid(ref: DocumentRef, issues: SpecIssue[]): ResourceRefused {
  const message = `${ref.kind} "${ref.name}" is invalid: ${issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ')}`;
  return new ResourceRefused(
    422,
    'Invalid',
    message,
    issues.map(({ field, message: text }) => ({ field, message: text })),
  );
}

/**
 * The management API's resources in local mode: writes edit the manifests (manifest-editor.ts), checked first
 * by the same rules a scan applies (core's resourceIssues, with resourceVersion and uid preconditions as an
 * API server has them), and return the resource once a scan has taken the change in.
 */
export class LocalManagedResources implements ManagedResources {
  readonly #access: ManifestAccess;

  constructor(access: ManifestAccess) {
    this.#access = access;
  }

  async get(plural: string, namespace: string, name: string): Promise<CustomResource | null> {
    return this.#access.get(kindOf(plural), namespace, name) ?? null;
  }

  async list(plural: string, namespace: string): Promise<readonly CustomResource[]> {
    return this.#access.list(kindOf(plural), namespace);
  }

  async namespaceExists(namespace: string): Promise<boolean> {
    return namespaceIssues(namespace).length === 0;
  }

  async create(plural: string, namespace: string, resource: NewResource): Promise<CustomResource> {
    const ref = { kind: kindOf(plural), namespace, name: resource.metadata.name };
    if (this.#access.get(ref.kind, namespace, ref.name))
      throw new ResourceRefused(409, 'AlreadyExists', `${ref.kind} "${ref.name}" already exists`);
    const issues = localIssues(
      resourceIssues(ref.kind, { name: ref.name, namespace, spec: resource.spec }),
      resource.spec,
    );
    if (issues.length > 0) throw invalid(ref, issues);
    const base = join(this.#access.directory, namespace, `${ref.kind.toLowerCase()}-${ref.name}`);
    let path = `${base}.yaml`;
    for (let n = 2; existsSync(path); n++) path = `${base}-${n}.yaml`;
    this.#access.noteManagementWrite(ref.kind, namespace, ref.name, resource.spec);
    await createManifest(path, ref, contentOf(resource));
    return this.#afterScan(ref);
  }

  async update(plural: string, resource: CustomResource): Promise<CustomResource> {
    const ref = refOf(plural, resource);
    const current = this.#current(ref, resource);
    const issues = localIssues(
      resourceIssues(
        ref.kind,
        { name: ref.name, namespace: ref.namespace, spec: resource.spec },
        { name: ref.name, spec: current.spec },
      ),
      resource.spec,
    );
    if (issues.length > 0) throw invalid(ref, issues);
    this.#access.noteManagementWrite(ref.kind, ref.namespace, ref.name, resource.spec);
    await editManifest(this.#pathOf(ref), ref, contentOf(current), contentOf(resource));
    return this.#afterScan(ref);
  }

  async delete(plural: string, resource: CustomResource): Promise<void> {
    const ref = refOf(plural, resource);
    const current = this.#current(ref, resource);
    if (current.metadata.uid !== resource.metadata.uid)
      throw new ResourceRefused(409, 'Conflict', `${ref.kind} "${ref.name}" is another resource now`);
    await removeFromManifest(this.#pathOf(ref), ref);
    await this.#access.rescan();
  }

  /** The resource as stored, if `resource` was read at its current version. */
  #current(ref: DocumentRef, resource: CustomResource): CustomResource {
    const current = this.#access.get(ref.kind, ref.namespace, ref.name);
    if (!current) throw new ResourceRefused(404, 'NotFound', `${ref.kind} "${ref.name}" not found`);
    if (current.metadata.resourceVersion !== resource.metadata.resourceVersion)
      throw new ResourceRefused(409, 'Conflict', `${ref.kind} "${ref.name}" has changed; read it again`);
    return current;
  }

  #pathOf(ref: DocumentRef): string {
    const file = this.#access.fileOf(ref.kind, ref.namespace, ref.name);
    if (!file) throw new ResourceRefused(404, 'NotFound', `no manifest declares ${ref.kind} "${ref.name}"`);
    return join(this.#access.directory, file);
  }

  async #afterScan(ref: DocumentRef): Promise<CustomResource> {
    await this.#access.rescan();
    const written = this.#access.get(ref.kind, ref.namespace, ref.name);
    if (!written)
      throw new ResourceRefused(409, 'Conflict', `the manifests no longer declare ${ref.kind} "${ref.name}"`);
    return written;
  }
}
