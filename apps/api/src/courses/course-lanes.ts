/**
 * One lane per course: commands on a course run one after another in this
 * process, so concurrent valid commands on a hot course all succeed (the
 * bounded retry remains for writers in other processes, decision 4). The
 * commands that queued up while one ran are taken together: consecutive ones
 * that may share an append (`canJoin`) go to `run` as one batch, so a hot
 * course pays one append and one fsync per batch instead of one per command.
 */
import { AsyncResource } from 'node:async_hooks';

export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Queued<I, R> {
  item: I;
  /** The submitter's async context (request-scoped logger, trace): the batch runs in its first item's. */
  scope: AsyncResource;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

export interface CourseLanesOptions<I, R> {
  /** Most commands decided and appended together. */
  maxBatch: number;
  /** Whether `next` may share an append with the batch `first` starts. */
  canJoin: (first: I, next: I) => boolean;
  /** Runs a batch (often of one); settles every item, in order. */
  run: (lane: string, items: I[]) => Promise<Settled<R>[]>;
}

export class CourseLanes<I, R> {
  private readonly lanes = new Map<string, Queued<I, R>[]>();

  constructor(private readonly options: CourseLanesOptions<I, R>) {}

  submit(lane: string, item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const queued = { item, scope: new AsyncResource('CourseCommand'), resolve, reject };
      const waiting = this.lanes.get(lane);
      if (waiting) {
        waiting.push(queued);
        return;
      }
      const fresh = [queued];
      this.lanes.set(lane, fresh);
      void this.drain(lane, fresh);
    });
  }

  /** Commands waiting on a lane (a course with a command running). */
  get busyLanes(): number {
    return this.lanes.size;
  }

  private async drain(lane: string, waiting: Queued<I, R>[]): Promise<void> {
    while (waiting.length > 0) {
      const batch = this.nextBatch(waiting);
      const first = batch[0];
      let settled: Settled<R>[];
      try {
        settled = await first.scope.runInAsyncScope(() =>
          this.options.run(
            lane,
            batch.map((q) => q.item),
          ),
        );
      } catch (error) {
        settled = batch.map(() => ({ ok: false, error }));
      }
      batch.forEach((queued, i) => {
        const outcome = settled[i];
        if (outcome.ok) queued.resolve(outcome.value);
        else queued.reject(outcome.error);
        queued.scope.emitDestroy();
      });
    }
    this.lanes.delete(lane);
  }

  /** The first waiting command and the ones after it that may join it, taken off the queue. */
  private nextBatch(waiting: Queued<I, R>[]): Queued<I, R>[] {
    const first = waiting[0];
    let size = 1;
    while (
      size < waiting.length &&
      size < this.options.maxBatch &&
      this.options.canJoin(first.item, waiting[size].item)
    )
      size++;
    return waiting.splice(0, size);
  }
}

/** Runs `work` and reports its outcome instead of throwing. */
export async function settle<R>(work: () => Promise<R>): Promise<Settled<R>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error };
  }
}
