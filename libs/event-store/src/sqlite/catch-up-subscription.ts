/**
 * The catch-up subscription to the global log, and the signal by which the
 * store's commits wake it.
 */
import {
  StoreSubscription,
  StoreUnavailableError,
  SubscribeToAllOptions,
  SubscriptionMessage,
} from '../event-store.port';
import type { SubscriptionPage } from './event-reads';

/** Wakes the live subscriptions waiting for this store's next commit. */
export class CommitSignal {
  private waiters = new Set<() => void>();

  notify(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  /**
   * Resolves at the next commit by this store or after `ms`; `wake` ends the
   * wait early (a closing subscription). Nothing outlives the wait.
   */
  wait(ms: number): { committed: Promise<void>; wake(): void } {
    let wake!: () => void;
    const committed = new Promise<void>((resolve) => {
      const timer = setTimeout(() => wake(), ms);
      wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
    });
    return { committed, wake };
  }
}

/** What a subscription needs of its store. */
export interface SubscriptionSource {
  readPage(
    after: bigint | undefined,
    pageSize: number,
    prefixes: string[] | undefined,
  ): SubscriptionPage;
  readonly commits: CommitSignal;
  isClosed(): boolean;
}

export interface CatchUpSettings {
  /** Events read per page. */
  pageSize: number;
  /** How often a live subscription looks for events written by another process. */
  pollMs: number;
}

/**
 * Pull-driven: it reads the next page only when the consumer has taken the
 * previous one, so memory stays at one page whatever the log's length.
 */
export class CatchUpSubscription implements StoreSubscription {
  private closed = false;
  /** Ends the current wait for a commit, if any. */
  private wakeWaiting: (() => void) | undefined;
  private readonly messages: AsyncGenerator<SubscriptionMessage>;

  constructor(
    private readonly source: SubscriptionSource,
    private readonly options: SubscribeToAllOptions,
    private readonly settings: CatchUpSettings,
    private readonly onClose: () => void,
  ) {
    this.messages = this.deliver();
  }

  [Symbol.asyncIterator](): AsyncIterator<SubscriptionMessage> {
    return this.messages;
  }

  private async *deliver(): AsyncGenerator<SubscriptionMessage> {
    const { pageSize, pollMs } = this.settings;
    let after = this.options.afterPosition;
    let caughtUp = false;
    try {
      while (!this.ended()) {
        const { events: page, scannedTo } = this.readPageAfter(after);
        for (const event of page) {
          yield { kind: 'event', event };
          if (this.ended()) return;
        }
        after = scannedTo;
        if (page.length === pageSize) {
          // More is stored. Reading it never waits on I/O: without a turn of the event loop
          // between pages, a catch-up would hold every other task of the process until it ended.
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        if (!caughtUp) {
          caughtUp = true;
          yield { kind: 'caught_up' };
          continue;
        }
        // Commits may have happened while the consumer held the page: read again before sleeping.
        if (page.length > 0) continue;
        // Nothing new: sleep until this store commits (another process may have, hence the poll).
        // The empty read and the waiter's registration happen in one synchronous step: no lost wake-up.
        const wait = this.source.commits.wait(pollMs);
        this.wakeWaiting = wait.wake;
        await wait.committed;
        this.wakeWaiting = undefined;
      }
    } finally {
      this.markClosed();
    }
  }

  private readPageAfter(after: bigint | undefined): SubscriptionPage {
    try {
      return this.source.readPage(after, this.settings.pageSize, this.options.streamPrefixes);
    } catch (error) {
      if (this.ended()) return { events: [], scannedTo: after };
      throw new StoreUnavailableError('the event store could not be read', { cause: error });
    }
  }

  private ended(): boolean {
    return this.closed || this.source.isClosed();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.wakeWaiting?.();
    this.onClose();
  }

  async close(): Promise<void> {
    // Wakes a waiting `next()`, which then finishes the iteration.
    this.markClosed();
  }
}
