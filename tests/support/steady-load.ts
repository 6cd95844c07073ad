// An open-loop load: requests sent on a fixed schedule whatever the answers' pace, so a stalled server shows as
// latency (requests wait on their sockets) rather than as fewer requests. Each latency runs from when the request
// went out: this process's own timer lateness is reported apart (lateMs), not blamed on the server.
// Usage: node tests/support/steady-load.ts '<json: SteadyLoadSpec>'  → prints a SteadyLoadResult as JSON
import { Agent, request } from 'node:http';
import type { SteadyLoadResult, SteadyLoadSpec } from './steady-load-runner.ts';

const spec = JSON.parse(process.argv[2]!) as SteadyLoadSpec;
const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
const target = new URL(spec.url);
const latencies: number[] = [];
let errors = 0;
let statuses: Record<number, number> = {};

let lateMs = 0;

function send(body: string, record: boolean): Promise<void> {
  const sent = performance.now();
  return new Promise((resolve) => {
    const outgoing = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...spec.headers,
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => {
          statuses = { ...statuses, [response.statusCode!]: (statuses[response.statusCode!] ?? 0) + 1 };
          if (response.statusCode !== 200) errors++;
          else if (record) latencies.push(performance.now() - sent);
          resolve();
        });
      },
    );
    outgoing.on('error', () => {
      errors++;
      resolve();
    });
    outgoing.end(body);
  });
}

const interval = 1000 / spec.rate;
const start = performance.now() + 50;
// The first second warms this process and its sockets up; its requests go out but are not counted.
const warmup = Math.round(spec.rate);
const total = warmup + Math.round(spec.rate * spec.seconds);
const pending: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const due = start + i * interval;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  if (i >= warmup) lateMs = Math.max(lateMs, performance.now() - due);
  pending.push(send(spec.bodies[i % spec.bodies.length]!, i >= warmup));
}
await Promise.all(pending);
agent.destroy();
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
console.log(
  JSON.stringify({
    sent: total - warmup,
    ok: latencies.length,
    errors,
    statuses,
    p50: at(0.5),
    p99: at(0.99),
    max: latencies.at(-1) ?? NaN,
    lateMs,
  } satisfies SteadyLoadResult),
);
