/** Jest global teardown: stops the broker the global setup started (none when KAFKA_BROKERS was given). */
import { stopTestBroker } from './kafka-global-setup';

export default async function kafkaGlobalTeardown(): Promise<void> {
  await stopTestBroker();
}
