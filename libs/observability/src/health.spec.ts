import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { readiness, relayCheck, serveOperations } from './health';
import { registerRelayMetrics } from './metrics';

describe('the health answer every process shares', () => {
  it('is ready only when every applying check is ok, and leaves out checks that do not apply', async () => {
    const ready = await readiness({
      eventStore: async () => ({ ok: true, report: 'up' }),
      relay: () => null,
    });
    expect(ready).toEqual({
      httpStatus: 200,
      body: { status: 'ready', checks: { eventStore: 'up' } },
    });

    const notReady = await readiness({
      eventStore: async () => ({ ok: true, report: 'up' }),
      projections: () => {
        throw new Error('read-model file locked');
      },
      relay: relayCheck({ status: async () => null }),
    });
    expect(notReady).toEqual({
      httpStatus: 503,
      body: {
        status: 'not_ready',
        checks: {
          eventStore: 'up',
          projections: 'read-model file locked',
          relay: { state: 'starting', healthy: false },
        },
      },
    });
  });

  it('is served with /metrics on a worker’s own port', async () => {
    const registry = new Registry();
    let state = 'degraded';
    const status = async () => ({
      state,
      fenced: false,
      checkpoint: '41',
      lag: state === 'running' ? 0 : 3,
      eventsRelayed: 12,
      batchesCommitted: 2,
      errors: 1,
    });
    registerRelayMetrics(registry, { status });
    const server = serveOperations({
      host: '127.0.0.1',
      port: 0,
      registry,
      checks: { relay: relayCheck({ status }) },
    });
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await (await fetch(`${base}/health/live`)).json()).toEqual({ status: 'live' });
      expect((await fetch(`${base}/health/ready`)).status).toBe(503);
      state = 'running';
      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(200);
      expect(
        ((await ready.json()) as { checks: Record<string, unknown> }).checks.relay,
      ).toMatchObject({ state: 'running', healthy: true });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/^ipt_relay_state\{state="running"\} 1$/m);
      expect(metrics).toMatch(/^ipt_relay_lag_positions 0$/m);
      expect(metrics).toMatch(/^ipt_relay_events_relayed_total 12$/m);
      expect(metrics).toMatch(/^ipt_relay_checkpoint_position 41$/m);
      const unknown = await fetch(`${base}/metrics/../admin`);
      expect(unknown.status).toBe(404);
    } finally {
      server.close();
    }
  });
});
