/**
 * /metrics and /health of the three processes in the production shape: the
 * API (RUN_PROJECTIONS=false), the projector worker and the relay worker on a
 * real broker, sharing one data folder. Each serves prom-client's text with
 * the figures its part owns, and every process answers health the same way.
 */
import { randomUUID } from 'node:crypto';
import {
  LedgerClient,
  PROJECTOR_MAIN,
  RELAY_MAIN,
  freePort,
  startLedgerApp,
  tempDataDir,
  tokenFor,
  type LedgerApp,
} from '../support/ledger-app';
import { testBrokers } from '../support/kafka-feed';
import { waitFor } from '../support/wait-for';
import { CourseDriver, session } from '../e2e/course-scenario';

/** The value of one sample in Prometheus text, labels given in any order; undefined when absent. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

async function scrape(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

async function health(baseUrl: string, which: 'live' | 'ready') {
  const response = await fetch(`${baseUrl}/health/${which}`);
  return { status: response.status, body: (await response.json()) as any };
}

const PROJECTIONS = ['course-completion', 'course-outcomes', 'clinic-summary'];

describe('metrics and health of the API, the projector and the relay', () => {
  let api: LedgerApp;
  let projector: LedgerApp;
  let relay: LedgerApp;
  let projectorUrl: string;
  let relayUrl: string;

  beforeAll(async () => {
    const dataDir = tempDataDir();
    const projectorPort = await freePort();
    const relayPort = await freePort();
    projectorUrl = `http://127.0.0.1:${projectorPort}`;
    relayUrl = `http://127.0.0.1:${relayPort}`;
    api = await startLedgerApp({ dataDir, env: { RUN_PROJECTIONS: 'false' } });
    [projector, relay] = await Promise.all([
      startLedgerApp({
        dataDir,
        env: { LOG_LEVEL: 'info', PROJECTOR_PORT: String(projectorPort) },
        worker: { main: PROJECTOR_MAIN, readyText: '"msg":"operations listening"' },
      }),
      startLedgerApp({
        dataDir,
        env: {
          LOG_LEVEL: 'info',
          RELAY_PORT: String(relayPort),
          KAFKA_BROKERS: testBrokers().join(','),
          RELAY_TRANSACTIONAL_ID: `metrics-test-${randomUUID()}`,
        },
        worker: { main: RELAY_MAIN, readyText: '"msg":"operations listening"' },
      }),
    ]);
  }, 60000);

  afterAll(async () => {
    await relay?.stop();
    await projector?.stop();
    await api?.stop();
  });

  it('serve the figures each process owns, from prom-client', async () => {
    const clinician = new LedgerClient(api.baseUrl, tokenFor('clinic-metrics', ['clinician']));
    const course = await CourseDriver.enroll(clinician);
    await course.send('/sessions', session(1));
    const refused = await course.attempt('/sessions', session(3));
    expect([refused.status, refused.body.code]).toEqual([409, 'session_out_of_order']);
    const events = course.revision + 1;

    // The API: HTTP latency by route template, commands by type and outcome, command and append latency.
    const apiText = await scrape(api.baseUrl);
    const command = (type: string, outcome: string) => ({ command: type, outcome });
    expect(sample(apiText, 'ipt_commands_total', command('EnrollPatient', 'accepted'))).toBe(1);
    expect(sample(apiText, 'ipt_commands_total', command('RecordSessionHeld', 'accepted'))).toBe(1);
    expect(sample(apiText, 'ipt_commands_total', command('RecordSessionHeld', 'refused'))).toBe(1);
    expect(
      sample(
        apiText,
        'ipt_command_duration_seconds_count',
        command('RecordSessionHeld', 'accepted'),
      ),
    ).toBe(1);
    expect(sample(apiText, 'ipt_event_store_append_duration_seconds_count')).toBe(2);
    expect(
      sample(apiText, 'ipt_http_request_duration_seconds_count', {
        route: '/v1/courses/:courseId/sessions',
        method: 'POST',
        status_code: '409',
      }),
    ).toBe(1);
    expect(apiText).not.toContain(course.courseId); // route templates, never raw URLs
    expect(sample(apiText, 'ipt_event_store_up')).toBe(1);

    // The projector: checkpoint, lag and progress per projection.
    await waitFor(
      async () => {
        const text = await scrape(projectorUrl);
        return PROJECTIONS.every(
          (projection) => sample(text, 'ipt_projection_lag_positions', { projection }) === 0,
        );
      },
      20_000,
      () => 'every projection to catch up',
    );
    const projectorText = await scrape(projectorUrl);
    for (const projection of PROJECTIONS) {
      expect(sample(projectorText, 'ipt_projection_events_applied_total', { projection })).toBe(
        events,
      );
      expect(sample(projectorText, 'ipt_projection_checkpoint_position', { projection })).toBe(
        sample(projectorText, 'ipt_event_store_head_position'),
      );
      expect(sample(projectorText, 'ipt_projection_state', { projection, state: 'live' })).toBe(1);
    }
    expect(sample(projectorText, 'ipt_commands_total', command('EnrollPatient', 'accepted'))).toBe(
      undefined,
    );

    // The relay: lag, state and counters.
    await waitFor(
      async () => sample(await scrape(relayUrl), 'ipt_relay_lag_positions') === 0,
      30_000,
      () => 'the relay to catch up',
    );
    const relayText = await scrape(relayUrl);
    expect(sample(relayText, 'ipt_relay_up')).toBe(1);
    expect(sample(relayText, 'ipt_relay_state', { state: 'running' })).toBe(1);
    expect(sample(relayText, 'ipt_relay_events_relayed_total')).toBe(events);
    expect(sample(relayText, 'ipt_relay_batches_committed_total')).toBeGreaterThanOrEqual(1);
    expect(sample(relayText, 'ipt_relay_errors_total')).toBe(0);

    // Every process: the default process figures and the event-loop delay.
    for (const text of [apiText, projectorText, relayText]) {
      expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(sample(text, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    }
  }, 60000);

  it('answer health the same way', async () => {
    for (const url of [api.baseUrl, projectorUrl, relayUrl]) {
      expect(await health(url, 'live')).toEqual({ status: 200, body: { status: 'live' } });
      const ready = await health(url, 'ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ready', checks: { eventStore: 'up' } });
    }
    expect((await health(projectorUrl, 'ready')).body.checks.projections).toHaveLength(4); // the three read models and the audit events tree
    expect((await health(relayUrl, 'ready')).body.checks.relay).toMatchObject({
      state: 'running',
      healthy: true,
    });
    const unknown = await fetch(`${relayUrl}/nothing`);
    expect(unknown.status).toBe(404);
  });
});
