/**
 * Reading a course's history for people: what each event changed, which
 * corrections apply to which assessment, and the scored forms per instrument
 * (the latest correction in place of the original items, domain.md rule 17).
 */
import type { HistoryEvent } from './api';
import { label, formatTime } from './format';

export interface EventLine {
  title: string;
  /** What changed, as short "name: value" facts. */
  facts: [string, string][];
  /** Free text kept in the event's `phi` object (shown on screen only). */
  phi: [string, string][];
}

const TITLES: Record<string, string> = {
  PatientEnrolled: 'Patient enrolled',
  ProblemAreaSelected: 'Problem area selected',
  SessionHeld: 'Session held',
  SessionMissed: 'Session missed',
  HomeworkAssigned: 'Homework assigned',
  HomeworkSubmitted: 'Homework submitted',
  AssessmentRecorded: 'Assessment recorded',
  AssessmentCorrected: 'Assessment corrected',
  RiskFlagRaised: 'Risk flag raised',
  RiskFlagResolved: 'Risk flag resolved',
  PatientWithdrawn: 'Patient withdrawn',
  CourseCompleted: 'Course completed',
  PersonalDataErased: 'Personal data erased',
};

const str = (v: unknown): string => (v === null || v === undefined ? '—' : String(v));

const PHI_LABELS: Record<string, string> = {
  patientRef: 'Patient ref',
  overrideReason: 'Override reason',
  reason: 'Reason',
  description: 'Description',
  note: 'Note',
};

export function describeEvent(event: HistoryEvent): EventLine {
  const d = event.data;
  const facts: [string, string][] = [];
  // As a string: the erasure's event (privacy.md) is handled before this document lists it.
  switch (event.type as string) {
    case 'PatientEnrolled': {
      facts.push(['Therapist', str(d.therapistId)], ['Planned sessions', str(d.plannedSessions)]);
      facts.push(['Enrolled', formatTime(str(d.enrolledAt))]);
      const positive = Array.isArray(d.positiveCriteria) ? d.positiveCriteria : [];
      facts.push([
        'Screen',
        positive.length === 0 ? 'negative' : `positive: ${positive.join(', ')}`,
      ]);
      if (d.screenOverridden) facts.push(['Screen overridden', 'yes']);
      break;
    }
    case 'ProblemAreaSelected':
      facts.push(['Area', label(str(d.area))]);
      if (d.previousArea) facts.push(['Previously', label(str(d.previousArea))]);
      break;
    case 'SessionHeld':
      facts.push(['Session', str(d.sessionNumber)], ['Held', formatTime(str(d.heldAt))]);
      facts.push(
        ['Duration', `${str(d.durationMinutes)} min`],
        ['Modality', label(str(d.modality))],
      );
      break;
    case 'SessionMissed':
      facts.push(['Scheduled', formatTime(str(d.scheduledAt))], ['Kind', label(str(d.kind))]);
      break;
    case 'HomeworkAssigned':
      facts.push(['Homework', str(d.homeworkId)], ['In session', str(d.sessionNumber)]);
      facts.push(['Due', formatTime(str(d.dueAt))]);
      break;
    case 'HomeworkSubmitted':
      facts.push(['Homework', str(d.homeworkId)], ['Submitted', formatTime(str(d.submittedAt))]);
      break;
    case 'AssessmentRecorded':
      facts.push(['Instrument', str(d.instrument)], ['Timepoint', label(str(d.timepoint))]);
      facts.push(['Administered', formatTime(str(d.administeredAt))]);
      facts.push(['Total', str(d.total)], ['Severity', label(str(d.severity))]);
      break;
    case 'AssessmentCorrected':
      facts.push(['Total', str(d.total)], ['Severity', label(str(d.severity))]);
      break;
    case 'RiskFlagRaised':
      facts.push(
        ['Instrument', str(d.instrument)],
        ['Item', str(d.item)],
        ['Item score', str(d.score)],
      );
      break;
    case 'RiskFlagResolved':
      facts.push(
        ['Disposition', label(str(d.disposition))],
        ['Resolved', formatTime(str(d.resolvedAt))],
      );
      break;
    case 'PatientWithdrawn':
      facts.push(['Withdrawn', formatTime(str(d.withdrawnAt))], ['Reason', label(str(d.reason))]);
      break;
    case 'CourseCompleted':
      facts.push(['Completed', formatTime(str(d.completedAt))]);
      break;
    case 'PersonalDataErased':
      facts.push(['Effect', 'the course’s personal data can no longer be read']);
      for (const [key, value] of Object.entries(d)) {
        if (
          key !== 'courseId' &&
          key !== 'phi' &&
          (typeof value === 'string' || typeof value === 'number')
        ) {
          facts.push([label(key), String(value)]);
        }
      }
      break;
    default:
      for (const [key, value] of Object.entries(d)) {
        if (key !== 'courseId' && key !== 'phi' && typeof value !== 'object')
          facts.push([key, str(value)]);
      }
  }
  const phi: [string, string][] = [];
  const phiData = d.phi;
  if (phiData && typeof phiData === 'object') {
    for (const [key, value] of Object.entries(phiData as Record<string, unknown>)) {
      if (typeof value === 'string') phi.push([PHI_LABELS[key] ?? label(key), value]);
    }
  }
  return { title: TITLES[event.type] ?? event.type, facts, phi };
}

/** Corrections of each assessment, by the revision of the event that recorded it. */
export function correctionsByAssessment(events: HistoryEvent[]): {
  recordedAt: Map<string, HistoryEvent>;
  corrections: Map<string, HistoryEvent[]>;
} {
  const recordedAt = new Map<string, HistoryEvent>();
  const corrections = new Map<string, HistoryEvent[]>();
  for (const event of events) {
    const id = event.data.assessmentId;
    if (typeof id !== 'string') continue;
    if (event.type === 'AssessmentRecorded') recordedAt.set(id, event);
    if (event.type === 'AssessmentCorrected')
      corrections.set(id, [...(corrections.get(id) ?? []), event]);
  }
  return { recordedAt, corrections };
}

export interface ScoredForm {
  assessmentId: string;
  instrument: string;
  timepoint: string;
  administeredAt: string;
  score: number;
  severity: string;
  revision: number;
  corrected: boolean;
}

/**
 * The scored forms per instrument, in the outcome order of domain.md
 * (administeredAt, ties by revision); a form whose latest items leave the
 * total null is left out, as every outcome figure does.
 */
export function scoredForms(events: HistoryEvent[]): Map<string, ScoredForm[]> {
  const forms = new Map<string, ScoredForm & { total: number | null }>();
  for (const event of events) {
    const d = event.data;
    if (event.type === 'AssessmentRecorded') {
      forms.set(String(d.assessmentId), {
        assessmentId: String(d.assessmentId),
        instrument: String(d.instrument),
        timepoint: String(d.timepoint),
        administeredAt: String(d.administeredAt),
        total: typeof d.total === 'number' ? d.total : null,
        score: 0,
        severity: str(d.severity),
        revision: event.revision,
        corrected: false,
      });
    } else if (event.type === 'AssessmentCorrected') {
      const form = forms.get(String(d.assessmentId));
      if (form) {
        form.total = typeof d.total === 'number' ? d.total : null;
        form.severity = str(d.severity);
        form.corrected = true;
      }
    }
  }
  const byInstrument = new Map<string, ScoredForm[]>();
  for (const { total, ...form } of forms.values()) {
    if (total === null) continue;
    const list = byInstrument.get(form.instrument) ?? [];
    list.push({ ...form, score: total });
    byInstrument.set(form.instrument, list);
  }
  for (const list of byInstrument.values()) {
    list.sort(
      (a, b) =>
        Date.parse(a.administeredAt) - Date.parse(b.administeredAt) || a.revision - b.revision,
    );
  }
  return byInstrument;
}
