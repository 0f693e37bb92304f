/** The feed's topics: created when missing, refused when their settings would break the feed's guarantees. */
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import type { RelayLogger } from './relay-options';
import type { FeedTopics } from './topics';

/** An existing topic whose settings would break the feed's guarantees: never "fixed" silently. */
export class TopicConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicConfigurationError';
  }
}

export interface FeedTopicSettings {
  topics: FeedTopics;
  /** Partitions of the course-events and course-outcomes topics. */
  partitions: number;
  replicationFactor: number | undefined;
  /** retention.ms of the course-events topic. */
  retentionMs: number;
  log: RelayLogger;
}

/** Creates missing topics; refuses existing ones whose cleanup policy would lose or expire what must stay. */
export async function ensureFeedTopics(admin: Admin, settings: FeedTopicSettings): Promise<void> {
  const { topics, partitions, replicationFactor, retentionMs } = settings;
  const wanted = [
    {
      topic: topics.courseEvents,
      numPartitions: partitions,
      policy: 'delete',
      configEntries: [
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'retention.ms', value: String(retentionMs) },
      ],
    },
    {
      topic: topics.courseOutcomes,
      numPartitions: partitions,
      policy: 'compact',
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    },
    {
      // One partition: the checkpoint and the start marker must be ordered with each other.
      topic: topics.relayCheckpoints,
      numPartitions: 1,
      policy: 'compact',
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'segment.ms', value: String(3_600_000) },
      ],
    },
  ];
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((w) => !existing.has(w.topic));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((w) => ({
        topic: w.topic,
        numPartitions: w.numPartitions,
        ...(replicationFactor ? { replicationFactor } : {}),
        configEntries: w.configEntries,
      })),
    });
    settings.log.info({ topics: missing.map((w) => w.topic) }, 'relay created topics');
  }
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: wanted.map((w) => ({
      type: ConfigResourceTypes.TOPIC,
      name: w.topic,
      configNames: ['cleanup.policy'],
    })),
  });
  for (const w of wanted) {
    const resource = described.resources.find((r) => r.resourceName === w.topic);
    const policy = resource?.configEntries.find(
      (c) => c.configName === 'cleanup.policy',
    )?.configValue;
    const policies = (policy ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)
      .sort()
      .join(',');
    if (policies !== w.policy) {
      throw new TopicConfigurationError(
        `topic ${w.topic} has cleanup.policy=${policy ?? '(unknown)'}, the feed needs cleanup.policy=${w.policy}; fix or delete the topic`,
      );
    }
  }
}
