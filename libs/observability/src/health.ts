/**
 * One health answer for every process: `/health/live` says the process is up;
 * `/health/ready` runs the process's checks and answers 200 or 503 with
 * `{ status: 'ready' | 'not_ready', checks: { <name>: <report> } }`.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface CheckResult {
  ok: boolean;
  /** What the check found, as shown under its name in `checks`. */
  report: unknown;
}

/** A named check; one that throws counts as not ok and reports its message. */
export type HealthChecks = Record<string, () => Promise<CheckResult | null> | CheckResult | null>;

export interface HealthAnswer {
  httpStatus: 200 | 503;
  body: { status: 'ready' | 'not_ready'; checks: Record<string, unknown> };
}

export const LIVE = { status: 'live' } as const;

/** Runs the checks; a check answering null does not apply to this process and is left out. */
export async function readiness(checks: HealthChecks): Promise<HealthAnswer> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        return [name, await check()] as const;
      } catch (error) {
        return [name, { ok: false, report: (error as Error).message }] as const;
      }
    }),
  );
  const applying = entries.filter(
    (entry): entry is readonly [string, CheckResult] => entry[1] !== null,
  );
  const ready = applying.every(([, result]) => result.ok);
  return {
    httpStatus: ready ? 200 : 503,
    body: {
      status: ready ? 'ready' : 'not_ready',
      checks: Object.fromEntries(applying.map(([name, result]) => [name, result.report])),
    },
  };
}

/** The event store check every process shares. */
export function eventStoreCheck(store: { ping(): Promise<boolean> }): () => Promise<CheckResult> {
  return async () => {
    const up = await store.ping().catch(() => false);
    return { ok: up, report: up ? 'up' : 'down' };
  };
}

/** The shared database check (DATABASE_URL): a trivial query answers within the pool's timeout. */
export function databaseCheck(database: {
  query(sql: string): Promise<unknown>;
}): () => Promise<CheckResult> {
  return async () => {
    const up = await database.query('SELECT 1').then(
      () => true,
      () => false,
    );
    return { ok: up, report: up ? 'up' : 'down' };
  };
}

/** Every projection follows the log (not stopped, not retrying). */
export function projectionsCheck(
  statuses: () => Array<{ name: string; state: string; lastError: string | null }>,
): () => CheckResult {
  return () => {
    const all = statuses();
    return {
      ok: all.every((s) => s.state === 'live' || s.state === 'catching_up'),
      report: all.map(({ name, state, lastError }) => ({ name, state, lastError })),
    };
  };
}

/** The relay commits to Kafka; its whole status is the report, with `healthy`. */
export function relayCheck(relay: {
  /** null while the relay has not been created yet. */
  status(): Promise<{ state: string } | null>;
}): () => Promise<CheckResult> {
  return async () => {
    const status = (await relay.status()) ?? { state: 'starting' };
    const healthy = status.state === 'running';
    return { ok: healthy, report: { ...status, healthy } };
  };
}

/**
 * The operations endpoints of a worker process (projector, relay):
 * /health/live, /health/ready and /metrics on their own port.
 */
export function serveOperations(options: {
  host: string;
  port: number;
  registry: Registry;
  checks: HealthChecks;
}): Server {
  const { registry, checks } = options;
  return createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const json = (status: number, body: unknown) =>
      send(status, 'application/json', JSON.stringify(body));
    const path = (req.url ?? '').split('?')[0];
    void (async () => {
      if (req.method !== 'GET')
        return json(405, problem(405, 'Method Not Allowed', 'method_not_allowed'));
      if (path === '/health/live') return json(200, LIVE);
      if (path === '/health/ready') {
        const answer = await readiness(checks);
        return json(answer.httpStatus, answer.body);
      }
      if (path === '/metrics') return send(200, registry.contentType, await registry.metrics());
      return json(404, problem(404, 'Not Found', 'not_found'));
    })().catch(() => json(500, problem(500, 'Internal Server Error', 'internal_error')));
  }).listen(options.port, options.host);
}

function problem(status: number, title: string, code: string) {
  return { type: 'about:blank', title, status, code };
}
