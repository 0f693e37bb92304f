/**
 * Structured JSON logs (pino). Nest's own messages go through the same
 * logger. Nothing logged carries a request body: bodies may hold PHI.
 */
import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

export function createLogger(
  level: string,
  serializers: pino.LoggerOptions['serializers'] = {},
): Logger {
  return pino({
    level,
    base: { service: 'ipt-course-ledger' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers,
  });
}

export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
