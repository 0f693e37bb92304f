/**
 * The checks of a command that need no course state (decision 13): ranges,
 * lengths, enumerations, item counts, unparsable times and rule 14 (no
 * clinical time more than 5 minutes ahead). They are the one source of truth
 * for these rules: `decide` runs them first, and the HTTP edge runs them
 * beside its shape and type checks so that a client sees every problem of a
 * request in one answer. Messages name the rule, never the value (it may be PHI).
 */
import type { CourseCommand, CourseCommandType } from './commands';
import type { FieldError } from './errors';
import { INSTRUMENT_DEFINITIONS, isInstrument, validateItems } from './instruments';
import { MINUTE_MS, parseInstant } from './time';
import {
  INSTRUMENTS,
  MISSED_SESSION_KINDS,
  MODALITIES,
  PROBLEM_AREAS,
  RISK_DISPOSITIONS,
  SCREENING_CRITERIA,
  TIMEPOINTS,
  WITHDRAWAL_REASONS,
  ERASURE_REASONS,
} from './vocabulary';

/** Rule 14: how far ahead of the server clock a clinical time may be (clock skew). */
export const FUTURE_TOLERANCE_MS = 5 * MINUTE_MS;
/** Rule 3. */
export const DEFAULT_PLANNED_SESSIONS = 16;
export const MIN_PLANNED_SESSIONS = 12;
export const MAX_PLANNED_SESSIONS = 16;
/** api.md: durationMinutes 1–240. */
export const MIN_SESSION_MINUTES = 1;
export const MAX_SESSION_MINUTES = 240;
/** A bound on session numbers in a request; any number past the plan is refused by rule 5 anyway. */
export const MAX_SESSION_NUMBER = 1000;
/** The longest rating scale: no `items` array may be longer. */
export const MAX_ITEM_COUNT = Math.max(
  ...INSTRUMENTS.map((i) => INSTRUMENT_DEFINITIONS[i].itemMax.length),
);

export interface TextLength {
  min: number;
  max: number;
}

/**
 * Lengths of the texts commands carry, in code points (api.md where it gives
 * them, decision records otherwise). `min` applies to the trimmed text: a
 * blank reason is no reason.
 */
export const TEXT_LENGTHS = {
  patientRef: { min: 1, max: 64 },
  therapistId: { min: 1, max: 64 },
  homeworkId: { min: 1, max: 64 },
  homeworkDescription: { min: 1, max: 2000 },
  overrideReason: { min: 10, max: 500 },
  problemAreaReason: { min: 0, max: 500 }, // a blank reason is no reason (rule 7 then asks for one)
  resolutionNote: { min: 0, max: 2000 },
  correctionReason: { min: 10, max: 500 },
  flagId: { min: 1, max: 128 },
  assessmentId: { min: 1, max: 64 },
  /** privacy.md: the clinic's ticket number for an erasure request. */
  erasureReference: { min: 1, max: 200 },
} as const satisfies Record<string, TextLength>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Lengths count code points, so a name in any script has the same budget.
const codePoints = (s: string): number => [...s].length;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Collects problems so the client sees all of them at once. */
class Checks {
  readonly errors: FieldError[] = [];

  constructor(private readonly now: Date) {}

  add(field: string, message: string): void {
    this.errors.push({ field, message });
  }

  text(field: string, value: unknown, { min, max }: TextLength, optional = false): void {
    if (value === undefined && optional) return;
    if (typeof value !== 'string') return this.add(field, 'must be a string');
    if (codePoints(value.trim()) < min || codePoints(value) > max) {
      this.add(
        field,
        min > 0 ? `must be ${min}–${max} characters` : `must be at most ${max} characters`,
      );
    }
  }

  uuid(field: string, value: unknown): void {
    if (typeof value !== 'string' || !UUID.test(value)) this.add(field, 'must be a UUID');
  }

  integer(field: string, value: unknown, min: number, max: number): void {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.add(field, `must be an integer from ${min} to ${max}`);
    }
  }

  oneOf(field: string, value: unknown, allowed: readonly string[]): void {
    if (typeof value !== 'string' || !allowed.includes(value)) {
      this.add(field, `must be one of ${allowed.join(', ')}`);
    }
  }

  instant(field: string, value: unknown): number | null {
    const ms = parseInstant(value);
    if (ms === null) this.add(field, 'must be an ISO 8601 date-time with an offset or Z');
    return ms;
  }

  /** A time at which something clinical happened: also rule 14. */
  clinicalTime(field: string, value: unknown): void {
    const ms = this.instant(field, value);
    if (ms !== null && ms - this.now.getTime() > FUTURE_TOLERANCE_MS) {
      this.add(field, 'must not be more than 5 minutes in the future');
    }
  }
}

// Commands come from parsed JSON: every check reads its fields as unknown.
type Unchecked<T extends CourseCommandType> = {
  [K in keyof Extract<CourseCommand, { type: T }>['data']]?: unknown;
};
type CheckTable = { [T in CourseCommandType]: (c: Checks, d: Unchecked<T>) => void };

/** What each command says (its body in the API). */
const CONTENT: CheckTable = {
  EnrollPatient: (c, d) => {
    c.uuid('courseId', d.courseId); // the enrollment names the new course
    c.text('patientRef', d.patientRef, TEXT_LENGTHS.patientRef);
    c.text('therapistId', d.therapistId, TEXT_LENGTHS.therapistId);
    // Rule 3; JSON null counts as "not given", as with the other optional fields.
    const planned = d.plannedSessions ?? DEFAULT_PLANNED_SESSIONS;
    c.integer('plannedSessions', planned, MIN_PLANNED_SESSIONS, MAX_PLANNED_SESSIONS);
    c.clinicalTime('enrolledAt', d.enrolledAt);
    if (!isObject(d.screening)) {
      c.add('screening', `must be an object with ${SCREENING_CRITERIA.join(', ')}`);
    } else {
      for (const criterion of SCREENING_CRITERIA) {
        if (typeof d.screening[criterion] !== 'boolean')
          c.add(`screening.${criterion}`, 'must be a boolean');
      }
    }
    if (d.override != null) {
      if (!isObject(d.override)) c.add('override', 'must be an object with a reason');
      else c.text('override.reason', d.override.reason, TEXT_LENGTHS.overrideReason);
    }
  },
  SelectProblemArea: (c, d) => {
    c.oneOf('area', d.area, PROBLEM_AREAS);
    c.text('reason', d.reason ?? undefined, TEXT_LENGTHS.problemAreaReason, true);
  },
  RecordSessionHeld: (c, d) => {
    c.integer('sessionNumber', d.sessionNumber, 1, MAX_SESSION_NUMBER);
    c.clinicalTime('heldAt', d.heldAt);
    c.integer('durationMinutes', d.durationMinutes, MIN_SESSION_MINUTES, MAX_SESSION_MINUTES);
    c.oneOf('modality', d.modality, MODALITIES);
  },
  RecordSessionMissed: (c, d) => {
    // A session cannot have been missed before it was due: a clinical time (decision 14).
    c.clinicalTime('scheduledAt', d.scheduledAt);
    c.oneOf('kind', d.kind, MISSED_SESSION_KINDS);
  },
  AssignHomework: (c, d) => {
    c.text('homeworkId', d.homeworkId, TEXT_LENGTHS.homeworkId); // names the new homework
    c.integer('sessionNumber', d.sessionNumber, 1, MAX_SESSION_NUMBER);
    c.instant('dueAt', d.dueAt); // a due date, in the future by nature: not rule 14
    c.text('description', d.description, TEXT_LENGTHS.homeworkDescription);
  },
  SubmitHomework: (c, d) => {
    c.clinicalTime('submittedAt', d.submittedAt);
  },
  RecordAssessment: (c, d) => {
    c.uuid('assessmentId', d.assessmentId);
    c.oneOf('instrument', d.instrument, INSTRUMENTS);
    c.oneOf('timepoint', d.timepoint, TIMEPOINTS);
    c.clinicalTime('administeredAt', d.administeredAt);
    // Rule 9: item count and ranges, when the instrument is known.
    if (isInstrument(d.instrument)) {
      for (const e of validateItems(d.instrument, d.items)) c.add(e.field, e.message);
    } else if (!Array.isArray(d.items)) {
      c.add('items', 'must be an array');
    }
  },
  ResolveRiskFlag: (c, d) => {
    c.oneOf('disposition', d.disposition, RISK_DISPOSITIONS);
    c.text('note', d.note ?? undefined, TEXT_LENGTHS.resolutionNote, true);
  },
  WithdrawPatient: (c, d) => {
    c.clinicalTime('withdrawnAt', d.withdrawnAt);
    c.oneOf('reason', d.reason, WITHDRAWAL_REASONS); // rule 13
  },
  CompleteCourse: (c, d) => {
    c.clinicalTime('completedAt', d.completedAt);
  },
  CorrectAssessment: (c, d) => {
    c.text('reason', d.reason, TEXT_LENGTHS.correctionReason);
    // The item count and ranges depend on the corrected form's instrument: rule 16, with state.
    if (!Array.isArray(d.items)) c.add('items', 'must be an array');
  },
  EraseCourse: (c, d) => {
    c.oneOf('reason', d.reason, ERASURE_REASONS);
    c.text('reference', d.reference ?? undefined, TEXT_LENGTHS.erasureReference, true);
  },
};

/** The existing things a command addresses besides its course (path parameters in the API). */
const REFERENCES: Partial<CheckTable> = {
  SubmitHomework: (c, d) => c.text('homeworkId', d.homeworkId, TEXT_LENGTHS.homeworkId),
  ResolveRiskFlag: (c, d) => c.text('flagId', d.flagId, TEXT_LENGTHS.flagId),
  CorrectAssessment: (c, d) => c.text('assessmentId', d.assessmentId, TEXT_LENGTHS.assessmentId),
};

const isCommandType = (type: unknown): type is CourseCommandType =>
  typeof type === 'string' && Object.prototype.hasOwnProperty.call(CONTENT, type);

/** The problems of what a command says (its body), without state; [] when it is valid. */
export function contentProblems(type: CourseCommandType, data: unknown, now: Date): FieldError[] {
  const checks = new Checks(now);
  (CONTENT[type] as (c: Checks, d: unknown) => void)(checks, isObject(data) ? data : {});
  return checks.errors;
}

/** Every stateless problem of a command: what it addresses and what it says. */
export function commandProblems(command: CourseCommand, now: Date): FieldError[] {
  if (!isCommandType(command.type)) return [{ field: 'type', message: 'unknown command' }];
  const checks = new Checks(now);
  (REFERENCES[command.type] as ((c: Checks, d: unknown) => void) | undefined)?.(
    checks,
    command.data,
  );
  return [...checks.errors, ...contentProblems(command.type, command.data, now)];
}
