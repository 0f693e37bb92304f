/**
 * Publishes signed checkpoints to `ipt.audit-checkpoints.v1` so that parties
 * outside the service hold copies (witnesses). One partition keeps them in
 * order; cleanup policy delete with unlimited retention keeps every one.
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { StoredCheckpoint } from './checkpoints';

export const AUDIT_CHECKPOINTS_TOPIC = 'ipt.audit-checkpoints.v1';

export class CheckpointTopic {
  private readonly kafka: Kafka;
  private producer?: Producer;
  private ready?: Promise<Producer>;

  constructor(options: { brokers: string[]; clientId: string }) {
    this.kafka = new Kafka({
      brokers: options.brokers,
      clientId: `${options.clientId}-audit-checkpoints`,
      logLevel: logLevel.NOTHING,
    });
  }

  /** Sends one checkpoint, keyed by origin, and waits for every in-sync replica. */
  async publish(stored: StoredCheckpoint): Promise<void> {
    const producer = await (this.ready ??= this.connect().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    }));
    const { sequence: _sequence, ...signed } = stored;
    await producer.send({
      topic: AUDIT_CHECKPOINTS_TOPIC,
      acks: -1,
      messages: [{ key: signed.checkpoint.origin, value: JSON.stringify(signed) }],
    });
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
  }

  private async connect(): Promise<Producer> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      if (!topics.includes(AUDIT_CHECKPOINTS_TOPIC)) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic: AUDIT_CHECKPOINTS_TOPIC,
              numPartitions: 1,
              configEntries: [
                { name: 'cleanup.policy', value: 'delete' },
                { name: 'retention.ms', value: '-1' },
              ],
            },
          ],
        });
      }
    } finally {
      await admin.disconnect();
    }
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    return this.producer;
  }
}
