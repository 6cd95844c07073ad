import type { Identity } from '../auth/api-key-ring.ts';
import type { Snapshot } from '../snapshots/snapshot.ts';

/** One open event stream: whose it is, and how to tell it that its environment changed. */
export interface StreamSink {
  readonly identity: Identity;
  /** Called with each new snapshot of the stream's environment. */
  changed(snapshot: Snapshot): void;
  close(): void;
}

export interface StreamLimits {
  /** Open streams this replica holds at most. */
  perReplica: number;
  /** Open streams one API key holds on this replica at most. */
  perKey: number;
  /** Open streams one tenant's keys hold on this replica at most: one tenant cannot take every slot. */
  perTenant: number;
}

export type Admission = { ok: true; remove: () => void } | { ok: false; reason: string };

/**
 * The event streams a replica holds, by environment, within its limits. A change reaches every stream of its
 * environment from memory; a revoked key's streams and a removed environment's are closed, and so is everything
 * when the replica stops (clients reconnect elsewhere).
 */
export class StreamHub {
  readonly #limits: StreamLimits;
  readonly #byEnvironment = new Map<string, Set<StreamSink>>();
  readonly #perKey = new Map<string, number>();
  readonly #perTenant = new Map<string, number>();
  #open = 0;

  constructor(limits: StreamLimits) {
    this.#limits = limits;
  }

  get open(): number {
    return this.#open;
  }

  get limits(): StreamLimits {
    return this.#limits;
  }

  /** Holds `sink` when its key and this replica are within their limits. */
  add(sink: StreamSink): Admission {
    const { apiKeyId, environmentId } = sink.identity;
    if (this.#open >= this.#limits.perReplica)
      return { ok: false, reason: `this replica holds at most ${this.#limits.perReplica} streams` };
    const keyed = this.#perKey.get(apiKeyId) ?? 0;
    if (keyed >= this.#limits.perKey)
      return { ok: false, reason: `one API key holds at most ${this.#limits.perKey} streams per replica` };
    const tenanted = this.#perTenant.get(sink.identity.tenantId) ?? 0;
    if (tenanted >= this.#limits.perTenant)
      return { ok: false, reason: `one tenant holds at most ${this.#limits.perTenant} streams per replica` };
    this.#perTenant.set(sink.identity.tenantId, tenanted + 1);
    let sinks = this.#byEnvironment.get(environmentId);
    if (!sinks) this.#byEnvironment.set(environmentId, (sinks = new Set()));
    sinks.add(sink);
    this.#perKey.set(apiKeyId, keyed + 1);
    this.#open++;
    let removed = false;
    return {
      ok: true,
      remove: () => {
        if (removed) return;
        removed = true;
        this.#forget(sink);
      },
    };
  }

  /** Tells every stream of the snapshot's environment. */
  changed(snapshot: Snapshot): void {
    const sinks = this.#byEnvironment.get(snapshot.environmentId);
    if (!sinks) return;
    for (const sink of sinks) if (sink.identity.tenantId === snapshot.tenantId) sink.changed(snapshot);
  }

  /** Closes the streams of keys that `stillValid` no longer vouches for (revoked, moved, another kind). */
  closeInvalid(stillValid: (identity: Identity) => boolean): void {
    for (const sinks of this.#byEnvironment.values())
      for (const sink of [...sinks]) if (!stillValid(sink.identity)) sink.close();
  }

  closeEnvironment(environmentId: string): void {
    for (const sink of [...(this.#byEnvironment.get(environmentId) ?? [])]) sink.close();
  }

  closeAll(): void {
    for (const sinks of [...this.#byEnvironment.values()]) for (const sink of [...sinks]) sink.close();
  }

  #forget(sink: StreamSink): void {
    const { apiKeyId, environmentId } = sink.identity;
    const sinks = this.#byEnvironment.get(environmentId);
    sinks?.delete(sink);
    if (sinks?.size === 0) this.#byEnvironment.delete(environmentId);
    const keyed = (this.#perKey.get(apiKeyId) ?? 1) - 1;
    if (keyed === 0) this.#perKey.delete(apiKeyId);
    else this.#perKey.set(apiKeyId, keyed);
    const tenanted = (this.#perTenant.get(sink.identity.tenantId) ?? 1) - 1;
    if (tenanted === 0) this.#perTenant.delete(sink.identity.tenantId);
    else this.#perTenant.set(sink.identity.tenantId, tenanted);
    this.#open--;
  }
}
