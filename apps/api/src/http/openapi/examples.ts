/**
 * One realistic example per answer body, by schema name (a unit test
 * validates each against its schema). Ids are random-looking UUIDs; the
 * patientRef is made up.
 */
import type { SchemaName } from './schemas';

const COURSE_ID = '6f1c2b9e-4a7d-4e0b-9c55-1d2e3f405162';
const ASSESSMENT_ID = '0b8f7e6d-5c4b-4a39-8281-7f6e5d4c3b2a';
const FLAG_ID = 'c3d2e1f0-a9b8-4c7d-8e6f-5a4b3c2d1e0f';
const HASH_A = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const HASH_B = '60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752';
const HASH_C = 'fd61a03af4f77d870fc21e05e7e80678095c92d808cfb3b5c279ee04c74aca13';

const checkpoint = {
  origin: 'ledger.clinic-a.example',
  events: { size: 1824, root: HASH_A },
  access: { size: 5310, root: HASH_B },
  issuedAt: '2026-03-02T10:15:05.000Z',
};

const courseView = {
  courseId: COURSE_ID,
  clinicId: 'clinic-a',
  subjectId: '2d4c6e8a-1b3d-4f5a-9c7e-0a1b2c3d4e5f',
  therapistId: 't-17',
  patientRef: 'MRN-0042',
  erased: false,
  status: 'active',
  plannedSessions: 12,
  sessionsHeld: 5,
  sessionsMissed: 1,
  attendanceRate: 0.8333,
  phase: 'middle',
  problemArea: 'role_transition',
  homeworkAssigned: 4,
  homeworkSubmitted: 3,
  homeworkCompletionRate: 0.75,
  openRiskFlags: 0,
  enrolledAt: '2026-01-05T09:00:00Z',
  firstSessionAt: '2026-01-05T10:00:00Z',
  lastSessionAt: '2026-02-09T10:00:00Z',
  completedAt: null,
  withdrawnAt: null,
  withdrawalReason: null,
  weeksInTreatment: 5,
  protocolComplete: false,
  earlyTermination: false,
  dropout: false,
  revision: 14,
  engagement: {
    patientMissedSinceLastSession: 0,
    daysSinceLastContact: 3,
    reasons: [],
    atRisk: false,
  },
};

const outcomes = {
  courseId: COURSE_ID,
  revision: 14,
  instruments: {
    'PHQ-9': {
      baseline: {
        assessmentId: ASSESSMENT_ID,
        score: 17,
        severity: 'moderately_severe',
        administeredAt: '2026-01-05T09:30:00Z',
      },
      endpoint: {
        assessmentId: '7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d',
        score: 8,
        severity: 'mild',
        administeredAt: '2026-02-09T09:30:00Z',
      },
      followUp: null,
      change: -9,
      percentChange: -52.94,
      response: true,
      remission: false,
      reliableImprovement: true,
      reliableDeterioration: false,
      caseAtBaseline: true,
      recovery: false,
      reliableRecovery: false,
    },
  },
  riskFlags: [
    {
      flagId: FLAG_ID,
      assessmentId: ASSESSMENT_ID,
      instrument: 'PHQ-9',
      item: 9,
      score: 1,
      raisedAt: '2026-01-05T09:30:00Z',
      status: 'resolved',
      resolvedAt: '2026-01-05T09:45:00Z',
      disposition: 'safety_plan',
    },
  ],
};

const metadata = {
  actor: { id: 'clinician@clinic-a', role: 'clinician' },
  clinicId: 'clinic-a',
  commandId: 'e5d4c3b2-a190-4f8e-9d7c-6b5a49382716',
  correlationId: 'req-2026-01-05-0001',
  causationId: 'e5d4c3b2-a190-4f8e-9d7c-6b5a49382716',
  commandType: 'EnrollPatient',
  requestDigest: HASH_B,
  schemaVersion: 1,
  recordedAt: '2026-01-05T09:00:01.204Z',
  prevHash: '0'.repeat(64),
  hash: HASH_C,
};

const enrolled = {
  courseId: COURSE_ID,
  subjectId: '2d4c6e8a-1b3d-4f5a-9c7e-0a1b2c3d4e5f',
  therapistId: 't-17',
  plannedSessions: 12,
  enrolledAt: '2026-01-05T09:00:00Z',
  screening: {
    psychosis: false,
    bipolarDisorder: false,
    primarySubstanceUse: false,
    acuteSuicideRisk: false,
  },
  phi: { patientRef: 'MRN-0042' },
};

const projection = {
  name: 'course_completion',
  state: 'live',
  checkpoint: '1824',
  eventsApplied: 1824,
  lastError: null,
  rebuild: {
    id: 3,
    state: 'replaying',
    requestedAt: '2026-03-02T09:30:00.000Z',
    startedAt: '2026-03-02T09:30:01.000Z',
    finishedAt: null,
    eventsDone: 412000,
    eventsTotal: 1000000,
    eventsPerSecond: 52000,
    secondsLeft: 11.3,
    error: null,
  },
};

const jwk = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };

export const EXAMPLES: Partial<Record<SchemaName, unknown>> = {
  CommandAnswer: { courseId: COURSE_ID, revision: 3 },
  ErasureReceipt: {
    courseId: COURSE_ID,
    revision: 14,
    keyId: '0b7f3c52-93d4-4d8e-a0f1-5c2e7d9b1a64',
    erasedAt: '2026-03-02T09:30:00.000Z',
  },
  AssessmentAnswer: {
    courseId: COURSE_ID,
    revision: 2,
    total: 17,
    severity: 'moderately_severe',
    riskFlagId: FLAG_ID,
  },
  CourseView: courseView,
  CoursePage: { items: [courseView], nextCursor: 'WyIyMDI2LTAxLTA1VDA5OjAwOjAwWiIsIjZmMWMiXQ' },
  CourseOutcomes: outcomes,
  ClinicSummary: {
    clinicId: 'clinic-a',
    courses: { total: 40, active: 22, completed: 12, withdrawn: 6 },
    atRisk: 3,
    protocolCompletionRate: 0.6667,
    dropoutRate: 0.2222,
    instruments: {
      'PHQ-9': { responseRate: 0.55, remissionRate: 0.35, reliableImprovementRate: 0.6 },
      'GAD-7': { responseRate: 0.5, remissionRate: 0.3, reliableImprovementRate: 0.45 },
    },
  },
  CourseHistory: {
    courseId: COURSE_ID,
    events: [
      {
        eventId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
        type: 'PatientEnrolled',
        revision: 0,
        position: 1201,
        recordedAt: '2026-01-05T09:00:01.204Z',
        data: enrolled,
        metadata,
      },
    ],
  },
  CourseState: {
    courseId: COURSE_ID,
    revision: 14,
    course: courseView,
    outcomes,
  },
  CourseVerification: {
    courseId: COURSE_ID,
    valid: true,
    events: 15,
    brokenAtRevision: null,
    reason: null,
    checkpoint: { events: checkpoint.events },
    included: true,
    pending: 1,
  },
  AuditBundle: {
    format: 'ipt-audit-bundle/1',
    courseId: COURSE_ID,
    events: [
      {
        streamId: `course-${COURSE_ID}`,
        revision: 0,
        eventId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
        type: 'PatientEnrolled',
        data: enrolled,
        metadata,
        position: '1201',
        created: '2026-01-05T09:00:01.204Z',
      },
    ],
    leaves: [{ revision: 0, leafIndex: 1200, inclusionProof: [HASH_B, HASH_C] }],
    checkpoint,
    signature:
      'x4Jr1u0q2E5xWb3c0j5mT9l3q8s2k1d0f9g8h7j6k5l4m3n2b1v0c9x8z7a6s5d4f3g2h1j0k9l8m7n6b5v4cQ==',
    keyId: 'q1w2e3r4t5y6u7i8o9p0aQ',
    publicKey: jwk,
  },
  StoredCheckpoint: {
    sequence: 42,
    checkpoint,
    signature:
      'x4Jr1u0q2E5xWb3c0j5mT9l3q8s2k1d0f9g8h7j6k5l4m3n2b1v0c9x8z7a6s5d4f3g2h1j0k9l8m7n6b5v4cQ==',
    keyId: 'q1w2e3r4t5y6u7i8o9p0aQ',
  },
  CheckpointPage: {
    items: [
      {
        sequence: 42,
        checkpoint,
        signature:
          'x4Jr1u0q2E5xWb3c0j5mT9l3q8s2k1d0f9g8h7j6k5l4m3n2b1v0c9x8z7a6s5d4f3g2h1j0k9l8m7n6b5v4cQ==',
        keyId: 'q1w2e3r4t5y6u7i8o9p0aQ',
      },
    ],
    nextAfter: null,
  },
  ConsistencyProof: { first: 1700, second: 1824, proof: [HASH_A, HASH_B, HASH_C] },
  PublicKey: {
    keyId: 'q1w2e3r4t5y6u7i8o9p0aQ',
    jwk,
    pem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n',
  },
  AccessLogPage: {
    items: [
      {
        leafIndex: 5309,
        recordId: '3c2b1a09-8f7e-4d6c-9b5a-493827161504',
        at: '2026-03-02T10:14:58.310Z',
        actor: { id: 'clinician@clinic-a', role: 'clinician' },
        clinicId: 'clinic-a',
        method: 'GET',
        route: '/v1/courses/{courseId}/fhir',
        courseId: COURSE_ID,
        status: 200,
        requestId: 'req-2026-03-02-0107',
        prevHash: HASH_A,
        hash: HASH_B,
      },
    ],
    nextCursor: 'bGVhZjo1MzA5',
  },
  FhirBundle: {
    resourceType: 'Bundle',
    id: '5b0f3c1e-2d4a-5e6f-8a9b-0c1d2e3f4a5b',
    meta: { versionId: '14' },
    type: 'collection',
    timestamp: '2026-03-02T10:14:58.310Z',
    entry: [
      {
        fullUrl: 'urn:uuid:8e7d6c5b-4a39-5281-9f0e-1d2c3b4a5968',
        resource: {
          resourceType: 'EpisodeOfCare',
          id: '8e7d6c5b-4a39-5281-9f0e-1d2c3b4a5968',
          status: 'active',
        },
      },
    ],
  },
  ProjectionList: { projections: [projection] },
  ProjectionStatus: { ...projection, state: 'catching_up', checkpoint: null, eventsApplied: 0 },
  Liveness: { status: 'live' },
  Readiness: {
    status: 'ready',
    checks: {
      eventStore: { ok: true, report: 'reachable' },
      projections: { ok: true, report: [projection] },
    },
  },
  AsyncApiDocument: { asyncapi: '3.0.0', info: { title: 'IPT Course Ledger feed', version: '1' } },
};
