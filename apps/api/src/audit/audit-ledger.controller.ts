/**
 * The proof routes of audit.md: a course's verification and audit bundle,
 * the signed checkpoints, consistency proofs between tree sizes and the
 * public key. Another clinic's course is answered exactly like a missing one.
 */
import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  buildAuditBundle,
  consistencyFor,
  courseLeaves,
  verifyCourse,
  type StoredEventInput,
} from '@ipt/audit';
import { ROLES, clinicOf, courseStreamId } from '@ipt/course';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@ipt/event-store';
import { whileAvailable } from '@ipt/database';
import { courseLeavesView, type StoredCheckpoint } from '@ipt/projections';
import type { Caller } from '@ipt/auth';
import { CurrentCaller } from '../http/auth.guard';
import { DATABASE_REFUSALS, RouteContract, STORE_REFUSALS } from '../http/openapi/contract';
import { CheckpointNotFound, CourseNotFound, InvalidRequest } from '../application/errors';
import { UuidParamPipe } from '../http/validation';
import { AuditLedgerService } from './audit-ledger.service';

@ApiTags('audit')
@Controller('v1')
export class AuditLedgerController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly ledger: AuditLedgerService,
  ) {}

  @Get('courses/:courseId/verification')
  @RouteContract({
    operationId: 'verifyCourse',
    summary:
      'Chain and inclusion of every event of the course in the events tree of the latest checkpoint',
    roles: ['auditor'],
    success: { description: 'What the check found', schema: 'CourseVerification' },
    refusals: ['validation_failed', 'course_not_found', ...STORE_REFUSALS, ...DATABASE_REFUSALS],
  })
  async verification(
    @Param('courseId', UuidParamPipe) courseId: string,
    @CurrentCaller() caller: Caller,
  ) {
    const streamId = courseStreamId(courseId);
    const events = await this.courseEvents(streamId, caller);
    const { ledger } = this;
    const [latest, leaves] = await whileAvailable(() =>
      Promise.all([ledger.checkpoints.latest(), ledger.events.leavesOf(streamId)]),
    );
    const size = latest?.checkpoint.events.size ?? 0;
    const view = await whileAvailable(() => courseLeavesView(ledger.events, leaves, size));
    const result = verifyCourse(events, leaves, view, size);
    return {
      courseId,
      valid: result.valid,
      events: result.events,
      brokenAtRevision: result.brokenAtRevision,
      reason: result.reason,
      checkpoint: latest ? { events: latest.checkpoint.events } : null,
      included: result.included,
      pending: result.pending,
    };
  }

  @Get('courses/:courseId/audit-bundle')
  @RouteContract({
    operationId: 'getAuditBundle',
    summary: 'Everything an offline verifier (ipt-verify) needs for the course',
    roles: ['auditor'],
    success: { description: 'The audit bundle', schema: 'AuditBundle' },
    refusals: [
      'validation_failed',
      'course_not_found',
      'checkpoint_not_found',
      ...STORE_REFUSALS,
      ...DATABASE_REFUSALS,
    ],
  })
  @ApiQuery({
    name: 'since',
    required: false,
    description:
      'events tree size of a checkpoint kept earlier: adds the consistency proof from it',
  })
  async auditBundle(
    @Param('courseId', UuidParamPipe) courseId: string,
    @Query() query: Record<string, unknown>,
    @CurrentCaller() caller: Caller,
  ) {
    const params = onlyParams(query, ['since']);
    const streamId = courseStreamId(courseId);
    const events = await this.courseEvents(streamId, caller);
    const latest = await this.latest();
    const size = latest.checkpoint.events.size;
    const since = params.since === undefined ? undefined : count('since', params.since);
    if (since !== undefined && since > size) {
      throw new InvalidRequest([
        { field: 'since', message: `must be at most the latest checkpoint's size (${size})` },
      ]);
    }
    const { events: ledger } = this.ledger;
    const leaves = (await whileAvailable(() => ledger.leavesOf(streamId))).filter(
      (leaf) => leaf.leafIndex < size,
    );
    // Every proof of the bundle from one read of the tree's nodes.
    const tree = await whileAvailable(() =>
      ledger.tree.view(size, {
        inclusion: { indexes: leaves.map((leaf) => leaf.leafIndex), size },
        consistency: since === undefined ? [] : [[since, size]],
      }),
    );
    const publicKey = await this.ledger.publicKey(latest.keyId);
    return buildAuditBundle({
      courseId,
      events: events as StoredEventInput[],
      leaves: courseLeaves(tree, leaves, size),
      signedCheckpoint: signedOf(latest),
      publicKey: publicKey.jwk,
      ...(since === undefined ? {} : { consistency: consistencyFor(tree, since, size) }),
    });
  }

  @Get('audit/checkpoints/latest')
  @RouteContract({
    operationId: 'getLatestCheckpoint',
    summary: 'The latest signed checkpoint',
    roles: ['auditor', 'admin'],
    success: { description: 'The latest checkpoint', schema: 'StoredCheckpoint' },
    refusals: ['checkpoint_not_found', ...DATABASE_REFUSALS],
  })
  latestCheckpoint() {
    return this.latest();
  }

  @Get('audit/checkpoints')
  @RouteContract({
    operationId: 'listCheckpoints',
    summary: 'Signed checkpoints in the order issued, after a sequence number',
    roles: ['auditor', 'admin'],
    success: { description: 'A page of checkpoints', schema: 'CheckpointPage' },
    refusals: ['validation_failed', ...DATABASE_REFUSALS],
  })
  @ApiQuery({
    name: 'after',
    required: false,
    description: 'sequence of the last one read (default 0)',
  })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  async checkpoints(@Query() query: Record<string, unknown>) {
    const params = onlyParams(query, ['after', 'limit']);
    const after = params.after === undefined ? 0 : count('after', params.after);
    const limit = params.limit === undefined ? 100 : count('limit', params.limit);
    if (limit < 1 || limit > 1000) {
      throw new InvalidRequest([{ field: 'limit', message: 'must be 1-1000' }]);
    }
    const items = await whileAvailable(() => this.ledger.checkpoints.after(after, limit));
    return {
      items,
      nextAfter: items.length === limit ? items[items.length - 1].sequence : null,
    };
  }

  @Get('audit/consistency')
  @RouteContract({
    operationId: 'getConsistencyProof',
    summary: 'RFC 6962 consistency proof between two sizes of the events tree',
    roles: ['auditor', 'admin'],
    success: { description: 'The consistency proof', schema: 'ConsistencyProof' },
    refusals: ['validation_failed', 'checkpoint_not_found', ...DATABASE_REFUSALS],
  })
  @ApiQuery({ name: 'log', required: true, description: 'events' })
  @ApiQuery({ name: 'first', required: true })
  @ApiQuery({ name: 'second', required: true })
  async consistency(@Query() query: Record<string, unknown>) {
    const params = onlyParams(query, ['log', 'first', 'second']);
    if (params.log !== 'events') {
      throw new InvalidRequest([{ field: 'log', message: 'must be events' }]);
    }
    if (params.first === undefined || params.second === undefined) {
      throw new InvalidRequest([{ field: 'first', message: 'first and second are required' }]);
    }
    const first = count('first', params.first);
    const second = count('second', params.second);
    // Only sizes that a checkpoint already signed: a proof to an unsigned size proves nothing.
    const signed = (await this.latest()).checkpoint.events.size;
    if (first > second || second > signed) {
      throw new InvalidRequest([
        {
          field: 'second',
          message: `need first <= second <= the latest checkpoint's size (${signed})`,
        },
      ]);
    }
    const { tree } = this.ledger.events;
    const view = await whileAvailable(() => tree.view(second, { consistency: [[first, second]] }));
    return consistencyFor(view, first, second);
  }

  @Get('audit/public-key')
  @RouteContract({
    operationId: 'getPublicKey',
    summary: 'The Ed25519 key that signs checkpoints, as a JWK and as PEM',
    roles: ROLES,
    success: { description: 'The public key', schema: 'PublicKey' },
    refusals: ['checkpoint_not_found', ...DATABASE_REFUSALS],
  })
  publicKey() {
    return this.ledger.publicKey();
  }

  private async latest(): Promise<StoredCheckpoint> {
    const latest = await whileAvailable(() => this.ledger.checkpoints.latest());
    if (!latest) throw new CheckpointNotFound();
    return latest;
  }

  private async courseEvents(streamId: string, caller: Caller): Promise<RecordedEvent[]> {
    const events = await this.store.readStream(streamId);
    if (events.length === 0 || clinicOf(events[0]) !== caller.clinicId) throw new CourseNotFound();
    return events;
  }
}

function signedOf({ checkpoint, signature, keyId }: StoredCheckpoint) {
  return { checkpoint, signature, keyId };
}

function onlyParams(query: Record<string, unknown>, known: string[]): Record<string, unknown> {
  const unknown = Object.keys(query).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw new InvalidRequest(
      unknown.map((field) => ({ field, message: 'unknown query parameter' })),
    );
  }
  return query;
}

function count(field: string, value: unknown): number {
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) {
    throw new InvalidRequest([{ field, message: 'must be a non-negative integer' }]);
  }
  return Number(value);
}
