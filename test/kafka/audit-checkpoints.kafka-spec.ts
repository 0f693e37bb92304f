/**
 * Signed checkpoints reach `ipt.audit-checkpoints.v1` on the real broker, in
 * the order issued, each verifying with the published key; the topic keeps
 * them (cleanup policy delete, no time limit).
 */
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { verifyCheckpointSignature, readPublicKey } from '@ipt/audit-verifier';
import { waitFor } from '../support/wait-for';
import { LedgerClient, startLedgerApp, tokenFor, type LedgerApp } from '../support/ledger-app';
import { readFeed, testBrokers } from '../support/kafka-feed';
import { CourseDriver } from '../e2e/course-scenario';

const TOPIC = 'ipt.audit-checkpoints.v1';

describe('audit checkpoints on Kafka', () => {
  let app: LedgerApp | undefined;

  afterAll(async () => {
    await app?.stop();
  });

  it('publishes every stored checkpoint, signed, in order', async () => {
    const origin = `kafka-e2e-${Date.now()}`;
    app = await startLedgerApp({
      env: {
        KAFKA_BROKERS: testBrokers().join(','),
        KAFKA_CLIENT_ID: 'audit-checkpoints-test',
        CHECKPOINT_INTERVAL_MS: '50',
        AUDIT_ORIGIN: origin,
      },
    });
    const clinician = new LedgerClient(app.baseUrl, tokenFor('clinic-ckpt', ['clinician']));
    const auditor = clinician.as(tokenFor('clinic-ckpt', ['auditor']));
    const course = await CourseDriver.enroll(clinician);
    // Await a checkpoint after the enrollment and after each session, so at
    // least five distinct sizes are signed whatever the ticks' timing.
    for (let n = 0; n <= 4; n++) {
      if (n > 0) await course.holdSessions(n, n);
      const size = n + 1;
      await waitFor(
        async () =>
          ((await auditor.get('/v1/audit/checkpoints/latest')).body?.checkpoint?.events?.size ??
            0) >= size,
        10000,
        () => `a checkpoint of ${size} events`,
      );
    }
    const stored = (await auditor.get('/v1/audit/checkpoints?limit=1000')).body.items as {
      checkpoint: { origin: string; events: { size: number } };
      signature: string;
      keyId: string;
    }[];
    expect(stored.length).toBeGreaterThanOrEqual(5);
    const key = readPublicKey((await auditor.get('/v1/audit/public-key')).body);

    const messages = await readFeed(testBrokers(), [TOPIC], {
      isolation: 'read_uncommitted',
      done: (got) => got.filter((m) => m.key === origin).length >= stored.length,
    });
    const published = messages
      .filter((m) => m.key === origin)
      .map((m) => JSON.parse(m.raw.toString('utf8')));
    // Every stored checkpoint, in order; a tick after the listing (the last command's access
    // record) may have signed and published one more.
    expect(published.slice(0, stored.length)).toEqual(
      stored.map(({ checkpoint, signature, keyId }) => ({ checkpoint, signature, keyId })),
    );
    for (const signed of published) {
      expect(verifyCheckpointSignature(signed.checkpoint, signed.signature, key)).toBe(true);
    }
    const sizes = published.map((p) => p.checkpoint.events.size);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));

    const kafka = new Kafka({
      clientId: 'audit-topic-check',
      brokers: testBrokers(),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: TOPIC,
            configNames: ['cleanup.policy', 'retention.ms'],
          },
        ],
      });
      const entries = Object.fromEntries(
        described.resources[0].configEntries.map((c) => [c.configName, c.configValue]),
      );
      expect(entries).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': '-1' });
    } finally {
      await admin.disconnect();
    }
  }, 90000);
});
