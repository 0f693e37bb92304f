/**
 * The HTTP API. In the embedded mode this one process also runs the
 * projections (and the Kafka relay, when KAFKA_BROKERS is set).
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import * as crypto from 'node:crypto';
import { ConfigError, loadConfig } from '@ipt/config';
import { AppModule } from './app.module';
import { ProblemFilter } from './http/problem.filter';
import { BodyValidationPipe, isCorrelationId } from './http/validation';
import { createLogger, PinoNestLogger } from './infrastructure/logger';
import { setUpOpenApi } from './operations/openapi';

/** Homework ids are chosen by the clinic and may carry anything: keep them out of logs. */
export function loggableUrl(url: string): string {
  return url.replace(/\/homework\/[^/?]+/, '/homework/:homeworkId');
}

export async function createApp(
  env: NodeJS.ProcessEnv = process.env,
): Promise<NestFastifyApplication> {
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel, {
    req: (request: { method: string; url: string }) => ({
      method: request.method,
      url: loggableUrl(request.url),
    }),
  });
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // Request logging options go through a LogController: as top-level options they are
    // deprecated (FSTDEP023, FSTDEP024) and warned about at every start.
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: 1024 * 1024,
    // The caller's correlation id, when well-formed, names the request in logs and events.
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const given = request.headers['x-correlation-id'];
      return isCorrelationId(given) ? given : crypto.randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: true,
  });
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(new BodyValidationPipe());
  app.enableShutdownHooks();
  setUpOpenApi(app);
  return app;
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
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
