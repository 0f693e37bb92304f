/**
 * The relay's checkpoint in Kafka: one record per transactional id on the
 * one-partition checkpoints topic, written in the same transaction as each
 * batch, and read back on start after fencing any older relay.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka, Message } from 'kafkajs';
import type { FeedProducer } from './feed-producer';

/** The checkpoint record of a batch whose last event is at `position`. */
export const checkpointMessage = (
  transactionalId: string,
  position: bigint,
): Message & { value: string } => ({
  key: transactionalId,
  partition: 0,
  value: JSON.stringify({ position: position.toString() }),
});

/**
 * The first transaction of a producer id fences any older relay with this
 * transactional id and aborts its open transaction. The start marker it
 * commits then shows where the committed checkpoint log ends: read (in
 * read_committed) up to the marker, the last checkpoint seen is ours.
 */
export async function takeOverAndReadCheckpoint(
  kafka: Kafka,
  admin: Admin,
  producer: FeedProducer,
  where: { transactionalId: string; topic: string },
): Promise<bigint | null> {
  const { transactionalId, topic } = where;
  const nonce = randomUUID();
  const markerKey = `${transactionalId}#start`;
  await producer.transaction([
    [
      {
        topic,
        messages: [{ key: markerKey, partition: 0, value: JSON.stringify({ nonce }) }],
      },
    ],
  ]);
  const groupId = `${transactionalId}.checkpoint-reader.${nonce}`;
  const consumer: Consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 100,
    sessionTimeout: 10_000,
    rebalanceTimeout: 10_000,
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<bigint | null>((resolve, reject) => {
      let position: bigint | null = null;
      const timer = setTimeout(
        () => reject(new Error('reading the relay checkpoint timed out')),
        30_000,
      );
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ message: m }) => {
            const key = m.key?.toString();
            if (key === transactionalId && m.value) {
              position = BigInt((JSON.parse(m.value.toString()) as { position: string }).position);
            } else if (
              key === markerKey &&
              m.value &&
              (JSON.parse(m.value.toString()) as { nonce: string }).nonce === nonce
            ) {
              clearTimeout(timer);
              resolve(position);
            }
          },
        })
        .catch((err: unknown) => {
          clearTimeout(timer);
          reject(err);
        });
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    // The reader group never committed offsets; drop it rather than leave one per start.
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}
