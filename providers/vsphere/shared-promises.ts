/**
 * One pending or settled promise per key, shared by every caller: a session, an inventory lookup,
 * a cluster folder made ready. A promise that fails is dropped, so the next caller tries afresh.
 */
export interface SharedPromises<T> {
  get(key: string, make: () => Promise<T>): Promise<T>;
  /** Drops the key's promise, or only `expected` when given (a newer one is kept). */
  drop(key: string, expected?: Promise<T>): void;
  clear(): void;
}

export function sharedPromises<T>(): SharedPromises<T> {
  const promises = new Map<string, Promise<T>>();
  const drop = (key: string, expected?: Promise<T>): void => {
    if (expected === undefined || promises.get(key) === expected) promises.delete(key);
  };
  return {
    get(key, make) {
      const known = promises.get(key);
      if (known) return known;
      const made = make();
      promises.set(key, made);
      made.catch(() => drop(key, made));
      return made;
    },
    drop,
    clear: () => promises.clear(),
  };
}
