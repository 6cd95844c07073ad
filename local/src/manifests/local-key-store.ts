import { apiKeySecretName } from '../../../core/src/index.ts';
import { SecretNotOursError, type KeyStore } from '../../../operator/src/cluster/cluster.ts';
import type { CustomResource } from '../../../operator/src/kube/custom-resource.ts';
import { LocalApiError } from './local-api-error.ts';
import type { StoredKey } from './local-state.ts';

/** One line of `api-keys.json`: what a user needs to call the evaluator, nothing of our bookkeeping. */
export interface ApiKeyEntry {
  namespace: string;
  environment: string;
  name: string;
  key: string;
}

const secretIdOf = (environment: CustomResource, keyName: string): string =>
  `${environment.metadata.namespace}/${apiKeySecretName(environment.metadata.name, keyName)}`;

/**
 * The stand-in for API-key Secrets in local mode: each key is named as its Secret would be and owned by the
 * Environment's uid, and one held by another uid (an Environment deleted and created again) is never read or
 * touched. It does no I/O: `onChange` hears every change, and `apiKeysJson` is what to hand to users.
 */
export class LocalKeyStore implements KeyStore {
  readonly #keys: Map<string, StoredKey>;
  readonly #onChange: () => void;

  constructor(keys: readonly StoredKey[], onChange: () => void) {
    this.#keys = new Map(keys.map((key) => [`${key.namespace}/${key.secretName}`, key]));
    this.#onChange = onChange;
  }

  async read(environment: CustomResource, keyName: string): Promise<string | null> {
    const stored = this.#keys.get(secretIdOf(environment, keyName));
    if (!stored) return null;
    if (stored.environmentUid !== environment.metadata.uid)
      throw new SecretNotOursError(`key ${stored.secretName} belongs to another Environment`);
    return stored.key;
  }

  /** Stores a new key; 409 when one of that name is there already, as creating the Secret would. */
  async create(environment: CustomResource, keyName: string, key: string): Promise<string> {
    const { namespace, name, uid } = environment.metadata;
    const secretName = apiKeySecretName(name, keyName);
    const id = secretIdOf(environment, keyName);
    if (this.#keys.has(id)) throw new LocalApiError(409, `key ${secretName} already exists`);
    this.#keys.set(id, { namespace, environment: name, environmentUid: uid, name: keyName, secretName, key });
    this.#onChange();
    return secretName;
  }

  /** Removes the key for `keyName` if this Environment owns it; another's is left alone. */
  async delete(environment: CustomResource, keyName: string): Promise<void> {
    const id = secretIdOf(environment, keyName);
    if (this.#keys.get(id)?.environmentUid !== environment.metadata.uid) return;
    this.#keys.delete(id);
    this.#onChange();
  }

  /** Removes every key owned by `environmentUid`, as the garbage collector removes an owner's Secrets. */
  removeOwnedBy(environmentUid: string): void {
    let removed = false;
    for (const [id, key] of this.#keys)
      if (key.environmentUid === environmentUid) removed = this.#keys.delete(id);
    if (removed) this.#onChange();
  }

  /** What is saved to survive a restart. */
  toState(): StoredKey[] {
    return [...this.#keys.values()];
  }

  /** The content of `api-keys.json`: every key with where it belongs, in a stable order. */
  apiKeysJson(): string {
    const entries: ApiKeyEntry[] = [...this.#keys.values()]
      .map(({ namespace, environment, name, key }) => ({ namespace, environment, name, key }))
      .sort((a, b) =>
        `${a.namespace}/${a.environment}/${a.name}`.localeCompare(
          `${b.namespace}/${b.environment}/${b.name}`,
        ),
      );
    return `${JSON.stringify(entries, null, 2)}\n`;
  }
}
