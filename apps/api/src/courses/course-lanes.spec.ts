import { AsyncLocalStorage } from 'node:async_hooks';
import { CourseLanes, type Settled } from './course-lanes';

interface Item {
  n: number;
  joins: boolean;
}

/** Lanes whose runs are released by hand, so a test controls what queues up meanwhile. */
function lanes(maxBatch = 3, fail?: (items: Item[]) => unknown) {
  const runs: { lane: string; items: number[]; release: () => void }[] = [];
  const context = new AsyncLocalStorage<string>();
  const seen: (string | undefined)[] = [];
  const subject = new CourseLanes<Item, string>({
    maxBatch,
    canJoin: (first, next) => first.joins && next.joins,
    run: (lane, items) =>
      new Promise<Settled<string>[]>((resolve, reject) => {
        seen.push(context.getStore());
        runs.push({
          lane,
          items: items.map((i) => i.n),
          release: () => {
            const error = fail?.(items);
            if (error) reject(error);
            else resolve(items.map((i) => ({ ok: true, value: `${lane}:${i.n}` })));
          },
        });
      }),
  });
  const submit = (lane: string, n: number, joins = true) =>
    context.run(`request ${n}`, () => subject.submit(lane, { n, joins }));
  return { subject, runs, seen, submit };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('CourseLanes', () => {
  it('runs the first command alone, then takes what queued meanwhile together, in order', async () => {
    const { runs, submit, seen } = lanes();
    const answers = [1, 2, 3, 4, 5].map((n) => submit('a', n));
    expect(runs.map((r) => r.items)).toEqual([[1]]);
    runs[0].release();
    await settled();
    // At most maxBatch (3) per run: 2, 3, 4 together, then 5.
    expect(runs.map((r) => r.items)).toEqual([[1], [2, 3, 4]]);
    runs[1].release();
    await settled();
    runs[2].release();
    expect(await Promise.all(answers)).toEqual(['a:1', 'a:2', 'a:3', 'a:4', 'a:5']);
    expect(runs.map((r) => r.items)).toEqual([[1], [2, 3, 4], [5]]);
    // Each run is in the async context of its first command's submitter.
    expect(seen).toEqual(['request 1', 'request 2', 'request 5']);
  });

  it('keeps a command that may not join a batch on its own, and lanes apart', async () => {
    const { runs, submit, subject } = lanes();
    const answers = [submit('a', 1), submit('a', 2), submit('a', 3, false), submit('a', 4)];
    const other = submit('b', 9);
    expect(runs.map((r) => [r.lane, r.items])).toEqual([
      ['a', [1]],
      ['b', [9]],
    ]);
    for (let i = 0; i < 4; i++) {
      for (const run of runs) run.release(); // a second release of a run is a no-op
      await settled();
    }
    expect(await Promise.all([...answers, other])).toEqual(['a:1', 'a:2', 'a:3', 'a:4', 'b:9']);
    expect(runs.filter((r) => r.lane === 'a').map((r) => r.items)).toEqual([[1], [2], [3], [4]]);
    expect(subject.busyLanes).toBe(0);
  });

  it('rejects every command of a run that throws, and goes on with the next', async () => {
    const { runs, submit } = lanes(3, (items) =>
      items[0].n === 2 ? new Error('store down') : null,
    );
    const answers = [1, 2, 3, 4].map((n) => submit('a', n).catch((e: Error) => e.message));
    runs[0].release();
    await settled();
    runs[1].release();
    await settled();
    expect(await Promise.all(answers)).toEqual(['a:1', 'store down', 'store down', 'store down']);
  });
});
