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
  record(resource: CustomResource, type: 'Normal' | 'Warning', reason: string, note: string): Promise<void>;
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
  watch(plural: string, onEvent: WatchHandler): ResourceSource;
  /** Lease-based leader election; absent where only one operator can run. */
  leaderElection?(options: LeaseOptions): LeaderElection;
}
