import { createHash } from 'node:crypto';
import { canonicalSelector, matchesLabels, type LabelSelector } from '../../../core/src/index.ts';
import type { TenantFilter } from '../../../db/src/evaluator-reads.ts';

/** The tenants one evaluator serves: all of them, or an evaluator group's (TENANT_SELECTOR). */
export interface TenantGroup {
  /** Which tenants, by their namespaces' labels; undefined: every tenant. */
  serves?: TenantFilter;
  /** Names the group's own state in Redis: a digest of its canonical selector; undefined: every tenant. */
  id?: string;
  /** The canonical selector, for logs. */
  selector?: string;
}

export function tenantGroupOf(selector: LabelSelector | undefined): TenantGroup {
  if (!selector || selector.requirements.length === 0) return {};
  const canonical = canonicalSelector(selector);
  return {
    // a namespace whose labels are not recorded yet belongs to no group until they are
    serves: (labels) => labels !== null && matchesLabels(selector, labels),
    id: createHash('sha256').update(canonical).digest('hex').slice(0, 16),
    selector: canonical,
  };
}

/**
 * `work` run on demand, never twice at once: asked while it runs, it runs once more after, however many times it
 * was asked meanwhile (a burst of relabelled namespaces lists the tenants twice, not once per namespace).
 */
export function coalesced(work: () => Promise<void>, onError: (error: unknown) => void): () => void {
  let running = false;
  let again = false;
  const run = async () => {
    running = true;
    do {
      again = false;
      await work().catch(onError);
    } while (again);
    running = false;
  };
  return () => {
    if (running) again = true;
    else void run();
  };
}
