/**
 * One rebuild without an outage: replays the course log into a shadow copy of
 * a projection's tables while the current copy keeps answering, and once the
 * shadow has caught up with the live projection, switches over in one
 * transaction (rows, table names and checkpoint together). Then the former
 * copy is freed.
 *
 * Every step is a bounded slice (at most `sliceEvents` events or `sliceRows`
 * rows in one transaction) followed by a turn of the event loop, so requests
 * and live projections run between slices: a rebuild never holds the loop for
 * long, however large the log.
 *
 * A rebuild that is interrupted (the process stops or crashes) is not resumed
 * where it was: its request stays open, and the next run starts it over,
 * dropping the half-built shadow first. The shadow keeps rows in memory
 * (write-back) and has no checkpoint of its own, which is what makes it fast.
 */
import { COURSE_STREAM_PREFIX, EventDecodeError } from '@ipt/course';
import {
  UnreadableEventError,
  type EventStore,
  type RecordedEvent,
  type StoreSubscription,
} from '@ipt/event-store';
import { logBatches } from '../batches';
import type { LiveCopy, ShadowTarget, TargetRebuilds } from '../projection-target';
import type { RebuildProgress } from './rebuild-requests';

export interface RebuildSettings {
  /** Events folded in one transaction, between two turns of the event loop. */
  sliceEvents: number;
  /** Rows written or deleted in one transaction when flushing or freeing a copy. */
  sliceRows: number;
  /** Least time between two writes of the progress to the shared table. */
  progressEveryMs: number;
}

export const DEFAULT_REBUILD_SETTINGS: RebuildSettings = {
  sliceEvents: 500,
  sliceRows: 100,
  progressEveryMs: 500,
};

/** What the rebuild needs of the projection's runner. */
export interface RebuildHost {
  readonly name: string;
  readonly store: EventStore;
  /** The target's copies, requests and checkpoint (SQLite or PostgreSQL). */
  readonly copies: TargetRebuilds;
  readonly logger: { log(message: string): void; warn(message: string): void };
  /** The events as the live projection gets them (`phi` opened for one that shows PHI). */
  open?(events: RecordedEvent[]): Promise<RecordedEvent[]>;
  /** After the switch-over committed: the checkpoint is now `position`. */
  afterSwitchOver(position: bigint | undefined): void;
}

const MAX_BACKOFF_MS = 5000;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

class Stopped extends Error {}

export class ShadowRebuild {
  private stopping = false;
  private subscription?: StoreSubscription;
  private wakeRetry?: () => void;
  private readonly running: Promise<void>;
  private replayStartedMs = 0;
  private lastSavedMs = 0;
  /** Position of the last event in the shadow (undefined: none yet). */
  private applied: bigint | undefined;

  constructor(
    private readonly host: RebuildHost,
    private readonly current: RebuildProgress,
    private readonly settings: RebuildSettings = DEFAULT_REBUILD_SETTINGS,
  ) {
    this.running = this.run();
  }

  /** The progress as it is now (the shared table lags by at most `progressEveryMs`). */
  progress(): RebuildProgress {
    return { ...this.current };
  }

  /** Resolves when the rebuild has finished, failed or been stopped. */
  done(): Promise<void> {
    return this.running;
  }

  /** Abandons the rebuild; its request stays open for the next run. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeRetry?.();
    await this.subscription?.close();
    await this.running;
  }

  private async run(): Promise<void> {
    const p = this.current;
    let shadow: ShadowTarget | undefined;
    Object.assign(p, {
      state: 'preparing',
      startedAt: new Date().toISOString(),
      finishedAt: null,
      eventsDone: 0,
      eventsTotal: null,
      eventsPerSecond: null,
      secondsLeft: null,
      error: null,
    } satisfies Partial<RebuildProgress>);
    try {
      await this.save(true);
      this.host.logger.log(`projection ${this.host.name}: rebuild ${p.id} started`);
      await this.dropUnused();
      shadow = await this.host.copies.createShadow(String(p.id));
      // What it has to replay is known from the start when the current copy counts its events.
      const total = this.estimateTotal(await this.host.copies.live());
      p.state = 'replaying';
      p.eventsTotal = total;
      this.replayStartedMs = performance.now();
      await this.save(true);
      await this.replay(shadow);
      this.host.afterSwitchOver(this.applied);
      this.host.logger.log(
        `projection ${this.host.name}: rebuild ${p.id} switched over after ${p.eventsDone} events`,
      );
      // The retired copy is freed in the background of the new one answering.
      await this.dropUnused();
    } catch (error) {
      // Nothing of this rebuild is written after it has ended.
      await shadow?.idle?.();
      if (error instanceof Stopped || this.stopping) {
        await this.abandon();
        return;
      }
      // Only an unreadable event ends a rebuild: the store going away is retried in `replay`.
      p.state = 'failed';
      p.finishedAt = new Date().toISOString();
      p.secondsLeft = null;
      p.error = (error as Error).message;
      await this.save(true).catch(() => undefined);
      this.host.logger.warn(`projection ${this.host.name}: rebuild ${p.id} failed: ${p.error}`);
      await this.dropUnused().catch(() => undefined);
    }
  }

  /** The request goes back to waiting (nothing of the shadow is kept). */
  private async abandon(): Promise<void> {
    if (this.current.state === 'done' || this.current.state === 'failed') return;
    Object.assign(this.current, {
      state: 'requested',
      startedAt: null,
      eventsDone: 0,
      eventsTotal: null,
      eventsPerSecond: null,
      secondsLeft: null,
    } satisfies Partial<RebuildProgress>);
    try {
      await this.save(true);
    } catch {
      // The database is closing with the process: the next run finds the request open anyway.
    }
  }

  private async dropUnused(): Promise<void> {
    const { copies } = this.host;
    while (!(await copies.dropUnused(this.settings.sliceRows))) await this.nextTurn();
  }

  private async nextTurn(): Promise<void> {
    await turn();
    if (this.stopping) throw new Stopped();
  }

  /** Replays until caught up with the live copy, then switches over. */
  private async replay(shadow: ShadowTarget): Promise<void> {
    const { store } = this.host;
    let backoff = 100;
    for (;;) {
      let caughtUp = false;
      try {
        this.subscription = store.subscribeToAll({
          afterPosition: this.applied,
          streamPrefixes: [COURSE_STREAM_PREFIX],
        });
        for await (const batch of logBatches(this.subscription, this.settings.sliceEvents)) {
          if (this.stopping) throw new Stopped();
          const events: RecordedEvent[] = [];
          for (const message of batch) {
            if (message.kind === 'event') events.push(message.event);
            else caughtUp = true;
          }
          if (events.length > 0) {
            await shadow.apply(this.host.open ? await this.host.open(events) : events);
            this.applied = events[events.length - 1].position;
            this.current.eventsDone += events.length;
            this.updateRate();
          }
          backoff = 100;
          // Where the current copy is: to switch over once caught up, and for the progress when it
          // is saved (not after every slice: on PostgreSQL that is a round trip).
          const live = caughtUp || this.saveDue() ? await this.host.copies.live() : undefined;
          await this.measure(live);
          if (caughtUp && live && this.reached(live) && (await this.switchOver(shadow))) {
            await this.subscription.close();
            return;
          }
          await this.nextTurn();
        }
        if (this.stopping) throw new Stopped();
        throw new Error('subscription ended');
      } catch (error) {
        await this.subscription?.close().catch(() => undefined);
        if (error instanceof Stopped || this.stopping) throw new Stopped();
        if (isUnreadable(error)) throw error;
        this.host.logger.warn(
          `projection ${this.host.name}: rebuild: ${(error as Error).message}; retrying in ${backoff} ms`,
        );
        // The shadow's rows and position are consistent: resume after the last applied event.
        await new Promise<void>((resolve) => {
          this.wakeRetry = resolve;
          setTimeout(resolve, backoff);
        });
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** The shadow holds at least what the current copy holds. */
  private reached(live: LiveCopy): boolean {
    return live.at === undefined || (this.applied !== undefined && this.applied >= live.at);
  }

  /**
   * Writes the rows still in memory, a slice per turn, then switches over in
   * one transaction if the shadow still holds at least what the current copy
   * holds (the target checks that inside the transaction; live events may
   * have arrived meanwhile: then false, and the replay goes on).
   */
  private async switchOver(shadow: ShadowTarget): Promise<boolean> {
    const p = this.current;
    p.state = 'switching';
    await this.save(false);
    while (!(await shadow.flush(this.settings.sliceRows))) await this.nextTurn();
    const done: RebuildProgress = {
      ...p,
      state: 'done',
      finishedAt: new Date().toISOString(),
      eventsTotal: p.eventsDone,
      secondsLeft: 0,
    };
    if (!(await shadow.switchOver(this.applied, p.eventsDone, done))) {
      p.state = 'replaying';
      return false;
    }
    Object.assign(p, done);
    this.lastSavedMs = performance.now();
    return true;
  }

  /** Rate, total (when the current copy was read) and time left after a slice; saved now and then. */
  private async measure(live: LiveCopy | undefined): Promise<void> {
    if (live)
      this.current.eventsTotal = Math.max(this.current.eventsDone, this.estimateTotal(live) ?? 0);
    this.updateRate();
    await this.save(false);
  }

  /**
   * Rate, total (at least what is done) and time left, at once after a slice:
   * the progress may be read between any two awaits.
   */
  private updateRate(): void {
    const p = this.current;
    const seconds = (performance.now() - this.replayStartedMs) / 1000;
    p.eventsPerSecond = seconds > 0 ? Math.round(p.eventsDone / seconds) : null;
    p.eventsTotal = Math.max(p.eventsTotal ?? 0, p.eventsDone);
    p.secondsLeft =
      p.eventsPerSecond && p.eventsPerSecond > 0
        ? Math.round(((p.eventsTotal - p.eventsDone) / p.eventsPerSecond) * 10) / 10
        : null;
  }

  /**
   * The events of the current copy when it counts them; else (a copy built
   * before it counted) extrapolated from log positions, which grow with the
   * log in both stores (SQLite: one per event; EventStoreDB: bytes).
   */
  private estimateTotal(live: LiveCopy): number | null {
    if (live.events !== null) return live.events;
    if (live.at === undefined || this.applied === undefined || this.applied <= 0n) return null;
    return Math.round((this.current.eventsDone * Number(live.at)) / Number(this.applied));
  }

  private saveDue(): boolean {
    return performance.now() - this.lastSavedMs >= this.settings.progressEveryMs;
  }

  private async save(now: boolean): Promise<void> {
    const ms = performance.now();
    if (!now && !this.saveDue()) return;
    this.lastSavedMs = ms;
    await this.host.copies.requests.save({ ...this.current });
  }
}

function isUnreadable(error: unknown): error is EventDecodeError | UnreadableEventError {
  return error instanceof EventDecodeError || error instanceof UnreadableEventError;
}
