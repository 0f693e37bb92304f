import type { CourseOutcomesView, InstrumentOutcome } from './course-outcomes';
import {
  addContribution,
  emptyClinicTally,
  summarizeClinic,
  summaryContribution,
  summaryFromTally,
  type ClinicCourse,
} from './clinic-summary';

/** Only the three figures the summary reads; the rest is irrelevant here. */
const outcome = (
  response: boolean | null,
  remission: boolean | null,
  reliableImprovement: boolean | null,
) => ({ response, remission, reliableImprovement }) as InstrumentOutcome;

const course = (
  status: 'active' | 'completed' | 'withdrawn',
  flags: { protocolComplete?: boolean; dropout?: boolean } = {},
  instruments: CourseOutcomesView['instruments'] = {},
  atRisk = false,
): ClinicCourse => ({
  completion: {
    status,
    protocolComplete: flags.protocolComplete ?? false,
    dropout: flags.dropout ?? false,
  },
  outcomes: { instruments },
  engagement: status === 'active' ? { atRisk } : null,
});

describe('clinic summary', () => {
  const courses: ClinicCourse[] = [
    course(
      'completed',
      { protocolComplete: true },
      { 'PHQ-9': outcome(true, false, true), 'GAD-7': outcome(null, true, false) },
    ),
    course('completed', {}, { 'PHQ-9': outcome(false, true, false) }),
    course('withdrawn', { dropout: true }, { 'PHQ-9': outcome(null, null, null) }), // no endpoint
    course('withdrawn', {}, {}),
    course(
      'active',
      {},
      { 'PHQ-9': outcome(null, false, true), 'HRSD-17': outcome(null, null, null) },
    ), // baseline 0
    course('active', {}, {}, true),
  ];

  it('computes the rates over closed courses and over non-null instrument figures', () => {
    expect(summarizeClinic('clinic-1', courses)).toEqual({
      clinicId: 'clinic-1',
      courses: { total: 6, active: 2, completed: 2, withdrawn: 2 },
      atRisk: 1,
      protocolCompletionRate: 1 / 4,
      dropoutRate: 1 / 4,
      instruments: {
        // response: 1 true of 2 known; remission: 1 of 3; reliable improvement: 2 of 3.
        'PHQ-9': { responseRate: 1 / 2, remissionRate: 1 / 3, reliableImprovementRate: 2 / 3 },
        'GAD-7': { responseRate: null, remissionRate: 1, reliableImprovementRate: 0 },
        // Appears (a scored form exists) although no figure is known yet.
        'HRSD-17': { responseRate: null, remissionRate: null, reliableImprovementRate: null },
      },
    });
  });

  it('has null rates with no closed course and no instruments with no scored form', () => {
    expect(summarizeClinic('clinic-2', [course('active'), course('active')])).toEqual({
      clinicId: 'clinic-2',
      courses: { total: 2, active: 2, completed: 0, withdrawn: 0 },
      atRisk: 0,
      protocolCompletionRate: null,
      dropoutRate: null,
      instruments: {},
    });
    expect(summarizeClinic('empty', []).courses.total).toBe(0);
  });

  it('is the same as tallying per-course contributions (what a SQL store aggregates)', () => {
    const contributions = courses.map((c) => summaryContribution(c.completion, c.outcomes));
    expect(contributions[2]).toEqual({
      status: 'withdrawn',
      protocolComplete: false,
      dropout: true,
      instruments: { 'PHQ-9': { response: null, remission: null, reliableImprovement: null } },
    });
    // Order of courses does not matter.
    const tally = [...contributions].reverse().reduce(addContribution, emptyClinicTally());
    expect(tally.instruments['PHQ-9']).toEqual({
      response: { positive: 1, known: 2 },
      remission: { positive: 1, known: 3 },
      reliableImprovement: { positive: 2, known: 3 },
    });
    expect(summaryFromTally('clinic-1', tally, 1)).toEqual(summarizeClinic('clinic-1', courses));
  });
});
