/** A first-in first-out queue whose shift is O(1) however long it grows (Array#shift copies). */
export class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    // drop the consumed front once it is most of the array
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

/** Items in a FIFO per group, handed out round robin across the groups: one item of each in turn. */
export class FairBacklog<T> {
  readonly #groupOf: (item: T) => string;
  readonly #groups = new Map<string, Fifo<T>>();
  /** Groups with items, in turn order. */
  readonly #turns = new Fifo<string>();

  constructor(groupOf: (item: T) => string) {
    this.#groupOf = groupOf;
  }

  push(item: T): void {
    const name = this.#groupOf(item);
    let group = this.#groups.get(name);
    if (!group) {
      this.#groups.set(name, (group = new Fifo()));
      this.#turns.push(name);
    }
    group.push(item);
  }

  shift(): T | undefined {
    const name = this.#turns.shift();
    if (name === undefined) return undefined;
    const group = this.#groups.get(name)!;
    const item = group.shift();
    if (group.size > 0) this.#turns.push(name);
    else this.#groups.delete(name);
    return item;
  }

  clear(): void {
    this.#groups.clear();
    this.#turns.clear();
  }
}
