import { execFileSync } from 'node:child_process';

/** Starts (or reuses) the private Postgres and Redis of the test scripts and exports their URLs here. */
export function ensureServices(): { started: boolean } {
  const exports = execFileSync('bash', ['tests/services/services.sh', 'up'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let started = false;
  for (const line of exports.split('\n')) {
    const match = /^export (\w+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    process.env[match[1]!] = match[2]!;
    if (match[1] === 'XC_SERVICES_STARTED') started = true;
  }
  return { started };
}

export function stopServices(): void {
  execFileSync('bash', ['tests/services/services.sh', 'down'], { stdio: 'inherit' });
}
