/**
 * Active/hot-standby between processes through a PostgreSQL advisory lock:
 * the process holding the lock does the work, any other waits and asks again
 * every `retryMs`. The lock belongs to one connection of its own (not a pooled
 * one), so it goes when the holder dies: a SIGKILLed process's socket closes
 * and the server releases the lock at once, and the standby takes over on its
 * next try. A holder whose connection breaks has lost the lock and is told.
 *
 * A holder whose machine vanishes (power, network) closes nothing: the server
 * notices only by TCP keepalive, which the lock's connection asks for after
 * 5 s idle and every 2 s after (not the system's two hours), so the lock is
 * freed about 11 s later.
 */
import { Client } from 'pg';

/** Advisory lock keys (one per kind of single active worker). */
export const PROJECTOR_LOCK = 7_401_101;
export const RELAY_LOCK = 7_401_102;

/** TCP keepalive of the lock's connection, in seconds and probes (server side). */
export const KEEPALIVE = { idle: 5, interval: 2, count: 3 };

export interface AdvisoryLeaseOptions {
  /** How often a standby asks for the lock (default 250 ms). */
  retryMs?: number;
  applicationName?: string;
}

export class AdvisoryLease {
  private client?: Client;
  private held = false;
  private stopped = false;
  private wake?: () => void;
  private readonly lostListeners = new Set<(error: Error) => void>();

  constructor(
    private readonly url: string,
    private readonly key: number,
    private readonly options: AdvisoryLeaseOptions = {},
  ) {}

  get active(): boolean {
    return this.held;
  }

  /** Told once when the held lock is lost (its connection broke). */
  onLost(listener: (error: Error) => void): void {
    this.lostListeners.add(listener);
  }

  /**
   * Resolves once this process holds the lock; until then it is a standby.
   * Resolves false when `release()` was called before it got the lock.
   */
  async acquire(): Promise<boolean> {
    while (!this.stopped) {
      try {
        const client = await this.connect();
        const { rows } = await client.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock($1) AS locked',
          [this.key],
        );
        if (rows[0]?.locked) {
          this.held = true;
          return true;
        }
      } catch {
        // The database is unreachable: drop the connection and ask again later.
        await this.dropClient();
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, this.options.retryMs ?? 250);
      });
    }
    return false;
  }

  async release(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    if (this.held && this.client)
      await this.client.query('SELECT pg_advisory_unlock($1)', [this.key]).catch(() => undefined);
    this.held = false;
    await this.dropClient();
  }

  private async connect(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({
      connectionString: this.url,
      application_name: this.options.applicationName ?? 'ipt-course-ledger-lease',
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE.idle * 1000,
      // The server's side of the connection: the session (and the lock) ends after 3 unanswered probes.
      options: `-c tcp_keepalives_idle=${KEEPALIVE.idle} -c tcp_keepalives_interval=${KEEPALIVE.interval} -c tcp_keepalives_count=${KEEPALIVE.count}`,
      connectionTimeoutMillis: 3000,
    });
    const lost = (error: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      if (!this.held || this.stopped) return;
      this.held = false;
      for (const listener of this.lostListeners) listener(error);
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('the connection holding the lock ended')));
    await client.connect();
    this.client = client;
    return client;
  }

  private async dropClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
