/**
 * Runs the EventStoreDB protocol test server on its own, for trying the API
 * against the EventStoreDB adapter by hand:
 *   npm run esdb:test-server   (ESDB_TEST_PORT, default 2113)
 *   EVENTSTORE_CONNECTION_STRING='esdb://127.0.0.1:2113?tls=false' npm start
 */
import { startEsdbTestServer } from './server';

async function main(): Promise<void> {
  const port = Number(process.env.ESDB_TEST_PORT ?? 2113);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`ESDB_TEST_PORT must be a port number, got ${process.env.ESDB_TEST_PORT}`);
  }
  const server = await startEsdbTestServer({ port });
  console.log(
    `EventStoreDB protocol test server (in memory) listening: ${server.connectionString}`,
  );
  const shutdown = (signal: string) => {
    console.log(`${signal}: stopping`);
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
