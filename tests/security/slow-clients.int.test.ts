import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunningEvaluator } from '../../evaluator/src/evaluator-service.ts';
import { openEvaluatorTestBed, type EvaluatorTestBed } from '../support/evaluator-harness.ts';
import { openSocket } from '../support/raw-http.ts';
import { putFlag, seedApiKey, seedEnvironment } from '../support/seed-rows.ts';

// Regression (hostile-tenant probe, item 8): 100 connections sending a valid key, `Content-Length: 60000`,
// then a byte every 5 s were all still open after 95 s. A request must arrive whole within REQUEST_TIMEOUT_MS
// (its headers within HEADERS_TIMEOUT_MS); a stalled one is answered 408 and its socket closed, and other
// clients are served meanwhile.

const REQUEST_TIMEOUT_MS = 2000;
let bed: EvaluatorTestBed;
let evaluator: RunningEvaluator;
let key: string;

beforeAll(async () => {
  bed = await openEvaluatorTestBed();
  const environment = await seedEnvironment(bed.owner, 'slow');
  key = await seedApiKey(bed.owner, environment);
  await putFlag(bed.owner, environment, 'banner', { rollout: { percentage: 50 } });
  evaluator = await bed.start({
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    HEADERS_TIMEOUT_MS: '1000',
    RATE_LIMIT_PER_SECOND: '0',
  });
}, 60_000);

afterAll(async () => {
  await bed?.close();
});

/** A socket that sends a valid request's headers and then one byte of its 60,000-byte body at a time. */
async function trickle(stalled: boolean): Promise<{ socket: Socket; closed: Promise<string> }> {
  const socket = await openSocket(evaluator.url);
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(answer)));
  // Stalled: a header line that never ends, one character at a time. Slow: a body, one space at a time.
  const request = `POST /ofrep/v1/evaluate/flags/banner HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key}\r\n`;
  socket.write(
    stalled
      ? `${request}X-Slow: `
      : `${request}Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n{`,
  );
  const timer = setInterval(() => socket.writable && socket.write(stalled ? 'a' : ' '), 200);
  void closed.then(() => clearInterval(timer));
  return { socket, closed };
}

async function evaluateOnce(): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${evaluator.url}/ofrep/v1/evaluate/flags/banner`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ context: { targetingKey: 'u' } }),
  });
  expect(response.status).toBe(200);
  return performance.now() - started;
}

describe('slow and stalled clients', () => {
  it('are cut off after the request timeout while others are served', async () => {
    const clients = [
      ...(await Promise.all(Array.from({ length: 90 }, () => trickle(false)))),
      ...(await Promise.all(Array.from({ length: 10 }, () => trickle(true)))),
    ];
    const opened = performance.now();
    const latencies: number[] = [];
    while (performance.now() - opened < REQUEST_TIMEOUT_MS) latencies.push(await evaluateOnce());
    const answers = await Promise.all(clients.map((client) => client.closed));
    const closedAfter = performance.now() - opened;
    expect(answers.filter((answer) => answer.startsWith('HTTP/1.1 408'))).toHaveLength(100);
    // cut off within the timeout and Node's once-a-second check of it, with room for a slow machine
    expect(closedAfter).toBeLessThan(REQUEST_TIMEOUT_MS + 5000);
    expect(latencies.length).toBeGreaterThan(5);
    expect(Math.max(...latencies)).toBeLessThan(1000);
  }, 30_000);
});
