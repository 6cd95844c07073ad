// One autocannon run in a process of its own (pinned to its own core by the caller), so the load generator
// neither shares an event loop with the bench driver nor carries state from one run to the next.
// Usage: node bench/support/load.ts '<json: {url, headers, bodies, connections, seconds}>'  → prints JSON
import autocannon from 'autocannon';
import type { LoadResult, LoadSpec } from './run-load.ts';

const { url, headers, bodies, connections, seconds } = JSON.parse(process.argv[2]!) as LoadSpec;
let next = 0;
const result = await autocannon({
  url,
  method: 'POST',
  connections,
  duration: seconds,
  headers: { 'content-type': 'application/json', ...headers },
  requests: [{ setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length]! }) }],
});
console.log(
  JSON.stringify({
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
  } satisfies LoadResult),
);
