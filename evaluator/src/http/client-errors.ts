import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

const REPLIES: Record<string, [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
};

/**
 * Answers a request Node's parser refused (malformed, too slow, headers too large) and closes its socket.
 * Unlike fastify's default handler it logs only the error's code: the parser's error carries the raw bytes
 * it read, and those hold the request's API key.
 */
export function clientErrorHandler(
  this: FastifyInstance,
  error: Error & { code?: string },
  socket: Socket,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, title] = REPLIES[error.code ?? ''] ?? [400, 'Bad Request'];
  this.log.debug({ code: error.code, status }, 'refused a malformed or slow request');
  if (socket.writable) {
    const body = JSON.stringify({ type: 'about:blank', title, status });
    socket.write(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
