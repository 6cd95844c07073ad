import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';

export interface DirectoryWatcherOptions {
  directory: string;
  /** Quiet time after the last change before `onChange` is called: a burst of changes is one call. */
  debounceMs: number;
  onChange: () => void;
  log: Logger;
}

/**
 * Watches a directory tree with chokidar, which watches directories rather than files: a file replaced by a
 * rename (an editor's atomic save) is seen like one written in place, every time. It says that something
 * changed, not what: the caller reads the directory again.
 */
export class DirectoryWatcher {
  readonly #options: DirectoryWatcherOptions;
  #watcher: FSWatcher | null = null;
  #ready: Promise<void> | null = null;
  #unblock: (() => void) | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: DirectoryWatcherOptions) {
    this.#options = options;
  }

  /** Starts watching, if it is not already; resolves once changes from now on are seen (or it is stopped). */
  start(): Promise<void> {
    if (this.#ready) return this.#ready;
    const watcher = watch(this.#options.directory, { ignoreInitial: true });
    this.#watcher = watcher;
    this.#ready = new Promise<void>((resolve) => {
      this.#unblock = resolve;
      watcher.once('ready', resolve);
    });
    watcher.on('all', () => {
      if (this.#watcher === watcher) this.#changed();
    });
    watcher.on('error', (error) => this.#options.log.error({ err: error }, 'manifest watch failed'));
    return this.#ready;
  }

  /** Stops watching; a change waiting out its quiet time is dropped. */
  async stop(): Promise<void> {
    const watcher = this.#watcher;
    this.#unblock?.();
    this.#watcher = this.#ready = this.#unblock = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await watcher?.close();
  }

  #changed(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#options.onChange();
    }, this.#options.debounceMs);
  }
}
