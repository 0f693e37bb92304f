/**
 * Configuration from the environment, validated once at start. A bad value
 * stops the process with a message naming the variable, never a stack trace.
 */
import * as path from 'node:path';

export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  authJwtSecret?: string;
  eventStoreConnectionString?: string;
  kafkaBrokers?: string[];
  kafkaClientId: string;
  /** False when a separate projector worker builds the read models (production). */
  runProjections: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n- ${problems.join('\n- ')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };

  const portText = text('PORT') ?? '3000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535)
    problems.push(`PORT must be a port number 0-65535, got "${portText}"`);

  const authJwtSecret = text('AUTH_JWT_SECRET');
  if (authJwtSecret !== undefined && authJwtSecret.length < 32) {
    problems.push('AUTH_JWT_SECRET must be at least 32 characters (HS256 needs a strong secret)');
  }

  const eventStoreConnectionString = text('EVENTSTORE_CONNECTION_STRING');
  if (
    eventStoreConnectionString !== undefined &&
    !/^(esdb|esdb\+discover|kurrentdb|kdb):\/\//.test(eventStoreConnectionString)
  ) {
    problems.push('EVENTSTORE_CONNECTION_STRING must start with esdb:// or esdb+discover://');
  }

  const brokersText = text('KAFKA_BROKERS');
  const kafkaBrokers = brokersText
    ?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const broker of kafkaBrokers ?? []) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker))
      problems.push(`KAFKA_BROKERS entries must be host:port, got "${broker}"`);
  }

  const logLevel = (text('LOG_LEVEL') ?? 'info') as AppConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const runProjectionsText = text('RUN_PROJECTIONS') ?? 'true';
  if (!['true', 'false'].includes(runProjectionsText))
    problems.push('RUN_PROJECTIONS must be true or false');

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host: text('HOST') ?? '127.0.0.1',
    dataDir: path.resolve(text('DATA_DIR') ?? './data'),
    authJwtSecret,
    eventStoreConnectionString,
    kafkaBrokers: kafkaBrokers && kafkaBrokers.length > 0 ? kafkaBrokers : undefined,
    kafkaClientId: text('KAFKA_CLIENT_ID') ?? 'ipt-course-ledger',
    runProjections: runProjectionsText === 'true',
    logLevel,
  };
}

export const APP_CONFIG = Symbol('AppConfig');
