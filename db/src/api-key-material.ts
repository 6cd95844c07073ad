import { hash, randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const API_KEY_PREFIX = 'xc_live_';

function base62(bytes: Buffer): string {
  let value = BigInt(`0x${bytes.toString('hex')}`);
  let text = '';
  while (value > 0n) {
    text = BASE62[Number(value % 62n)] + text;
    value /= 62n;
  }
  return text.padStart(43, '0');
}

export interface ApiKeyMaterial {
  /** The secret itself: shown once (written to a Secret), never stored. */
  key: string;
  /** SHA-256 of the key: all Postgres ever holds. */
  hash: Buffer;
  /** The first characters, safe to display and log. */
  prefix: string;
}

export function hashApiKey(key: string): Buffer {
  return hash('sha256', key, 'buffer');
}

/** The displayable start of a key: `xc_live_` and four more characters. */
export function keyPrefix(key: string): string {
  return key.slice(0, API_KEY_PREFIX.length + 4);
}

/** A fresh key: `xc_live_` + 32 random bytes in base62 (43 characters). */
export function generateApiKey(): ApiKeyMaterial {
  const key = API_KEY_PREFIX + base62(randomBytes(32));
  return { key, hash: hashApiKey(key), prefix: keyPrefix(key) };
}
