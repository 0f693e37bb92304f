/**
 * The Prometheus figures every process serves on /metrics, from one
 * prom-client registry per process. Worker and API processes register only
 * the groups that apply to them; names are shared so dashboards need one query.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A registry with the default process figures: CPU, memory, handles, GC and
 * the event-loop delay (`nodejs_eventloop_lag_*_seconds`, which prom-client
 * reads from perf_hooks.monitorEventLoopDelay).
 */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Latency buckets (seconds) for in-process work: sub-millisecond appends up to slow outliers. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** HTTP latency by route template, never the raw URL (which may carry clinic-chosen ids). */
export function httpMetrics(registry: Registry) {
  return {
    requestDuration: new Histogram({
      name: 'ipt_http_request_duration_seconds',
      help: 'HTTP request latency by route template, method and status code.',
      labelNames: ['route', 'method', 'status_code'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  };
}

export type CommandOutcome = 'accepted' | 'refused' | 'failed';

/** The write path: commands by type and outcome, their latency and the event store append's. */
export function commandMetrics(registry: Registry) {
  return {
    commands: new Counter({
      name: 'ipt_commands_total',
      help: 'Course commands by type and outcome (accepted, refused by a rule or a check, failed).',
      labelNames: ['command', 'outcome'] as const,
      registers: [registry],
    }),
    commandDuration: new Histogram({
      name: 'ipt_command_duration_seconds',
      help: 'Course command latency from decision to answer, by type and outcome.',
      labelNames: ['command', 'outcome'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    appendDuration: new Histogram({
      name: 'ipt_event_store_append_duration_seconds',
      help: 'Latency of one append to a course stream in the event store.',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    commandsPerAppend: new Histogram({
      name: 'ipt_commands_per_append',
      help: 'Commands on one course decided together and recorded by one append (1 unless they queued up).',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers: [registry],
    }),
  };
}

export type CommandMetrics = ReturnType<typeof commandMetrics>;

/**
 * Calls `read` once for all collectors of one scrape: prom-client collects
 * metrics concurrently, so the promise in flight is shared.
 */
export function sharedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () =>
    (inFlight ??= read().finally(() => {
      inFlight = undefined;
    }));
}

/** What the event store figures need (the EventStore port satisfies it). */
export interface StoreProbe {
  headPosition(): Promise<bigint | null>;
  ping(): Promise<boolean>;
}

export function registerEventStoreMetrics(registry: Registry, store: StoreProbe): void {
  const read = sharedRead(async () => {
    const head = await store.headPosition().catch(() => null);
    const up = head !== null || (await store.ping().catch(() => false));
    return { head, up };
  });
  new Gauge({
    name: 'ipt_event_store_up',
    help: 'Whether the event store answered.',
    registers: [registry],
    async collect() {
      this.set(Number((await read()).up));
    },
  });
  new Gauge({
    name: 'ipt_event_store_head_position',
    help: 'Position of the last event in the global log.',
    registers: [registry],
    async collect() {
      this.set(Number((await read()).head ?? 0));
    },
  });
}

/** The fields of a projection's status these figures read (ProjectionRunner.status()). */
export interface ProjectionFigures {
  name: string;
  state: string;
  checkpoint: string | null;
  eventsApplied: number;
  /** The rebuild under way, asked for or last finished (ProjectionRunner.status().rebuild). */
  rebuild?: {
    state: string;
    eventsDone: number;
    eventsTotal: number | null;
    eventsPerSecond: number | null;
    secondsLeft: number | null;
  } | null;
}

/** A rebuild that is asked for or under way (not done, not failed). */
const OPEN_REBUILD = ['requested', 'preparing', 'replaying', 'switching'];

export const PROJECTION_STATES = [
  'starting',
  'catching_up',
  'live',
  'retrying',
  'failed',
  'stopped',
];

/**
 * Per projection: checkpoint, lag behind the newest course event, events
 * applied (which shows rebuild progress) and state.
 */
export function registerProjectionMetrics(
  registry: Registry,
  source: {
    statuses(): ProjectionFigures[];
    /** The newest course event's position (null: none yet); throws when the store is unreachable. */
    head(): Promise<bigint | null>;
  },
): void {
  const read = sharedRead(async () => ({
    statuses: source.statuses(),
    head: await source.head().then(
      (head) => head ?? 0n,
      () => null,
    ),
  }));
  new Counter({
    name: 'ipt_projection_events_applied_total',
    help: 'Events applied by each live projection since the process started.',
    labelNames: ['projection'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of (await read()).statuses) this.inc({ projection: s.name }, s.eventsApplied);
    },
  });
  new Gauge({
    name: 'ipt_projection_checkpoint_position',
    help: 'Global log position each projection has applied.',
    labelNames: ['projection'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of (await read()).statuses)
        this.set({ projection: s.name }, Number(s.checkpoint ?? 0));
    },
  });
  new Gauge({
    name: 'ipt_projection_lag_positions',
    help: 'How far each projection is behind the newest course event, in log positions (NaN: store unreachable).',
    labelNames: ['projection'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const { statuses, head } = await read();
      for (const s of statuses) {
        const done = BigInt(s.checkpoint ?? 0);
        const lag = head === null ? NaN : head > done ? Number(head - done) : 0;
        this.set({ projection: s.name }, lag);
      }
    },
  });
  new Gauge({
    name: 'ipt_projection_live',
    help: 'Whether each projection has caught up with the log.',
    labelNames: ['projection'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of (await read()).statuses)
        this.set({ projection: s.name }, s.state === 'live' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ipt_projection_failed',
    help: 'Whether each projection stopped at an event it cannot read.',
    labelNames: ['projection'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of (await read()).statuses)
        this.set({ projection: s.name }, s.state === 'failed' ? 1 : 0);
    },
  });
  // Rebuild progress: one series per rebuildable projection; NaN when no figure applies.
  const rebuildGauge = (
    name: string,
    help: string,
    value: (r: NonNullable<ProjectionFigures['rebuild']>) => number | null,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['projection'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const s of (await read()).statuses) {
          if (s.rebuild === undefined) continue;
          this.set({ projection: s.name }, s.rebuild ? (value(s.rebuild) ?? NaN) : NaN);
        }
      },
    });
  rebuildGauge(
    'ipt_projection_rebuilding',
    'Whether a rebuild of each projection is asked for or under way (the current copy keeps answering).',
    (r) => Number(OPEN_REBUILD.includes(r.state)),
  );
  rebuildGauge(
    'ipt_projection_rebuild_events_done',
    'Events the current or last rebuild has replayed into its shadow copy.',
    (r) => r.eventsDone,
  );
  rebuildGauge(
    'ipt_projection_rebuild_events_total',
    'Events the current or last rebuild has to replay to catch up (grows with new commands).',
    (r) => r.eventsTotal,
  );
  rebuildGauge(
    'ipt_projection_rebuild_events_per_second',
    'Replay rate of the current or last rebuild.',
    (r) => r.eventsPerSecond,
  );
  rebuildGauge(
    'ipt_projection_rebuild_seconds_left',
    'Time the rebuild under way needs to catch up at its rate (0 once switched over).',
    (r) => r.secondsLeft,
  );
  new Gauge({
    name: 'ipt_projection_state',
    help: '1 for the state each projection is in.',
    labelNames: ['projection', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of (await read()).statuses)
        for (const state of PROJECTION_STATES)
          this.set({ projection: s.name, state }, s.state === state ? 1 : 0);
    },
  });
}

/** The fields of the relay's status these figures read (KafkaRelay.status()). */
export interface RelayFigures {
  state: string;
  fenced: boolean;
  checkpoint: string | null;
  lag: number | null;
  eventsRelayed: number;
  batchesCommitted: number;
  errors: number;
}

export const RELAY_STATES = ['starting', 'running', 'degraded', 'stopped'];

/** The analytics relay's figures, read from its status at each scrape. */
export function registerRelayMetrics(
  registry: Registry,
  relay: {
    status(): Promise<RelayFigures>;
    /** Where the relay tells of each committed transaction (absent: no transaction-time histogram). */
    onCommitted?(listener: (transaction: { seconds: number }) => void): unknown;
  },
): void {
  const read = sharedRead(() => relay.status());
  if (relay.onCommitted) {
    const seconds = new Histogram({
      name: 'ipt_relay_transaction_seconds',
      help: "Time from a Kafka transaction's begin to the broker's commit acknowledgment (the feed's own latency, besides the wait for the transaction before it).",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    relay.onCommitted((transaction) => seconds.observe(transaction.seconds));
  }
  const gauge = (name: string, help: string, value: (s: RelayFigures) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(value(await read()));
      },
    });
  const counter = (name: string, help: string, value: (s: RelayFigures) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      async collect() {
        this.reset();
        this.inc(value(await read()));
      },
    });
  new Gauge({
    name: 'ipt_relay_state',
    help: '1 for the state the analytics relay is in.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const { state } = await read();
      for (const s of RELAY_STATES) this.set({ state: s }, state === s ? 1 : 0);
    },
  });
  gauge('ipt_relay_up', '1 while the relay commits to Kafka (state running).', (s) =>
    Number(s.state === 'running'),
  );
  gauge('ipt_relay_fenced', '1 when another relay with the same transactional id took over.', (s) =>
    Number(s.fenced),
  );
  gauge(
    'ipt_relay_lag_positions',
    'How far the feed is behind the event store, in log positions (NaN: unknown).',
    (s) => s.lag ?? NaN,
  );
  gauge(
    'ipt_relay_checkpoint_position',
    'Global-log position of the last event committed to Kafka (NaN: none yet).',
    (s) => (s.checkpoint === null ? NaN : Number(s.checkpoint)),
  );
  counter(
    'ipt_relay_events_relayed_total',
    'Course events committed to Kafka by this process.',
    (s) => s.eventsRelayed,
  );
  counter(
    'ipt_relay_batches_committed_total',
    'Kafka transactions committed by this process.',
    (s) => s.batchesCommitted,
  );
  counter(
    'ipt_relay_errors_total',
    'Failed relay attempts (Kafka or store unavailable, fencing, bad topic settings).',
    (s) => s.errors,
  );
}

/**
 * The relay's figures alone, in the Prometheus text format (for tests and tools that hold a
 * relay); no transaction-time histogram, which only a registry kept from the start can fill.
 */
export async function relayMetricsText(relay: {
  status(): Promise<RelayFigures>;
}): Promise<string> {
  const registry = new Registry();
  registerRelayMetrics(registry, { status: () => relay.status() });
  return registry.metrics();
}

/** One clinic's count of active courses at risk for one reason (ReadModelQueries). */
export interface AtRiskFigure {
  clinicId: string;
  reason: string;
  courses: number;
}

/** Active courses at risk of dropout now, per clinic and reason, read from the read model at each scrape. */
export function registerAtRiskMetrics(
  registry: Registry,
  counts: () => AtRiskFigure[] | Promise<AtRiskFigure[]>,
): void {
  new Gauge({
    name: 'ipt_courses_at_risk',
    help: 'Active courses at risk of dropout now, per clinic and reason (a course with two reasons counts under both).',
    labelNames: ['clinic_id', 'reason'] as const,
    registers: [registry],
    async collect() {
      // The shared database unreachable: no figures this scrape, the rest of /metrics still answers.
      const figures = await Promise.resolve()
        .then(counts)
        .catch(() => [] as AtRiskFigure[]);
      this.reset();
      for (const c of figures) this.set({ clinic_id: c.clinicId, reason: c.reason }, c.courses);
    },
  });
}
