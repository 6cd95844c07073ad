import type { Logger } from 'pino';
import type { EnvironmentRequest, EnvironmentRevision } from '../../../db/src/evaluator-reads.ts';
import { dataOf, isComplete, MissingBaseError, type Snapshot, type SnapshotData } from './snapshot.ts';

/** Postgres, the source of truth. */
export interface SnapshotSource {
  listEnvironments(): Promise<EnvironmentRevision[]>;
  /** The environment's flags; those written at or before `since` come without their configuration. */
  load(tenantId: string, environmentId: string, since?: number): Promise<SnapshotData | null>;
  /** Several environments of one tenant in one read; one that does not exist is not in the result. */
  loadMany?(tenantId: string, requests: readonly EnvironmentRequest[]): Promise<Map<string, SnapshotData>>;
}

/**
 * Redis: a shared cache of whole snapshots (every flag with its configuration) and the record of which revision
 * each replica serves. Never throws.
 */
export interface SnapshotCache {
  /** The cached snapshot when its revision is `minRevision` or newer. */
  get(environmentId: string, minRevision: number): Promise<SnapshotData | null>;
  /** Keeps `data` unless the cache has a newer revision. */
  set(data: SnapshotData): Promise<void>;
  /** The environment is gone: its copy too. */
  forget(environmentId: string): Promise<void>;
  publishServed(environmentId: string, revision: number): Promise<void>;
  /**
   * The active environments as Postgres last listed them (all of them, replacing the list, or one that a load
   * found), for a replica that starts without Postgres.
   */
  rememberEnvironments(environments: readonly EnvironmentRevision[], whole?: boolean): Promise<void>;
  lastEnvironments(): Promise<EnvironmentRevision[] | null>;
}

export interface RegistryEvents {
  loaded?(snapshot: Snapshot, from: 'cache' | 'database'): void;
  /** A snapshot could not be built; the environment keeps the one it had. */
  buildFailed?(environmentId: string, error: unknown): void;
  /** The environment is gone (deleted, or its tenant deactivated): nothing of it is served any more. */
  removed?(environmentId: string): void;
}

/** Builds a snapshot off the request path, reusing what `previous` already compiled. */
export type SnapshotBuild = (data: SnapshotData, previous: Snapshot | undefined) => Promise<Snapshot>;

type Fetched = { data: SnapshotData; from: 'cache' | 'database' } | null;

/**
 * Tenants whose environments load together when many do (start-up, the poll after an outage): a read per
 * tenant, a few at once, so a million configurations neither wait ten thousand deep for Postgres's
 * connections nor sit in memory all at once as text.
 */
const TENANTS_LOADING_AT_ONCE = 4;

/**
 * Every environment's snapshot in memory. Reads are synchronous map look-ups; loads happen off the request path
 * (start-up, invalidations, the revision poll), one at a time per environment, and never replace a snapshot
 * with an older revision; builds run in slices, and one that fails leaves the last good snapshot serving. When
 * Postgres and Redis are both gone, the last good snapshots keep serving.
 */
export class SnapshotRegistry {
  #snapshots = new Map<string, Snapshot>();
  #inFlight = new Map<string, Promise<Snapshot | null>>();
  readonly #source: SnapshotSource;
  readonly #cache: SnapshotCache | null;
  readonly #log: Logger;
  readonly #events: RegistryEvents;
  readonly #build: SnapshotBuild;
  /** Bumped whenever a snapshot is added, replaced or removed: what derived indexes compare with. */
  version = 0;

  constructor(deps: {
    source: SnapshotSource;
    cache: SnapshotCache | null;
    log: Logger;
    build: SnapshotBuild;
    events?: RegistryEvents;
  }) {
    this.#source = deps.source;
    this.#cache = deps.cache;
    this.#log = deps.log;
    this.#build = deps.build;
    this.#events = deps.events ?? {};
  }

  get(environmentId: string): Snapshot | undefined {
    return this.#snapshots.get(environmentId);
  }

  all(): IterableIterator<Snapshot> {
    return this.#snapshots.values();
  }

  /**
   * The environment's snapshot at `minRevision` or newer, loading it when this replica has an older one.
   * Concurrent callers share one load. Resolves null when the environment does not exist; rejects when
   * Postgres cannot be reached and no cached copy is new enough.
   */
  ensure(tenantId: string, environmentId: string, minRevision = 0): Promise<Snapshot | null> {
    return this.#ensure(tenantId, environmentId, minRevision);
  }

  /** ensure, with what a tenant's batched fetch brings when it has this environment. */
  async #ensure(
    tenantId: string,
    environmentId: string,
    minRevision: number,
    batch?: Promise<Map<string, Fetched>>,
  ): Promise<Snapshot | null> {
    for (;;) {
      const current = this.#snapshots.get(environmentId);
      if (current && current.revision >= minRevision) return current;
      const pending = this.#inFlight.get(environmentId);
      if (!pending) break;
      // Whoever wakes first after the load starts the next one; the others wait for that one: however many
      // changes arrived meanwhile, one load takes them all.
      const loaded = await pending;
      if (!loaded) return null;
    }
    const load = this.#load(tenantId, environmentId, minRevision, batch).finally(() =>
      this.#inFlight.delete(environmentId),
    );
    this.#inFlight.set(environmentId, load);
    return load;
  }

  /** The safety net: compares every environment's revision with Postgres and loads what changed. */
  async refreshAll(): Promise<void> {
    const environments = await this.#source.listEnvironments();
    void this.#cache?.rememberEnvironments(environments, true);
    const active = new Set(environments.map((environment) => environment.environmentId));
    for (const environmentId of this.#snapshots.keys()) {
      if (!active.has(environmentId)) {
        this.#remove(environmentId);
        void this.#cache?.forget(environmentId);
      }
    }
    const results = await this.#ensureByTenant(
      environments.filter(
        (environment) =>
          (this.#snapshots.get(environment.environmentId)?.revision ?? -1) < environment.revision,
      ),
    );
    const failed = results.filter((result) => result.status === 'rejected');
    if (failed.length > 0)
      this.#log.warn({ failed: failed.length }, 'some environments could not be refreshed');
  }

  /**
   * Serves the last good state from the cache: every environment Postgres last listed, at the newest revision
   * the cache holds. For a replica that starts while Postgres is down; resolves how many it serves.
   */
  async restoreFromCache(): Promise<number> {
    const environments = (await this.#cache?.lastEnvironments()) ?? [];
    const results = await this.#ensureByTenant(
      environments.map((environment) => ({ ...environment, revision: 0 })),
    );
    return results.filter((result) => result.status === 'fulfilled' && result.value !== null).length;
  }

  /** Re-announces the revision this replica serves for every environment (the served-revision heartbeat). */
  async publishServed(): Promise<void> {
    if (!this.#cache) return;
    await Promise.all(
      [...this.#snapshots.values()].map((snapshot) =>
        this.#cache!.publishServed(snapshot.environmentId, snapshot.revision),
      ),
    );
  }

  /** Ensures each environment, a tenant at a time, TENANTS_LOADING_AT_ONCE tenants at once. */
  async #ensureByTenant(
    environments: readonly EnvironmentRevision[],
  ): Promise<PromiseSettledResult<Snapshot | null>[]> {
    const tenants = [...Map.groupBy(environments, (environment) => environment.tenantId)];
    const results: PromiseSettledResult<Snapshot | null>[] = [];
    let next = 0;
    const loadTenants = async () => {
      while (next < tenants.length) {
        const [tenantId, own] = tenants[next++]!;
        results.push(...(await this.#ensureTenant(tenantId, own)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(TENANTS_LOADING_AT_ONCE, tenants.length) }, loadTenants));
    return results;
  }

  /** A tenant's environments, those not already loading fetched together (#fetchTenant). */
  #ensureTenant(
    tenantId: string,
    environments: readonly EnvironmentRevision[],
  ): Promise<PromiseSettledResult<Snapshot | null>[]> {
    const idle = environments.filter((environment) => !this.#inFlight.has(environment.environmentId));
    const batch = idle.length > 1 ? this.#fetchTenant(tenantId, idle) : undefined;
    // Every load that waits for the batch reports its failure; this one would be unhandled.
    batch?.catch(() => undefined);
    return Promise.allSettled(
      environments.map((environment) =>
        this.#ensure(tenantId, environment.environmentId, environment.revision, batch),
      ),
    );
  }

  async #load(
    tenantId: string,
    environmentId: string,
    minRevision: number,
    batch?: Promise<Map<string, Fetched>>,
  ): Promise<Snapshot | null> {
    const previous = this.#snapshots.get(environmentId);
    const batched = batch && (await batch);
    const fetched = batched?.has(environmentId)
      ? batched.get(environmentId)!
      : await this.#fetch(tenantId, environmentId, minRevision, previous);
    if (!fetched) {
      this.#remove(environmentId);
      return null;
    }
    const { data, from } = fetched;
    if (previous && previous.revision >= data.revision) return previous;
    let snapshot: Snapshot;
    try {
      snapshot = await this.#buildOn(data, previous);
    } catch (error) {
      this.#log.warn(
        { err: error, environmentId, revision: data.revision },
        'snapshot not built; serving the last good one',
      );
      this.#events.buildFailed?.(environmentId, error);
      throw error;
    }
    // A build takes turns with other work: a newer snapshot may have landed meanwhile.
    const current = this.#snapshots.get(environmentId);
    if (current && current.revision >= snapshot.revision) return current;
    this.#snapshots.set(environmentId, snapshot);
    this.version++;
    this.#log.debug({ environmentId, revision: snapshot.revision, from }, 'snapshot loaded');
    this.#events.loaded?.(snapshot, from);
    void this.#cache?.publishServed(environmentId, snapshot.revision);
    if (from === 'database') {
      // A load of only what changed is shared whole once built: the cache always holds the newest state.
      if (!isComplete(data)) void this.#cache?.set(dataOf(snapshot));
      // A batch is of the whole list, which its caller remembered at once.
      if (!batch)
        void this.#cache?.rememberEnvironments([{ environmentId, tenantId, revision: snapshot.revision }]);
    }
    return snapshot;
  }

  #remove(environmentId: string): void {
    if (!this.#snapshots.delete(environmentId)) return;
    this.version++;
    this.#events.removed?.(environmentId);
  }

  /**
   * Redis's whole snapshot when it is new enough; else Postgres, which sends only the configurations written
   * since the snapshot this replica has. Only a whole one is shared through Redis.
   */
  async #fetch(
    tenantId: string,
    environmentId: string,
    minRevision: number,
    previous: Snapshot | undefined,
  ): Promise<Fetched> {
    const cached = await this.#cached(tenantId, environmentId, minRevision, previous);
    if (cached) return { data: cached, from: 'cache' };
    const data = await this.#source.load(tenantId, environmentId, previous?.revision);
    if (data && isComplete(data)) void this.#cache?.set(data);
    return data && { data, from: 'database' };
  }

  /** #fetch for several environments of a tenant: the cache's copies, and the rest in one read of Postgres. */
  async #fetchTenant(
    tenantId: string,
    environments: readonly EnvironmentRevision[],
  ): Promise<Map<string, Fetched>> {
    const fetched = new Map<string, Fetched>();
    const misses: EnvironmentRequest[] = [];
    await Promise.all(
      environments.map(async ({ environmentId, revision }) => {
        const previous = this.#snapshots.get(environmentId);
        const cached = await this.#cached(tenantId, environmentId, revision, previous);
        if (cached) fetched.set(environmentId, { data: cached, from: 'cache' });
        else misses.push({ environmentId, since: previous?.revision });
      }),
    );
    if (misses.length === 0) return fetched;
    let loaded: Map<string, SnapshotData>;
    try {
      loaded = this.#source.loadMany
        ? await this.#source.loadMany(tenantId, misses)
        : await this.#loadEach(tenantId, misses);
    } catch (error) {
      // What the cache had still serves; the rest fetch one by one, and fail one by one.
      this.#log.debug({ err: error, tenantId }, 'batched load failed');
      return fetched;
    }
    for (const { environmentId } of misses) {
      const data = loaded.get(environmentId) ?? null;
      if (data && isComplete(data)) void this.#cache?.set(data);
      fetched.set(environmentId, data && { data, from: 'database' });
    }
    return fetched;
  }

  async #loadEach(
    tenantId: string,
    requests: readonly EnvironmentRequest[],
  ): Promise<Map<string, SnapshotData>> {
    const loaded = await Promise.all(
      requests.map((request) => this.#source.load(tenantId, request.environmentId, request.since)),
    );
    return new Map(loaded.flatMap((data) => (data ? [[data.environmentId, data] as const] : [])));
  }

  /** The cache's copy when it is of this tenant, at `minRevision` or newer, and newer than `previous`. */
  async #cached(
    tenantId: string,
    environmentId: string,
    minRevision: number,
    previous: Snapshot | undefined,
  ): Promise<SnapshotData | null> {
    const cached = await this.#cache?.get(
      environmentId,
      Math.max(minRevision, (previous?.revision ?? -1) + 1),
    );
    return cached && cached.tenantId === tenantId && cached.revision >= minRevision ? cached : null;
  }

  /** Builds on `previous`; when a flag the load left out is not there after all, loads the environment whole. */
  async #buildOn(data: SnapshotData, previous: Snapshot | undefined): Promise<Snapshot> {
    try {
      return await this.#build(data, previous);
    } catch (error) {
      if (!(error instanceof MissingBaseError)) throw error;
      const whole = await this.#source.load(data.tenantId, data.environmentId);
      if (!whole) throw error;
      return this.#build(whole, previous);
    }
  }
}
