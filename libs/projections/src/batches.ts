/**
 * Groups what an async source has ready into batches, without waiting for
 * more: a batch ends at `max` items or when the next item is not ready within
 * one turn of the event loop. Catch-up reads fill whole batches (one
 * transaction per batch); live events flow one by one with no added delay.
 */
const NOT_READY = Symbol('not-ready');

export async function* readyBatches<T>(source: AsyncIterable<T>, max: number): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined;
  try {
    for (;;) {
      const first = await (pending ?? iterator.next());
      pending = undefined;
      if (first.done) return;
      const batch = [first.value];
      while (batch.length < max) {
        const next = iterator.next();
        let result: IteratorResult<T> | typeof NOT_READY;
        try {
          result = await Promise.race([
            next,
            new Promise<typeof NOT_READY>((r) => setImmediate(r, NOT_READY)),
          ]);
        } catch (error) {
          // Hand on what came before the failure (e.g. an unreadable event), then fail.
          yield batch;
          throw error;
        }
        if (result === NOT_READY) {
          pending = next; // keep it: the item it brings belongs to the next batch
          break;
        }
        if (result.done) {
          yield batch;
          return;
        }
        batch.push(result.value);
      }
      yield batch;
    }
  } finally {
    await iterator.return?.();
  }
}

/**
 * Batches of a catch-up subscription: while it catches up, whole batches of
 * `max` messages (the stored events are there to read, so no batch ends
 * early and no item pays for a race with the event loop: that race costs more
 * than reading the event); from `caught_up` on, `readyBatches` (live events
 * flow one by one with no added delay). The `caught_up` message ends its batch.
 */
export async function* logBatches<T extends { kind: string }>(
  source: AsyncIterable<T>,
  max: number,
): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]();
  let caughtUp = false;
  try {
    while (!caughtUp) {
      const batch: T[] = [];
      while (batch.length < max && !caughtUp) {
        let result: IteratorResult<T>;
        try {
          result = await iterator.next();
        } catch (error) {
          // Hand on what came before the failure (e.g. an unreadable event), then fail.
          if (batch.length > 0) yield batch;
          throw error;
        }
        if (result.done) {
          if (batch.length > 0) yield batch;
          return;
        }
        batch.push(result.value);
        caughtUp = result.value.kind === 'caught_up';
      }
      yield batch;
    }
    yield* readyBatches({ [Symbol.asyncIterator]: () => iterator }, max);
  } finally {
    await iterator.return?.();
  }
}
