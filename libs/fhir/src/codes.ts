/**
 * The code systems and codes of the FHIR export (fhir.md). LOINC only where
 * the code is confirmed for the total score; everything else in the local
 * system `urn:ipt:instrument` (listed in the README).
 */
import type { Coding } from '@medplum/fhirtypes';
import type { Instrument, MissedSessionKind, Modality } from '@ipt/course';

export const LOINC = 'http://loinc.org';
export const LOCAL_INSTRUMENT_SYSTEM = 'urn:ipt:instrument';
export const V3_ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
export const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
export const FLAG_CATEGORY = 'http://terminology.hl7.org/CodeSystem/flag-category';
export const APPOINTMENT_CANCELLATION_REASON =
  'http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason';
export const UCUM = 'http://unitsofmeasure.org';
/** Core R4 extension that points a Flag at the record that explains it. */
export const FLAG_DETAIL_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/flag-detail';

export const patientIdentifierSystem = (clinicId: string): string =>
  `urn:ipt:clinic:${encodeURIComponent(clinicId)}:patient`;
export const sessionIdentifierSystem = (courseId: string): string =>
  `urn:ipt:course:${courseId}:session`;
/** Canonical of the (local) questionnaire a response answers. */
export const questionnaireCanonical = (instrument: Instrument): string =>
  `${LOCAL_INSTRUMENT_SYSTEM}:${instrument}`;

export const TOTAL_SCORE_CODES: Readonly<Record<Instrument, Coding>> = {
  'PHQ-9': {
    system: LOINC,
    code: '44261-6',
    display: 'Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]',
  },
  'GAD-7': {
    system: LOINC,
    code: '70274-6',
    display: 'Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]',
  },
  'BDI-II': {
    system: LOINC,
    code: '89209-1',
    display: 'Beck Depression Inventory II total score [BDI]',
  },
  // No LOINC code confirmed for the HRSD-17 total.
  'HRSD-17': {
    system: LOCAL_INSTRUMENT_SYSTEM,
    code: 'HRSD-17-total',
    display: 'Hamilton Rating Scale for Depression (17 items) total score',
  },
};

/** The risk item of each instrument that has one (rule 10), as the code of its Flag. */
export const RISK_ITEM_CODES: Readonly<Record<Instrument, Coding>> = {
  'PHQ-9': {
    system: LOINC,
    code: '44260-8',
    display: 'Thoughts that you would be better off dead, or of hurting yourself in some way',
  },
  'HRSD-17': {
    system: LOCAL_INSTRUMENT_SYSTEM,
    code: 'HRSD-17-item-3',
    display: 'HRSD-17 item 3: suicide',
  },
  'BDI-II': {
    system: LOCAL_INSTRUMENT_SYSTEM,
    code: 'BDI-II-item-9',
    display: 'BDI-II item 9: suicidal thoughts or wishes',
  },
  // GAD-7 has no risk item; kept for a complete table should a flag ever name it.
  'GAD-7': {
    system: LOCAL_INSTRUMENT_SYSTEM,
    code: 'GAD-7-risk-item',
    display: 'GAD-7 risk item',
  },
};

/** v3 ActCode encounter class: AMB in person, VR (virtual) for video and phone. */
export const ENCOUNTER_CLASS: Readonly<Record<Modality, Coding>> = {
  in_person: { system: V3_ACT_CODE, code: 'AMB', display: 'ambulatory' },
  video: { system: V3_ACT_CODE, code: 'VR', display: 'virtual' },
  phone: { system: V3_ACT_CODE, code: 'VR', display: 'virtual' },
};

/** Who called a missed session off; a did-not-attend is a no-show, not a cancellation. */
export const CANCELLATION_REASON: Readonly<
  Record<Exclude<MissedSessionKind, 'did_not_attend'>, Coding>
> = {
  cancelled_by_patient: {
    system: APPOINTMENT_CANCELLATION_REASON,
    code: 'pat',
    display: 'Patient',
  },
  cancelled_by_clinic: {
    system: APPOINTMENT_CANCELLATION_REASON,
    code: 'prov',
    display: 'Provider',
  },
};

export const SURVEY_CATEGORY: Coding = {
  system: OBSERVATION_CATEGORY,
  code: 'survey',
  display: 'Survey',
};

export const SAFETY_FLAG_CATEGORY: Coding = {
  system: FLAG_CATEGORY,
  code: 'safety',
  display: 'Safety',
};
