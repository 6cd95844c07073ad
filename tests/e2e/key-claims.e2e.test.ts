import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isOlder } from '../../core/src/index.ts';
import { eventually } from '../support/eventually.ts';
import { kubectlJson, waitForCondition } from '../support/kubectl.ts';
import { E2EStack, environmentManifest } from './e2e-stack.ts';

// Two FeatureFlags claiming one key, created in one `kubectl apply` (the same instant) twenty times over,
// reconciled concurrently by one operator: the older keeps the key every time, the other shows KeyConflict,
// Postgres is never blamed, and the reconciles are counted so a retry loop would show.

const ROUNDS = 20;

interface Flag {
  metadata: { name: string; uid: string; generation: number; creationTimestamp: string };
  status?: {
    conditions?: {
      type: string;
      status: string;
      reason: string;
      message: string;
      observedGeneration: number;
    }[];
  };
}

const claim = (name: string, key: string) => `
apiVersion: flags.exclusive-change.io/v1alpha1
kind: FeatureFlag
metadata: { name: ${name} }
spec: { key: ${key}, variants: { "on": true, "off": false }, defaultVariant: "off" }
`;

/** The operator's reconcile counters for FeatureFlags, by result. */
async function reconciles(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts: Record<string, number> = { success: 0, error: 0 };
  for (const match of text.matchAll(
    /^xc_operator_reconciles_total\{kind="FeatureFlag",result="(\w+)"\} (\d+)/gm,
  ))
    counts[match[1]!] = Number(match[2]);
  return counts;
}

const synced = (flag: Flag) =>
  flag.status?.conditions?.find(
    (condition) => condition.type === 'Synced' && condition.observedGeneration === flag.metadata.generation,
  );

describe('two FeatureFlags claiming one key', () => {
  let stack: E2EStack;

  beforeAll(async () => {
    stack = await E2EStack.start({ evaluators: 0 });
    await stack.apply(environmentManifest());
    await waitForCondition('environment/production', stack.namespace);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it(`created at the same instant ${ROUNDS} times: the older keeps the key, the other is KeyConflict, no retry loop`, async () => {
    const operatorUrl = stack.operators[0]!.url;
    const before = await reconciles(operatorUrl);
    for (let round = 0; round < ROUNDS; round++) {
      const names = [`claim-${round}-a`, `claim-${round}-b`];
      // the manifest order alternates, so creation order is not always name order
      if (round % 2 === 1) names.reverse();
      await stack.apply(names.map((name) => claim(name, `shared-${round}`)).join('\n---\n'));
    }
    const flags = await eventually(
      async () =>
        (await kubectlJson<{ items: Flag[] }>(['get', 'featureflags', '-n', stack.namespace, '-o', 'json']))
          .items,
      // settled: every flag reports, and each key has one holder. A younger flag reconciled first holds its key
      // (Synced) until the older one's reconcile takes it over and re-queues it (KeyConflict): only the end
      // state is the contract
      (items) =>
        items.length === 2 * ROUNDS &&
        items.every((flag) => synced(flag) !== undefined) &&
        items.filter((flag) => synced(flag)!.reason === 'Synced').length === ROUNDS,
      60_000,
    );
    const owner = await stack.owner();
    const rows = await owner.query<{ key: string; source_uid: string }>(
      "SELECT key, source_uid FROM flags WHERE status <> 'archived'",
    );
    const holders = new Map(rows.rows.map((row) => [row.key, row.source_uid]));
    for (let round = 0; round < ROUNDS; round++) {
      const [a, b] = [`claim-${round}-a`, `claim-${round}-b`].map((name) =>
        flags.find((flag) => flag.metadata.name === name)!,
      ) as [Flag, Flag];
      const [older, younger] = isOlder(a.metadata, b.metadata) ? [a, b] : [b, a];
      expect({ round, older: synced(older)!.reason, younger: synced(younger)!.reason }).toEqual({
        round,
        older: 'Synced',
        younger: 'KeyConflict',
      });
      expect(synced(younger)!.message).toBe(
        `key "shared-${round}" belongs to FeatureFlag "${older.metadata.name}", which is older`,
      );
      expect(holders.get(`shared-${round}`)).toBe(older.metadata.uid);
    }
    const events = await kubectlJson<{ items: { reason: string }[] }>([
      'get',
      'events',
      '-n',
      stack.namespace,
      '-o',
      'json',
    ]);
    expect(events.items.filter((event) => event.reason === 'DatabaseUnavailable')).toEqual([]);
    // settled: a loop would keep counting
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = await reconciles(operatorUrl);
    const counted = { success: after.success! - before.success!, error: after.error! - before.error! };
    console.log(`key claims: ${2 * ROUNDS} FeatureFlags, reconciles ${JSON.stringify(counted)}`);
    // one reconcile each on creation, one more for each younger flag displaced; a few 409s on stale status writes
    expect(counted.success + counted.error).toBeLessThanOrEqual(3 * 2 * ROUNDS);
    expect(await reconciles(operatorUrl)).toEqual(after);
  }, 180_000);
});
