/**
 * The event-store contract on the EventStoreDB adapter: through the real
 * client, over real gRPC, against our protocol test server, or against a real
 * EventStoreDB / KurrentDB when EVENTSTORE_CONNECTION_STRING is set, e.g.
 *   EVENTSTORE_CONNECTION_STRING='esdb://localhost:2113?tls=false' npm run test:esdb
 */
import { EsdbEventStore } from '@ipt/event-store';
import { EsdbTestServer, startEsdbTestServer } from '../support/esdb-test-server';
import { describeEventStoreContract } from './event-store.contract';

const realServer = process.env.EVENTSTORE_CONNECTION_STRING;
let testServer: EsdbTestServer | undefined;

describeEventStoreContract(
  realServer ? `EventStoreDB at ${realServer}` : 'EventStoreDB (protocol test server)',
  {
    async create() {
      if (realServer) return EsdbEventStore.fromConnectionString(realServer);
      testServer ??= await startEsdbTestServer();
      return EsdbEventStore.fromConnectionString(testServer.connectionString);
    },
    async teardown() {
      await testServer?.stop();
    },
  },
);
