import { apiKeySecretName } from '../contracts/resources.ts';
import type { ConditionUpdate, ResourceEvent } from './flag-decision.ts';

/** What a key may do besides being valid: its kind, and its own rate limit (null: the release's default). */
export interface KeySettings {
  kind: 'server' | 'client';
  rateLimitPerSecond: number | null;
}

/**
 * The API keys to create, to revoke and to change (a key keeps its secret when it becomes a client key or a
 * server key again, or gets another limit), so that the stored keys match the Environment's spec.
 */
export function planApiKeys<Stored extends KeySettings & { id: string; name: string }>(
  wanted: readonly (KeySettings & { name: string })[],
  stored: readonly Stored[],
): {
  create: (KeySettings & { name: string })[];
  revoke: string[];
  update: { key: Stored; settings: KeySettings }[];
} {
  const storedByName = new Map(stored.map((key) => [key.name, key]));
  const wantedNames = new Set(wanted.map((key) => key.name));
  return {
    create: wanted.filter((key) => !storedByName.has(key.name)),
    revoke: stored.filter((key) => !wantedNames.has(key.name)).map((key) => key.id),
    update: wanted.flatMap(({ name, ...settings }) => {
      const found = storedByName.get(name);
      if (!found) return [];
      const same = found.kind === settings.kind && found.rateLimitPerSecond === settings.rateLimitPerSecond;
      return same ? [] : [{ key: found, settings }];
    }),
  };
}

/** What reconciling an Environment did: the keys it holds now, and what it could not do. */
export interface EnvironmentOutcome {
  environmentName: string;
  keys: readonly { name: string; prefix: string; createdAt: string }[];
  /** Secrets in the way that another owner holds. */
  conflicts: readonly string[];
  /** Keys were issued, revoked or changed kind. */
  keysChanged: boolean;
  /** The environment row was created (or re-activated): every flag of the namespace must be written for it. */
  created: boolean;
}

export interface EnvironmentReport {
  conditions: ConditionUpdate[];
  apiKeys: { name: string; secretName: string; prefix: string; createdAt: string }[];
  event: ResourceEvent | null;
}

/** The decide step after an Environment's act: its conditions, its status keys and the Event to record. */
export function reportEnvironment(outcome: EnvironmentOutcome): EnvironmentReport {
  const apiKeys = outcome.keys.map((key) => ({
    name: key.name,
    secretName: apiKeySecretName(outcome.environmentName, key.name),
    prefix: key.prefix,
    createdAt: key.createdAt,
  }));
  if (outcome.conflicts.length > 0) {
    const conflicting = outcome.conflicts.join(', ');
    return {
      apiKeys,
      conditions: [
        {
          type: 'Synced',
          status: 'False',
          reason: 'SecretConflict',
          message: `not ours, left alone: ${conflicting}`,
        },
        {
          type: 'Ready',
          status: 'False',
          reason: 'SecretConflict',
          message: 'some API keys could not be issued',
        },
      ],
      event: {
        type: 'Warning',
        reason: 'SecretConflict',
        note: `Secrets not managed by this Environment: ${conflicting}`,
      },
    };
  }
  return {
    apiKeys,
    conditions: [
      { type: 'Synced', status: 'True', reason: 'Synced', message: `${apiKeys.length} API key(s)` },
      { type: 'Ready', status: 'True', reason: 'Synced', message: 'ready for evaluations' },
    ],
    event:
      outcome.keysChanged || outcome.created
        ? { type: 'Normal', reason: 'Synced', note: `${apiKeys.length} API key(s) issued` }
        : null,
  };
}
