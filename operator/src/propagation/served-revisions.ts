import type { Redis } from 'ioredis';
import { servedKey, servedRevisionSchema, type ServedRevision } from '../../../core/src/index.ts';

/** Reads what each evaluator replica reports serving (`xc:served:{environmentId}`), in one round trip. */
export async function readServedRevisions(
  redis: Redis,
  environmentIds: readonly string[],
): Promise<Map<string, ServedRevision[]>> {
  const pipeline = redis.pipeline();
  for (const environmentId of environmentIds) pipeline.hgetall(servedKey(environmentId));
  const replies = (await pipeline.exec()) ?? [];
  const served = new Map<string, ServedRevision[]>();
  environmentIds.forEach((environmentId, index) => {
    const [error, fields] = replies[index] ?? [new Error('no reply'), null];
    if (error) throw error;
    const entries: ServedRevision[] = [];
    for (const raw of Object.values((fields ?? {}) as Record<string, string>)) {
      const parsed = servedRevisionSchema.safeParse(safeJson(raw));
      if (parsed.success) entries.push(parsed.data);
    }
    served.set(environmentId, entries);
  });
  return served;
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
