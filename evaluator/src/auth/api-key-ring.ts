import { hash, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ApiKeyIdentity } from '../../../db/src/evaluator-reads.ts';

/** What a valid API key stands for: one tenant and one environment. */
export type Identity = Readonly<ApiKeyIdentity>;

export const API_KEY_PATTERN = /^xc_live_[0-9A-Za-z]{20,64}$/;

export interface KeySource {
  listActive(): Promise<ApiKeyIdentity[]>;
  find(keyHash: Buffer): Promise<ApiKeyIdentity | null>;
}

export interface KeyRingOptions {
  /** Database look-ups of keys not in memory, per second, across all requests: floods of bad keys stop here. */
  unknownLookupsPerSecond: number;
  negativeCacheSize?: number;
  negativeCacheTtlMs?: number;
  now?: () => number;
}

/**
 * Every active key's SHA-256, in memory, refreshed from Postgres. A request's key is hashed and looked up
 * here; only a well-formed key that is not known causes a database look-up, at most `unknownLookupsPerSecond`
 * of them, and a miss is remembered (bounded LRU) so repeating a bad key costs nothing.
 */
export class ApiKeyRing {
  #byHash = new Map<string, Identity>();
  #byId = new Map<string, Identity>();
  /** Bumped by every reload: a connection's remembered key is trusted only within the same version. */
  #version = 0;
  readonly #byConnection = new WeakMap<object, { key: Buffer; identity: Identity; version: number }>();
  #unknown: LRUCache<string, true>;
  #bucket: { tokens: number; refilledAt: number };
  readonly #source: KeySource;
  readonly #options: Required<KeyRingOptions>;
  databaseLookups = 0;
  /** Keys hashed so far (what `resolveOn` saves is visible here). */
  keysHashed = 0;

  constructor(source: KeySource, options: KeyRingOptions) {
    this.#source = source;
    this.#options = { negativeCacheSize: 10_000, negativeCacheTtlMs: 30_000, now: Date.now, ...options };
    this.#unknown = new LRUCache({
      max: this.#options.negativeCacheSize,
      ttl: this.#options.negativeCacheTtlMs,
    });
    this.#bucket = { tokens: options.unknownLookupsPerSecond, refilledAt: this.#options.now() };
  }

  /** Replaces the whole ring with the active keys in Postgres (start-up, the revision poll, a keysChanged message). */
  async reload(): Promise<void> {
    this.restore(await this.#source.listActive());
  }

  /** Replaces the whole ring with `keys` (Postgres's, or the last good ring Redis kept while Postgres is down). */
  restore(keys: readonly ApiKeyIdentity[]): void {
    const identities = keys.map((key) => Object.freeze(key));
    this.#byHash = new Map(identities.map((key) => [key.keyHash.toString('hex'), key]));
    this.#byId = new Map(identities.map((key) => [key.apiKeyId, key]));
    this.#unknown.clear();
    this.#version++;
  }

  /** Every key in the ring, as Postgres last listed them (and as the unknown-key look-ups added since). */
  entries(): Identity[] {
    return [...this.#byHash.values()];
  }

  /** The active key with this id (an event stream's URL names its key by id, never by its secret). */
  byId(apiKeyId: string): Identity | undefined {
    return this.#byId.get(apiKeyId);
  }

  /**
   * As `resolve`, remembering on `connection` (an object that lives as long as it: the socket) the last valid
   * key presented there, so a kept-alive connection's key is not hashed again on every request (SHA-256 was
   * the largest cost of ours per evaluation). The raw key stays in memory only as long as the connection, which
   * holds it in its request headers anyway; it is compared in constant time, since a proxy may carry several
   * clients' requests over one connection. A reload (a key revoked, say) forgets every remembered key.
   */
  resolveOn(connection: object, rawKey: string | undefined): Identity | null | Promise<Identity | null> {
    if (rawKey === undefined) return null;
    const last = this.#byConnection.get(connection);
    if (last?.version === this.#version) {
      const presented = Buffer.from(rawKey);
      if (presented.length === last.key.length && timingSafeEqual(presented, last.key)) return last.identity;
    }
    const version = this.#version;
    const remember = (identity: Identity | null) => {
      if (identity && version === this.#version)
        this.#byConnection.set(connection, { key: Buffer.from(rawKey), identity, version });
      return identity;
    };
    const resolved = this.resolve(rawKey);
    return resolved instanceof Promise ? resolved.then(remember) : remember(resolved);
  }

  /**
   * The identity of `rawKey`, or null for a missing, malformed, unknown or revoked key. Never throws. Answers
   * synchronously unless it must ask Postgres (a well-formed key not in memory, within the look-up budget).
   */
  resolve(rawKey: string | undefined): Identity | null | Promise<Identity | null> {
    if (rawKey === undefined || !API_KEY_PATTERN.test(rawKey)) return null;
    this.keysHashed++;
    const digest = hash('sha256', rawKey, 'buffer');
    const hex = digest.toString('hex');
    const known = this.#byHash.get(hex);
    if (known) return timingSafeEqual(known.keyHash, digest) ? known : null;
    if (this.#unknown.has(hex) || !this.#takeLookupToken()) return null;
    return this.#lookUp(digest, hex);
  }

  async #lookUp(digest: Buffer, hex: string): Promise<Identity | null> {
    this.databaseLookups++;
    const version = this.#version;
    try {
      const found = await this.#source.find(digest);
      // A reload meanwhile has the newer word on this key (it may have been revoked since this look-up began).
      if (version !== this.#version) return this.#byHash.get(hex) ?? null;
      if (!found) {
        this.#unknown.set(hex, true);
        return null;
      }
      const identity = Object.freeze(found);
      this.#byHash.set(hex, identity);
      this.#byId.set(identity.apiKeyId, identity);
      return identity;
    } catch {
      return null; // Postgres unreachable: an unknown key cannot be proven valid
    }
  }

  #takeLookupToken(): boolean {
    const now = this.#options.now();
    const rate = this.#options.unknownLookupsPerSecond;
    this.#bucket.tokens = Math.min(
      rate,
      this.#bucket.tokens + ((now - this.#bucket.refilledAt) / 1000) * rate,
    );
    this.#bucket.refilledAt = now;
    if (this.#bucket.tokens < 1) return false;
    this.#bucket.tokens -= 1;
    return true;
  }
}

/** The key a request presents: `X-API-Key: <key>` or `Authorization: Bearer <key>`. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const direct = headers['x-api-key'];
  if (typeof direct === 'string') return direct;
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && authorization.startsWith('Bearer '))
    return authorization.slice(7).trim();
  return undefined;
}
