/** How catch-up and live messages are grouped into the transactions of a projection. */
import { logBatches } from './batches';

type Message = { kind: 'event'; n: number } | { kind: 'caught_up' };
const event = (n: number): Message => ({ kind: 'event', n });

/** Stored messages at once, then live ones that arrive a turn of the event loop apart. */
async function* log(stored: number, live: number[], failAfter?: number): AsyncGenerator<Message> {
  for (let n = 0; n < stored; n++) {
    if (n === failAfter) throw new Error('unreadable');
    yield event(n);
  }
  yield { kind: 'caught_up' };
  for (const n of live) {
    await new Promise((r) => setTimeout(r, 5));
    yield event(n);
  }
}

const shape = (batches: Message[][]) =>
  batches.map((b) => b.map((m) => (m.kind === 'event' ? m.n : 'caught_up')));

describe('logBatches', () => {
  it('fills whole batches while catching up, ends one at caught_up, then passes live events on as they come', async () => {
    const batches: Message[][] = [];
    for await (const batch of logBatches(log(7, [100, 101]), 3)) batches.push(batch);
    expect(shape(batches)).toEqual([[0, 1, 2], [3, 4, 5], [6, 'caught_up'], [100], [101]]);
  });

  it('hands on the events before a failure, then fails', async () => {
    const batches: Message[][] = [];
    await expect(
      (async () => {
        for await (const batch of logBatches(log(10, [], 4), 3)) batches.push(batch);
      })(),
    ).rejects.toThrow('unreadable');
    expect(shape(batches)).toEqual([[0, 1, 2], [3]]);
  });
});
