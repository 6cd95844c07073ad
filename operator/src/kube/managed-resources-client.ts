import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, MANAGEMENT_FIELD_MANAGER, VERSION } from '../../../core/src/index.ts';
import {
  ResourceRefused,
  type ManagedResources,
  type NewResource,
  type RefusalCause,
  type ResourceCache,
} from '../cluster/cluster.ts';
import type { CustomResource } from './custom-resource.ts';
import { isNotFound, statusOf } from './kube-errors.ts';

const KINDS: Record<string, string> = { featureflags: 'FeatureFlag', environments: 'Environment' };

interface StatusBody {
  reason?: string;
  message?: string;
  details?: { causes?: { field?: string; message?: string; reason?: string }[] };
}

function statusBody(error: unknown): StatusBody {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'object' && body !== null) return body as StatusBody;
  try {
    return typeof body === 'string' ? (JSON.parse(body) as StatusBody) : {};
  } catch {
    return {};
  }
}

/** An admission policy's denial names its field in its message, after "denied request: " (our rules do). */
function deniedField(message: string): RefusalCause | null {
  const denied = /denied request: (.*)$/s.exec(message)?.[1];
  const field = denied && /^([\w.[\]-]+): (.*)$/s.exec(denied);
  return field ? { field: field[1]!, message: field[2]! } : null;
}

/** The fields a refusal names: the schema's causes carry them, a policy's say them in their message. */
export function refusalCauses(body: StatusBody): RefusalCause[] {
  const causes = (body.details?.causes ?? []).flatMap((cause) =>
    cause.message
      ? [
          cause.field
            ? { field: cause.field, message: cause.message }
            : (deniedField(cause.message) ?? { field: '', message: cause.message }),
        ]
      : [],
  );
  if (causes.length > 0) return causes;
  if (!body.message) return [];
  return [deniedField(body.message) ?? { field: '', message: body.message }];
}

/** A client-node failure as the management API's refusal, when it is one; anything else is rethrown. */
function refused(error: unknown): never {
  const status = statusOf(error);
  const body = statusBody(error);
  const message = body.message ?? String(error);
  if (status === 404) throw new ResourceRefused(404, 'NotFound', message);
  if (status === 409)
    throw new ResourceRefused(409, body.reason === 'AlreadyExists' ? 'AlreadyExists' : 'Conflict', message);
  if (status === 422 || status === 400)
    throw new ResourceRefused(422, 'Invalid', message, refusalCauses(body));
  throw error;
}

/**
 * The management API's writes to a Kubernetes API server: the resources by name, with our field manager, strict
 * field validation, and preconditions on resourceVersion (and uid for deletes). Lists come from the operator's
 * cache while its informers run, else from the API server.
 */
export class ManagedResourcesClient implements ManagedResources {
  readonly #custom: CustomObjectsApi;
  readonly #core: CoreV1Api;
  readonly #caches: ReadonlyMap<string, ResourceCache & { readonly synced?: boolean }>;

  constructor(
    kubeConfig: KubeConfig,
    caches: ReadonlyMap<string, ResourceCache & { readonly synced?: boolean }>,
  ) {
    this.#custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#caches = caches;
  }

  async get(plural: string, namespace: string, name: string): Promise<CustomResource | null> {
    try {
      return (await this.#custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural,
        namespace,
        name,
      })) as CustomResource;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async list(plural: string, namespace: string): Promise<readonly CustomResource[]> {
    const cache = this.#caches.get(plural);
    if (cache?.synced) return cache.list(namespace);
    const listed = (await this.#custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural,
      namespace,
    })) as {
      items: CustomResource[];
    };
    return listed.items;
  }

  async create(plural: string, namespace: string, resource: NewResource): Promise<CustomResource> {
    try {
      return (await this.#custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural,
        namespace,
        fieldManager: MANAGEMENT_FIELD_MANAGER,
        fieldValidation: 'Strict',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: KINDS[plural],
          ...resource,
          metadata: { ...resource.metadata, namespace },
        },
      })) as CustomResource;
    } catch (error) {
      return refused(error);
    }
  }

  async update(plural: string, resource: CustomResource): Promise<CustomResource> {
    const { namespace, name } = resource.metadata;
    try {
      return (await this.#custom.replaceNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural,
        namespace,
        name,
        fieldManager: MANAGEMENT_FIELD_MANAGER,
        fieldValidation: 'Strict',
        body: resource,
      })) as CustomResource;
    } catch (error) {
      return refused(error);
    }
  }

  async delete(plural: string, resource: CustomResource): Promise<void> {
    const { namespace, name, uid, resourceVersion } = resource.metadata;
    try {
      await this.#custom.deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural,
        namespace,
        name,
        body: { preconditions: { uid, resourceVersion } },
      });
    } catch (error) {
      refused(error);
    }
  }

  async namespaceExists(namespace: string): Promise<boolean> {
    try {
      await this.#core.readNamespace({ name: namespace });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }
}
