import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { LeaderElection } from '../cluster/cluster.ts';
import { isConflict, isNotFound } from './kube-errors.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  /** controller-runtime's defaults: 15 s lease, 10 s renew deadline, 2 s retry period. */
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  now?: () => number;
}

/**
 * Leader election on a coordination.k8s.io Lease, client-go's algorithm: take the Lease when it is free or
 * expired, renew it every retry period, and give leadership up when renewals fail for the renew deadline.
 * Every write carries the resourceVersion it read, so two candidates never both win.
 */
export class LeaderElector implements LeaderElection {
  readonly #api: CoordinationV1Api;
  readonly #log: Logger;
  readonly #options: Required<LeaderElectionOptions>;
  #leading = false;
  #lastRenewal = 0;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(kubeConfig: KubeConfig, log: Logger, options: LeaderElectionOptions) {
    this.#api = kubeConfig.makeApiClient(CoordinationV1Api);
    this.#log = log;
    this.#options = {
      leaseDurationSeconds: 15,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      now: Date.now,
      ...options,
    };
  }

  get leading(): boolean {
    return this.#leading;
  }

  /** Campaigns until stopped; calls `started` on gaining leadership and `stopped` on losing it. */
  run(callbacks: { started: () => Promise<void> | void; stopped: () => Promise<void> | void }): void {
    const tick = async () => {
      if (this.#stopped) return;
      const held = await this.#tryAcquireOrRenew().catch((error: unknown) => {
        this.#log.warn({ err: error }, 'lease not renewed');
        return false;
      });
      const now = this.#options.now();
      if (held) this.#lastRenewal = now;
      if (held && !this.#leading) {
        this.#leading = true;
        this.#log.info({ identity: this.#options.identity }, 'became the leader');
        await callbacks.started();
      } else if (!held && this.#leading && now - this.#lastRenewal > this.#options.renewDeadlineMs) {
        this.#leading = false;
        this.#log.warn('lost the lease; standing by');
        await callbacks.stopped();
      }
      if (!this.#stopped) this.#timer = setTimeout(() => void tick(), this.#options.retryPeriodMs);
    };
    void tick();
  }

  /** Stops campaigning and, when leading, releases the Lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (!this.#leading) return;
    this.#leading = false;
    try {
      const lease = await this.#read();
      if (lease?.spec?.holderIdentity === this.#options.identity) {
        await this.#replace({
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: undefined,
            renewTime: new V1MicroTime(0),
            leaseDurationSeconds: 1,
          },
        });
      }
    } catch (error) {
      this.#log.warn({ err: error }, 'lease not released; another replica takes over when it expires');
    }
  }

  async #read(): Promise<V1Lease | null> {
    try {
      return await this.#api.readNamespacedLease({
        name: this.#options.name,
        namespace: this.#options.namespace,
      });
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  #replace(lease: V1Lease): Promise<V1Lease> {
    return this.#api.replaceNamespacedLease({
      name: this.#options.name,
      namespace: this.#options.namespace,
      body: lease,
    });
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { identity, name, namespace, leaseDurationSeconds } = this.#options;
    const now = new V1MicroTime(this.#options.now());
    const lease = await this.#read();
    if (!lease) {
      try {
        await this.#api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds,
              acquireTime: now,
              renewTime: now,
              leaseTransitions: 0,
            },
          },
        });
        return true;
      } catch (error) {
        if (isConflict(error)) return false;
        throw error;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity;
    const expiresAt =
      (spec.renewTime ? new Date(spec.renewTime).getTime() : 0) +
      (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (holder && holder !== identity && expiresAt > this.#options.now()) return false;
    const taking = holder !== identity;
    try {
      await this.#replace({
        ...lease,
        spec: {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds,
          renewTime: now,
          ...(taking ? { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
        },
      });
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }
}
