/**
 * The HTTP API. In the embedded mode this one process also runs the
 * projections (and the Kafka relay, when KAFKA_BROKERS is set).
 */
import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { loadConfig, loadConfigOrExit } from '@ipt/config';
import { startTracing } from '@ipt/telemetry';
import { AppModule } from './app.module';
import { recordAccesses } from './audit/access-log/access-log.hook';
import { ACCESS_LOG, type AccessLog } from './audit/access-log/access-log';
import { serveConsole } from './console/console';
import type { TokenVerifier } from '@ipt/auth';
import { TOKEN_VERIFIER } from './http/auth.guard';
import { authenticateBeforeBody, edgeServerOptions, parseJsonBodiesOnly } from './http/edge';
import { ProblemFilter } from './http/problem.filter';
import { BodyValidationPipe } from './http/validation';
import { requestIdOf } from './infrastructure/logging';
import { ApiMetrics } from './infrastructure/api-metrics';
import { traceRequests } from './http/request-tracing';
import { setUpOpenApi } from './operations/openapi';

export async function createApp(
  env: NodeJS.ProcessEnv = process.env,
): Promise<NestFastifyApplication> {
  const config = loadConfig(env);
  const adapter = new FastifyAdapter({
    ...edgeServerOptions({ requestTimeoutMs: config.requestTimeoutMs }),
    // Requests are logged by nestjs-pino (pino-http), not by Fastify's own logger.
    logger: false,
    // The caller's correlation id, when well-formed, names the request in logs and events;
    // kept on the raw request so that pino-http logs the same id.
    genReqId: (request: IncomingMessage) => String((request.id = requestIdOf(request))),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bufferLogs: true,
    // JSON only, parsed by parseJsonBodiesOnly: Nest's parsers would take form bodies too.
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();
  // First: the request span also covers what the edge refuses (401 before the body).
  traceRequests(fastify);
  parseJsonBodiesOnly(fastify);
  authenticateBeforeBody(fastify, app.get<TokenVerifier>(TOKEN_VERIFIER));
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(new BodyValidationPipe());
  app.enableShutdownHooks();
  recordHttpLatency(app);
  // Before the routes are registered (at init), so that every route answers through it.
  recordAccesses(app.getHttpAdapter().getInstance(), app.get<AccessLog>(ACCESS_LOG));
  setUpOpenApi(app);
  await serveConsole(app);
  return app;
}

/** Latency per route template (never the raw URL, which may carry clinic-chosen ids). */
function recordHttpLatency(app: NestFastifyApplication): void {
  const { requestDuration } = app.get(ApiMetrics).http;
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request, reply, done) => {
      requestDuration.observe(
        {
          route: request.routeOptions.url ?? 'unmatched',
          method: request.method,
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
      done();
    });
}

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env, { opensCourseKeys: true });
  startTracing('ipt-course-ledger-api');
  const app = await createApp();
  await app.listen({ port: config.port, host: config.host });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // One machine-readable line that scripts and tests wait for.
  const store = config.eventStoreConnectionString ? 'eventstoredb' : 'sqlite';
  process.stdout.write(
    JSON.stringify({ msg: 'listening', url: `http://${config.host}:${port}`, store }) + '\n',
  );
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`failed to start: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
