import { pino } from 'pino';
import {
  apiKeySecretName,
  DEFAULT_RULE_LIMITS,
  type InvalidationMessage,
} from '../../../../core/src/index.ts';
import type { OperatorStore } from '../../../../db/src/operator-store.ts';
import { SecretNotOursError, type ResourceCache } from '../../cluster/cluster.ts';
import type { CustomResource, ResourceStatus } from '../../kube/custom-resource.ts';
import type { ReconcileDeps } from '../reconcile-deps.ts';

/** The cluster as the reconcilers see it: resources by kind, and every write, Event and key made. */
export class FakeCluster {
  readonly resources = new Map<string, Map<string, CustomResource>>([
    ['featureflags', new Map()],
    ['environments', new Map()],
  ]);
  readonly events: { name: string; type: string; reason: string; note: string }[] = [];
  readonly secrets = new Map<string, string>();
  readonly foreignSecrets = new Set<string>();
  readonly enqueued: string[] = [];
  readonly published: InvalidationMessage[] = [];
  statusWrites = 0;
  #versions = 0;
  #clock = Date.parse('2026-12-01T00:00:00Z');

  add(
    plural: 'featureflags' | 'environments',
    name: string,
    spec: unknown,
    namespace = 'team-a',
  ): CustomResource {
    const resource: CustomResource = {
      apiVersion: 'flags.exclusive-change.io/v1alpha1',
      kind: plural === 'featureflags' ? 'FeatureFlag' : 'Environment',
      metadata: {
        name,
        namespace,
        uid: `uid-${name}`,
        generation: 1,
        resourceVersion: String(++this.#versions),
        creationTimestamp: new Date((this.#clock += 1000)),
        managedFields: [{ manager: 'kubectl', time: new Date(this.#clock), fieldsV1: { 'f:spec': {} } }],
      },
      spec,
    };
    this.resources.get(plural)!.set(`${namespace}/${name}`, resource);
    return resource;
  }

  get(plural: 'featureflags' | 'environments', name: string, namespace = 'team-a'): CustomResource {
    return this.resources.get(plural)!.get(`${namespace}/${name}`)!;
  }

  condition(plural: 'featureflags' | 'environments', name: string, type: string) {
    return this.get(plural, name).status?.conditions?.find((condition) => condition.type === type);
  }

  #cache(plural: string): ResourceCache {
    const all = () => [...this.resources.get(plural)!.values()];
    return {
      get: (namespace, name) => this.resources.get(plural)!.get(`${namespace}/${name}`),
      list: (namespace) =>
        all().filter((resource) => namespace === undefined || resource.metadata.namespace === namespace),
    };
  }

  #replace(plural: string, resource: CustomResource, change: Partial<CustomResource>): CustomResource {
    const updated = {
      ...resource,
      ...change,
      metadata: { ...resource.metadata, ...change.metadata, resourceVersion: String(++this.#versions) },
    };
    this.resources.get(plural)!.set(`${resource.metadata.namespace}/${resource.metadata.name}`, updated);
    return updated;
  }

  deps(store: OperatorStore, overrides: Partial<ReconcileDeps> = {}): ReconcileDeps {
    const secretName = (environment: CustomResource, key: string) =>
      apiKeySecretName(environment.metadata.name, key);
    return {
      store,
      writer: {
        setFinalizers: async (plural, resource, finalizers) =>
          this.#replace(plural, resource, { metadata: { ...resource.metadata, finalizers } }),
        writeStatus: async (plural, resource, status: ResourceStatus) => {
          this.statusWrites++;
          this.#replace(
            plural,
            this.get(plural as 'featureflags', resource.metadata.name, resource.metadata.namespace),
            { status },
          );
        },
      },
      events: {
        record: async (resource, type, reason, note) =>
          void this.events.push({ name: resource.metadata.name, type, reason, note }),
      },
      publisher: { publish: async (messages) => void this.published.push(...messages) },
      secrets: {
        read: async (environment, key) => {
          if (this.foreignSecrets.has(secretName(environment, key))) throw new SecretNotOursError('not ours');
          return this.secrets.get(secretName(environment, key)) ?? null;
        },
        create: async (environment, key, value) => {
          this.secrets.set(secretName(environment, key), value);
          return secretName(environment, key);
        },
        delete: async (environment, key) => void this.secrets.delete(secretName(environment, key)),
      },
      flags: this.#cache('featureflags'),
      environments: this.#cache('environments'),
      enqueue: (key) => void this.enqueued.push(key),
      ruleLimits: DEFAULT_RULE_LIMITS,
      log: pino({ level: 'silent' }),
      now: () => new Date(this.#clock),
      ...overrides,
    };
  }
}
