import { InvalidRequest } from '../application/errors';
import { MAX_JSON_DEPTH, jsonDepthExceeds, parseJsonBody } from './edge';
import { validateBody } from './validation';
import { RecordSessionHeldDto } from '../courses/record-session-held/record-session-held.dto';
import { EnrollPatientDto } from '../courses/enroll-patient/enroll-patient.dto';

const problemsOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidRequest) return error.errors;
    throw error;
  }
  return [];
};

describe('JSON bodies', () => {
  it('counts nesting of arrays and objects, not brackets inside strings', () => {
    expect(
      jsonDepthExceeds('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH), MAX_JSON_DEPTH),
    ).toBe(false);
    expect(jsonDepthExceeds('['.repeat(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonDepthExceeds('{"a":'.repeat(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonDepthExceeds(`{"a":"${'['.repeat(500)}"}`, MAX_JSON_DEPTH)).toBe(false);
    expect(jsonDepthExceeds(`{"a":"\\"${'{'.repeat(500)}"}`, MAX_JSON_DEPTH)).toBe(false);
  });

  it('refuses a body too deep before parsing it, even one far past the stack', () => {
    expect(problemsOf(() => parseJsonBody('['.repeat(100_000)))).toEqual([
      { field: '', message: `the body nests deeper than ${MAX_JSON_DEPTH} levels` },
    ]);
  });

  it('refuses __proto__ and constructor.prototype keys and text that is not JSON', () => {
    expect(problemsOf(() => parseJsonBody('{"__proto__":{"x":1}}'))).toEqual([
      { field: '', message: 'unknown property' },
    ]);
    expect(problemsOf(() => parseJsonBody('{"constructor":{"prototype":{"x":1}}}'))).toEqual([
      { field: '', message: 'unknown property' },
    ]);
    expect(problemsOf(() => parseJsonBody('{"a":'))).toEqual([
      { field: '', message: 'the body is not valid JSON' },
    ]);
    expect(parseJsonBody('{"a":[1,{"b":"]]]"}]}')).toEqual({ a: [1, { b: ']]]' }] });
  });
});

describe('unknown body properties', () => {
  const held = {
    sessionNumber: 1,
    heldAt: '2025-01-06T10:00:00Z',
    durationMinutes: 50,
    modality: 'video',
  };

  it.each(['toString', 'constructor', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'mrn-123'])(
    '%s is an unknown property, reported without its name',
    (name) => {
      expect(
        problemsOf(() => validateBody(RecordSessionHeldDto, { ...held, [name]: 'x' })),
      ).toEqual([{ field: '', message: 'has an unknown property' }]);
    },
  );

  it('nested objects are checked against their own DTO, and every other problem is still listed', () => {
    const enrollment = {
      courseId: '6f1c1f7e-2b7a-4c1e-9a55-0d3f6f1b2c3d',
      patientRef: 'p',
      therapistId: 't',
      enrolledAt: '2025-01-06T09:00:00Z',
      screening: {
        psychosis: false,
        bipolarDisorder: false,
        primarySubstanceUse: false,
        acuteSuicideRisk: 'no',
        toString: 1,
        valueOf: 2,
      },
    };
    expect(problemsOf(() => validateBody(EnrollPatientDto, enrollment))).toEqual([
      { field: 'screening', message: 'has 2 unknown properties' },
      { field: 'screening.acuteSuicideRisk', message: 'acuteSuicideRisk must be a boolean value' },
    ]);
  });

  it('a valid body passes', () => {
    expect(problemsOf(() => validateBody(RecordSessionHeldDto, held))).toEqual([]);
  });
});
