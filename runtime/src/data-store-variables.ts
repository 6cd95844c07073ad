import { accessSync, constants } from 'node:fs';
import { z } from 'zod';

/** A sentinel's address in REDIS_SENTINELS. */
export interface SentinelAddress {
  host: string;
  port: number;
}

const ADDRESS = /^(?<host>\[[0-9a-fA-F:]+\]|[^\s:,[\]]+):(?<port>\d{1,5})$/;

/** `host:port,host:port` (IPv6 in brackets) into addresses; null when an entry is not one. */
export function parseSentinels(list: string): SentinelAddress[] | null {
  const addresses: SentinelAddress[] = [];
  for (const entry of list.split(',').map((part) => part.trim())) {
    const match = ADDRESS.exec(entry);
    const port = Number(match?.groups?.port);
    if (!match?.groups || port < 1 || port > 65535) return null;
    addresses.push({ host: match.groups.host!.replace(/^\[|\]$/g, ''), port });
  }
  return addresses;
}

/**
 * The variables of TLS to Postgres and Redis and of Redis Sentinel, the same in both apps (spread into each
 * app's schema; `checkDataStoreVariables` checks how they combine).
 */
export const dataStoreVariables = {
  /** sslmode for a DATABASE_URL that has none (a Secret's URL, e.g. CloudNativePG's `uri`). */
  DATABASE_SSLMODE: z.enum(['disable', 'require', 'verify-ca', 'verify-full']).optional(),
  /** PEM file of the CA that signed Postgres's certificate (the chart mounts it from a Secret). */
  DATABASE_CA_FILE: z.string().min(1).optional(),
  /** PEM file of the CA that signed Redis's (and the sentinels') certificates: with rediss:// or sentinels. */
  REDIS_CA_FILE: z.string().min(1).optional(),
  /** Redis through Sentinel: `host:port,host:port`, instead of REDIS_URL. */
  REDIS_SENTINELS: z
    .string()
    .min(1)
    .transform((value, ctx) => {
      const addresses = parseSentinels(value);
      if (addresses) return addresses;
      ctx.addIssue({ code: 'custom', message: `must be host:port,host:port; got "${value}"` });
      return z.NEVER;
    })
    .optional(),
  /** The master's name the sentinels monitor (`sentinel monitor <name> …`). */
  REDIS_SENTINEL_MASTER: z.string().min(1).optional(),
  /** The sentinels' own password (`requirepass` in sentinel.conf), when they have one. */
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  /** The Redis servers' password behind Sentinel (with REDIS_URL, the URL carries it). */
  REDIS_PASSWORD: z.string().min(1).optional(),
};

interface DataStoreSettings {
  REDIS_URL?: string | undefined;
  DATABASE_CA_FILE?: string | undefined;
  REDIS_CA_FILE?: string | undefined;
  REDIS_SENTINELS?: SentinelAddress[] | undefined;
  REDIS_SENTINEL_MASTER?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
  REDIS_PASSWORD?: string | undefined;
}

function unreadable(path: string): string | null {
  try {
    accessSync(path, constants.R_OK);
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'unreadable';
  }
}

/** How the variables combine: one way to Redis, TLS only where it applies, CA files readable. */
export function checkDataStoreVariables(config: DataStoreSettings, ctx: z.RefinementCtx): void {
  const problem = (variable: string, message: string) =>
    ctx.addIssue({ code: 'custom', path: [variable], message });
  for (const variable of ['DATABASE_CA_FILE', 'REDIS_CA_FILE'] as const) {
    const path = config[variable];
    const code = path === undefined ? null : unreadable(path);
    if (code) problem(variable, `cannot read the CA file ${path} (${code})`);
  }
  const sentinel = config.REDIS_SENTINELS !== undefined;
  if (sentinel && config.REDIS_URL !== undefined)
    problem('REDIS_SENTINELS', 'set REDIS_URL or REDIS_SENTINELS, not both');
  if (sentinel && config.REDIS_SENTINEL_MASTER === undefined)
    problem('REDIS_SENTINEL_MASTER', 'is required with REDIS_SENTINELS (the monitored master name)');
  if (!sentinel)
    for (const name of ['REDIS_SENTINEL_MASTER', 'REDIS_SENTINEL_PASSWORD', 'REDIS_PASSWORD'] as const)
      if (config[name] !== undefined) problem(name, 'has no effect without REDIS_SENTINELS');
  // ioredis turns a URL's query into options applied before ours: `?tls=` would turn TLS off unnoticed
  if (config.REDIS_URL !== undefined && URL.canParse(config.REDIS_URL) && new URL(config.REDIS_URL).search)
    problem(
      'REDIS_URL',
      'takes no query parameters (they would override TLS and the timeouts); use REDIS_CA_FILE and the other variables',
    );
  if (config.REDIS_CA_FILE !== undefined && !sentinel && !config.REDIS_URL?.startsWith('rediss://'))
    problem('REDIS_CA_FILE', 'needs a rediss:// REDIS_URL (or REDIS_SENTINELS): redis:// is not TLS');
}
