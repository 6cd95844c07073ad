import type { EventSourceMessage } from 'eventsource-parser';
import { EventSourceParserStream } from 'eventsource-parser/stream';

export type StreamEvent = EventSourceMessage;

/** A server-sent event stream read over fetch (so it can carry a bearer token), event by event. */
export class EventStreamReader {
  readonly status: number;
  readonly contentType: string | null;
  readonly #reader: ReadableStreamDefaultReader<StreamEvent> | null;
  readonly #abort: AbortController;
  readonly #body: string | null;

  private constructor(response: Response, abort: AbortController, body: string | null) {
    this.status = response.status;
    this.contentType = response.headers.get('content-type');
    this.#abort = abort;
    this.#body = body;
    this.#reader =
      body === null
        ? response
            .body!.pipeThrough(new TextDecoderStream())
            .pipeThrough(new EventSourceParserStream())
            .getReader()
        : null;
  }

  static async open(url: string, headers: Record<string, string>): Promise<EventStreamReader> {
    const abort = new AbortController();
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', ...headers },
      signal: abort.signal,
    });
    const streaming = response.ok && response.headers.get('content-type')?.startsWith('text/event-stream');
    return new EventStreamReader(response, abort, streaming ? null : await response.text());
  }

  /** The body of a refusal (problem+json), parsed. */
  problem(): Record<string, unknown> {
    return JSON.parse(this.#body ?? 'null') as Record<string, unknown>;
  }

  /** The next event that `matches`, or null once the stream has ended; rejects after `timeoutMs`. */
  async next(
    matches: (event: StreamEvent) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<StreamEvent | null> {
    const deadline = setTimeout(
      () => this.#abort.abort(new Error(`no matching event in ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      for (;;) {
        const { done, value } = await this.#reader!.read();
        if (done) return null;
        if (matches(value)) return value;
      }
    } finally {
      clearTimeout(deadline);
    }
  }

  close(): void {
    this.#abort.abort();
  }
}
