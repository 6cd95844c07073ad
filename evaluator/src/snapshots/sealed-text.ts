import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Text sealed with an HMAC-SHA256 under a key of the release's (derived from STREAM_TOKEN_SECRET), for what the
 * evaluators leave in Redis and read back: a Redis writer who holds no key can neither forge a snapshot (a
 * flag served to every client) nor a key ring (a valid API key during a start without Postgres).
 */
export class TextSeal {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  seal(text: string): string {
    return `${this.#mac(text)}.${text}`;
  }

  /** The text, or null when the seal is missing or not ours. */
  open(sealed: string): string | null {
    const dot = sealed.indexOf('.');
    if (dot <= 0) return null;
    const text = sealed.slice(dot + 1);
    const presented = Buffer.from(sealed.slice(0, dot));
    const expected = Buffer.from(this.#mac(text));
    return presented.length === expected.length && timingSafeEqual(presented, expected) ? text : null;
  }

  #mac(text: string): string {
    return createHmac('sha256', this.#key).update(text).digest('base64url');
  }
}
