/**
 * The write path every course command shares (architecture.md): read the
 * course stream and fold it (CourseStreams keeps the fold between commands),
 * decide, append with the expected revision, answer.
 * Idempotency keys (domain rule 15) are bound to the events they produced:
 * the key and a digest of the request travel in the events' metadata, so a
 * retry finds its first answer in the stream itself, even if the process died
 * between the append and writing the local record of the answer. The digest
 * is an HMAC under the course's data key (privacy.md: no hash of PHI outlives
 * the key), and every `phi` is sealed with that key before the hash chain.
 */
import { Inject, Injectable } from '@nestjs/common';
import * as crypto from 'node:crypto';
import {
  CourseRuleViolation,
  SCHEMA_VERSION,
  type CourseEvent,
  courseStreamId,
  decide,
  type CourseCommand,
  type EventMetadata,
  type Role,
} from '@ipt/course';
import {
  EVENT_STORE,
  WrongExpectedRevisionError,
  newEventId,
  type EventStore,
  type EventToAppend,
} from '@ipt/event-store';
import {
  context,
  inSpan,
  traceCarrier,
  tracer,
  type Context,
  type TraceCarrier,
} from '@ipt/telemetry';
import type { Caller } from '@ipt/auth';
import {
  ApplicationError,
  ConcurrencyConflict,
  CourseIdTaken,
  IdempotencyKeyReused,
  RevisionMismatch,
} from '../application/errors';
import {
  CourseStreams,
  answerOf,
  answerOfKeyed,
  revisedEvents,
  type LoadedCourse,
  type RevisedEvent,
} from './course-streams';
import { IdempotencyRecords, type CommandAnswer } from './idempotency-records';
import { sealForAppend } from './event-chain';
import { CourseLanes, settle, type Settled } from './course-lanes';
import { ApiMetrics } from '../infrastructure/api-metrics';
import type { CommandMetrics, CommandOutcome } from '@ipt/observability';
import { KeyErasedError, PhiVault, type LiveKey } from '@ipt/privacy';

export interface CommandEnvelope {
  caller: Caller;
  role: Role;
  idempotencyKey?: string;
  /** The revision of `If-Match`, when given. */
  ifMatch?: number;
  correlationId: string;
}

/** How often a command is re-decided after losing a race to a concurrent writer. */
const MAX_ATTEMPTS = 8;
/** Most commands on one course decided and appended together (one append, one fsync). */
const MAX_BATCH = 64;

interface QueuedCommand {
  command: CourseCommand;
  envelope: CommandEnvelope;
  /** The submitting request's context: a batch puts its trace in the command's events. */
  submittedIn: Context;
}

/**
 * Whether a command may share an append with others on its course: not an
 * enrollment or erasure (they make or destroy the key), nor a keyed or
 * If-Match command (their answers depend on exactly what the store holds).
 */
function sharesAppend({ command, envelope }: QueuedCommand): boolean {
  return (
    command.type !== 'EnrollPatient' &&
    command.type !== 'EraseCourse' &&
    envelope.idempotencyKey === undefined &&
    envelope.ifMatch === undefined
  );
}

@Injectable()
export class CourseCommandsService {
  private readonly streams: CourseStreams;
  private readonly metrics: CommandMetrics;
  /** Commands queued per course; those that may share an append are decided and appended together. */
  private readonly lanes: CourseLanes<QueuedCommand, CommandAnswer>;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly idempotency: IdempotencyRecords,
    private readonly vault: PhiVault,
    metrics: ApiMetrics,
  ) {
    this.streams = new CourseStreams(store);
    this.metrics = metrics.commands;
    this.lanes = new CourseLanes({
      maxBatch: MAX_BATCH,
      canJoin: (first, next) =>
        sharesAppend(first) &&
        sharesAppend(next) &&
        next.envelope.caller.clinicId === first.envelope.caller.clinicId,
      run: (streamId, batch) =>
        batch.length === 1
          ? settle(() => this.executeCommand(batch[0].command, batch[0].envelope)).then((s) => [s])
          : this.executeBatch(streamId, batch),
    });
  }

  /** One span per command (ids and names only: the command's data may hold PHI). */
  execute(command: CourseCommand, envelope: CommandEnvelope): Promise<CommandAnswer> {
    return inSpan(
      `command ${command.type}`,
      {
        attributes: {
          'ipt.command.type': command.type,
          'ipt.course.id': command.data.courseId,
          'ipt.clinic.id': envelope.caller.clinicId,
        },
      },
      () => this.measured(command, envelope),
    );
  }

  /** Counted and timed per command type and outcome. */
  private async measured(
    command: CourseCommand,
    envelope: CommandEnvelope,
  ): Promise<CommandAnswer> {
    const started = process.hrtime.bigint();
    let outcome: CommandOutcome = 'failed';
    try {
      const streamId = courseStreamId(command.data.courseId);
      const answer = await this.lanes.submit(streamId, {
        command,
        envelope,
        submittedIn: context.active(),
      });
      outcome = 'accepted';
      return answer;
    } catch (error) {
      if (isRefusal(error)) outcome = 'refused';
      throw error;
    } finally {
      const labels = { command: command.type, outcome };
      this.metrics.commands.inc(labels);
      this.metrics.commandDuration.observe(labels, secondsSince(started));
    }
  }

  private async executeCommand(
    command: CourseCommand,
    envelope: CommandEnvelope,
  ): Promise<CommandAnswer> {
    const { caller, idempotencyKey: key } = envelope;
    if (key) {
      const prior = await this.idempotency.find(caller.clinicId, key);
      // A key first used on another course: certainly not the same request.
      if (prior && prior.body.courseId !== command.data.courseId) throw new IdempotencyKeyReused();
      if (prior) {
        const digest =
          command.type === 'EraseCourse'
            ? requestDigest(command)
            : this.vault.digest(
                await this.courseKey(command.data.courseId, false),
                commandText(command),
              );
        return checkReplay(prior, digest);
      }
    }
    const streamId = courseStreamId(command.data.courseId);
    let course =
      this.streams.cached(streamId) ?? (await this.streams.load(streamId, caller.clinicId));
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.decideAndAppend(command, envelope, streamId, course);
      } catch (error) {
        if (error instanceof WrongExpectedRevisionError) {
          this.streams.forget(streamId);
          if (envelope.ifMatch !== undefined) {
            throw new RevisionMismatch(typeof error.actual === 'number' ? error.actual : undefined);
          }
          if (attempt >= MAX_ATTEMPTS) throw new ConcurrencyConflict();
        } else if (course.fresh || !isRefusal(error)) {
          throw error;
        }
        // A refusal decided on cached state, or a lost race: decide again on what the store holds now.
        course = await this.streams.load(streamId, caller.clinicId);
      }
    }
  }

  /**
   * Commands that queued up on one course, decided in order (each on the state
   * the ones before it leave) and appended as one: one append, one fsync. A
   * refused command records nothing and leaves the others to go on; a lost
   * race re-decides the whole batch on what the store holds, as a single
   * command would be.
   */
  private async executeBatch(
    streamId: string,
    batch: QueuedCommand[],
  ): Promise<Settled<CommandAnswer>[]> {
    const { clinicId } = batch[0].envelope.caller;
    const courseId = batch[0].command.data.courseId;
    let course = this.streams.cached(streamId) ?? (await this.streams.load(streamId, clinicId));
    for (let attempt = 1; ; attempt++) {
      if (course.revision === undefined || course.clinicId !== clinicId || course.state?.erased) {
        // Missing, another clinic's, or erased: every command is refused; each answers alone.
        const settled: Settled<CommandAnswer>[] = [];
        for (const { command, envelope } of batch)
          settled.push(await settle(() => this.executeCommand(command, envelope)));
        return settled;
      }
      const dataKey = await this.courseKey(courseId, !course.sealed);
      const now = new Date();
      const outcomes: (Settled<CommandAnswer> | { digest: string; events: RevisedEvent[] })[] = [];
      const toAppend: EventToAppend[] = [];
      let next = course;
      let staleRefusal = false;
      for (const { command, envelope, submittedIn } of batch) {
        const digest = this.vault.digest(dataKey, commandText(command));
        let decided: CourseEvent[];
        try {
          decided = this.decided(command, next, now, () => crypto.randomUUID());
        } catch (error) {
          if (!isRefusal(error)) throw error;
          // A refusal decided on cached state: decide the batch again on what the store holds.
          if (!course.fresh) {
            staleRefusal = true;
            break;
          }
          outcomes.push({ ok: false, error });
          continue;
        }
        const events = this.drafted(command, envelope, streamId, next, decided, {
          now,
          digest,
          dataKey,
          newId: () => crypto.randomUUID(),
          trace: traceCarrier(submittedIn),
        });
        const first = next.revision! + 1;
        const recorded = events.map((event, i) => ({ ...event, revision: first + i }));
        next = this.streams.advanced(streamId, next, recorded);
        toAppend.push(...events);
        outcomes.push({
          digest,
          events: decided.map((event, i) => ({ event, revision: first + i })),
        });
      }
      if (!staleRefusal && toAppend.length > 0) {
        try {
          await this.appendInSpan(
            streamId,
            course.revision,
            outcomes.filter((o) => 'events' in o).length,
            () => toAppend,
          );
        } catch (error) {
          if (!(error instanceof WrongExpectedRevisionError)) throw error;
          this.streams.forget(streamId);
          if (attempt >= MAX_ATTEMPTS)
            return batch.map(() => ({ ok: false, error: new ConcurrencyConflict() }));
          staleRefusal = true;
        }
      }
      if (staleRefusal) {
        course = await this.streams.load(streamId, clinicId);
        continue;
      }
      // `next` is the course folded past every appended event already.
      if (toAppend.length > 0) this.streams.adopt(streamId, course, next);
      return outcomes.map((outcome, i) =>
        'events' in outcome
          ? {
              ok: true,
              value: answerOf(batch[i].command.type, courseId, outcome.digest, outcome.events),
            }
          : outcome,
      );
    }
  }

  /**
   * One append in its own span. `draft` makes the events inside it, so that a
   * trace carrier taken there continues the append (projector and relay carry it on).
   */
  private appendInSpan(
    streamId: string,
    expectedRevision: number | 'no_stream',
    commands: number,
    draft: () => EventToAppend[],
  ) {
    return inSpan(
      'append',
      {
        attributes: {
          'ipt.event_store.stream': streamId,
          'ipt.event_store.expected_revision': String(expectedRevision),
        },
      },
      async (span) => {
        const events = draft();
        span.setAttribute('ipt.event.count', events.length);
        const appending = process.hrtime.bigint();
        const appended = await this.store
          .appendToStream(streamId, events, { expectedRevision })
          .finally(() => this.metrics.appendDuration.observe(secondsSince(appending)));
        this.metrics.commandsPerAppend.observe(commands);
        span.setAttribute('ipt.event_store.revision', appended.nextExpectedRevision);
        return { events, appended };
      },
    );
  }

  /** The course's live key; an erased one refuses the command (privacy.md). */
  private async courseKey(courseId: string, create: boolean): Promise<LiveKey> {
    try {
      return await this.vault.liveKey(courseId, create);
    } catch (error) {
      if (error instanceof KeyErasedError) throw CourseRuleViolation.erased();
      throw error;
    }
  }

  private async decideAndAppend(
    command: CourseCommand,
    envelope: CommandEnvelope,
    streamId: string,
    course: LoadedCourse,
  ): Promise<CommandAnswer> {
    const { caller, idempotencyKey: key } = envelope;
    const exists = course.revision !== undefined;
    if (exists && course.clinicId !== caller.clinicId) {
      // A course of another clinic is answered exactly like a missing one (rule 1);
      // only an enrollment of the same UUID must still be refused.
      if (command.type === 'EnrollPatient') throw new CourseIdTaken();
      throw CourseRuleViolation.notFound();
    }
    const now = new Date();
    // The course key seals the command's PHI and keys its digest. An erasure holds no PHI and
    // outlives the key: its digest is a plain hash. Where there is no key to use (an erased
    // course, a missing one, a new enrollment) `decide` answers first: the refusal, or for a
    // new enrollment the proof that it is valid before a key is made for it.
    let dataKey: LiveKey | undefined;
    let digest: string;
    if (command.type === 'EraseCourse') {
      digest = requestDigest(command);
    } else {
      if (!exists || course.state?.erased)
        decide(command, course.state, { now, newId: () => crypto.randomUUID() });
      // A key is made for a new course, or for one recorded before PHI was sealed; a course
      // whose events are sealed must find its own key (else key_missing, never a second key).
      dataKey = await this.courseKey(command.data.courseId, !exists || !course.sealed);
      digest = this.vault.digest(dataKey, commandText(command));
    }
    const keyedBefore = key ? course.keyed.get(key) : undefined;
    if (key && keyedBefore) {
      // The process may have died between an earlier append and its local record
      // (or, for an erasure, before the key was destroyed: finish it).
      const first = await this.withReceipt(
        command,
        answerOfKeyed(command.data.courseId, keyedBefore),
        keyedBefore.events[0]?.event,
      );
      await this.idempotency.save(caller.clinicId, key, first);
      return checkReplay(first, digest);
    }
    if (envelope.ifMatch !== undefined) {
      if (!exists) throw CourseRuleViolation.notFound();
      if (course.revision !== envelope.ifMatch) throw new RevisionMismatch(course.revision);
    }

    const idSource = key
      ? deterministicIds(caller.clinicId, key, digest)
      : () => crypto.randomUUID();
    const decided = this.decided(command, course, now, idSource);
    const expectedRevision = exists ? course.revision! : 'no_stream';
    const { events: toAppend, appended: result } = await this.appendInSpan(
      streamId,
      expectedRevision,
      1,
      // The append's trace context travels with the events: projector and relay continue it.
      () =>
        this.drafted(command, envelope, streamId, course, decided, {
          now,
          digest,
          dataKey,
          newId: idSource,
          trace: traceCarrier(),
        }),
    );
    const firstRevision = result.nextExpectedRevision - toAppend.length + 1;
    const erasure = decided.find((e) => e.type === 'PersonalDataErased');
    const recorded = toAppend.map((event, i) => ({ ...event, revision: firstRevision + i }));
    if (key) {
      // A keyed request that raced its own retry may have been deduplicated
      // by the store: answer from what the store holds, not from our draft.
      const stored = await this.store.readStream(streamId, {
        fromRevision: firstRevision,
        maxCount: toAppend.length,
      });
      const answer = await this.withReceipt(
        command,
        answerOf(command.type, command.data.courseId, digest, revisedEvents(streamId, stored)),
        erasure,
      );
      await this.idempotency.save(caller.clinicId, key, answer);
      this.streams.appended(streamId, course, stored);
      return answer;
    }
    this.streams.appended(streamId, course, recorded);
    const revised = decided.map((event, i) => ({ event, revision: firstRevision + i }));
    return this.withReceipt(
      command,
      answerOf(command.type, command.data.courseId, digest, revised),
      erasure,
    );
  }

  /** `decide` in its own span: the events the command causes on the course's state. */
  private decided(
    command: CourseCommand,
    course: LoadedCourse,
    now: Date,
    newId: () => string,
  ): CourseEvent[] {
    return tracer().startActiveSpan('decide', (span) => {
      span.setAttribute('ipt.command.type', command.type);
      span.setAttribute('ipt.course.revision', course.revision ?? -1);
      try {
        const events = decide(command, course.state, { now, newId });
        span.setAttribute('ipt.event.count', events.length);
        return events;
      } catch (error) {
        // A refusal is an answer, not a failure of the service: name it, without its message.
        span.setAttribute('ipt.command.refused', (error as Error).name);
        throw error;
      } finally {
        span.end();
      }
    });
  }

  /** The decided events as they will be stored: with metadata, PHI sealed, chained to the course. */
  private drafted(
    command: CourseCommand,
    envelope: CommandEnvelope,
    streamId: string,
    course: LoadedCourse,
    decided: readonly CourseEvent[],
    draft: {
      now: Date;
      digest: string;
      dataKey?: LiveKey;
      newId: () => string;
      trace: TraceCarrier;
    },
  ): EventToAppend[] {
    const { caller, idempotencyKey: key } = envelope;
    const commandId = crypto.randomUUID();
    const metadata: EventMetadata & { requestDigest: string; commandType: string } = {
      actor: { id: caller.userId, role: envelope.role },
      clinicId: caller.clinicId,
      commandId,
      correlationId: envelope.correlationId,
      causationId: commandId,
      ...(key ? { idempotencyKey: key } : {}),
      schemaVersion: SCHEMA_VERSION,
      recordedAt: draft.now.toISOString(),
      commandType: command.type,
      requestDigest: draft.digest,
      ...draft.trace,
    };
    const plain = decided.map((event) => ({
      // Keyed: derived from the key, so a retry proposes the same ids. Otherwise time-ordered
      // (UUID v7), so the store's unique index on event ids grows at its right edge.
      eventId: key ? draft.newId() : newEventId(),
      type: event.type,
      data: event.data as unknown as Record<string, unknown>,
      metadata: { ...metadata },
    }));
    // PHI is sealed before the chain hashes the events: the chain covers the stored form.
    const sealed = draft.dataKey ? this.vault.seal(streamId, draft.dataKey, plain) : plain;
    // The hash chain is the last step: it covers the events exactly as stored.
    const first = course.revision === undefined ? 0 : course.revision + 1;
    return sealForAppend(streamId, first, sealed, course.lastHash);
  }

  /**
   * An erasure's answer is its receipt (privacy.md): the key is destroyed,
   * a tombstone left, after the append. A crash in between is finished by the
   * erasure fence at the next start, or here by a retry with the same key.
   */
  private async withReceipt(
    command: CourseCommand,
    answer: CommandAnswer,
    erasure: CourseEvent | undefined,
  ): Promise<CommandAnswer> {
    if (command.type !== 'EraseCourse' || erasure?.type !== 'PersonalDataErased') return answer;
    crashPointForTests('erasure-before-key-destruction');
    const tombstone = await this.vault.erase(command.data.courseId, erasure.data.erasedAt);
    return {
      ...answer,
      body: { ...answer.body, keyId: tombstone.keyId, erasedAt: tombstone.erasedAt },
    };
  }
}

/**
 * Test support for the crash tests (test/e2e/privacy-crash.e2e-spec.ts): with
 * IPT_TEST_CRASH_AT naming this point, the process dies on the spot, as a
 * power cut would. Unset in every deployment.
 */
function crashPointForTests(point: string): void {
  if (process.env.IPT_TEST_CRASH_AT === point) {
    process.stderr.write(`crash point ${point}: killing myself\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}

function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** An answer the command's own content or the course's state caused: worth checking on fresh state. */
function isRefusal(error: unknown): boolean {
  return error instanceof CourseRuleViolation || error instanceof ApplicationError;
}

function checkReplay(prior: CommandAnswer, digest: string): CommandAnswer {
  if (prior.requestDigest !== digest) {
    throw new IdempotencyKeyReused();
  }
  return prior;
}

/**
 * SHA-256 of the command's type and canonical data: what "the same body"
 * means for rule 15, for a command that holds no PHI (the erasure). Every
 * other command's digest is keyed by its course key (PhiVault.digest).
 */
export function requestDigest(command: CourseCommand): string {
  return crypto.createHash('sha256').update(commandText(command)).digest('hex');
}

/** The canonical JSON of a command's type and data: what "the same request" compares. */
export const commandText = (command: CourseCommand): string =>
  canonicalJson({ type: command.type, data: command.data });

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * Identifiers derived from the idempotency key: a retried command proposes
 * the same event ids (so the store, EventStoreDB included, deduplicates it)
 * and the same flag ids. Hashed with the clinic so keys never collide across
 * clinics; the key is the clinic system's and carries no patient data.
 */
function deterministicIds(clinicId: string, key: string, digest: string): () => string {
  let counter = 0;
  return () => {
    const hash = crypto
      .createHash('sha256')
      .update(`${clinicId}\n${key}\n${digest}\n${counter++}`)
      .digest();
    hash[6] = (hash[6] & 0x0f) | 0x50; // version 5 layout (name-based)
    hash[8] = (hash[8] & 0x3f) | 0x80; // RFC 4122 variant
    const hex = hash.subarray(0, 16).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
}
