/** Jest global teardown: stops the broker and the PostgreSQL server the global setup started (none that were given). */
import { stopTestServers } from './kafka-global-setup';

export default async function kafkaGlobalTeardown(): Promise<void> {
  await stopTestServers();
}
