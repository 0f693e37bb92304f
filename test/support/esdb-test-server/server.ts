/**
 * A protocol test server for EventStoreDB's gRPC API: the part that
 * @eventstore/db-client uses for appends, reads and catch-up subscriptions,
 * in memory. What it does not cover: docs/esdb-test-server.md.
 */
import * as grpc from '@grpc/grpc-js';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import {
  SupportedMethod,
  SupportedMethods,
} from '@eventstore/db-client/generated/serverfeatures_pb';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { EventLog } from './event-log';
import { streamsHandlers } from './streams-service';

export interface EsdbTestServerOptions {
  /** 0 (default): an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface EsdbTestServer {
  port: number;
  /** `esdb://127.0.0.1:<port>?tls=false` */
  connectionString: string;
  /** Empties the log (system events are seeded again) and ends open subscriptions. */
  reset(): void;
  stop(): Promise<void>;
  /** Stops listening (dropping every connection), then listens again on the same port, keeping the data. */
  restart(): Promise<void>;
  /** The in-memory log, for tests that inspect what was stored. */
  readonly log: EventLog;
}

/** What a real server accepts per message (the client itself allows 17 MiB on receive). */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** A version string in the range whose protocol this server speaks. */
const ADVERTISED_VERSION = '23.10.0-protocol-test-server';

export async function startEsdbTestServer(
  options: EsdbTestServerOptions = {},
): Promise<EsdbTestServer> {
  const host = options.host ?? '127.0.0.1';
  const log = new EventLog();
  let server = createServer(log);
  const port = await bind(server, host, options.port ?? 0);
  let running = true;

  const stop = async () => {
    if (!running) return;
    running = false;
    // forceShutdown drops open calls at once, as a crashed or unplugged server would.
    server.forceShutdown();
  };

  return {
    port,
    connectionString: `esdb://${host}:${port}?tls=false`,
    log,
    reset: () => log.reset(),
    stop,
    restart: async () => {
      await stop();
      server = createServer(log);
      await bind(server, host, port);
      running = true;
    },
  };
}

function createServer(log: EventLog): grpc.Server {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES + 1024 * 1024,
  });
  const streams = streamsHandlers(log);
  server.addService(StreamsService, streams);
  server.addService(ServerFeaturesService, {
    getSupportedMethods: (
      _call: grpc.ServerUnaryCall<unknown, SupportedMethods>,
      callback: grpc.sendUnaryData<SupportedMethods>,
    ) => callback(null, supportedMethods(Object.keys(streams))),
  });
  return server;
}

/** Advertises what is implemented, BatchAppend included, so the client takes its production path. */
function supportedMethods(streamsMethods: string[]): SupportedMethods {
  const methods = new SupportedMethods();
  methods.setEventStoreServerVersion(ADVERTISED_VERSION);
  const definitions = [
    ...streamsMethods.map((name) => StreamsService[name as keyof typeof StreamsService]),
    ServerFeaturesService.getSupportedMethods,
  ];
  for (const definition of definitions) {
    // A path is /<package>.<Service>/<Method>; the real server answers in lower case.
    const [, serviceName, methodName] = definition.path.split('/');
    const method = new SupportedMethod();
    method.setServiceName(serviceName.toLowerCase());
    method.setMethodName(methodName.toLowerCase());
    methods.addMethods(method);
  }
  return methods;
}

function bind(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(
      `${host}:${port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, boundPort) => (error ? reject(error) : resolve(boundPort)),
    ),
  );
}
