/** The feed's Kafka topics (analytics-feed.md); names overridable for tests and side-by-side deployments. */
export interface FeedTopics {
  /** One CloudEvent per domain event, keyed by courseId. */
  courseEvents: string;
  /** Latest de-identified completion+outcomes snapshot per course; compacted. */
  courseOutcomes: string;
  /** The relay's committed checkpoint, written in the same transaction as each batch; compacted. */
  relayCheckpoints: string;
}

export const DEFAULT_TOPICS: FeedTopics = {
  courseEvents: 'ipt.course-events.v1',
  courseOutcomes: 'ipt.course-outcomes.v1',
  relayCheckpoints: 'ipt.relay-checkpoints.v1',
};

/** `ipt.course-events.v1` + `-t42` → `ipt.course-events.v1-t42`: isolated topics for one test. */
export const topicsWithSuffix = (suffix: string): FeedTopics => ({
  courseEvents: `${DEFAULT_TOPICS.courseEvents}${suffix}`,
  courseOutcomes: `${DEFAULT_TOPICS.courseOutcomes}${suffix}`,
  relayCheckpoints: `${DEFAULT_TOPICS.relayCheckpoints}${suffix}`,
});
