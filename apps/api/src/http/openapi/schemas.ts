/**
 * The answer bodies of the API as OpenAPI 3.0 schemas, each with one
 * realistic example, from the same vocabularies (enumerations, limits) that the
 * domain and the views use. `npm test` validates every answer of the
 * end-to-end suites against them with undeclared properties refused, and every
 * example below against its schema, so neither can drift from the code.
 *
 * Objects that are open on purpose (event data, FHIR resources, a JWK, health
 * reports) say `additionalProperties: true`; every other object lists all its
 * properties. Clients should still tolerate new properties (api.md: "add to
 * them freely").
 */
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import {
  COMMAND_REFUSALS,
  COURSE_EVENT_TYPES,
  COURSE_STATUSES,
  INSTRUMENTS,
  PROBLEM_AREAS,
  RISK_DISPOSITIONS,
  ROLES,
  SCREENING_CRITERIA,
  SEVERITIES,
  WITHDRAWAL_REASONS,
} from '@ipt/course';
import { ENGAGEMENT_REASONS } from '@ipt/projections/views';

/** A reference to one of SCHEMAS (a unit test checks that every reference resolves). */
export const ref = (name: string): { $ref: string } => ({
  $ref: `#/components/schemas/${name}`,
});

const uuid: SchemaObject = { type: 'string', format: 'uuid' };
const instant: SchemaObject = { type: 'string', format: 'date-time' };
const int: SchemaObject = { type: 'integer', minimum: 0 };
const hex64: SchemaObject = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const nullable = (schema: SchemaObject): SchemaObject => ({ ...schema, nullable: true });
/** A reference that may be null (OpenAPI 3.0 ignores siblings of $ref, hence allOf). */
const nullableRef = (name: string, description?: string): SchemaObject => ({
  allOf: [ref(name)],
  nullable: true,
  ...(description ? { description } : {}),
});
const rate = nullable({ type: 'number', minimum: 0, maximum: 1 });
const object = (
  properties: Record<string, SchemaObject | { $ref: string }>,
  required: string[] = Object.keys(properties),
  extra: SchemaObject = {},
): SchemaObject => ({
  type: 'object',
  // OpenAPI 3.0 wants a non-empty `required` or none.
  ...(required.length > 0 ? { required } : {}),
  properties,
  ...extra,
});
/** One optional property per instrument: an instrument never assessed is absent. */
const perInstrument = (schema: { $ref: string }): SchemaObject =>
  object(Object.fromEntries(INSTRUMENTS.map((i) => [i, schema])), []);

const COURSE_FIGURES = {
  courseId: uuid,
  clinicId: { type: 'string' },
  subjectId: { ...uuid, description: 'pseudonymous id of the patient in this course' },
  therapistId: { type: 'string' },
  patientRef: nullable({
    type: 'string',
    description: "the clinic's identifier for the patient (PHI); null once erased",
  }),
  erased: { type: 'boolean', description: 'privacy.md: the course’s personal data is erased' },
  status: { type: 'string', enum: [...COURSE_STATUSES] },
  plannedSessions: { type: 'integer', minimum: 12, maximum: 16 },
  sessionsHeld: int,
  sessionsMissed: int,
  attendanceRate: rate,
  phase: { type: 'string', enum: ['initial', 'middle', 'termination'] },
  problemArea: nullable({ type: 'string', enum: [...PROBLEM_AREAS] }),
  homeworkAssigned: int,
  homeworkSubmitted: int,
  homeworkCompletionRate: rate,
  openRiskFlags: int,
  enrolledAt: instant,
  firstSessionAt: nullable(instant),
  lastSessionAt: nullable(instant),
  completedAt: nullable(instant),
  withdrawnAt: nullable(instant),
  withdrawalReason: nullable({ type: 'string', enum: [...WITHDRAWAL_REASONS] }),
  weeksInTreatment: int,
  protocolComplete: { type: 'boolean' },
  earlyTermination: { type: 'boolean' },
  dropout: { type: 'boolean' },
  revision: { ...int, description: 'stream revision the view reflects' },
} satisfies Record<string, SchemaObject>;

const EVENT_METADATA = object(
  {
    actor: object({ id: { type: 'string' }, role: { type: 'string', enum: [...ROLES] } }),
    clinicId: { type: 'string' },
    commandId: uuid,
    correlationId: { type: 'string' },
    causationId: { type: 'string' },
    idempotencyKey: { type: 'string' },
    commandType: { type: 'string', enum: Object.keys(COMMAND_REFUSALS) },
    requestDigest: { ...hex64, description: 'SHA-256 of the command, for Idempotency-Key retries' },
    schemaVersion: { type: 'integer', minimum: 1 },
    recordedAt: instant,
    prevHash: hex64,
    hash: hex64,
    traceparent: { type: 'string' },
    tracestate: { type: 'string' },
  },
  ['actor', 'clinicId', 'commandId', 'correlationId', 'causationId', 'schemaVersion', 'recordedAt'],
);

const TREE_HEAD = object({ size: int, root: hex64 });

export const SCHEMAS = {
  Problem: object(
    {
      type: { type: 'string', format: 'uri' },
      title: { type: 'string' },
      status: { type: 'integer', minimum: 400, maximum: 599 },
      detail: { type: 'string', description: 'for a developer; never repeats request content' },
      code: { type: 'string', description: 'stable, machine-readable; see the route’s enum' },
      errors: {
        type: 'array',
        description: 'for validation_failed: every problem found, field by field',
        items: object({ field: { type: 'string' }, message: { type: 'string' } }),
      },
      rule: { type: 'integer', description: 'the domain rule (domain.md) that refused a command' },
      criteria: {
        type: 'array',
        description: 'for ineligible: the positive screen criteria',
        items: { type: 'string', enum: [...SCREENING_CRITERIA] },
      },
      currentRevision: { ...int, description: 'for revision_mismatch: the course’s revision' },
    },
    ['type', 'title', 'status', 'detail', 'code'],
    { description: 'RFC 9457 problem details (application/problem+json)' },
  ),
  CommandAnswer: object({ courseId: uuid, revision: int }),
  ErasureReceipt: object(
    { courseId: uuid, revision: int, keyId: uuid, erasedAt: instant },
    ['courseId', 'revision', 'keyId', 'erasedAt'],
    { description: 'privacy.md: the course key is destroyed and a tombstone left' },
  ),
  AssessmentAnswer: object({
    courseId: uuid,
    revision: int,
    total: nullable({ type: 'integer', minimum: 0 }),
    severity: nullable({ type: 'string', enum: [...SEVERITIES] }),
    riskFlagId: nullable(uuid),
  }),
  Engagement: object({
    patientMissedSinceLastSession: int,
    daysSinceLastContact: int,
    reasons: { type: 'array', items: { type: 'string', enum: [...ENGAGEMENT_REASONS] } },
    atRisk: { type: 'boolean' },
  }),
  CourseView: object({
    ...COURSE_FIGURES,
    engagement: nullableRef('Engagement', 'null once the course is closed'),
  } as Record<string, SchemaObject>),
  CoursePage: object({
    items: { type: 'array', items: ref('CourseView') },
    nextCursor: nullable({ type: 'string', description: 'pass as `cursor` for the next page' }),
  }),
  OutcomePoint: object({
    assessmentId: uuid,
    score: { type: 'number' },
    severity: nullable({ type: 'string', enum: [...SEVERITIES] }),
    administeredAt: instant,
  }),
  InstrumentOutcome: object({
    baseline: ref('OutcomePoint'),
    endpoint: nullableRef('OutcomePoint'),
    followUp: nullableRef('OutcomePoint'),
    change: nullable({ type: 'number' }),
    percentChange: nullable({ type: 'number' }),
    response: nullable({ type: 'boolean' }),
    remission: nullable({ type: 'boolean' }),
    reliableImprovement: nullable({ type: 'boolean' }),
    reliableDeterioration: nullable({ type: 'boolean' }),
    caseAtBaseline: { type: 'boolean' },
    recovery: nullable({ type: 'boolean' }),
    reliableRecovery: nullable({ type: 'boolean' }),
  } as Record<string, SchemaObject>),
  RiskFlag: object({
    flagId: uuid,
    assessmentId: uuid,
    instrument: { type: 'string', enum: [...INSTRUMENTS] },
    item: { type: 'integer', minimum: 1 },
    score: int,
    raisedAt: instant,
    status: { type: 'string', enum: ['open', 'resolved'] },
    resolvedAt: nullable(instant),
    disposition: nullable({ type: 'string', enum: [...RISK_DISPOSITIONS] }),
  }),
  CourseOutcomes: object({
    courseId: uuid,
    revision: int,
    instruments: perInstrument(ref('InstrumentOutcome')),
    riskFlags: { type: 'array', items: ref('RiskFlag') },
  }),
  ClinicSummary: object({
    clinicId: { type: 'string' },
    courses: object({ total: int, active: int, completed: int, withdrawn: int }),
    atRisk: { ...int, description: 'active courses at risk of dropout now' },
    protocolCompletionRate: rate,
    dropoutRate: rate,
    instruments: perInstrument(ref('InstrumentRates')),
  }),
  InstrumentRates: object({
    responseRate: rate,
    remissionRate: rate,
    reliableImprovementRate: rate,
  }),
  EventMetadata: EVENT_METADATA,
  HistoryEvent: object(
    {
      eventId: uuid,
      type: { type: 'string', enum: [...COURSE_EVENT_TYPES] },
      revision: int,
      position: int,
      recordedAt: instant,
      data: {
        type: 'object',
        additionalProperties: true,
        description: 'the event’s data (domain.md, events); PHI under `phi`',
      },
      metadata: ref('EventMetadata'),
      phiErased: {
        type: 'boolean',
        enum: [true],
        description: 'present on an event that carried PHI once it is erased: its `phi` is null',
      },
    } as Record<string, SchemaObject>,
    ['eventId', 'type', 'revision', 'position', 'recordedAt', 'data', 'metadata'],
  ),
  CourseHistory: object({
    courseId: uuid,
    events: { type: 'array', items: ref('HistoryEvent') },
  }),
  CourseState: object({
    courseId: uuid,
    revision: int,
    course: ref('CourseView'),
    outcomes: ref('CourseOutcomes'),
  } as Record<string, SchemaObject>),
  TreeHead: TREE_HEAD,
  Checkpoint: object({
    origin: { type: 'string' },
    events: ref('TreeHead'),
    access: ref('TreeHead'),
    issuedAt: instant,
  } as Record<string, SchemaObject>),
  StoredCheckpoint: object({
    sequence: { type: 'integer', minimum: 1 },
    checkpoint: ref('Checkpoint'),
    signature: { type: 'string', format: 'byte', description: 'Ed25519 over canonical JSON' },
    keyId: { type: 'string' },
  } as Record<string, SchemaObject>),
  CheckpointPage: object({
    items: { type: 'array', items: ref('StoredCheckpoint') },
    nextAfter: nullable({ type: 'integer', minimum: 1 }),
  }),
  ConsistencyProof: object({
    first: int,
    second: int,
    proof: { type: 'array', items: hex64 },
  }),
  Jwk: {
    type: 'object',
    required: ['kty'],
    additionalProperties: true,
    properties: { kty: { type: 'string' }, crv: { type: 'string' }, x: { type: 'string' } },
  },
  PublicKey: object({
    keyId: { type: 'string' },
    jwk: ref('Jwk'),
    pem: { type: 'string' },
  } as Record<string, SchemaObject>),
  CourseVerification: object({
    courseId: uuid,
    valid: { type: 'boolean' },
    events: int,
    brokenAtRevision: nullable(int),
    reason: nullable({
      type: 'string',
      enum: [
        'hash_mismatch',
        'prev_hash_mismatch',
        'revision_gap',
        'stream_mismatch',
        'missing_tail',
        'not_in_tree',
      ],
    }),
    checkpoint: nullable(object({ events: ref('TreeHead') } as Record<string, SchemaObject>)),
    included: { type: 'boolean' },
    pending: int,
  }),
  AuditBundle: object(
    {
      format: { type: 'string', enum: ['ipt-audit-bundle/1'] },
      courseId: uuid,
      events: {
        type: 'array',
        items: object(
          {
            streamId: { type: 'string' },
            revision: int,
            eventId: uuid,
            type: { type: 'string', enum: [...COURSE_EVENT_TYPES] },
            data: { type: 'object', additionalProperties: true },
            metadata: ref('EventMetadata'),
            position: { type: 'string', pattern: '^\\d+$' },
            created: instant,
          } as Record<string, SchemaObject>,
          ['streamId', 'revision', 'eventId', 'type', 'data', 'metadata'],
        ),
      },
      leaves: {
        type: 'array',
        items: object({
          revision: int,
          leafIndex: int,
          inclusionProof: { type: 'array', items: hex64 },
        }),
      },
      checkpoint: ref('Checkpoint'),
      signature: { type: 'string', format: 'byte' },
      keyId: { type: 'string' },
      publicKey: ref('Jwk'),
      consistency: ref('ConsistencyProof'),
    } as Record<string, SchemaObject>,
    ['format', 'courseId', 'events', 'leaves', 'checkpoint', 'signature', 'keyId', 'publicKey'],
  ),
  AccessRecord: object({
    leafIndex: { ...int, description: 'the record’s leaf in the access tree' },
    recordId: uuid,
    at: instant,
    actor: object({ id: { type: 'string' }, role: { type: 'string' } }),
    clinicId: { type: 'string' },
    method: { type: 'string' },
    route: { type: 'string', description: 'the route template, never the URL' },
    courseId: nullable(uuid),
    status: { type: 'integer' },
    requestId: { type: 'string' },
    prevHash: hex64,
    hash: hex64,
  }),
  AccessLogPage: object({
    items: { type: 'array', items: ref('AccessRecord') },
    nextCursor: nullable({ type: 'string' }),
  }),
  FhirBundle: {
    type: 'object',
    required: ['resourceType', 'type', 'entry'],
    additionalProperties: true,
    description: 'a FHIR R4 Bundle resource (fhir.md), validated against R4 by npm test',
    properties: {
      resourceType: { type: 'string', enum: ['Bundle'] },
      id: uuid,
      type: { type: 'string', enum: ['collection'] },
      timestamp: instant,
      entry: {
        type: 'array',
        items: {
          type: 'object',
          required: ['fullUrl', 'resource'],
          properties: {
            fullUrl: { type: 'string' },
            resource: {
              type: 'object',
              required: ['resourceType'],
              additionalProperties: true,
              properties: { resourceType: { type: 'string' } },
            },
          },
        },
      },
    },
  },
  ProjectionStatus: object(
    {
      name: { type: 'string' },
      state: {
        type: 'string',
        enum: ['starting', 'catching_up', 'live', 'retrying', 'failed', 'stopped'],
      },
      checkpoint: nullable({ type: 'string', pattern: '^\\d+$' }),
      eventsApplied: int,
      lastError: nullable({ type: 'string' }),
      rebuild: nullableRef(
        'ProjectionRebuild',
        'the rebuild under way, asked for, or the last one',
      ),
    } as Record<string, SchemaObject>,
    ['name', 'state', 'checkpoint', 'eventsApplied', 'lastError'],
  ),
  ProjectionRebuild: object({
    id: int,
    state: {
      type: 'string',
      enum: ['requested', 'preparing', 'replaying', 'switching', 'done', 'failed'],
    },
    requestedAt: instant,
    startedAt: nullable(instant),
    finishedAt: nullable(instant),
    eventsDone: int,
    eventsTotal: nullable(int),
    eventsPerSecond: nullable({ type: 'number', minimum: 0 }),
    secondsLeft: nullable({ type: 'number', minimum: 0 }),
    error: nullable({ type: 'string' }),
  }),
  ProjectionList: object({ projections: { type: 'array', items: ref('ProjectionStatus') } }),
  Liveness: object({ status: { type: 'string', enum: ['live'] } }),
  Readiness: object({
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    checks: {
      type: 'object',
      additionalProperties: true,
      description: 'per check (eventStore, projections, relay, audit) what it found',
    },
  }),
  AsyncApiDocument: {
    type: 'object',
    required: ['asyncapi'],
    additionalProperties: true,
    properties: { asyncapi: { type: 'string' } },
  },
} satisfies Record<string, SchemaObject>;

export type SchemaName = keyof typeof SCHEMAS;
