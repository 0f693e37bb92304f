/**
 * Configuration from the environment, one schema for every process (API,
 * projector, relay, the token script), validated once at start. A bad value
 * stops the process with one line naming the variable, never a stack trace.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Schemes @eventstore/db-client's own parser accepts (Client/parseConnectionString:
 * only `esdb` and `esdb+discover`); anything else would fail later, inside the client.
 */
export const EVENTSTORE_SCHEMES = ['esdb', 'esdb+discover'] as const;

export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  authJwtSecret?: string;
  /** Sign-in through a deployment's identity provider (api.md, auth); then HS256 is refused. */
  authJwks?: JwksAuthConfig;
  eventStoreConnectionString?: string;
  /**
   * PostgreSQL for everything shared that is not an event (read models, idempotency records);
   * unset: the SQLite files in dataDir.
   */
  databaseUrl?: string;
  kafkaBrokers?: string[];
  kafkaClientId: string;
  /** False when a separate projector worker builds the read models (production). */
  runProjections: boolean;
  /** Without DATABASE_URL: the access log's SQLite file is written by a worker thread (issue 14). */
  accessLogThread: boolean;
  logLevel: LogLevel;
  /** The projector worker serves health and metrics on this port when set. */
  projectorPort?: number;
  /** The relay worker serves health and metrics on this port when set. */
  relayPort?: number;
  relayTransactionalId?: string;
  /** The relay's Kafka producer (issue 14); unset: `auto`, native librdkafka when installed. */
  relayProducer?: 'auto' | 'native' | 'kafkajs';
  /** Public address of /asyncapi.json that the feed's `dataschema` points at (relay worker). */
  asyncApiUrl?: string;
  /** Ed25519 PKCS#8 PEM that signs audit checkpoints; else a key generated into dataDir. */
  auditSigningKey?: string;
  /** Names the deployment in every checkpoint (default: the host name). */
  auditOrigin: string;
  /** Least time between two checkpoints, in ms. */
  checkpointIntervalMs: number;
  /** Time a client has to send a whole request, headers and body (408 after it). */
  requestTimeoutMs: number;
  /** Reads waiting on X-Min-Revision at once, at most; more answer 503 at once. */
  maxViewWaiters: number;
  /** privacy.md: the key-encryption key (32 bytes); else one generated into dataDir/phi-kek. */
  phiKek?: Buffer;
  /** `npm run keys -- rotate-kek` with PHI_KEK set: the KEK to re-wrap every data key under. */
  phiKekNew?: Buffer;
  /** The embedded key store's file (default dataDir/keys.sqlite); instances on one host may share one. */
  phiKeyStore: string;
}

export interface JwksAuthConfig {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** Claim (or dotted path) holding the clinic id. */
  clinicClaim: string;
  /** Claim or dotted path to the roles array, e.g. `realm_access.roles`. */
  rolesClaim: string;
  /** Least time between two JWKS fetches (an unknown `kid` asks for one). */
  jwksCooldownSeconds: number;
  /** Keys older than this are fetched again; the old ones serve while the provider is down. */
  jwksMaxAgeSeconds: number;
  clockToleranceSeconds: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const portNumber = z
  .string()
  .regex(/^\d{1,5}$/, { error: (issue) => `must be a port number 0-65535, got "${issue.input}"` })
  .transform(Number)
  .refine((port) => port <= 65535, {
    error: (issue) => `must be a port number 0-65535, got "${issue.input}"`,
  });

const wholeSeconds = (min: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, {
      error: (issue) => `must be a whole number of seconds, got "${issue.input}"`,
    })
    .transform(Number)
    .refine((seconds) => seconds >= min, { error: `must be at least ${min}` });

/** A claim name (Auth0-style URLs included) or a dotted path to one. */
const claimPath = z.string().regex(/^\S{1,200}$/, { error: 'must be a claim name or dotted path' });

/** The schemes node-postgres's connection-string parser takes as PostgreSQL. */
const POSTGRES_URL = /^postgres(ql)?:\/\/[^\s]+$/;

const BROKER = /^[^\s:,]+:\d{1,5}$/;

/** A whole number from `min` to `max`, written in decimal digits. */
const integerIn = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, { error: `must be an integer from ${min} to ${max}` })
    .transform(Number)
    .refine((value) => value >= min && value <= max, {
      error: `must be an integer from ${min} to ${max}`,
    });

/** 32 bytes in base64 (a KEK, privacy.md). */
const base64Key = z
  .string()
  .refine(
    (text) => /^[A-Za-z0-9+/]{43}=$/.test(text) && Buffer.from(text, 'base64').length === 32,
    {
      error: 'must be 32 bytes in base64 (44 characters), e.g. from `openssl rand -base64 32`',
    },
  )
  .transform((text) => Buffer.from(text, 'base64'));

/** The variables by name; each value is already trimmed, and an empty one counts as unset. */
export const environmentSchema = z.object({
  PORT: portNumber.optional(),
  HOST: z.string().optional(),
  DATA_DIR: z.string().optional(),
  // Never echo a secret's value in the message.
  AUTH_JWT_SECRET: z
    .string()
    .min(32, { error: 'must be at least 32 characters (HS256 needs a strong secret)' })
    .optional(),
  EVENTSTORE_CONNECTION_STRING: z
    .string()
    .refine((value) => EVENTSTORE_SCHEMES.some((scheme) => value.startsWith(`${scheme}://`)), {
      error: `must start with ${EVENTSTORE_SCHEMES.map((s) => `${s}://`).join(' or ')}`,
    })
    .optional(),
  // Never echo the value: it may hold a password.
  DATABASE_URL: z
    .string()
    .refine((value) => POSTGRES_URL.test(value) && URL.canParse(value), {
      error: 'must be a postgres:// or postgresql:// URL',
    })
    .optional(),
  KAFKA_BROKERS: z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((broker) => broker.trim())
        .filter(Boolean),
    )
    .check((ctx) => {
      for (const broker of ctx.value.filter((b) => !BROKER.test(b)))
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          message: `entries must be host:port, got "${broker}"`,
        });
    })
    .optional(),
  KAFKA_CLIENT_ID: z.string().optional(),
  RUN_PROJECTIONS: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  ACCESS_LOG_THREAD: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).optional(),
  PROJECTOR_PORT: portNumber.optional(),
  RELAY_PORT: portNumber.optional(),
  RELAY_TRANSACTIONAL_ID: z.string().optional(),
  RELAY_PRODUCER: z
    .enum(['auto', 'native', 'kafkajs'], { error: 'must be auto, native or kafkajs' })
    .optional(),
  AUTH_JWKS_URL: z
    .url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' })
    .optional(),
  AUTH_ISSUER: z.string().optional(),
  AUTH_AUDIENCE: z.string().optional(),
  AUTH_CLINIC_CLAIM: claimPath.optional(),
  AUTH_ROLES_CLAIM: claimPath.optional(),
  AUTH_JWKS_COOLDOWN_SECONDS: wholeSeconds(1).optional(),
  AUTH_JWKS_MAX_AGE_SECONDS: wholeSeconds(1).optional(),
  AUTH_CLOCK_TOLERANCE_SECONDS: wholeSeconds(0).optional(),
  ASYNCAPI_URL: z
    .url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' })
    .optional(),
  REQUEST_TIMEOUT_MS: integerIn(100, 600_000).optional(),
  MAX_VIEW_WAITERS: integerIn(0, 1_000_000).optional(),
  // Never echo the key in the message.
  AUDIT_SIGNING_KEY: z
    .string()
    .refine((pem) => pem.includes('-----BEGIN PRIVATE KEY-----'), {
      error: 'must be a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)',
    })
    .optional(),
  AUDIT_ORIGIN: z.string().optional(),
  // Never echo a key in the message.
  PHI_KEK: base64Key.optional(),
  PHI_KEK_NEW: base64Key.optional(),
  PHI_KEY_STORE: z.string().optional(),
  CHECKPOINT_INTERVAL_MS: z
    .string()
    .regex(/^\d{1,9}$/, { error: (issue) => `must be a whole number of ms, got "${issue.input}"` })
    .transform(Number)
    .refine((ms) => ms >= 10, { error: 'must be at least 10' })
    .optional(),
});

export type EnvironmentVariable = keyof typeof environmentSchema.shape;

export interface LoadOptions {
  /** Variables this process cannot run without (e.g. KAFKA_BROKERS for the relay worker). */
  require?: EnvironmentVariable[];
  /** The process opens course keys (API, projector): with DATABASE_URL they need PHI_KEK. */
  opensCourseKeys?: boolean;
}

export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: LoadOptions = {},
): AppConfig {
  const given: Record<string, string> = {};
  for (const name of Object.keys(environmentSchema.shape)) {
    const value = env[name]?.trim();
    if (value) given[name] = value;
  }
  const parsed = environmentSchema.safeParse(given);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${String(issue.path[0])} ${issue.message}`);
  for (const name of options.require ?? [])
    if (given[name] === undefined) problems.push(`${name} is required by this process`);
  const identityProvider = ['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'] as const;
  const providerGiven = identityProvider.filter((name) => given[name] !== undefined).length;
  if (providerGiven > 0 && providerGiven < identityProvider.length)
    problems.push('AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE must be set together');
  if (providerGiven > 0 && given.AUTH_JWT_SECRET !== undefined)
    problems.push(
      'AUTH_JWT_SECRET cannot be set with AUTH_JWKS_URL: tokens come from the identity provider (HS256 is refused)',
    );
  // Keys in PostgreSQL serve every instance: each must unwrap them with the same KEK, not one
  // generated into its own data folder.
  if (options.opensCourseKeys && given.DATABASE_URL !== undefined && given.PHI_KEK === undefined)
    problems.push('PHI_KEK is required with DATABASE_URL: every instance unwraps the same keys');
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);

  const vars = parsed.data;
  return {
    port: vars.PORT ?? 3000,
    host: vars.HOST ?? '127.0.0.1',
    dataDir: path.resolve(vars.DATA_DIR ?? './data'),
    authJwtSecret: vars.AUTH_JWT_SECRET,
    eventStoreConnectionString: vars.EVENTSTORE_CONNECTION_STRING,
    databaseUrl: vars.DATABASE_URL,
    kafkaBrokers: vars.KAFKA_BROKERS?.length ? vars.KAFKA_BROKERS : undefined,
    kafkaClientId: vars.KAFKA_CLIENT_ID ?? 'ipt-course-ledger',
    runProjections: (vars.RUN_PROJECTIONS ?? 'true') === 'true',
    accessLogThread: (vars.ACCESS_LOG_THREAD ?? 'true') === 'true',
    logLevel: vars.LOG_LEVEL ?? 'info',
    projectorPort: vars.PROJECTOR_PORT,
    relayPort: vars.RELAY_PORT,
    relayTransactionalId: vars.RELAY_TRANSACTIONAL_ID,
    relayProducer: vars.RELAY_PRODUCER,
    asyncApiUrl: vars.ASYNCAPI_URL,
    requestTimeoutMs: vars.REQUEST_TIMEOUT_MS ?? 10_000,
    maxViewWaiters: vars.MAX_VIEW_WAITERS ?? 1000,
    authJwks: vars.AUTH_JWKS_URL
      ? {
          jwksUrl: vars.AUTH_JWKS_URL,
          issuer: vars.AUTH_ISSUER!,
          audience: vars.AUTH_AUDIENCE!,
          clinicClaim: vars.AUTH_CLINIC_CLAIM ?? 'clinic_id',
          rolesClaim: vars.AUTH_ROLES_CLAIM ?? 'roles',
          jwksCooldownSeconds: vars.AUTH_JWKS_COOLDOWN_SECONDS ?? 30,
          jwksMaxAgeSeconds: vars.AUTH_JWKS_MAX_AGE_SECONDS ?? 600,
          clockToleranceSeconds: vars.AUTH_CLOCK_TOLERANCE_SECONDS ?? 30,
        }
      : undefined,
    // A PEM passed through an env file often has its line breaks escaped.
    auditSigningKey: vars.AUDIT_SIGNING_KEY?.replace(/\\n/g, '\n'),
    auditOrigin: vars.AUDIT_ORIGIN ?? os.hostname(),
    checkpointIntervalMs: vars.CHECKPOINT_INTERVAL_MS ?? 5000,
    phiKek: vars.PHI_KEK,
    phiKekNew: vars.PHI_KEK_NEW,
    phiKeyStore: path.resolve(
      vars.PHI_KEY_STORE ?? path.join(vars.DATA_DIR ?? './data', 'keys.sqlite'),
    ),
  };
}

/** For a process's entry point: the configuration, or one line on stderr and exit status 2. */
export function loadConfigOrExit(
  env: NodeJS.ProcessEnv = process.env,
  options?: LoadOptions,
): AppConfig {
  try {
    return loadConfig(env, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

export const APP_CONFIG = Symbol('AppConfig');
