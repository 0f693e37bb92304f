/**
 * The mapping against figures worked out by hand from fhir.md and domain.md
 * for one small course (numbers in comments), not computed by the code.
 */
import type {
  Appointment,
  Bundle,
  CarePlan,
  Encounter,
  EpisodeOfCare,
  Flag,
  Observation,
  Patient,
  QuestionnaireResponse,
  Resource,
} from '@medplum/fhirtypes';
import type { CourseEvent, RiskFlagRaised } from '@ipt/course';
import {
  COURSE_ID,
  ENROLLED_AT,
  PATIENT_REF,
  assessed,
  at,
  enrolled,
  flagRaised,
  held,
  homeworkAssigned,
  homeworkSubmitted,
  missed,
  problemAreaSelected,
  sessionTime,
  withdrawn,
} from '../../course/src/testing/fixtures';
import { courseToFhirBundle, type RecordedCourseFact } from './course-bundle';

const COURSE = COURSE_ID;
const CLINIC = 'clinic-a';
const CORRECTION_REASON = 'Item 1 was copied wrongly from paper';
const RISK_NOTE = 'Safety plan agreed with sister';
const HOMEWORK_TEXT = 'Interpersonal inventory';

/** PHQ-9 [3,3,2,2,2,2,2,2,1] = 19 (moderately severe), item 9 = 1 raises a flag. */
const PHQ_ITEMS = [3, 3, 2, 2, 2, 2, 2, 2, 1];
/** Corrected to [1,3,2,2,2,2,2,2,1] = 17, still moderately severe. */
const PHQ_CORRECTED = [1, 3, 2, 2, 2, 2, 2, 2, 1];
/** GAD-7 with item 2 null: no total, no Observation, six answered items. */
const GAD_ITEMS = [2, null, 2, 1, 1, 1, 1];
/** HRSD-17 = 10 (mild, 8–16), risk item 3 = 0. */
const HRSD_ITEMS = [2, 2, 0, 1, 1, 0, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0];
/** BDI-II = 21 (moderate, 20–28), item 9 = 1 raises a second flag (left open). */
const BDI_ITEMS = [2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0];

const bdiFlag: RiskFlagRaised = {
  type: 'RiskFlagRaised',
  data: {
    courseId: COURSE,
    flagId: 'flag-bdi',
    assessmentId: 'a-bdi',
    instrument: 'BDI-II',
    item: 9,
    score: 1,
    raisedAt: at(ENROLLED_AT, 20),
  },
};

const phqCorrected: CourseEvent = {
  type: 'AssessmentCorrected',
  data: {
    courseId: COURSE,
    assessmentId: 'a-phq',
    items: PHQ_CORRECTED,
    total: 17,
    severity: 'moderately_severe',
    scoringScheme: 'PHQ-9/nhs-talking-therapies/v1',
    phi: { reason: CORRECTION_REASON },
  },
};

const videoSession = (n: number): CourseEvent => {
  const e = held(n) as Extract<CourseEvent, { type: 'SessionHeld' }>;
  return { ...e, data: { ...e.data, modality: n === 2 ? 'video' : 'phone' } };
};

/** The course in stream order; the correction is at index 15. */
const COURSE_EVENTS: CourseEvent[] = [
  enrolled({ phi: { patientRef: PATIENT_REF, overrideReason: 'Screen reviewed by Dr Lee' } }),
  assessed('a-phq', 'PHQ-9', PHQ_ITEMS, 'baseline', ENROLLED_AT),
  flagRaised('flag-phq', 'a-phq', 1),
  problemAreaSelected('role_transition'),
  held(1), // in person, 10:00, 50 minutes
  homeworkAssigned('hw-1', 1),
  homeworkAssigned('hw-2', 1),
  homeworkSubmitted('hw-1', at(ENROLLED_AT, 5)),
  missed('did_not_attend', at(ENROLLED_AT, 3)),
  missed('cancelled_by_patient', at(ENROLLED_AT, 10)),
  missed('cancelled_by_clinic', at(ENROLLED_AT, 11)),
  videoSession(2),
  videoSession(3),
  {
    type: 'RiskFlagResolved',
    data: {
      courseId: COURSE,
      flagId: 'flag-phq',
      disposition: 'safety_plan',
      resolvedAt: at(ENROLLED_AT, 15),
      phi: { note: RISK_NOTE },
    },
  },
  assessed('a-gad', 'GAD-7', GAD_ITEMS, 'session', at(ENROLLED_AT, 14)),
  phqCorrected,
  assessed('a-hrsd', 'HRSD-17', HRSD_ITEMS, 'session', at(ENROLLED_AT, 20)),
  assessed('a-bdi', 'BDI-II', BDI_ITEMS, 'session', at(ENROLLED_AT, 20)),
  bdiFlag,
  withdrawn('moved', at(ENROLLED_AT, 30)),
];
const CORRECTION_INDEX = 15;

const recorded = (events: CourseEvent[]): RecordedCourseFact[] =>
  events.map((event, revision) => ({
    eventId: `00000000-0000-4000-8000-${String(revision + 1).padStart(12, '0')}`,
    revision,
    recordedAt: at(ENROLLED_AT, 40, revision),
    event,
  }));

const exportOf = (events: CourseEvent[], phiErased = false): Bundle =>
  courseToFhirBundle({ courseId: COURSE, clinicId: CLINIC, events: recorded(events), phiErased });

function byType<T extends Resource>(bundle: Bundle, type: T['resourceType']): T[] {
  return (bundle.entry ?? [])
    .map((e) => e.resource!)
    .filter((r): r is T => r.resourceType === type);
}

const fullUrlOf = (bundle: Bundle, r: Resource): string =>
  bundle.entry!.find((e) => e.resource === r)!.fullUrl!;

describe('FHIR export of a course, against figures worked out by hand', () => {
  const bundle = exportOf(COURSE_EVENTS);

  it('is one collection Bundle: 1 patient, 1 episode, 3 encounters, 3 appointments, 4 responses, 3 observations, 2 flags, 1 care plan', () => {
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.type).toBe('collection');
    const counts: Record<string, number> = {};
    for (const e of bundle.entry!)
      counts[e.resource!.resourceType] = (counts[e.resource!.resourceType] ?? 0) + 1;
    expect(counts).toEqual({
      Patient: 1,
      EpisodeOfCare: 1,
      Encounter: 3,
      Appointment: 3,
      QuestionnaireResponse: 4,
      Observation: 3,
      Flag: 2,
      CarePlan: 1,
    });
    // The revision the bundle reflects: 20 events, revisions 0–19.
    expect(bundle.meta?.versionId).toBe('19');
  });

  it('gives every resource a UUID id, its fullUrl, and resolves every reference inside the bundle', () => {
    const urls = new Set(bundle.entry!.map((e) => e.fullUrl));
    expect(urls.size).toBe(bundle.entry!.length);
    for (const e of bundle.entry!) {
      expect(e.resource!.id).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(e.fullUrl).toBe(`urn:uuid:${e.resource!.id}`);
    }
    const references = JSON.stringify(bundle).match(/"reference":"[^"]*"/g) ?? [];
    expect(references.length).toBeGreaterThan(0);
    for (const r of references) expect(urls.has(r.slice('"reference":"'.length, -1))).toBe(true);
  });

  it('maps the patient to a Patient with the clinic identifier', () => {
    const [patient] = byType<Patient>(bundle, 'Patient');
    expect(patient.identifier).toEqual([
      { system: 'urn:ipt:clinic:clinic-a:patient', value: 'MRN-0042' },
    ]);
  });

  it('maps the withdrawn course to a cancelled EpisodeOfCare from enrollment to withdrawal', () => {
    const [episode] = byType<EpisodeOfCare>(bundle, 'EpisodeOfCare');
    expect(episode.status).toBe('cancelled');
    expect(episode.period).toEqual({
      start: '2025-01-06T09:00:00.000Z',
      end: '2025-02-05T09:00:00.000Z',
    });
    expect(episode.type).toEqual([{ text: 'Interpersonal psychotherapy' }]);
    expect(episode.diagnosis).toEqual([
      { condition: { display: 'IPT problem area: role transition' } },
    ]);
    expect(episode.patient.reference).toBe(fullUrlOf(bundle, byType(bundle, 'Patient')[0]));
  });

  it('maps the 3 held sessions to finished encounters: class, period, number', () => {
    const encounters = byType<Encounter>(bundle, 'Encounter');
    const episodeUrl = fullUrlOf(bundle, byType(bundle, 'EpisodeOfCare')[0]);
    expect(
      encounters.map((e) => [
        e.status,
        e.class.code,
        e.period?.start,
        e.period?.end,
        e.identifier?.[0].value,
      ]),
    ).toEqual([
      ['finished', 'AMB', '2025-01-06T10:00:00.000Z', '2025-01-06T10:50:00.000Z', '1'],
      ['finished', 'VR', '2025-01-13T10:00:00.000Z', '2025-01-13T10:50:00.000Z', '2'],
      ['finished', 'VR', '2025-01-20T10:00:00.000Z', '2025-01-20T10:50:00.000Z', '3'],
    ]);
    for (const e of encounters) {
      expect(e.class.system).toBe('http://terminology.hl7.org/CodeSystem/v3-ActCode');
      expect(e.episodeOfCare).toEqual([{ reference: episodeUrl }]);
    }
  });

  it('maps the 3 missed sessions to appointments: no-show, cancelled by patient, cancelled by clinic', () => {
    const appointments = byType<Appointment>(bundle, 'Appointment');
    expect(
      appointments.map((a) => [
        a.status,
        a.cancelationReason?.coding?.[0].code ?? null,
        a.start,
        a.participant[0].status,
      ]),
    ).toEqual([
      ['noshow', null, '2025-01-09T09:00:00.000Z', 'accepted'],
      ['cancelled', 'pat', '2025-01-16T09:00:00.000Z', 'declined'],
      ['cancelled', 'prov', '2025-01-17T09:00:00.000Z', 'accepted'],
    ]);
    for (const a of appointments)
      expect(a.participant[0].actor?.reference).toBe(
        fullUrlOf(bundle, byType(bundle, 'Patient')[0]),
      );
  });

  it('maps each form to a QuestionnaireResponse, amended after a correction, with no item for a null answer', () => {
    const responses = byType<QuestionnaireResponse>(bundle, 'QuestionnaireResponse');
    expect(responses.map((r) => [r.questionnaire, r.status, r.item?.length])).toEqual([
      ['urn:ipt:instrument:PHQ-9', 'amended', 9],
      ['urn:ipt:instrument:GAD-7', 'completed', 6],
      ['urn:ipt:instrument:HRSD-17', 'completed', 17],
      ['urn:ipt:instrument:BDI-II', 'completed', 21],
    ]);
    // The corrected items replace the original ones.
    expect(responses[0].item!.map((i) => i.answer![0].valueInteger)).toEqual(PHQ_CORRECTED);
    expect(responses[1].item!.map((i) => i.linkId)).toEqual(['1', '3', '4', '5', '6', '7']);
  });

  it('gives one Observation per scored form: LOINC or local code, total, band, amended after a correction', () => {
    const observations = byType<Observation>(bundle, 'Observation');
    expect(
      observations.map((o) => [
        o.code.coding![0].system,
        o.code.coding![0].code,
        o.valueInteger,
        o.interpretation?.[0].text,
        o.status,
        o.effectiveDateTime,
      ]),
    ).toEqual([
      ['http://loinc.org', '44261-6', 17, 'moderately_severe', 'amended', ENROLLED_AT],
      ['urn:ipt:instrument', 'HRSD-17-total', 10, 'mild', 'final', '2025-01-26T09:00:00.000Z'],
      ['http://loinc.org', '89209-1', 21, 'moderate', 'final', '2025-01-26T09:00:00.000Z'],
    ]);
    const responses = byType<QuestionnaireResponse>(bundle, 'QuestionnaireResponse');
    const derivedFrom = [responses[0], responses[2], responses[3]].map((r) => [
      { reference: fullUrlOf(bundle, r) },
    ]);
    expect(observations.map((o) => o.derivedFrom)).toEqual(derivedFrom);
    for (const o of observations) expect(o.category?.[0].coding?.[0].code).toBe('survey');
  });

  it('shows the form as final before the correction and amended after it, under the same ids', () => {
    const before = exportOf(COURSE_EVENTS.slice(0, CORRECTION_INDEX));
    const phqBefore = byType<Observation>(before, 'Observation')[0];
    const phqAfter = byType<Observation>(bundle, 'Observation')[0];
    expect([phqBefore.status, phqBefore.valueInteger]).toEqual(['final', 19]);
    expect([phqAfter.status, phqAfter.valueInteger]).toEqual(['amended', 17]);
    expect(phqAfter.id).toBe(phqBefore.id);
    expect(byType<QuestionnaireResponse>(before, 'QuestionnaireResponse')[0].status).toBe(
      'completed',
    );
  });

  it('maps risk flags as the outcomes view reads them: resolved → inactive with an end, open → active', () => {
    const flags = byType<Flag>(bundle, 'Flag');
    expect(
      flags.map((f) => [f.status, f.code.coding![0].code, f.period?.start, f.period?.end]),
    ).toEqual([
      ['inactive', '44260-8', ENROLLED_AT, '2025-01-21T09:00:00.000Z'],
      ['active', 'BDI-II-item-9', '2025-01-26T09:00:00.000Z', undefined],
    ]);
    expect(flags[0].category?.[0].coding?.[0].code).toBe('safety');
  });

  it('maps homework to one CarePlan, an activity per assignment, completed once submitted', () => {
    const [plan] = byType<CarePlan>(bundle, 'CarePlan');
    // The course was withdrawn: the plan is revoked, the unsubmitted homework cancelled.
    expect(plan.status).toBe('revoked');
    expect(plan.intent).toBe('plan');
    expect(plan.activity!.map((a) => [a.detail?.status, a.detail?.description])).toEqual([
      ['completed', HOMEWORK_TEXT],
      ['cancelled', HOMEWORK_TEXT],
    ]);
    expect(plan.activity![0].progress?.[0].time).toBe('2025-01-11T09:00:00.000Z');
    expect(plan.activity![0].detail?.scheduledPeriod?.end).toBe(sessionTime(2));
  });

  it('gives the same ids on a second export, and keeps them as the course grows', () => {
    const again = exportOf(COURSE_EVENTS);
    expect(again).toEqual(bundle);
    const earlier = exportOf(COURSE_EVENTS.slice(0, 12));
    const ids = new Set(bundle.entry!.map((e) => e.resource!.id));
    for (const e of earlier.entry!) expect(ids.has(e.resource!.id)).toBe(true);
    expect(earlier.id).toBe(bundle.id);
  });

  describe('an erased course', () => {
    const phiValues = [PATIENT_REF, HOMEWORK_TEXT, CORRECTION_REASON, RISK_NOTE, 'Dr Lee'];
    const expectNoPhi = (erased: Bundle): void => {
      const json = JSON.stringify(erased);
      expect(json).not.toContain('"identifier"');
      for (const value of phiValues) expect(json).not.toContain(value);
      // Still the whole course, less the PHI.
      expect(erased.entry!.length).toBe(bundle.entry!.length);
      expect(erased.entry!.map((e) => e.resource!.id)).toEqual(
        bundle.entry!.map((e) => e.resource!.id),
      );
    };

    it('exports no identifier and no free text when erased', () => {
      expect(JSON.stringify(bundle)).toContain(PATIENT_REF);
      expectNoPhi(exportOf(COURSE_EVENTS, true));
    });

    it('reads erasure from the events too: phi null, PersonalDataErased last', () => {
      const stripped = COURSE_EVENTS.map((e) =>
        'phi' in e.data ? ({ ...e, data: { ...e.data, phi: null } } as unknown as CourseEvent) : e,
      );
      expectNoPhi(exportOf(stripped));
      const facts = [
        ...recorded(COURSE_EVENTS),
        {
          eventId: '00000000-0000-4000-8000-0000000000ff',
          revision: COURSE_EVENTS.length,
          recordedAt: at(ENROLLED_AT, 90),
          event: { type: 'PersonalDataErased' as const, data: { courseId: COURSE } },
        },
      ];
      const erased = courseToFhirBundle({ courseId: COURSE, clinicId: CLINIC, events: facts });
      const json = JSON.stringify(erased);
      expect(json).not.toContain('"identifier"');
      for (const value of phiValues) expect(json).not.toContain(value);
    });
  });
});
