import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What an OFREP event stream's URL stands for: one key's view of one environment, from one revision on. */
export interface StreamGrant {
  apiKeyId: string;
  environmentId: string;
  /** The revision the bulk response that handed out the URL was computed at. */
  revision: number;
  /** Seconds since the epoch after which the URL opens nothing. */
  expiresAt: number;
}

const MAC_BYTES = 18;

/**
 * Signs and checks stream URLs' tokens: HMAC-SHA256 over the grant with a secret every replica of a release
 * shares (STREAM_TOKEN_SECRET), so a client whose replica stopped reconnects to another with the same URL. A
 * token grants the stream it names and nothing else: no API key is in it, and the key it names must still be
 * active when the stream opens.
 */
export class StreamTokens {
  readonly #secret: Buffer;
  readonly #ttlSeconds: number;
  readonly #now: () => number;
  /** The last token issued per grant: a bulk response of an unchanged environment signs nothing. */
  readonly #issued = new Map<string, { expiresAt: number; token: string }>();

  constructor(options: { secret?: string | Buffer; ttlSeconds: number; now?: () => number }) {
    this.#secret = options.secret ? Buffer.from(options.secret) : randomBytes(32);
    this.#ttlSeconds = options.ttlSeconds;
    this.#now = options.now ?? Date.now;
  }

  /**
   * A token for `grant` (without its expiry, which is set here). The expiry is rounded up to a tenth of the
   * lifetime, so the bulk responses of one environment's revision hand out one URL for a while, not a new one
   * each time.
   */
  issue(grant: Omit<StreamGrant, 'expiresAt'>): string {
    const step = Math.max(1, Math.floor(this.#ttlSeconds / 10));
    const expiresAt = Math.ceil((this.#now() / 1000 + this.#ttlSeconds) / step) * step;
    const granted = `${grant.apiKeyId} ${grant.environmentId} ${grant.revision}`;
    const last = this.#issued.get(granted);
    if (last?.expiresAt === expiresAt) return last.token;
    const payload = Buffer.from(`${granted} ${expiresAt}`).toString('base64url');
    const token = `${payload}.${this.#mac(payload)}`;
    if (this.#issued.size >= 10_000) this.#issued.clear();
    this.#issued.set(granted, { expiresAt, token });
    return token;
  }

  /** The grant a token stands for, or null when it is malformed, forged or expired. */
  verify(token: string): StreamGrant | null {
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 512) return null;
    const payload = token.slice(0, dot);
    // The MAC's text, compared whole: decoding would ignore trailing characters that change the URL.
    const presented = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.#mac(payload));
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return null;
    const [apiKeyId, environmentId, revision, expiresAt] = Buffer.from(payload, 'base64url')
      .toString()
      .split(' ');
    const grant = {
      apiKeyId: apiKeyId ?? '',
      environmentId: environmentId ?? '',
      revision: Number(revision),
      expiresAt: Number(expiresAt),
    };
    if (!Number.isSafeInteger(grant.revision) || !Number.isSafeInteger(grant.expiresAt)) return null;
    return grant.expiresAt * 1000 > this.#now() ? grant : null;
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.#secret)
      .update(payload)
      .digest()
      .subarray(0, MAC_BYTES)
      .toString('base64url');
  }
}
