/**
 * Courses for the analytics-feed tests and the relay benchmark, decided by the
 * real domain (`decide` + `evolve`), with recognisable PHI (patientRef, free
 * text, homework ids, exact times) so a test can look for it in raw Kafka bytes.
 */
import { randomUUID } from 'node:crypto';
import {
  decide,
  evolve,
  type CourseCommand,
  type CourseEvent,
  type CourseState,
  type EventMetadata,
} from '@ipt/course';
import type { EventStore, EventToAppend } from '@ipt/event-store';

const DAY = 86_400_000;
const HOUR = 3_600_000;

export interface GeneratedCourse {
  courseId: string;
  streamId: string;
  /** One entry per command: the events that command appends together. */
  appends: EventToAppend[][];
  /** Values that must never reach Kafka: patientRef, free text, homework ids. */
  secrets: string[];
  /** Every clinical time given to the course (exact ISO instants). */
  times: string[];
}

export interface CourseOptions {
  clinicId?: string;
  /** Every event type (risk flag, correction, follow-up, overridden screen); else a plain course. */
  full?: boolean;
  /** How the course ends: completed, withdrawn, or still active. */
  ending?: 'completed' | 'withdrawn' | 'active';
  sessions?: number;
  enrolledAt?: Date;
  /** The privacy officer erases the course's personal data at the end (privacy.md). */
  erased?: boolean;
}

/** A course as the command API would record it. */
export function generateCourse(n: number, options: CourseOptions = {}): GeneratedCourse {
  const courseId = randomUUID();
  const clinicId = options.clinicId ?? 'clinic-analytics-test';
  const full = options.full ?? false;
  const sessions = options.sessions ?? (full ? 12 : 6);
  const ending = options.ending ?? 'completed';
  const enrolled = options.enrolledAt ?? new Date(Date.UTC(2024, 0, 8, 9) + (n % 200) * DAY);
  const at = (days: number, hours = 0): string =>
    new Date(enrolled.getTime() + days * DAY + hours * HOUR).toISOString();
  const sessionAt = (k: number): string => at(7 * (k - 1), 1);
  const tag = `${n}-${courseId.slice(0, 8)}`;
  const secrets = {
    patientRef: `MRN-SECRET-${tag}`,
    override: `override reason: depressive episode, no psychosis (${tag})`,
    areaReason: `reason to change: dispute with sister Jane (${tag})`,
    homeworkId: `hw-diary-${tag}`,
    homework: `write down the argument with Jane (${tag})`,
    riskNote: `safety plan agreed with patient's mother (${tag})`,
    correction: `entered item 3 wrongly from the paper form (${tag})`,
    // Not PHI, but the clinic's own ticket number: it stays out of the feed too.
    erasureReference: `RET-${tag}`,
  };
  const times: string[] = [];
  const t = (iso: string): string => (times.push(iso), iso);

  const commands: CourseCommand[] = [];
  const c = (type: CourseCommand['type'], data: Record<string, unknown>) =>
    commands.push({ type, data: { courseId, ...data } } as CourseCommand);

  c('EnrollPatient', {
    patientRef: secrets.patientRef,
    therapistId: `therapist-${n % 7}`,
    plannedSessions: 12,
    enrolledAt: t(at(0)),
    screening: {
      psychosis: false,
      bipolarDisorder: false,
      primarySubstanceUse: full,
      acuteSuicideRisk: false,
    },
    ...(full ? { override: { reason: secrets.override } } : {}),
  });
  // Baseline two days before enrollment (a negative day); PHQ-9 item 9 ≥ 1 raises a risk flag in full courses.
  const baselineId = randomUUID();
  c('RecordAssessment', {
    assessmentId: baselineId,
    instrument: 'PHQ-9',
    timepoint: 'baseline',
    administeredAt: t(at(-2)),
    items: [3, 2, 2, 2, 2, 2, 1, 1, full ? 1 : 0],
  });
  c('SelectProblemArea', { area: 'role_transition' });
  if (full) c('SelectProblemArea', { area: 'role_dispute', reason: secrets.areaReason });
  c('RecordSessionHeld', {
    sessionNumber: 1,
    heldAt: t(sessionAt(1)),
    durationMinutes: 50,
    modality: 'in_person',
  });
  c('AssignHomework', {
    homeworkId: secrets.homeworkId,
    sessionNumber: 1,
    dueAt: t(at(6)),
    description: secrets.homework,
  });
  c('SubmitHomework', { homeworkId: secrets.homeworkId, submittedAt: t(at(5, 18)) });
  c('RecordSessionMissed', { scheduledAt: t(at(10, 2)), kind: 'did_not_attend' });
  if (full)
    c('ResolveRiskFlag', {
      flagIdFromState: true,
      disposition: 'safety_plan',
      note: secrets.riskNote,
    });
  for (let k = 2; k <= sessions; k++) {
    c('RecordSessionHeld', {
      sessionNumber: k,
      heldAt: t(sessionAt(k)),
      durationMinutes: 45 + (k % 3) * 5,
      modality: k % 2 ? 'video' : 'in_person',
    });
  }
  const endId = randomUUID();
  const last = 7 * (sessions - 1);
  if (ending !== 'active') {
    c('RecordAssessment', {
      assessmentId: endId,
      instrument: 'PHQ-9',
      timepoint: 'end',
      administeredAt: t(at(last, 3)),
      items: [1, 1, 1, 0, 1, 0, 0, 0, 0],
    });
    c('RecordAssessment', {
      assessmentId: randomUUID(),
      instrument: 'GAD-7',
      timepoint: 'end',
      administeredAt: t(at(last, 3)),
      items: [1, 1, 0, 1, 0, 1, 0],
    });
    if (full)
      c('CorrectAssessment', {
        assessmentId: endId,
        items: [1, 1, 2, 0, 1, 0, 0, 0, 0],
        reason: secrets.correction,
      });
    if (ending === 'completed') c('CompleteCourse', { completedAt: t(at(last, 4)) });
    else c('WithdrawPatient', { withdrawnAt: t(at(last, 4)), reason: 'moved' });
    if (full) {
      c('RecordAssessment', {
        assessmentId: randomUUID(),
        instrument: 'PHQ-9',
        timepoint: 'follow_up',
        administeredAt: t(at(last + 90)),
        items: [0, 1, 0, 0, 1, 0, 0, 0, 0],
      });
    }
  }

  if (options.erased)
    c('EraseCourse', { reason: 'retention_expired', reference: secrets.erasureReference });

  const now = new Date(Math.max(Date.now(), enrolled.getTime() + (last + 100) * DAY));
  let state = null as CourseState;
  const appends: EventToAppend[][] = [];
  for (const command of commands) {
    const data = command.data as Record<string, unknown>;
    if (data.flagIdFromState) {
      delete data.flagIdFromState;
      data.flagId = state?.riskFlags.find((f) => f.open)?.flagId;
    }
    const events: CourseEvent[] = decide(command, state, { now, newId: randomUUID });
    const commandId = randomUUID();
    appends.push(
      events.map((event) => {
        state = evolve(state, event);
        const metadata: EventMetadata = {
          actor: { id: `therapist-${n % 7}`, role: 'clinician' },
          clinicId,
          commandId,
          correlationId: commandId,
          causationId: commandId,
          schemaVersion: 1,
          recordedAt: now.toISOString(),
        };
        return {
          eventId: randomUUID(),
          type: event.type,
          data: event.data as Record<string, unknown>,
          metadata: { ...metadata },
        };
      }),
    );
  }
  times.push(now.toISOString());
  return {
    courseId,
    streamId: `course-${courseId}`,
    appends,
    secrets: Object.values(secrets),
    times,
  };
}

export const eventCount = (course: GeneratedCourse): number =>
  course.appends.reduce((n, a) => n + a.length, 0);

/**
 * Appends the courses as a clinic would: one command at a time per course,
 * courses interleaved (so the global log mixes them), concurrent commands
 * committed together by the store.
 */
export async function appendInterleaved(
  store: EventStore,
  courses: GeneratedCourse[],
  concurrency = 64,
): Promise<number> {
  let appended = 0;
  const steps = Math.max(...courses.map((c) => c.appends.length));
  for (let step = 0; step < steps; step++) {
    const due = courses.filter((c) => step < c.appends.length);
    for (let i = 0; i < due.length; i += concurrency) {
      await Promise.all(
        due.slice(i, i + concurrency).map(async (c) => {
          const events = c.appends[step];
          await store.appendToStream(c.streamId, events, {
            expectedRevision: step === 0 ? 'no_stream' : 'any',
          });
          appended += events.length;
        }),
      );
    }
  }
  return appended;
}

/** A generated course and how many of its appends are in the store so far. */
export interface CourseInProgress {
  course: GeneratedCourse;
  step: number;
}

/**
 * Appends up to `rounds` more commands of each course, one per course per
 * round, the courses of a round at once: history that grows while a test
 * watches (a rebuild under way), resumable by calling again.
 */
export async function appendRounds(
  store: EventStore,
  courses: CourseInProgress[],
  rounds: number,
): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const due = courses.filter((c) => c.step < c.course.appends.length);
    if (due.length === 0) return;
    await Promise.all(
      due.map(async (c) => {
        await store.appendToStream(c.course.streamId, c.course.appends[c.step], {
          expectedRevision: c.step === 0 ? 'no_stream' : 'any',
        });
        c.step++;
      }),
    );
  }
}
