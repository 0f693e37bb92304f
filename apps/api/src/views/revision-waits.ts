/**
 * Reads that wait for the projection to reach a revision (X-Min-Revision,
 * api.md). A waiting read costs nothing while it waits: it is woken when a
 * projection commits an event of its course (in-process runners tell
 * ProjectionProgress), or, when a projector worker builds the read models in
 * another process, by one shared poller per process that looks at the
 * projections' checkpoints in the read-model database (the shared PostgreSQL
 * one with DATABASE_URL: nothing of what this process wrote is remembered
 * here, so any instance answers) and wakes every waiter only when they moved. The
 * number of waiting reads is capped, and a read whose client went away stops
 * waiting.
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '@ipt/config';
import { ApiMetrics } from '../infrastructure/api-metrics';
import { COURSE_STREAM_PREFIX } from '@ipt/course';
import { READ_MODELS, type ReadModelReader } from '@ipt/projections';
import { ProjectionProgress } from '../infrastructure/projection-progress';
import { ClientGone, TooManyWaiters, ViewNotReady } from '../application/errors';

/** How long a read waits at most (api.md: up to 5 s). */
export const MAX_WAIT_MS = 5000;
/** How often the shared poller looks at the checkpoints when another process projects. */
const CHECKPOINT_POLL_MS = 20;

interface Waiter {
  /** Resolves true when the view has reached the revision; the waiter then resolves itself. */
  check(): Promise<boolean>;
  fail(error: Error): void;
}

@Injectable()
export class RevisionWaits implements OnModuleDestroy {
  /** Waiters by course id. */
  private readonly waiters = new Map<string, Set<Waiter>>();
  private count = 0;
  private readonly unsubscribe: () => void;
  private poller?: NodeJS.Timeout;
  private lastCheckpoints?: string;
  private polling = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(READ_MODELS) private readonly readModels: ReadModelReader,
    progress: ProjectionProgress,
    metrics: ApiMetrics,
  ) {
    const waiting = () => this.count;
    new Gauge({
      name: 'ipt_view_waiters',
      help: 'Reads waiting on X-Min-Revision now.',
      registers: [metrics.registry],
      collect() {
        this.set(waiting());
      },
    });
    this.unsubscribe = progress.subscribe((events) => {
      for (const event of events) {
        if (event.streamId.startsWith(COURSE_STREAM_PREFIX))
          this.wake(event.streamId.slice(COURSE_STREAM_PREFIX.length));
      }
    });
  }

  /** Reads waiting now. */
  get waiting(): number {
    return this.count;
  }

  /**
   * Resolves with `read()`'s answer once it is defined, re-reading only when
   * a projection moved on for this course. Fails with ViewNotReady after
   * MAX_WAIT_MS, TooManyWaiters when the cap is reached, ClientGone when
   * `signal` aborts.
   */
  waitFor<T>(
    courseId: string,
    minRevision: number,
    read: () => Promise<T | undefined>,
    signal?: AbortSignal,
  ): Promise<T> {
    if (this.count >= this.config.maxViewWaiters) return Promise.reject(new TooManyWaiters());
    return new Promise<T>((resolve, reject) => {
      const set = this.waiters.get(courseId) ?? new Set<Waiter>();
      this.waiters.set(courseId, set);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (set.delete(waiter)) this.count--;
        if (set.size === 0 && this.waiters.get(courseId) === set) this.waiters.delete(courseId);
        if (this.count === 0) this.stopPolling();
      };
      let settled = false;
      const waiter: Waiter = {
        check: async () => {
          if (settled) return true;
          let answer: T | undefined;
          try {
            answer = await read();
          } catch (error) {
            waiter.fail(error as Error);
            return true;
          }
          if (answer === undefined || settled) return settled;
          settled = true;
          done();
          resolve(answer);
          return true;
        },
        fail: (error) => {
          if (settled) return;
          settled = true;
          done();
          reject(error);
        },
      };
      const onAbort = () => waiter.fail(new ClientGone());
      const timer = setTimeout(
        () => waiter.fail(new ViewNotReady(minRevision, MAX_WAIT_MS / 1000)),
        MAX_WAIT_MS,
      );
      set.add(waiter);
      this.count++;
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      // The projection may have got there between the caller's read and now.
      void waiter.check().then((reached) => {
        if (!reached) this.startPolling();
      });
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe();
    this.stopPolling();
  }

  private wake(courseId: string): void {
    const set = this.waiters.get(courseId);
    if (!set) return;
    for (const waiter of [...set]) void waiter.check();
  }

  /** Only when another process projects: one timer for all waiters, and only while any wait. */
  private startPolling(): void {
    if (this.config.runProjections || this.poller || this.count === 0) return;
    this.lastCheckpoints = undefined;
    this.poller = setInterval(() => {
      if (this.polling) return; // the previous look has not answered yet
      this.polling = true;
      this.readModels
        .checkpoints()
        .then((now) => {
          if (now === this.lastCheckpoints) return;
          this.lastCheckpoints = now;
          for (const courseId of [...this.waiters.keys()]) this.wake(courseId);
        })
        // Unreachable for a moment: look again next tick; each waiter still ends at its deadline.
        .catch(() => undefined)
        .finally(() => {
          this.polling = false;
        });
    }, CHECKPOINT_POLL_MS);
  }

  private stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }
}
