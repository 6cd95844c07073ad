import { describe, expect, it } from '@jest/globals';
import type { Identity } from '../auth/api-key-ring.ts';
import type { Snapshot } from '../snapshots/snapshot.ts';
import { StreamHub, type StreamSink } from './stream-hub.ts';

const identity = (apiKeyId: string, environmentId = 'env-1', tenantId = 'tenant-1'): Identity => ({
  apiKeyId,
  environmentId,
  tenantId,
  kind: 'client',
  rateLimitPerSecond: null,
  keyHash: Buffer.alloc(32),
});
const snapshot = (environmentId: string, revision: number, tenantId = 'tenant-1') =>
  ({ environmentId, revision, tenantId }) as Snapshot;

function sink(hub: StreamHub, who: Identity) {
  const heard: number[] = [];
  let remove = () => {};
  const stream: StreamSink & { heard: number[] } = {
    identity: who,
    heard,
    changed: (next) => heard.push(next.revision),
    close: () => remove(),
  };
  const admission = hub.add(stream);
  if (admission.ok) remove = admission.remove;
  return { stream, admission };
}

describe('StreamHub', () => {
  it("tells every stream of an environment, and only that environment's", () => {
    const hub = new StreamHub({ perReplica: 10, perKey: 10, perTenant: 10 });
    const a = sink(hub, identity('k1')).stream;
    const b = sink(hub, identity('k2')).stream;
    const other = sink(hub, identity('k3', 'env-2')).stream;
    hub.changed(snapshot('env-1', 5));
    hub.changed(snapshot('env-1', 6, 'another-tenant'));
    expect([a.heard, b.heard, other.heard]).toEqual([[5], [5], []]);
  });

  it('refuses beyond the per-key and the per-replica limit, and counts a closed stream out', () => {
    const hub = new StreamHub({ perReplica: 3, perKey: 2, perTenant: 10 });
    const first = sink(hub, identity('k1'));
    sink(hub, identity('k1'));
    expect(sink(hub, identity('k1')).admission).toMatchObject({
      ok: false,
      reason: expect.stringContaining('key'),
    });
    sink(hub, identity('k2'));
    expect(sink(hub, identity('k3')).admission).toMatchObject({
      ok: false,
      reason: expect.stringContaining('replica'),
    });
    first.stream.close();
    first.stream.close(); // twice: counted out once
    expect(hub.open).toBe(2);
    expect(sink(hub, identity('k1')).admission.ok).toBe(true);
  });

  it("refuses a tenant's keys together beyond the per-tenant limit, not another tenant's", () => {
    const hub = new StreamHub({ perReplica: 10, perKey: 10, perTenant: 2 });
    sink(hub, identity('a1'));
    sink(hub, identity('a2'));
    expect(sink(hub, identity('a3')).admission).toMatchObject({
      ok: false,
      reason: expect.stringContaining('tenant'),
    });
    expect(sink(hub, identity('b1', 'env-2', 'tenant-2')).admission.ok).toBe(true);
  });

  it('closes the streams of keys no longer valid, of a removed environment, and all of them', () => {
    const hub = new StreamHub({ perReplica: 10, perKey: 10, perTenant: 10 });
    sink(hub, identity('revoked'));
    sink(hub, identity('kept'));
    sink(hub, identity('kept', 'env-2'));
    hub.closeInvalid((who) => who.apiKeyId !== 'revoked');
    expect(hub.open).toBe(2);
    hub.closeEnvironment('env-2');
    expect(hub.open).toBe(1);
    hub.closeAll();
    expect(hub.open).toBe(0);
  });
});
