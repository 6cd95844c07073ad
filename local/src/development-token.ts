import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';

/** The management API's settings in local mode when none are given: a development token's. */
export const DEVELOPMENT_AUDIENCE = 'exclusive-change-local';
export const DEVELOPMENT_SUBJECT = 'local-developer';
const SECRET_FILE = 'management-secret';
export const TOKEN_FILE = 'management-token';

export interface DevelopmentToken {
  secret: string;
  token: string;
  tokenFile: string;
}

async function secretIn(home: string): Promise<string> {
  const path = join(home, SECRET_FILE);
  const existing = await readFile(path, 'utf8').catch(() => null);
  if (existing && existing.trim().length >= 32) return existing.trim();
  const secret = randomBytes(32).toString('hex');
  await writeFile(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/**
 * A token for the local management API: HS256 with a secret generated once under the local home, editor of
 * every tenant, valid for 30 days and signed afresh at every start, written to `management-token` (0600).
 */
export async function developmentToken(home: string): Promise<DevelopmentToken> {
  const secret = await secretIn(home);
  const token = await new SignJWT({ tenants: { '*': 'editor' } })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(DEVELOPMENT_SUBJECT)
    .setAudience(DEVELOPMENT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('30d')
    .sign(new TextEncoder().encode(secret));
  const tokenFile = join(home, TOKEN_FILE);
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  return { secret, token, tokenFile };
}
