import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The shared test services' processes: Postgres (postmaster and its backends), Redis, etcd, kube-apiserver. */
function servicePids(): number[] {
  const pidFile = (path: string) =>
    existsSync(path) ? [Number(readFileSync(path, 'utf8').split('\n')[0])] : [];
  const services = process.env.XC_SERVICES_DIR ?? '';
  const controlPlane = process.env.XC_CONTROL_PLANE_DIR ?? '';
  const postmaster = pidFile(join(services, 'pg', 'postmaster.pid'));
  const backends = postmaster.flatMap((pid) => {
    try {
      return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  });
  return [
    ...postmaster,
    ...backends,
    ...pidFile(join(services, 'redis.pid')),
    ...pidFile(join(controlPlane, 'etcd.pid')),
    ...pidFile(join(controlPlane, 'apiserver.pid')),
  ].filter((pid) => pid > 0);
}

const pin = (pids: number[], cpus: string) => {
  for (const pid of pids) {
    try {
      execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    } catch {
      // gone meanwhile
    }
  }
};

/**
 * Moves the shared test services, and this process, onto `cpus` for a measurement, so that the process measured
 * has its core to itself (in production the database and the control plane run elsewhere); returns how to let
 * them back onto `all`. Postgres backends started meanwhile inherit the postmaster's placement, and processes
 * this one starts inherit its own.
 */
export function moveServicesTo(cpus: string, all: string): () => void {
  pin([process.pid, ...servicePids()], cpus);
  return () => pin([process.pid, ...servicePids()], all);
}
