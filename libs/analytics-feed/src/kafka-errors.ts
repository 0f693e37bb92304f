/** What a failed relay attempt means for the relay, and how an error goes into a log line. */
import { TopicConfigurationError } from './relay-topics';

/**
 * - `fenced`: another relay with the same transactional id took over; stop for good.
 * - `topic-configuration`: an existing topic would break the feed's guarantees; stop.
 * - `too-large`: the broker refused a request as too large; retry with smaller batches.
 * - `transient`: Kafka or the store is unavailable; retry after a backoff.
 */
export type RelayFailure = 'fenced' | 'topic-configuration' | 'too-large' | 'transient';

export function classifyRelayError(err: unknown): RelayFailure {
  if (isFenced(err)) return 'fenced';
  if (err instanceof TopicConfigurationError) return 'topic-configuration';
  if (isTooLarge(err)) return 'too-large';
  return 'transient';
}

interface KafkaErrorShape {
  type?: string;
  code?: number;
  cause?: unknown;
  originalError?: unknown;
}

/** kafkajs wraps errors (retries, protocol errors): look a few causes deep. */
function someCause(err: unknown, test: (e: KafkaErrorShape) => boolean): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const x = e as KafkaErrorShape;
    if (test(x)) return true;
    e = x.cause ?? x.originalError;
  }
  return false;
}

/** kafkajs reports fencing as INVALID_PRODUCER_EPOCH (47) with the API versions it speaks; newer brokers know PRODUCER_FENCED (90); librdkafka says ERR__FENCED (-144). */
export const isFenced = (err: unknown): boolean =>
  someCause(
    err,
    (x) =>
      x.type === 'INVALID_PRODUCER_EPOCH' ||
      x.type === 'PRODUCER_FENCED' ||
      x.code === 47 ||
      x.code === 90 ||
      // librdkafka (the native producer): ERR__FENCED
      x.code === -144,
  );

export const isTooLarge = (err: unknown): boolean =>
  someCause(
    err,
    (x) =>
      x.type === 'MESSAGE_TOO_LARGE' ||
      x.type === 'RECORD_LIST_TOO_LARGE' ||
      // librdkafka: ERR_MSG_SIZE_TOO_LARGE, ERR_RECORD_LIST_TOO_LARGE
      (typeof x.type !== 'string' && (x.code === 10 || x.code === 18)),
  );

/** One line for status and metrics: `Name: message`. */
export const errorMessage = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}` : String(err);

export interface LoggedError {
  name: string;
  message: string;
  stack?: string;
  /** kafkajs protocol error type, e.g. NOT_LEADER_FOR_PARTITION. */
  type?: string;
  code?: number | string;
  retriable?: boolean;
  cause?: LoggedError;
}

/**
 * An error as a plain object for a log line: message, stack, the Kafka error
 * type and code, and the causes beneath. A logger that JSON-stringifies its
 * object would otherwise print an Error as `{}`. Only these fields are copied
 * (never the error's other own properties), so nothing an error carries
 * beyond its description reaches a log.
 */
export function errorForLog(err: unknown, depth = 0): LoggedError {
  if (!(err instanceof Error)) return { name: typeof err, message: String(err) };
  const x = err as Error & KafkaErrorShape & { retriable?: unknown; code?: unknown };
  const cause = x.cause ?? x.originalError;
  return {
    name: err.name,
    message: err.message,
    ...(err.stack ? { stack: err.stack } : {}),
    ...(typeof x.type === 'string' ? { type: x.type } : {}),
    ...(typeof x.code === 'number' || typeof x.code === 'string' ? { code: x.code } : {}),
    ...(typeof x.retriable === 'boolean' ? { retriable: x.retriable } : {}),
    ...(cause !== undefined && cause !== null && depth < 4
      ? { cause: errorForLog(cause, depth + 1) }
      : {}),
  };
}
