/**
 * Structured JSON logs with nestjs-pino (pino-http per request): every line a
 * request causes carries its request id, which is the caller's
 * X-Correlation-Id when well-formed. Nothing logged carries a request body or
 * headers: bodies may hold PHI, headers hold tokens.
 */
import type { IncomingMessage } from 'node:http';
import * as crypto from 'node:crypto';
import pino from 'pino';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '@ipt/config';
import { isCorrelationId } from '../http/validation';

/**
 * Homework ids are chosen by the clinic and may carry anything, and a query
 * (its names included) is whatever the client sent: keep both out of logs.
 */
export function loggableUrl(url: string): string {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  return path.replace(/\/homework\/[^/]+/, '/homework/:homeworkId') + (query < 0 ? '' : '?…');
}

/**
 * The request id: the caller's correlation id when well-formed, else a new
 * UUID. Fastify's request.id and pino-http's share it (see main.ts).
 */
export function requestIdOf(request: IncomingMessage): string {
  if (typeof request.id === 'string') return request.id;
  const given = request.headers['x-correlation-id'];
  return isCorrelationId(given) ? given : crypto.randomUUID();
}

export function loggingModule(config: Pick<AppConfig, 'logLevel'>) {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: config.logLevel,
      base: { service: 'ipt-course-ledger' },
      timestamp: pino.stdTimeFunctions.isoTime,
      genReqId: (request) => requestIdOf(request),
      customAttributeKeys: { reqId: 'requestId' },
      // Lines logged while handling a request carry its id; the request itself is logged once.
      quietReqLogger: true,
      customReceivedMessage: () => 'incoming request',
      customReceivedObject: (request) => ({ req: request }),
      customSuccessMessage: () => 'request completed',
      customErrorMessage: () => 'request failed',
      serializers: {
        req: (request: { method: string; url: string }) => ({
          method: request.method,
          url: loggableUrl(request.url),
        }),
        res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
      },
    },
  });
}
