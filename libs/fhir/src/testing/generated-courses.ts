/**
 * Courses for the export tests, decided by the real domain (`decide` +
 * `evolve`) and varied by their number: every event type, every modality and
 * kind of missed session, every instrument, null items, corrections (also to
 * and from a null item), open and resolved risk flags, follow-ups, and all
 * three endings. PHI is recognisable so a test can look for it in a bundle.
 */
import { randomUUID } from 'node:crypto';
import {
  DAY_MS,
  MODALITIES,
  WITHDRAWAL_REASONS,
  decide,
  evolve,
  instrumentDefinition,
  type CourseCommand,
  type CourseState,
  type Instrument,
  type MissedSessionKind,
} from '@ipt/course';
import type { RecordedCourseFact } from '../course-bundle';

export interface GeneratedCourse {
  courseId: string;
  clinicId: string;
  events: RecordedCourseFact[];
  /** patientRef and every free text given to the course. */
  phi: string[];
}

const HOUR_MS = 3_600_000;
const MISSED_KINDS: MissedSessionKind[] = [
  'did_not_attend',
  'cancelled_by_patient',
  'cancelled_by_clinic',
];

/** Items of an instrument: `level` on every item, the risk item set apart, one item null if asked. */
function items(
  instrument: Instrument,
  level: number,
  risk: number,
  nullItem: boolean,
): (number | null)[] {
  const def = instrumentDefinition(instrument);
  return def.itemMax.map((max, i) => {
    if (nullItem && i === 1) return null;
    if (def.riskItem === i + 1) return Math.min(max, risk);
    return Math.min(max, level);
  });
}

export function generateCourse(n: number): GeneratedCourse {
  const courseId = randomUUID();
  const clinicId = `clinic-fhir-${n % 3}`;
  const enrolled = Date.UTC(2024, 2, 4, 9) + n * DAY_MS;
  const at = (days: number, hours = 0): string =>
    new Date(enrolled + days * DAY_MS + hours * HOUR_MS).toISOString();
  const tag = `${n}-${courseId.slice(0, 8)}`;
  const phi = {
    patientRef: `MRN-FHIR-${tag}`,
    override: `override: depressive episode without psychosis (${tag})`,
    areaReason: `changed area after talk about sister Ann (${tag})`,
    homework1: `write down the argument with Ann (${tag})`,
    homework2: `call an old friend from work (${tag})`,
    riskNote: `safety plan agreed with the patient's partner (${tag})`,
    correction: `item copied wrongly from the paper form (${tag})`,
  };
  const ending = (['completed', 'withdrawn', 'active'] as const)[n % 3];
  const sessions = 3 + (n % 10);
  const sessionAt = (k: number): string => at(7 * (k - 1), 1);
  const last = 7 * (sessions - 1);

  const commands: CourseCommand[] = [];
  const c = (type: CourseCommand['type'], data: Record<string, unknown>): void => {
    commands.push({ type, data: { courseId, ...data } } as CourseCommand);
  };
  const assessmentIds = Array.from({ length: 8 }, () => randomUUID());
  const withNull = n % 3 === 0;

  c('EnrollPatient', {
    patientRef: phi.patientRef,
    therapistId: `therapist-${n % 4}`,
    plannedSessions: 12 + (n % 5),
    enrolledAt: at(0),
    screening: {
      psychosis: false,
      bipolarDisorder: false,
      primarySubstanceUse: n % 2 === 0,
      acuteSuicideRisk: false,
    },
    ...(n % 2 === 0 ? { override: { reason: phi.override } } : {}),
  });
  c('RecordAssessment', {
    assessmentId: assessmentIds[0],
    instrument: 'PHQ-9',
    timepoint: 'baseline',
    administeredAt: at(-1),
    items: items('PHQ-9', 2, n % 2, false),
  });
  c('RecordAssessment', {
    assessmentId: assessmentIds[1],
    instrument: 'GAD-7',
    timepoint: 'baseline',
    administeredAt: at(-1, 1),
    items: items('GAD-7', 2, 0, withNull),
  });
  c('RecordAssessment', {
    assessmentId: assessmentIds[2],
    instrument: 'HRSD-17',
    timepoint: 'baseline',
    administeredAt: at(0, 2),
    items: items('HRSD-17', 1, n % 4 === 1 ? 2 : 0, false),
  });
  c('RecordAssessment', {
    assessmentId: assessmentIds[3],
    instrument: 'BDI-II',
    timepoint: 'baseline',
    administeredAt: at(0, 3),
    items: items('BDI-II', 1, n % 4 === 2 ? 1 : 0, withNull),
  });
  c('SelectProblemArea', { area: 'grief' });
  if (n % 2 === 1) c('SelectProblemArea', { area: 'role_dispute', reason: phi.areaReason });
  for (let k = 1; k <= sessions; k++) {
    c('RecordSessionHeld', {
      sessionNumber: k,
      heldAt: sessionAt(k),
      durationMinutes: 40 + (k % 3) * 5,
      modality: MODALITIES[(n + k) % MODALITIES.length],
    });
    if (k === 1) {
      c('AssignHomework', {
        homeworkId: `hw-a-${tag}`,
        sessionNumber: 1,
        dueAt: at(6),
        description: phi.homework1,
      });
      c('SubmitHomework', { homeworkId: `hw-a-${tag}`, submittedAt: at(5, 18) });
      c('RecordSessionMissed', { scheduledAt: at(3, 5), kind: MISSED_KINDS[n % 3] });
    }
    if (k === 2) {
      c('AssignHomework', {
        homeworkId: `hw-b-${tag}`,
        sessionNumber: 2,
        dueAt: at(13),
        description: phi.homework2,
      });
      c('RecordSessionMissed', { scheduledAt: at(10, 5), kind: MISSED_KINDS[(n + 1) % 3] });
      // Resolve the flags raised so far (a note on every other one).
      c('ResolveRiskFlag', {
        resolveOpenFlags: true,
        disposition: 'safety_plan',
        ...(n % 2 === 0 ? { note: phi.riskNote } : {}),
      });
    }
  }
  c('RecordAssessment', {
    assessmentId: assessmentIds[4],
    instrument: 'PHQ-9',
    timepoint: ending === 'active' ? 'session' : 'end',
    administeredAt: at(last, 3),
    items: items('PHQ-9', 1, n % 5 === 0 ? 1 : 0, n % 7 === 0),
  });
  // Corrections: a scored form, a form corrected to a null item, a null form corrected to a scored one.
  c('CorrectAssessment', {
    assessmentId: assessmentIds[0],
    items: items('PHQ-9', 3, n % 2, false),
    reason: phi.correction,
  });
  if (n % 5 === 0)
    c('CorrectAssessment', {
      assessmentId: assessmentIds[2],
      items: items('HRSD-17', 1, 0, true),
      reason: phi.correction,
    });
  if (withNull)
    c('CorrectAssessment', {
      assessmentId: assessmentIds[1],
      items: items('GAD-7', 1, 0, false),
      reason: phi.correction,
    });
  if (ending === 'completed') {
    c('ResolveRiskFlag', { resolveOpenFlags: true, disposition: 'no_current_risk' });
    c('CompleteCourse', { completedAt: at(last, 4) });
  } else if (ending === 'withdrawn') {
    c('WithdrawPatient', {
      withdrawnAt: at(last, 4),
      reason: WITHDRAWAL_REASONS[n % WITHDRAWAL_REASONS.length],
    });
  }
  if (ending !== 'active') {
    c('RecordAssessment', {
      assessmentId: assessmentIds[5],
      instrument: 'PHQ-9',
      timepoint: 'follow_up',
      administeredAt: at(last + 90),
      items: items('PHQ-9', 0, n % 2, false),
    });
  }

  const now = new Date(enrolled + (last + 120) * DAY_MS);
  let state = null as CourseState;
  const events: RecordedCourseFact[] = [];
  const record = (command: CourseCommand): void => {
    for (const event of decide(command, state, { now, newId: randomUUID })) {
      state = evolve(state, event);
      events.push({
        eventId: randomUUID(),
        revision: events.length,
        recordedAt: now.toISOString(),
        event,
      });
    }
  };
  for (const command of commands) {
    const data = command.data as Record<string, unknown>;
    if (data.resolveOpenFlags) {
      delete data.resolveOpenFlags;
      for (const flag of state?.riskFlags.filter((f) => f.open) ?? [])
        record({ ...command, data: { ...data, flagId: flag.flagId } } as CourseCommand);
    } else {
      record(command);
    }
  }
  return { courseId, clinicId, events, phi: Object.values(phi) };
}
