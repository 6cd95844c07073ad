import { execFileSync } from 'node:child_process';

/**
 * Runs one of the test scripts' `up` (services.sh, control-plane.sh), takes its exports into this process's
 * environment, and tells whether this call started it (so the bench stops only what it started).
 */
function up(script: string, startedVariable: string): { started: boolean } {
  const exports = execFileSync('bash', [script, 'up'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let started = false;
  for (const line of exports.split('\n')) {
    const match = /^export (\w+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    process.env[match[1]!] = match[2]!;
    if (match[1] === startedVariable) started = true;
  }
  return { started };
}

const down = (script: string) => execFileSync('bash', [script, 'down'], { stdio: 'inherit' });

/** Private Postgres and Redis (tests/services/services.sh). */
export const ensureServices = () => up('tests/services/services.sh', 'XC_SERVICES_STARTED');
export const stopServices = () => down('tests/services/services.sh');

/** The test control plane (tests/control-plane/control-plane.sh). */
export const ensureControlPlane = () =>
  up('tests/control-plane/control-plane.sh', 'XC_CONTROL_PLANE_STARTED');
export const stopControlPlane = () => down('tests/control-plane/control-plane.sh');
