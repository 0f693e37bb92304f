/** The analytics feed: de-identified CloudEvents of course events, relayed to Kafka exactly once. */
export * from './topics';
export * from './cloud-event';
export * from './course-track';
export * from './asyncapi';
export * from './kafka-relay';
