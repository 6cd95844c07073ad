import { EventSourceParserStream } from 'eventsource-parser/stream';
import { headersFor, reportUnauthorized, type Flag } from './management-api.ts';

export type StreamState = 'connecting' | 'live' | 'lost';

export interface FlagStreamHandlers {
  /** The stream is open: read the list now, and every change after it arrives here. */
  opened(): void;
  flag(flag: Flag): void;
  deleted(key: string): void;
  state(state: StreamState): void;
}

/**
 * A tenant's flag changes from `GET /api/v1/flags/events`, read with fetch (EventSource cannot send the
 * bearer token). When the stream ends or fails, it says so and reconnects with a growing pause (1 s to 15 s);
 * each reconnection reads the list again through `opened`, so nothing said meanwhile is missed.
 */
export function followFlags(tenant: string, handlers: FlagStreamHandlers): () => void {
  let stopped = false;
  let abort = new AbortController();
  let pause = 1000;

  async function connect(): Promise<void> {
    handlers.state('connecting');
    const response = await fetch('/api/v1/flags/events', {
      headers: { accept: 'text/event-stream', ...headersFor(tenant) },
      signal: abort.signal,
    });
    if (response.status === 401) {
      // the token expired or was refused: reconnecting cannot help, signing in again does
      stopped = true;
      reportUnauthorized();
      return;
    }
    if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
    const events = response.body
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(new EventSourceParserStream())
      .getReader();
    for (;;) {
      const { done, value } = await events.read();
      if (done) return;
      if (value.event === 'ready') {
        pause = 1000;
        handlers.state('live');
        handlers.opened();
      } else if (value.event === 'flag') handlers.flag(JSON.parse(value.data) as Flag);
      else if (value.event === 'deleted') handlers.deleted((JSON.parse(value.data) as { key: string }).key);
    }
  }

  void (async () => {
    while (!stopped) {
      try {
        await connect();
      } catch {
        // shown as lost below; the loop reconnects
      }
      if (stopped) return;
      handlers.state('lost');
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 15_000);
      abort = new AbortController();
    }
  })();
  return () => {
    stopped = true;
    abort.abort();
  };
}
