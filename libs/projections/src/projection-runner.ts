/**
 * Runs one projection: a catch-up subscription to the store's ordered log from
 * the projection's checkpoint, applying each ready batch of course events and
 * the new checkpoint in one transaction of its target (SQLite or PostgreSQL). When the store goes away it
 * retries with backoff and resumes from the checkpoint.
 */
import { COURSE_STREAM_PREFIX, EventDecodeError, courseIdOf } from '@ipt/course';
import type { PhiVault } from '@ipt/privacy';
import {
  UnreadableEventError,
  type EventStore,
  type RecordedEvent,
  type StoreSubscription,
  type SqliteDatabase,
} from '@ipt/event-store';
import { failed, linksOf, tracer } from '@ipt/telemetry';
import { readyBatches } from './batches';
import type { ProjectionTarget } from './projection-target';

/**
 * `failed`: the projection met an event it cannot read and stopped there (its
 * checkpoint stays before it); `lastError` says which and why. Retrying would
 * meet the same event again, so only a repair of the log and a rebuild restart it.
 */
export type ProjectionState =
  'starting' | 'catching_up' | 'live' | 'retrying' | 'failed' | 'stopped';

export interface ProjectionStatus {
  name: string;
  state: ProjectionState;
  /** Position of the last applied event, as a decimal string (null before the first). */
  checkpoint: string | null;
  eventsApplied: number;
  lastError: string | null;
}

/** Told after each committed batch: the events are in the read model now. */
export type AppliedListener = (projection: string, events: readonly RecordedEvent[]) => void;

export interface RunnerLogger {
  warn(message: string): void;
  log(message: string): void;
}

/**
 * Events per transaction at most. Large catch-up batches fold many events of a
 * course into one row write (a rebuild holds about 20 MB of events at a time);
 * live batches are as small as what arrives.
 */
const BATCH_SIZE = 20_000;
const MAX_BACKOFF_MS = 5000;

export function migrateCheckpoints(db: SqliteDatabase): void {
  db.exec(`CREATE TABLE IF NOT EXISTS projection_checkpoints (
    name TEXT PRIMARY KEY,
    position TEXT NOT NULL,
    updated_at TEXT NOT NULL
  )`);
}

export class ProjectionRunner {
  private state: ProjectionState = 'stopped';
  private lastError: string | null = null;
  private eventsApplied = 0;
  private subscription?: StoreSubscription;
  private loop?: Promise<void>;
  private stopping = false;
  private wakeRetry?: () => void;
  /** The checkpoint as last read or written here (for targets without a synchronous read). */
  private knownCheckpoint?: bigint;
  private readonly appliedListeners = new Set<AppliedListener>();

  constructor(
    private readonly store: EventStore,
    readonly projection: ProjectionTarget,
    private readonly logger: RunnerLogger,
    /** Opens `phi` for a projection that `readsPhi`. */
    private readonly vault?: PhiVault,
  ) {}

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.state = 'starting';
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      if (this.state !== 'failed') this.state = 'stopped';
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeRetry?.();
    await this.subscription?.close();
    await this.loop;
  }

  /** Replays the projection from the start of the log. */
  async rebuild(): Promise<void> {
    await this.stop();
    await this.projection.reset();
    this.knownCheckpoint = undefined;
    this.eventsApplied = 0;
    this.start();
  }

  /** Wakes readers waiting for a revision (X-Min-Revision) instead of letting them poll. */
  onApplied(listener: AppliedListener): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  status(): ProjectionStatus {
    return {
      name: this.projection.name,
      state: this.state,
      checkpoint: this.checkpoint()?.toString() ?? null,
      eventsApplied: this.eventsApplied,
      lastError: this.lastError,
    };
  }

  checkpoint(): bigint | undefined {
    return this.projection.storedCheckpoint?.() ?? this.knownCheckpoint;
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (!this.stopping) {
      this.state = 'catching_up';
      try {
        // Read again on every (re)start: after a takeover another process may have moved it.
        this.knownCheckpoint = await this.projection.checkpoint();
        this.subscription = this.store.subscribeToAll({
          afterPosition: this.knownCheckpoint,
          streamPrefixes: [COURSE_STREAM_PREFIX],
        });
        for await (const batch of readyBatches(this.subscription, BATCH_SIZE)) {
          const events: RecordedEvent[] = [];
          for (const message of batch) {
            if (message.kind === 'event') events.push(message.event);
            else if (message.kind === 'caught_up') this.state = 'live';
          }
          if (events.length > 0) {
            try {
              await this.applyTracedBatch(await this.opened(events));
            } catch (error) {
              // End the subscription first: leaving the loop waits for a read it may have in flight.
              await this.subscription.close();
              throw error;
            }
          }
          backoff = 100;
          this.lastError = null;
        }
        if (!this.stopping) throw new Error('subscription ended');
      } catch (error) {
        if (this.stopping) break;
        if (isUnreadable(error)) {
          // The message names stream, revision and field, never data: safe to show and log.
          this.state = 'failed';
          this.lastError = error.message;
          this.logger.warn(`projection ${this.projection.name} stopped: ${error.message}`);
          await this.subscription?.close().catch(() => undefined);
          break;
        }
        this.state = 'retrying';
        this.lastError = (error as Error).message;
        this.logger.warn(
          `projection ${this.projection.name}: ${this.lastError}; retrying in ${backoff} ms`,
        );
        await this.subscription?.close().catch(() => undefined);
        await new Promise<void>((resolve) => {
          this.wakeRetry = resolve;
          setTimeout(resolve, backoff);
        });
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** The batch with `phi` opened, for a projection that shows PHI (privacy.md). */
  private async opened(events: RecordedEvent[]): Promise<RecordedEvent[]> {
    if (!this.projection.readsPhi) return events;
    if (!this.vault)
      throw new Error(`projection ${this.projection.name} reads PHI: give it the vault`);
    return this.vault.openMany(courseIdOf, events);
  }

  /** One span per batch, linked to the traces of (the first of) its events' commands. */
  private async applyTracedBatch(events: RecordedEvent[]): Promise<void> {
    const span = tracer().startSpan(`project ${this.projection.name}`, {
      root: true,
      attributes: {
        'ipt.projection': this.projection.name,
        'ipt.event.count': events.length,
        'ipt.event_store.position': events[events.length - 1].position.toString(),
      },
      links: linksOf(events.map((e) => e.metadata)),
    });
    try {
      await this.applyBatch(events);
    } catch (error) {
      failed(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  private async applyBatch(events: RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1].position;
    try {
      await this.projection.commit(events, last);
    } catch (error) {
      this.projection.discardUncommitted?.();
      // Keep what comes before an unreadable event, so the checkpoint stops right at it.
      const at = isUnreadable(error) ? events.findIndex((e) => isEventOf(error, e)) : -1;
      if (at > 0) await this.applyBatch(events.slice(0, at));
      throw error;
    }
    this.knownCheckpoint = last;
    this.eventsApplied += events.length;
    for (const listener of this.appliedListeners) listener(this.projection.name, events);
  }
}

/** An event no retry will make readable. */
function isUnreadable(error: unknown): error is EventDecodeError | UnreadableEventError {
  return error instanceof EventDecodeError || error instanceof UnreadableEventError;
}

const isEventOf = (error: EventDecodeError | UnreadableEventError, event: RecordedEvent) =>
  error.streamId === event.streamId && error.revision === event.revision;
