/**
 * The same end-to-end suite with the app on the EventStoreDB adapter: the real
 * @eventstore/db-client over real gRPC, against our protocol test server, or
 * against the server EVENTSTORE_CONNECTION_STRING names (npm run test:esdb).
 */
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdb-test-server';
import { describeLedgerApi } from './ledger-api';

const external = process.env.EVENTSTORE_CONNECTION_STRING;
let server: EsdbTestServer | undefined;

describeLedgerApi(
  external ? `EventStoreDB at ${external}` : 'EventStoreDB (protocol test server)',
  {
    env: () => ({ EVENTSTORE_CONNECTION_STRING: external ?? server!.connectionString }),
    async start() {
      if (!external && !server) server = await startEsdbTestServer();
    },
    async stop() {
      await server?.stop();
      server = undefined;
    },
  },
);
