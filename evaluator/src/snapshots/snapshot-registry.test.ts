import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { DEFAULT_RULE_LIMITS, resolveFlagConfig, validateFeatureFlagSpec } from '../../../core/src/index.ts';
import type { FlagConfigEntry } from '../../../db/src/evaluator-reads.ts';
import { buildSnapshotNow, type SnapshotData } from './snapshot.ts';
import { SnapshotRegistry, type SnapshotCache, type SnapshotSource } from './snapshot-registry.ts';

const configText = (key: string, percentage: number) => {
  const spec = validateFeatureFlagSpec({ rollout: { percentage } });
  if (!spec.ok) throw new Error('bad spec');
  return JSON.stringify(resolveFlagConfig({ key, spec: spec.value }, 'production'));
};

/** An environment in memory: flags with the revision that last wrote them, served the way Postgres serves them. */
class FakeSource implements SnapshotSource {
  revision = 0;
  flags = new Map<string, { revision: number; config: string }>();
  loads: (number | undefined)[] = [];
  /** Makes the next load leave out a flag's text although it changed: a base the registry does not have. */
  lieOnce = false;

  put(key: string, percentage: number) {
    this.revision++;
    this.flags.set(key, { revision: this.revision, config: configText(key, percentage) });
  }

  async listEnvironments() {
    return [{ environmentId: 'env', tenantId: 'tenant', revision: this.revision }];
  }

  async load(_tenant: string, _environment: string, since = -1): Promise<SnapshotData> {
    this.loads.push(since);
    const lie = this.lieOnce;
    this.lieOnce = false;
    const flags: FlagConfigEntry[] = [...this.flags]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, { revision, config }]) =>
        revision > since && !lie ? { key, revision, config } : { key, revision },
      );
    return {
      tenantId: 'tenant',
      environmentId: 'env',
      revision: this.revision,
      corsAllowedOrigins: [],
      flags,
    };
  }
}

function registry(source: SnapshotSource, build = buildNow) {
  return new SnapshotRegistry({ source, cache: null, log: pino({ level: 'silent' }), build });
}

async function buildNow(data: SnapshotData, previous: Parameters<typeof buildSnapshotNow>[1]['previous']) {
  return buildSnapshotNow(data, { limits: DEFAULT_RULE_LIMITS, previous, builtAt: 0 });
}

describe('SnapshotRegistry', () => {
  it('loads only what changed since its snapshot, and reuses every unchanged compiled flag', async () => {
    const source = new FakeSource();
    source.put('a', 10);
    source.put('b', 20);
    const snapshots = registry(source);
    const first = (await snapshots.ensure('tenant', 'env', source.revision))!;
    source.put('b', 30);
    const second = (await snapshots.ensure('tenant', 'env', source.revision))!;
    expect(source.loads).toEqual([-1, 2]);
    expect(second.flags.get('a')).toBe(first.flags.get('a'));
    expect(second.flags.get('b')).not.toBe(first.flags.get('b'));
    expect(second.flags.get('b')!.config.rollout!.percentage).toBe(30);
  });

  it('drops a flag the environment no longer has', async () => {
    const source = new FakeSource();
    source.put('a', 10);
    source.put('b', 20);
    const snapshots = registry(source);
    await snapshots.ensure('tenant', 'env', source.revision);
    source.flags.delete('a');
    source.revision++;
    const snapshot = (await snapshots.ensure('tenant', 'env', source.revision))!;
    expect([...snapshot.flags.keys()]).toEqual(['b']);
  });

  it('loads the environment whole when a flag left out of a partial load is not in its snapshot', async () => {
    const source = new FakeSource();
    source.put('a', 10);
    const snapshots = registry(source);
    await snapshots.ensure('tenant', 'env', source.revision);
    source.put('a', 50);
    source.lieOnce = true;
    const snapshot = (await snapshots.ensure('tenant', 'env', source.revision))!;
    expect(source.loads).toEqual([-1, 1, -1]);
    expect(snapshot.flags.get('a')!.config.rollout!.percentage).toBe(50);
  });

  it('keeps serving the last good snapshot when a build fails', async () => {
    const source = new FakeSource();
    source.put('a', 10);
    let fail = false;
    const snapshots = registry(source, (data, previous) =>
      fail ? Promise.reject(new Error('no memory left')) : buildNow(data, previous),
    );
    const good = (await snapshots.ensure('tenant', 'env', source.revision))!;
    fail = true;
    source.put('a', 90);
    await expect(snapshots.ensure('tenant', 'env', source.revision)).rejects.toThrow('no memory left');
    expect(snapshots.get('env')).toBe(good);
  });

  it('loads a change that lands while a build runs, once that build is done', async () => {
    const source = new FakeSource();
    source.put('a', 10);
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => (release = resolve));
    let builds = 0;
    const snapshots = registry(source, async (data, previous) => {
      if (builds++ === 0) await slow;
      return buildNow(data, previous);
    });
    const older = snapshots.ensure('tenant', 'env', 1);
    await new Promise((resolve) => setImmediate(resolve)); // the first load has read revision 1
    source.put('a', 20);
    const refreshed = snapshots.refreshAll();
    release();
    expect((await older)!.revision).toBe(1);
    await refreshed;
    expect(snapshots.get('env')!.revision).toBe(2);
    expect(snapshots.get('env')!.flags.get('a')!.config.rollout!.percentage).toBe(20);
  });
});

/** Environments of several tenants, each with one flag, read the way PostgresSnapshotSource reads them. */
class TenantsSource implements SnapshotSource {
  readonly environments: { tenantId: string; environmentId: string; revision: number }[] = [];
  singleLoads = 0;
  batches: string[] = [];
  loadingNow = 0;
  mostLoadingAtOnce = 0;
  failBatches = false;

  constructor(tenants: number, environmentsEach: number) {
    for (let t = 0; t < tenants; t++)
      for (let e = 0; e < environmentsEach; e++)
        this.environments.push({ tenantId: `t${t}`, environmentId: `t${t}-e${e}`, revision: 1 });
  }

  async listEnvironments() {
    return this.environments;
  }

  #data(tenantId: string, environmentId: string): SnapshotData | null {
    const environment = this.environments.find((one) => one.environmentId === environmentId);
    if (!environment || environment.tenantId !== tenantId) return null;
    return {
      tenantId,
      environmentId,
      revision: environment.revision,
      corsAllowedOrigins: [],
      flags: [{ key: 'flag', revision: 1, config: configText('flag', 10) }],
    };
  }

  async load(tenantId: string, environmentId: string) {
    this.singleLoads++;
    return this.#data(tenantId, environmentId);
  }

  async loadMany(tenantId: string, requests: readonly { environmentId: string }[]) {
    this.batches.push(tenantId);
    this.mostLoadingAtOnce = Math.max(this.mostLoadingAtOnce, ++this.loadingNow);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.loadingNow--;
    if (this.failBatches) throw new Error('Postgres is down');
    const loaded = new Map<string, SnapshotData>();
    for (const { environmentId } of requests) {
      const data = this.#data(tenantId, environmentId);
      if (data) loaded.set(environmentId, data);
    }
    return loaded;
  }
}

/** A cache holding a copy of some environments. */
function cacheOf(copies: SnapshotData[]): SnapshotCache {
  const byId = new Map(copies.map((data) => [data.environmentId, data]));
  return {
    get: async (environmentId, minRevision) => {
      const data = byId.get(environmentId);
      return data && data.revision >= minRevision ? data : null;
    },
    set: async () => undefined,
    forget: async () => undefined,
    publishServed: async () => undefined,
    rememberEnvironments: async () => undefined,
    lastEnvironments: async () => null,
  };
}

describe('SnapshotRegistry loading many environments', () => {
  it('reads each tenant’s environments in one batch, a few tenants at a time', async () => {
    const source = new TenantsSource(12, 3);
    const snapshots = registry(source);
    await snapshots.refreshAll();
    expect([...snapshots.all()].map((snapshot) => snapshot.environmentId).sort()).toEqual(
      source.environments.map((environment) => environment.environmentId).sort(),
    );
    expect(source.batches.sort()).toEqual(Array.from({ length: 12 }, (_, t) => `t${t}`).sort());
    expect(source.singleLoads).toBe(0);
    expect(source.mostLoadingAtOnce).toBeGreaterThan(1);
    expect(source.mostLoadingAtOnce).toBeLessThanOrEqual(4);
  });

  it('takes the cache’s copies and reads only the rest from Postgres', async () => {
    const source = new TenantsSource(1, 3);
    const copy = (await source.load('t0', 't0-e1'))!;
    source.singleLoads = 0;
    const from: string[] = [];
    const withEvents = new SnapshotRegistry({
      source,
      cache: cacheOf([copy]),
      log: pino({ level: 'silent' }),
      build: buildNow,
      events: { loaded: (snapshot, origin) => from.push(`${snapshot.environmentId}:${origin}`) },
    });
    await withEvents.refreshAll();
    expect(from.sort()).toEqual(['t0-e0:database', 't0-e1:cache', 't0-e2:database']);
    expect(source.singleLoads).toBe(0);
    expect(source.batches).toEqual(['t0']);
  });

  it('serves what the cache has when the batched read fails, and reports the rest as failed', async () => {
    const source = new TenantsSource(1, 2);
    const copy = (await source.load('t0', 't0-e0'))!;
    source.failBatches = true;
    source.load = async () => {
      throw new Error('Postgres is down');
    };
    const snapshots = new SnapshotRegistry({
      source,
      cache: cacheOf([copy]),
      log: pino({ level: 'silent' }),
      build: buildNow,
    });
    await snapshots.refreshAll();
    expect(snapshots.get('t0-e0')?.revision).toBe(1);
    expect(snapshots.get('t0-e1')).toBeUndefined();
  });
});
