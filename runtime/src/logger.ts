import { pino, stdSerializers, type Logger } from 'pino';
import { OFREP_STREAM_PATH } from '../../core/src/contracts/streams.ts';
import { API_KEY_PREFIX } from '../../db/src/api-key-material.ts';

const REDACT = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'headers["x-api-key"]',
  'headers.authorization',
];

const masked = (value: unknown) => String(value).includes(API_KEY_PREFIX);

/** A stream's token wherever the path holds it (`//ofrep/...`, an absolute-form request line). */
const STREAM_TOKEN = new RegExp(`${OFREP_STREAM_PATH.replaceAll('/', '\\/')}[^?#\\s]*`, 'g');

/** A URL as a log line may hold it: a stream's token and a query string holding a key are masked. */
function loggedUrl(url: string): string {
  const hidden = url.replace(STREAM_TOKEN, `${OFREP_STREAM_PATH}[redacted]`);
  return hidden.includes(API_KEY_PREFIX) ? `${hidden.split('?')[0]}?[redacted]` : hidden;
}

/**
 * What a request log line holds: enough to debug a client. Besides the REDACT paths, any header carrying
 * something shaped like a key is masked (a client may send its key in the wrong header), and so is a query
 * string holding one, and a stream URL's token.
 */
function requestFields({ method, url, headers }: { method: string; url: string; headers: unknown }) {
  return {
    method,
    url: loggedUrl(url),
    headers: Object.fromEntries(
      Object.entries((headers ?? {}) as Record<string, unknown>).map(([name, value]) => [
        name,
        masked(value) || name === 'authorization' ? '[redacted]' : value,
      ]),
    ),
  };
}

/**
 * An error as a log line may hold it. Node's HTTP parser attaches the bytes it choked on (`rawPacket`), and
 * those bytes are the request's headers, API key or bearer token included: they never reach a log.
 */
function errorFields(error: Error) {
  const fields = stdSerializers.err(error) as Record<string, unknown>;
  delete fields.rawPacket;
  for (const [name, value] of Object.entries(fields))
    if (typeof value === 'string' && name !== 'stack' && masked(value)) fields[name] = '[redacted]';
  return fields;
}

/** The one logger factory of every composition root: redaction cannot be forgotten by one of them. */
export function createLogger(level: string, bindings: Record<string, string>): Logger {
  return pino({
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: {
      req: (request: { method: string; url: string; headers: unknown }) => requestFields(request),
      err: errorFields,
    },
  }).child(bindings);
}
