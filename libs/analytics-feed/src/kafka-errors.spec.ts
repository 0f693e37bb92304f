import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { classifyRelayError, errorForLog } from './kafka-errors';
import { TopicConfigurationError } from './relay-topics';

/** A broker error as kafkajs builds it from a protocol error code. */
const protocolError = (type: string, code: number): KafkaJSProtocolError =>
  new KafkaJSProtocolError(
    Object.assign(new Error(`${type} from the broker`), { type, code, retriable: false }),
  );

describe('classifyRelayError', () => {
  it('sees fencing under kafkajs retry wrappers, by type or by code', () => {
    const fenced = protocolError('INVALID_PRODUCER_EPOCH', 47);
    expect(classifyRelayError(fenced)).toBe('fenced');
    expect(
      classifyRelayError(
        new KafkaJSNumberOfRetriesExceeded(fenced, { retryCount: 6, retryTime: 1 }),
      ),
    ).toBe('fenced');
    expect(classifyRelayError(protocolError('PRODUCER_FENCED', 90))).toBe('fenced');
  });

  it('tells a refused topic, a too-large request and an outage apart', () => {
    expect(classifyRelayError(new TopicConfigurationError('bad policy'))).toBe(
      'topic-configuration',
    );
    expect(classifyRelayError(protocolError('MESSAGE_TOO_LARGE', 10))).toBe('too-large');
    expect(classifyRelayError(protocolError('RECORD_LIST_TOO_LARGE', 18))).toBe('too-large');
    expect(classifyRelayError(new KafkaJSConnectionError('Connection error: ECONNREFUSED'))).toBe(
      'transient',
    );
  });
});

describe('errorForLog', () => {
  it('keeps message, stack, Kafka type and code, and the cause through JSON', () => {
    const fenced = protocolError('INVALID_PRODUCER_EPOCH', 47);
    const wrapped = new KafkaJSNumberOfRetriesExceeded(fenced, { retryCount: 6, retryTime: 1 });
    const logged = JSON.parse(JSON.stringify({ err: errorForLog(wrapped) })) as {
      err: Record<string, unknown> & { cause: Record<string, unknown> };
    };
    expect(logged.err).toMatchObject({
      name: 'KafkaJSNumberOfRetriesExceeded',
      message: 'INVALID_PRODUCER_EPOCH from the broker',
      retriable: false,
    });
    expect(logged.err.stack).toContain('Caused by: KafkaJSProtocolError');
    expect(logged.err.cause).toMatchObject({
      name: 'KafkaJSProtocolError',
      type: 'INVALID_PRODUCER_EPOCH',
      code: 47,
    });
    expect(logged.err.cause.stack).toEqual(expect.stringContaining('kafka-errors.spec.ts'));
  });

  it('copies only what describes the error, not other data it carries', () => {
    const err = Object.assign(new Error('append failed'), {
      event: { phi: { patientRef: 'MRN-LOG-SECRET' } },
    });
    const line = JSON.stringify(errorForLog(err));
    expect(line).toContain('append failed');
    expect(line).not.toContain('MRN-LOG-SECRET');
  });

  it('describes a thrown non-error', () => {
    expect(errorForLog('socket hang up')).toEqual({ name: 'string', message: 'socket hang up' });
  });
});
