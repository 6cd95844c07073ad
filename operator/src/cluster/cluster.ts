import type { CustomResource, ResourceStatus } from '../kube/custom-resource.ts';

export type WatchEvent = 'add' | 'update' | 'delete';
export type WatchHandler = (event: WatchEvent, resource: CustomResource) => void;

/** The resources of one kind as last seen. */
export interface ResourceCache {
  get(namespace: string, name: string): CustomResource | undefined;
  list(namespace?: string): readonly CustomResource[];
}

/** A cache kept current by a watch; `start` resolves once it holds a full listing. */
export interface ResourceSource extends ResourceCache {
  /** Whether the cache holds a full listing now. */
  readonly synced: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Writes that carry the resourceVersion they were computed from, so a concurrent change makes them fail. */
export interface ResourceWriter {
  setFinalizers(plural: string, resource: CustomResource, finalizers: string[]): Promise<CustomResource>;
  writeStatus(plural: string, resource: CustomResource, status: ResourceStatus): Promise<void>;
}

/** Records what happened to a resource; never throws. */
export interface EventSink {
  /** `budgeted`: from the backlog (a sync, a resync), which may be thinned out rather than flood the sink. */
  record(
    resource: CustomResource,
    type: 'Normal' | 'Warning',
    reason: string,
    note: string,
    budgeted?: boolean,
  ): Promise<void>;
}

export class SecretNotOursError extends Error {
  readonly code = 'XC_ERR_SECRET_NOT_OURS';
}

/** Where an Environment's generated API keys are handed to their users (Secrets in a cluster). */
export interface KeyStore {
  /** The key stored for `keyName`, or null when there is none yet. Throws SecretNotOursError. */
  read(environment: CustomResource, keyName: string): Promise<string | null>;
  /** Stores a new key; returns where it is (the Secret's name). */
  create(environment: CustomResource, keyName: string, key: string): Promise<string>;
  /** Removes our stored key for `keyName`, if there is one. */
  delete(environment: CustomResource, keyName: string): Promise<void>;
}

/** A resource as the management API asks for it: name, the marks it sets, and the spec. */
export interface NewResource {
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: unknown;
}

export interface RefusalCause {
  /** The resource's field path (`spec.rollout.percentage`, `metadata.name`), or '' for the whole object. */
  field: string;
  message: string;
}

/**
 * A write refused where the resources live, in its own words: 404 (no such resource or namespace), 409
 * (already exists, or the resourceVersion moved on), 422 (the schema or the admission rules refuse it).
 */
export class ResourceRefused extends Error {
  readonly status: 404 | 409 | 422;
  readonly reason: 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid';
  readonly causes: readonly RefusalCause[];

  constructor(
    status: ResourceRefused['status'],
    reason: ResourceRefused['reason'],
    message: string,
    causes: readonly RefusalCause[] = [],
  ) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.causes = causes;
  }
}

/**
 * What the management API reads and writes: the resources themselves, through the same door as kubectl
 * (the API server, or local mode's manifests). Writes carry the field manager `exclusive-change-management`
 * and, for updates and deletes, the resourceVersion they were computed from. Throws ResourceRefused.
 */
export interface ManagedResources {
  get(plural: string, namespace: string, name: string): Promise<CustomResource | null>;
  list(plural: string, namespace: string): Promise<readonly CustomResource[]>;
  create(plural: string, namespace: string, resource: NewResource): Promise<CustomResource>;
  /** Replaces metadata (labels, annotations) and spec, if `resource.metadata.resourceVersion` is current. */
  update(plural: string, resource: CustomResource): Promise<CustomResource>;
  /** Deletes the resource, if its uid and resourceVersion are current. */
  delete(plural: string, resource: CustomResource): Promise<void>;
  namespaceExists(namespace: string): Promise<boolean>;
}

export interface LeaderElection {
  readonly leading: boolean;
  run(callbacks: { started: () => Promise<void>; stopped: () => void }): void;
  stop(): Promise<void>;
}

export interface LeaseOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/**
 * Everything the operator needs from where the resources live: a Kubernetes API server, or in local mode a
 * directory of manifests.
 */
export interface Cluster {
  readonly writer: ResourceWriter;
  readonly events: EventSink;
  readonly keys: KeyStore;
  /** The management API's access to the resources; absent where writes are not served. */
  readonly managed?: ManagedResources;
  watch(plural: string, onEvent: WatchHandler): ResourceSource;
  /** Lease-based leader election; absent where only one operator can run. */
  leaderElection?(options: LeaseOptions): LeaderElection;
}
