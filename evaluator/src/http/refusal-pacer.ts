import type { FastifyReply } from 'fastify';

/**
 * Answers a tenant's refused heavy requests (429, over its share of the replica) after a pause: a client that
 * ignores Retry-After and asks again at once would otherwise turn refusals into a flood that costs the other
 * tenants more than serving it did. At most `maxHeldPerTenant` answers wait per tenant; beyond that the answer
 * is immediate and closes the connection, so held requests cannot use up the replica's connections.
 */
export class RefusalPacer {
  readonly #held = new Map<string, number>();
  readonly #holdMs: number;
  readonly #maxHeldPerTenant: number;

  constructor(options: { holdMs: number; maxHeldPerTenant: number }) {
    this.#holdMs = options.holdMs;
    this.#maxHeldPerTenant = options.maxHeldPerTenant;
  }

  pace(
    tenant: string,
    reply: FastifyReply,
    answer: () => FastifyReply,
  ): FastifyReply | Promise<FastifyReply> {
    const held = this.#held.get(tenant) ?? 0;
    if (held >= this.#maxHeldPerTenant) return answer().header('connection', 'close');
    this.#held.set(tenant, held + 1);
    return new Promise((resolve) =>
      setTimeout(() => {
        const left = this.#held.get(tenant)! - 1;
        if (left === 0) this.#held.delete(tenant);
        else this.#held.set(tenant, left);
        resolve(answer());
      }, this.#holdMs),
    );
  }
}
