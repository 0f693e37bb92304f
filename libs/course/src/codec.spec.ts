import {
  COURSE_UPCASTERS,
  EventDecodeError,
  clinicOf,
  courseEventCodec,
  courseIdOf,
  decodeCourseEvent,
  recordedAtOf,
  type StoredEvent,
} from './codec';
import { COURSE_EVENT_TYPES, SCHEMA_VERSION, type CourseEvent } from './events';
import {
  COURSE_ID,
  PATIENT_REF,
  assessed,
  completed,
  erased,
  enrolled,
  flagRaised,
  flagResolved,
  held,
  homeworkAssigned,
  homeworkSubmitted,
  itemsTotalling,
  missed,
  problemAreaSelected,
  withdrawn,
} from './testing/fixtures';

const STREAM = `course-${COURSE_ID}`;

function stored(event: { type: string; data: unknown }, metadata: object = {}): StoredEvent {
  return {
    streamId: STREAM,
    revision: 4,
    type: event.type,
    data: event.data as Record<string, unknown>,
    metadata: {
      clinicId: 'clinic-a',
      schemaVersion: 1,
      recordedAt: '2025-01-06T09:00:00.000Z',
      ...metadata,
    },
    created: new Date('2025-01-06T09:00:01.000Z'),
  };
}

function decodeError(run: () => unknown): EventDecodeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EventDecodeError);
    return error as EventDecodeError;
  }
  throw new Error('expected an EventDecodeError');
}

const corrected: CourseEvent = {
  type: 'AssessmentCorrected',
  data: {
    courseId: COURSE_ID,
    assessmentId: 'a-1',
    items: [1, 1, 1, 1, 1, 1, 1, 1, null],
    total: null,
    severity: null,
    scoringScheme: 'nhs-talking-therapies-2024',
    phi: { reason: 'entered on the wrong form' },
  },
};

/** One event of every type, as the command side writes them. */
const everyType: CourseEvent[] = [
  enrolled({
    screenOverridden: true,
    phi: { patientRef: PATIENT_REF, overrideReason: 'seen by psychiatry' },
  }),
  problemAreaSelected('grief'),
  held(1),
  missed('did_not_attend'),
  homeworkAssigned('h-1', 1),
  homeworkSubmitted('h-1', '2025-01-08T09:00:00.000Z'),
  assessed('a-1', 'PHQ-9', itemsTotalling('PHQ-9', 12), 'baseline'),
  flagRaised('f-1', 'a-1'),
  flagResolved('f-1'),
  withdrawn('moved'),
  completed(),
  corrected,
  erased(),
];

describe('decodeCourseEvent', () => {
  it('gives back every event type as written', () => {
    expect(new Set(everyType.map((e) => e.type))).toEqual(new Set(COURSE_EVENT_TYPES));
    for (const event of everyType) expect(decodeCourseEvent(stored(event))).toEqual(event);
  });

  it('refuses an unknown type, naming stream and revision', () => {
    const error = decodeError(() =>
      decodeCourseEvent(stored({ type: 'PatientTeleported', data: {} })),
    );
    expect(error.streamId).toBe(STREAM);
    expect(error.revision).toBe(4);
    expect(error.code).toBe('event_undecodable');
    expect(error.message).toBe(`cannot decode ${STREAM}@4: unknown event type PatientTeleported`);
  });

  it('keeps a malformed type name out of the message', () => {
    const error = decodeError(() => decodeCourseEvent(stored({ type: 'MRN 0042 {x}', data: {} })));
    expect(error.problem).toBe('unknown event type (not a type name)');
  });

  it.each([
    [
      'a missing field',
      { ...held(1).data, heldAt: undefined },
      'SessionHeld.data.heldAt must be string',
    ],
    [
      'a number as text',
      { ...held(1).data, sessionNumber: '1' },
      'SessionHeld.data.sessionNumber must be number',
    ],
    [
      'a non-finite number',
      { ...held(1).data, durationMinutes: null },
      'SessionHeld.data.durationMinutes must be number',
    ],
  ])('refuses %s', (_, data, problem) => {
    expect(
      decodeError(() => decodeCourseEvent(stored({ type: 'SessionHeld', data }))).problem,
    ).toBe(problem);
  });

  it('checks nested objects and arrays, naming the path and never the value', () => {
    const noPhi = { ...enrolled().data, phi: { patientRef: 42 } };
    const error = decodeError(() =>
      decodeCourseEvent(stored({ type: 'PatientEnrolled', data: noPhi })),
    );
    expect(error.problem).toBe('PatientEnrolled.data.phi.patientRef must be string');
    expect(error.message).not.toContain('42');

    const screening = { ...enrolled().data, screening: 'none' };
    expect(
      decodeError(() => decodeCourseEvent(stored({ type: 'PatientEnrolled', data: screening })))
        .problem,
    ).toBe('PatientEnrolled.data.screening must be an object');

    const items = { ...assessed('a-1', 'PHQ-9', itemsTotalling('PHQ-9', 3)).data, items: [1, 'x'] };
    expect(
      decodeError(() => decodeCourseEvent(stored({ type: 'AssessmentRecorded', data: items })))
        .problem,
    ).toBe('AssessmentRecorded.data.items must be (number|null)[]');
  });

  it('refuses data that is not an object', () => {
    expect(
      decodeError(() => decodeCourseEvent(stored({ type: 'SessionHeld', data: [] }))).problem,
    ).toBe('data must be an object');
  });

  it('refuses a missing, odd or newer schema version', () => {
    const event = held(1);
    expect(
      decodeError(() => decodeCourseEvent(stored(event, { schemaVersion: undefined }))).problem,
    ).toBe('metadata.schemaVersion must be a positive integer');
    expect(
      decodeError(() => decodeCourseEvent(stored(event, { schemaVersion: '1' }))).problem,
    ).toBe('metadata.schemaVersion must be a positive integer');
    expect(
      decodeError(() => decodeCourseEvent(stored(event, { schemaVersion: SCHEMA_VERSION + 1 })))
        .problem,
    ).toBe(
      `schema version ${SCHEMA_VERSION + 1} is newer than this build reads (${SCHEMA_VERSION})`,
    );
  });

  it('has no upcaster while version 1 is the only version', () => {
    expect(SCHEMA_VERSION).toBe(1);
    expect(COURSE_UPCASTERS).toEqual({});
  });
});

describe('upcasting by schemaVersion', () => {
  // A pretend version 3: v2 renamed SessionHeld.durationMinutes to minutes and
  // v3 renamed it back, and v2 renamed an old type. Decoding a v1 event runs both steps.
  const codec = courseEventCodec(3, {
    SessionHeld: {
      1: ({ type, data }) => {
        const { durationMinutes, ...rest } = data;
        return { type, data: { ...rest, minutes: durationMinutes } };
      },
      2: ({ type, data }) => {
        const { minutes, ...rest } = data;
        return { type, data: { ...rest, durationMinutes: minutes } };
      },
    },
    // The v1 name of the type: renamed in v2, when the field was renamed too.
    SessionAttended: {
      1: ({ data }) => {
        const { durationMinutes, ...rest } = data;
        return { type: 'SessionHeld', data: { ...rest, minutes: durationMinutes } };
      },
    },
  });

  it('lifts an old event through every step to the current version', () => {
    const steps: string[] = [];
    const tracing = courseEventCodec(3, {
      SessionHeld: {
        1: (p) => (steps.push('1→2'), p),
        2: (p) => (steps.push('2→3'), p),
      },
    });
    expect(tracing.decode(stored(held(1), { schemaVersion: 1 }))).toEqual(held(1));
    expect(steps).toEqual(['1→2', '2→3']);
    expect(tracing.decode(stored(held(1), { schemaVersion: 2 }))).toEqual(held(1));
    expect(steps).toEqual(['1→2', '2→3', '2→3']);
  });

  it('reads the current version as it is and leaves unchanged types alone', () => {
    expect(codec.decode(stored(held(1), { schemaVersion: 3 }))).toEqual(held(1));
    expect(codec.decode(stored(completed(), { schemaVersion: 1 }))).toEqual(completed());
  });

  it('can rename a type', () => {
    expect(codec.decode(stored({ type: 'SessionAttended', data: held(2).data }))).toEqual(held(2));
  });

  it('checks the shape after upcasting', () => {
    const broken = courseEventCodec(2, { SessionHeld: { 1: ({ type }) => ({ type, data: {} }) } });
    expect(decodeError(() => broken.decode(stored(held(1)))).problem).toBe(
      'SessionHeld.data.courseId must be string',
    );
  });
});

describe('metadata readers', () => {
  it('clinicOf reads the clinic and refuses an event without one', () => {
    expect(clinicOf(stored(held(1)))).toBe('clinic-a');
    expect(decodeError(() => clinicOf(stored(held(1), { clinicId: undefined }))).problem).toBe(
      'metadata.clinicId is missing',
    );
    expect(decodeError(() => clinicOf(stored(held(1), { clinicId: 7 }))).problem).toBe(
      'metadata.clinicId is missing',
    );
  });

  it('recordedAtOf reads the server clock, else the store clock', () => {
    expect(recordedAtOf(stored(held(1)))).toBe('2025-01-06T09:00:00.000Z');
    expect(recordedAtOf(stored(held(1), { recordedAt: undefined }))).toBe(
      '2025-01-06T09:00:01.000Z',
    );
    const bare = { ...stored(held(1), { recordedAt: undefined }), created: undefined };
    expect(decodeError(() => recordedAtOf(bare)).problem).toBe('metadata.recordedAt is missing');
  });

  it('courseIdOf reads the course of a course stream', () => {
    expect(courseIdOf(stored(held(1)))).toBe(COURSE_ID);
    expect(decodeError(() => courseIdOf({ streamId: 'audit-log', revision: 0 })).problem).toBe(
      'not a course stream',
    );
    expect(decodeError(() => courseIdOf({ streamId: 'course-', revision: 0 })).problem).toBe(
      'not a course stream',
    );
  });
});
