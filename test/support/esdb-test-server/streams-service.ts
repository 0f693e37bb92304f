/**
 * Handlers of `event_store.client.streams.Streams` (Read, Append, BatchAppend)
 * over an in-memory EventLog, speaking the wire format @eventstore/db-client
 * 6.x decodes. Message classes and service definitions are the client's own
 * generated code, so both ends agree on the protobuf schema by construction.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Any } from 'google-protobuf/google/protobuf/any_pb';
import { Empty as ProtobufEmpty } from 'google-protobuf/google/protobuf/empty_pb';
import {
  AllStreamPosition,
  Empty,
  StreamIdentifier,
  UUID,
  WrongExpectedVersion,
} from '@eventstore/db-client/generated/shared_pb';
import { Status } from '@eventstore/db-client/generated/status_pb';
import {
  AppendReq,
  AppendResp,
  BatchAppendReq,
  BatchAppendResp,
  ReadReq,
  ReadResp,
} from '@eventstore/db-client/generated/streams_pb';
import { EventLog, Expectation, LoggedEvent, ProposedEvent } from './event-log';

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** google.rpc.Code.ALREADY_EXISTS: what the server puts in a BatchAppend wrong-expected-version Status. */
const RPC_CODE_ALREADY_EXISTS = 6;
const RPC_CODE_INVALID_ARGUMENT = 3;
/** The server's default filter search window; checkpoints come every multiplier × window events examined. */
const DEFAULT_SEARCH_WINDOW = 32;

type ReadCall = grpc.ServerWritableStream<ReadReq, ReadResp>;

export function streamsHandlers(log: EventLog): grpc.UntypedServiceImplementation {
  return {
    read: (call: ReadCall) => {
      void serveRead(log, call).catch((error: unknown) => failCall(call, error));
    },
    append: (
      call: grpc.ServerReadableStream<AppendReq, AppendResp>,
      callback: grpc.sendUnaryData<AppendResp>,
    ) => serveAppend(log, call, callback),
    batchAppend: (call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>) =>
      serveBatchAppend(log, call),
  };
}

// ---------------------------------------------------------------- appends

function serveAppend(
  log: EventLog,
  call: grpc.ServerReadableStream<AppendReq, AppendResp>,
  callback: grpc.sendUnaryData<AppendResp>,
): void {
  let options: AppendReq.Options | undefined;
  const messages: AppendReq.ProposedMessage[] = [];
  call.on('data', (req: AppendReq) => {
    if (req.hasOptions()) options = req.getOptions();
    else if (req.hasProposedMessage()) messages.push(req.getProposedMessage()!);
  });
  call.on('error', () => undefined);
  call.on('end', () => {
    if (!options?.hasStreamIdentifier()) {
      return callback({
        code: grpc.status.INVALID_ARGUMENT,
        details: 'the first message must carry options',
      });
    }
    let proposed: ProposedEvent[];
    try {
      proposed = messages.map(toProposedEvent);
    } catch (error) {
      return callback(missingMetadataError(error));
    }
    const expected = appendExpectation(options);
    const outcome = log.append(streamName(options.getStreamIdentifier()), expected, proposed);
    const resp = new AppendResp();
    if (outcome.kind === 'wrong_expected_version') {
      const wrong = new AppendResp.WrongExpectedVersion();
      if (outcome.currentRevision === null) wrong.setCurrentNoStream(new Empty());
      else wrong.setCurrentRevision(outcome.currentRevision.toString());
      if (expected === 'any') wrong.setExpectedAny(new Empty());
      else if (expected === 'no_stream') wrong.setExpectedNoStream(new Empty());
      else if (expected === 'stream_exists') wrong.setExpectedStreamExists(new Empty());
      else wrong.setExpectedRevision(expected.toString());
      resp.setWrongExpectedVersion(wrong);
    } else {
      const success = new AppendResp.Success();
      if (outcome.lastRevision === null) success.setNoStream(new Empty());
      else success.setCurrentRevision(outcome.lastRevision.toString());
      if (outcome.lastPosition === null) success.setNoPosition(new Empty());
      else {
        const position = new AppendResp.Position();
        position.setCommitPosition(outcome.lastPosition.toString());
        position.setPreparePosition(outcome.lastPosition.toString());
        success.setPosition(position);
      }
      resp.setSuccess(success);
    }
    callback(null, resp);
  });
}

/**
 * BatchAppend: one long-lived bidirectional call per client channel; each
 * append is a run of chunks sharing a correlation id (options on the first,
 * `is_final` on the last), answered by one response carrying that id.
 */
function serveBatchAppend(
  log: EventLog,
  call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>,
): void {
  const pending = new Map<
    string,
    { options: BatchAppendReq.Options; messages: BatchAppendReq.ProposedMessage[] }
  >();
  call.on('data', (req: BatchAppendReq) => {
    const correlationId = req.getCorrelationId();
    const key = correlationId ? uuidString(correlationId) : '';
    let batch = pending.get(key);
    if (!batch) {
      const options = req.getOptions();
      if (!options?.hasStreamIdentifier()) {
        call.write(
          batchError(correlationId, undefined, badRequest('the first chunk must carry options')),
        );
        return;
      }
      batch = { options, messages: [] };
      pending.set(key, batch);
    }
    batch.messages.push(...req.getProposedMessagesList());
    if (!req.getIsFinal()) return;
    pending.delete(key);

    const identifier = batch.options.getStreamIdentifier()!;
    let proposed: ProposedEvent[];
    try {
      proposed = batch.messages.map(toProposedEvent);
    } catch (error) {
      call.write(
        batchError(correlationId, identifier, badRequest(String((error as Error).message))),
      );
      return;
    }
    const expected = batchExpectation(batch.options);
    const outcome = log.append(streamName(identifier), expected, proposed);
    if (outcome.kind === 'wrong_expected_version') {
      call.write(
        batchError(
          correlationId,
          identifier,
          wrongExpectedVersionStatus(outcome.currentRevision, expected),
        ),
      );
      return;
    }
    const success = new BatchAppendResp.Success();
    if (outcome.lastRevision === null) success.setNoStream(new ProtobufEmpty());
    else success.setCurrentRevision(outcome.lastRevision.toString());
    if (outcome.lastPosition === null) success.setNoPosition(new ProtobufEmpty());
    else success.setPosition(allPosition(outcome.lastPosition));
    const resp = new BatchAppendResp();
    resp.setCorrelationId(correlationId);
    resp.setStreamIdentifier(identifier);
    resp.setSuccess(success);
    call.write(resp);
  });
  call.on('error', () => undefined);
  call.on('end', () => call.end());
}

/** The shape the client unpacks: Status{code 6, details: Any(event_store.client.WrongExpectedVersion)}. */
function wrongExpectedVersionStatus(current: bigint | null, expected: Expectation): Status {
  const details = new WrongExpectedVersion();
  if (current === null) details.setCurrentNoStream(new ProtobufEmpty());
  else details.setCurrentStreamRevision(current.toString());
  if (expected === 'any') details.setExpectedAny(new ProtobufEmpty());
  else if (expected === 'no_stream') details.setExpectedNoStream(new ProtobufEmpty());
  else if (expected === 'stream_exists') details.setExpectedStreamExists(new ProtobufEmpty());
  else details.setExpectedStreamPosition(expected.toString());
  const any = new Any();
  any.pack(details.serializeBinary(), 'event_store.client.WrongExpectedVersion');
  const status = new Status();
  status.setCode(RPC_CODE_ALREADY_EXISTS);
  status.setMessage('WrongExpectedVersion');
  status.setDetails(any);
  return status;
}

function badRequest(message: string): Status {
  const status = new Status();
  status.setCode(RPC_CODE_INVALID_ARGUMENT);
  status.setMessage(message);
  const any = new Any();
  any.pack(new Empty().serializeBinary(), 'event_store.client.BadRequest');
  status.setDetails(any);
  return status;
}

function batchError(
  correlationId: UUID | undefined,
  identifier: StreamIdentifier | undefined,
  error: Status,
) {
  const resp = new BatchAppendResp();
  resp.setCorrelationId(correlationId);
  resp.setStreamIdentifier(identifier ?? new StreamIdentifier());
  resp.setError(error);
  return resp;
}

function appendExpectation(options: AppendReq.Options): Expectation {
  switch (options.getExpectedStreamRevisionCase()) {
    case AppendReq.Options.ExpectedStreamRevisionCase.REVISION:
      return BigInt(options.getRevision());
    case AppendReq.Options.ExpectedStreamRevisionCase.NO_STREAM:
      return 'no_stream';
    case AppendReq.Options.ExpectedStreamRevisionCase.STREAM_EXISTS:
      return 'stream_exists';
    default:
      return 'any';
  }
}

function batchExpectation(options: BatchAppendReq.Options): Expectation {
  switch (options.getExpectedStreamPositionCase()) {
    case BatchAppendReq.Options.ExpectedStreamPositionCase.STREAM_POSITION:
      return BigInt(options.getStreamPosition());
    case BatchAppendReq.Options.ExpectedStreamPositionCase.NO_STREAM:
      return 'no_stream';
    case BatchAppendReq.Options.ExpectedStreamPositionCase.STREAM_EXISTS:
      return 'stream_exists';
    default:
      return 'any';
  }
}

class MissingMetadataError extends Error {}

function toProposedEvent(
  message: AppendReq.ProposedMessage | BatchAppendReq.ProposedMessage,
): ProposedEvent {
  const metadata = message.getMetadataMap();
  const type = metadata.get('type');
  const contentType = metadata.get('content-type');
  // The real server refuses events without these two properties.
  if (!type || !contentType) throw new MissingMetadataError('type,content-type');
  const id = message.getId();
  return {
    id: id ? uuidString(id) : randomUUID(),
    type,
    contentType,
    data: message.getData_asU8(),
    customMetadata: message.getCustomMetadata_asU8(),
  };
}

function missingMetadataError(error: unknown): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  metadata.set('exception', 'missing-required-metadata-property');
  metadata.set('required-metadata-properties', String((error as Error).message));
  return Object.assign(new Error('missing required metadata property'), {
    code: grpc.status.INVALID_ARGUMENT,
    details: 'missing required metadata property',
    metadata,
  });
}

// ---------------------------------------------------------------- reads

async function serveRead(log: EventLog, call: ReadCall): Promise<void> {
  const options = call.request.getOptions();
  if (!options) {
    call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: 'options are required' });
    return;
  }
  const sender = new Sender(call);
  const filter = compileFilter(options);
  const isSubscription =
    options.getCountOptionCase() === ReadReq.Options.CountOptionCase.SUBSCRIPTION;
  const forwards = options.getReadDirection() === ReadReq.Options.ReadDirection.FORWARDS;

  if (options.hasStream()) {
    const streamOptions = options.getStream()!;
    const name = streamName(streamOptions.getStreamIdentifier());
    if (isSubscription) {
      const stream = log.stream(name);
      const Case = ReadReq.Options.StreamOptions.RevisionOptionCase;
      const first =
        streamOptions.getRevisionOptionCase() === Case.END
          ? stream.length
          : streamOptions.getRevisionOptionCase() === Case.REVISION
            ? Number(BigInt(streamOptions.getRevision())) + 1 // subscriptions start after the given revision
            : 0;
      return subscribe(log, sender, { source: () => log.stream(name), first, select: () => true });
    }
    const stream = log.stream(name);
    if (stream.length === 0) {
      const notFound = new ReadResp.StreamNotFound();
      notFound.setStreamIdentifier(streamOptions.getStreamIdentifier());
      const resp = new ReadResp();
      resp.setStreamNotFound(notFound);
      await sender.send(resp);
      return sender.end();
    }
    const Case = ReadReq.Options.StreamOptions.RevisionOptionCase;
    const revisionCase = streamOptions.getRevisionOptionCase();
    const events = forwards
      ? stream.slice(
          revisionCase === Case.END
            ? stream.length
            : revisionCase === Case.REVISION
              ? clampIndex(streamOptions.getRevision(), stream.length)
              : 0,
        )
      : stream
          .slice(
            0,
            revisionCase === Case.START
              ? 0
              : revisionCase === Case.REVISION
                ? clampIndex(streamOptions.getRevision(), stream.length - 1) + 1
                : stream.length,
          )
          .reverse();
    return sendBounded(sender, events, options.getCount());
  }

  if (options.hasAll()) {
    const allOptions = options.getAll()!;
    const Case = ReadReq.Options.AllOptions.AllOptionCase;
    const allCase = allOptions.getAllOptionCase();
    const position =
      allCase === Case.POSITION ? BigInt(allOptions.getPosition()!.getCommitPosition()) : null;
    const select = filter?.select ?? (() => true);
    if (isSubscription) {
      const first =
        allCase === Case.END
          ? log.all.length
          : position !== null
            ? log.firstIndexAtOrAfter(position + 1n) // subscriptions start strictly after the position
            : 0;
      return subscribe(log, sender, {
        source: () => log.all,
        first,
        select,
        checkpointEvery: filter ? filter.checkpointEvery : null,
      });
    }
    const all = log.all;
    let events: LoggedEvent[];
    if (forwards) {
      events = all.slice(
        allCase === Case.END
          ? all.length
          : position !== null
            ? log.firstIndexAtOrAfter(position)
            : 0,
      );
    } else {
      // Backwards from a position: the events before it, as the real log reads backwards from a record boundary.
      const end =
        allCase === Case.START
          ? 0
          : position !== null
            ? log.firstIndexAtOrAfter(position)
            : all.length;
      events = all.slice(0, end).reverse();
    }
    return sendBounded(sender, events.filter(select), options.getCount());
  }

  call.emit('error', {
    code: grpc.status.INVALID_ARGUMENT,
    details: 'stream or all options are required',
  });
}

async function sendBounded(sender: Sender, events: LoggedEvent[], count: string): Promise<void> {
  const limit = count
    ? Number(BigInt(count) > BigInt(events.length) ? events.length : BigInt(count))
    : events.length;
  for (let i = 0; i < limit && !sender.cancelled; i++) {
    await sender.send(readEvent(events[i]));
  }
  sender.end();
}

interface SubscriptionPlan {
  /** The events the subscription walks (re-read every round: the log grows). */
  source: () => readonly LoggedEvent[];
  /** Index into source of the first event to examine. */
  first: number;
  select: (event: LoggedEvent) => boolean;
  /** Filtered $all subscriptions only: a checkpoint every this many examined events. */
  checkpointEvery?: number | null;
}

/**
 * confirmation → catch-up events → (checkpoint) → caught_up → live events,
 * until the client cancels. One cursor walks the log; appends only wake it,
 * so nothing appended during catch-up can slip between catch-up and live.
 */
async function subscribe(log: EventLog, sender: Sender, plan: SubscriptionPlan): Promise<void> {
  const generation = log.generation;
  const confirmation = new ReadResp.SubscriptionConfirmation();
  confirmation.setSubscriptionId(randomUUID());
  const confirmed = new ReadResp();
  confirmed.setConfirmation(confirmation);
  await sender.send(confirmed);

  let cursor = plan.first;
  let examined = 0;
  let caughtUp = false;
  while (!sender.cancelled) {
    if (log.generation !== generation) {
      // reset() replaced the log this subscription was reading.
      sender.fail(grpc.status.UNAVAILABLE, 'the test server was reset');
      return;
    }
    const source = plan.source();
    if (cursor < source.length) {
      const event = source[cursor++];
      examined += 1;
      if (plan.select(event)) await sender.send(readEvent(event));
      if (plan.checkpointEvery && examined >= plan.checkpointEvery) {
        examined = 0;
        await sender.send(checkpoint(event.position));
      }
      continue;
    }
    if (!caughtUp) {
      caughtUp = true;
      if (plan.checkpointEvery) await sender.send(checkpoint(log.lastPosition() ?? 0n));
      const resp = new ReadResp();
      resp.setCaughtUp(new ReadResp.CaughtUp());
      await sender.send(resp);
      continue;
    }
    await sender.until((wake) => log.onAppend(wake));
  }
}

function checkpoint(position: bigint): ReadResp {
  const cp = new ReadResp.Checkpoint();
  cp.setCommitPosition(position.toString());
  cp.setPreparePosition(position.toString());
  const resp = new ReadResp();
  resp.setCheckpoint(cp);
  return resp;
}

function compileFilter(
  options: ReadReq.Options,
): { select: (event: LoggedEvent) => boolean; checkpointEvery: number } | null {
  if (!options.hasFilter()) return null;
  const filter = options.getFilter()!;
  const Case = ReadReq.Options.FilterOptions.FilterCase;
  const onStreamName = filter.getFilterCase() === Case.STREAM_IDENTIFIER;
  const expression = onStreamName ? filter.getStreamIdentifier() : filter.getEventType();
  if (!expression) return null;
  const prefixes = expression.getPrefixList();
  const regex = prefixes.length ? null : new RegExp(expression.getRegex());
  const matches = (text: string) =>
    regex ? regex.test(text) : prefixes.some((prefix) => text.startsWith(prefix));
  const window = filter.hasMax() ? filter.getMax() : DEFAULT_SEARCH_WINDOW;
  return {
    select: (event) => matches(onStreamName ? event.streamName : event.type),
    checkpointEvery: Math.max(1, filter.getCheckpointintervalmultiplier()) * window,
  };
}

function readEvent(event: LoggedEvent): ReadResp {
  const recorded = new ReadResp.ReadEvent.RecordedEvent();
  recorded.setId(new UUID().setString(event.id));
  recorded.setStreamIdentifier(
    new StreamIdentifier().setStreamName(encoder.encode(event.streamName)),
  );
  recorded.setStreamRevision(event.revision.toString());
  recorded.setCommitPosition(event.position.toString());
  recorded.setPreparePosition(event.position.toString());
  recorded
    .getMetadataMap()
    .set('type', event.type)
    .set('content-type', event.contentType)
    .set('created', event.createdTicks.toString());
  recorded.setCustomMetadata(event.customMetadata);
  recorded.setData(event.data);
  const readEvent = new ReadResp.ReadEvent();
  readEvent.setEvent(recorded);
  readEvent.setCommitPosition(event.position.toString());
  const resp = new ReadResp();
  resp.setEvent(readEvent);
  return resp;
}

// ---------------------------------------------------------------- wire helpers

function streamName(identifier: StreamIdentifier | undefined): string {
  return identifier ? utf8.decode(identifier.getStreamName_asU8()) : '';
}

function allPosition(position: bigint): AllStreamPosition {
  return new AllStreamPosition()
    .setCommitPosition(position.toString())
    .setPreparePosition(position.toString());
}

function uuidString(uuid: UUID): string {
  if (!uuid.hasStructured()) return uuid.getString();
  const structured = uuid.getStructured()!;
  const bytes = Buffer.alloc(16);
  bytes.writeBigInt64BE(BigInt(structured.getMostSignificantBits()), 0);
  bytes.writeBigInt64BE(BigInt(structured.getLeastSignificantBits()), 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function clampIndex(revision: string, max: number): number {
  const value = BigInt(revision);
  return value > BigInt(max) ? max : Number(value);
}

function failCall(call: ReadCall, error: unknown): void {
  if (call.cancelled || call.writableEnded) return;
  call.emit('error', { code: grpc.status.INTERNAL, details: String(error) });
}

/** Writes with back-pressure and notices cancellation (client gone, server stopped). */
class Sender {
  cancelled = false;
  private readonly cancelWaiters = new Set<() => void>();

  constructor(private readonly call: ReadCall) {
    const onGone = () => {
      this.cancelled = true;
      for (const wake of [...this.cancelWaiters]) wake();
    };
    call.on('cancelled', onGone);
    call.on('close', onGone);
    call.on('error', onGone);
  }

  async send(resp: ReadResp): Promise<void> {
    if (this.cancelled) return;
    if (!this.call.write(resp))
      await this.until(
        (wake) => (this.call.once('drain', wake), () => this.call.off('drain', wake)),
      );
  }

  /** Waits for `subscribe`'s wake-up or for cancellation, whichever comes first. */
  until(subscribe: (wake: () => void) => () => void): Promise<void> {
    if (this.cancelled) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        unsubscribe();
        this.cancelWaiters.delete(wake);
        resolve();
      };
      const unsubscribe = subscribe(wake);
      this.cancelWaiters.add(wake);
    });
  }

  end(): void {
    if (!this.cancelled) this.call.end();
  }

  fail(code: grpc.status, details: string): void {
    if (this.cancelled) return;
    this.call.emit('error', { code, details });
  }
}
