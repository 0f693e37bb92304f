/**
 * Runs one projection: a catch-up subscription to the store's ordered log from
 * the projection's checkpoint, applying each ready batch of course events and
 * the new checkpoint in one transaction of its target (SQLite or PostgreSQL). When the store goes away it
 * retries with backoff and resumes from the checkpoint.
 *
 * A rebuildable projection (one with `copies`) also carries out the rebuilds
 * asked of it (rebuild/): it polls the shared request table, so a rebuild
 * asked on another process (an API instance, the CLI) is run here, beside the
 * live projection, which keeps answering until the switch-over.
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
import { logBatches } from './batches';
import type { ProjectionTarget } from './projection-target';
import type { RebuildProgress } from './rebuild/rebuild-requests';
import {
  DEFAULT_REBUILD_SETTINGS,
  ShadowRebuild,
  type RebuildSettings,
} from './rebuild/shadow-rebuild';

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
  /** Events applied by this process since it started. */
  eventsApplied: number;
  lastError: string | null;
  /** The rebuild under way or asked for, else the last one (null: never rebuilt; absent: not rebuildable). */
  rebuild?: RebuildProgress | null;
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
/** How often a rebuildable projection looks for a rebuild asked by another process. */
const REBUILD_POLL_MS = 1000;

/**
 * `events`: how many course events the current copy holds (null when unknown:
 * a checkpoint written before it was counted); a rebuild's total comes from it.
 */
export function migrateCheckpoints(db: SqliteDatabase): void {
  db.exec(`CREATE TABLE IF NOT EXISTS projection_checkpoints (
    name TEXT PRIMARY KEY,
    position TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    events INTEGER
  )`);
  const columns = (db.pragma('table_info(projection_checkpoints)') as { name: string }[]).map(
    (c) => c.name,
  );
  if (!columns.includes('events'))
    db.exec('ALTER TABLE projection_checkpoints ADD COLUMN events INTEGER');
}

export interface ProjectionRunnerOptions {
  rebuild?: Partial<RebuildSettings>;
  /** Events per transaction at most (default BATCH_SIZE). */
  batchEvents?: number;
  /** Opens `phi` for a projection that `readsPhi`. */
  vault?: PhiVault;
}

export class ProjectionRunner {
  private readonly vault?: PhiVault;
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
  /** Between start() and stop(): this process runs the projection and its rebuilds. */
  private active = false;
  /** The newest rebuild as last read (for targets without a synchronous read). */
  private latestRebuild?: RebuildProgress;
  private polling = false;
  private readonly rebuildSettings: RebuildSettings;
  private readonly batchEvents: number;
  private rebuilding?: ShadowRebuild;
  private rebuildPoll?: NodeJS.Timeout;

  constructor(
    private readonly store: EventStore,
    readonly projection: ProjectionTarget,
    private readonly logger: RunnerLogger,
    options: ProjectionRunnerOptions = {},
  ) {
    this.rebuildSettings = { ...DEFAULT_REBUILD_SETTINGS, ...options.rebuild };
    this.batchEvents = options.batchEvents ?? BATCH_SIZE;
    this.vault = options.vault;
  }

  start(): void {
    this.active = true;
    if (this.projection.rebuilds && !this.rebuildPoll) {
      this.rebuildPoll = setInterval(() => void this.pollRebuild(), REBUILD_POLL_MS);
      this.rebuildPoll.unref();
      void this.pollRebuild();
    }
    if (this.loop) return;
    this.stopping = false;
    this.state = 'starting';
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      if (this.state !== 'failed') this.state = 'stopped';
    });
  }

  async stop(): Promise<void> {
    this.active = false;
    clearInterval(this.rebuildPoll);
    this.rebuildPoll = undefined;
    await this.rebuilding?.stop();
    this.stopping = true;
    this.wakeRetry?.();
    await this.subscription?.close();
    await this.loop;
  }

  /**
   * Asks for a rebuild without an outage (shared state: any process may ask);
   * the process running the projection carries it out. Answers the rebuild
   * already asked for or under way, if any. Undefined: not rebuildable.
   */
  async requestRebuild(): Promise<RebuildProgress | undefined> {
    const requests = this.projection.rebuilds?.requests;
    if (!requests) return undefined;
    const asked = await requests.request(this.projection.name);
    this.latestRebuild = asked;
    await this.pollRebuild();
    return this.rebuilding?.progress() ?? asked;
  }

  /**
   * Reads the newest rebuild from the shared table, for status() where the
   * target has no synchronous read (PostgreSQL) and this process does not run
   * the rebuild. Throws when the database cannot be read.
   */
  async refreshRebuild(): Promise<void> {
    const requests = this.projection.rebuilds?.requests;
    if (!requests || requests.latestNow || this.rebuilding) return;
    this.latestRebuild = await requests.latest(this.projection.name);
  }

  /** Resolves when the rebuild under way here (if any) has ended. */
  async rebuildFinished(): Promise<void> {
    await this.rebuilding?.done();
  }

  /** Starts the rebuild asked for, when this process runs the projection and none is under way. */
  private async pollRebuild(): Promise<void> {
    const copies = this.projection.rebuilds;
    if (!this.active || this.rebuilding || !copies || this.polling) return;
    this.polling = true;
    let asked: RebuildProgress | undefined;
    try {
      asked = await copies.requests.open(this.projection.name);
      this.latestRebuild = asked ?? (await copies.requests.latest(this.projection.name));
    } catch (error) {
      this.logger.warn(
        `projection ${this.projection.name}: cannot read rebuild requests: ${(error as Error).message}`,
      );
      return;
    } finally {
      this.polling = false;
    }
    if (!asked || !this.active || this.rebuilding) return;
    const rebuild = new ShadowRebuild(
      {
        name: this.projection.name,
        store: this.store,
        copies,
        logger: this.logger,
        open: (events) => this.opened(events),
        afterSwitchOver: (position) => this.afterSwitchOver(position),
      },
      asked,
      this.rebuildSettings,
    );
    this.rebuilding = rebuild;
    void rebuild.done().finally(() => {
      if (this.rebuilding !== rebuild) return;
      this.latestRebuild = rebuild.progress();
      this.rebuilding = undefined;
    });
  }

  /**
   * The tables under the live projection were replaced: what it keeps in
   * memory belongs to the former copy. Events up to the new checkpoint that
   * its subscription still delivers are skipped (and told to the listeners).
   * A projection stopped at an unreadable event starts again.
   */
  private afterSwitchOver(position: bigint | undefined): void {
    this.knownCheckpoint = position;
    this.projection.discardUncommitted?.();
    if (this.state === 'failed' && this.active) {
      this.lastError = null;
      this.start();
    }
  }

  /** Wakes readers waiting for a revision (X-Min-Revision) instead of letting them poll. */
  onApplied(listener: AppliedListener): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  status(): ProjectionStatus {
    const status: ProjectionStatus = {
      name: this.projection.name,
      state: this.state,
      checkpoint: this.checkpoint()?.toString() ?? null,
      eventsApplied: this.eventsApplied,
      lastError: this.lastError,
    };
    const requests = this.projection.rebuilds?.requests;
    if (requests)
      status.rebuild =
        this.rebuilding?.progress() ??
        (requests.latestNow ? requests.latestNow(this.projection.name) : this.latestRebuild) ??
        null;
    return status;
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
        for await (const batch of logBatches(this.subscription, this.batchEvents)) {
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
    const checkpoint = this.checkpoint();
    // After a rebuild's switch-over the checkpoint may be ahead of this subscription.
    const fresh = checkpoint === undefined ? events : events.filter((e) => e.position > checkpoint);
    if (fresh.length > 0) {
      const last = fresh[fresh.length - 1].position;
      try {
        await this.projection.commit(fresh, last);
      } catch (error) {
        this.projection.discardUncommitted?.();
        // Keep what comes before an unreadable event, so the checkpoint stops right at it.
        const at = isUnreadable(error) ? fresh.findIndex((e) => isEventOf(error, e)) : -1;
        if (at > 0) await this.applyBatch(fresh.slice(0, at));
        throw error;
      }
      this.knownCheckpoint = last;
      this.eventsApplied += fresh.length;
    }
    // Skipped events are in the read model too (the rebuild applied them): wake their readers.
    for (const listener of this.appliedListeners) listener(this.projection.name, events);
  }
}

/** An event no retry will make readable. */
function isUnreadable(error: unknown): error is EventDecodeError | UnreadableEventError {
  return error instanceof EventDecodeError || error instanceof UnreadableEventError;
}

const isEventOf = (error: EventDecodeError | UnreadableEventError, event: RecordedEvent) =>
  error.streamId === event.streamId && error.revision === event.revision;
