import { score, type CourseEvent, type Instrument, type Timepoint } from '@ipt/course';
import {
  COURSE_ID,
  ENROLLED_AT,
  assessed,
  at,
  enrolled,
  flagRaised,
  flagResolved,
  itemsTotalling,
} from '../../../course/src/testing/fixtures';
import {
  evolveOutcomes,
  initialOutcomesState,
  toOutcomesView,
  type CourseOutcomesState,
  type CourseOutcomesView,
} from './course-outcomes';

function fold(events: CourseEvent[]): CourseOutcomesState {
  const state = events.reduce<CourseOutcomesState | null>(
    (s, e, revision) =>
      evolveOutcomes(s, e, { revision, recordedAt: at(ENROLLED_AT, 0, revision) }),
    initialOutcomesState,
  );
  if (!state) throw new Error('no enrollment');
  return state;
}
const outcomes = (...events: CourseEvent[]): CourseOutcomesView => toOutcomesView(fold(events));

/** A form of `instrument` with the given total, `day` days after enrollment. */
const form = (
  id: string,
  instrument: Instrument,
  total: number,
  timepoint: Timepoint,
  day: number,
) => assessed(id, instrument, itemsTotalling(instrument, total), timepoint, at(ENROLLED_AT, day));

const corrected = (
  assessmentId: string,
  instrument: Instrument,
  items: (number | null)[],
): CourseEvent => ({
  type: 'AssessmentCorrected',
  data: {
    courseId: COURSE_ID,
    assessmentId,
    items,
    ...score(instrument, items),
    scoringScheme: 'test',
    phi: { reason: 'Transcription error' },
  },
});

describe('outcomes view', () => {
  describe('baseline, endpoint and follow-up', () => {
    it('baseline is the earliest baseline form even after earlier forms; endpoint the last later non-follow-up', () => {
      const v = outcomes(
        enrolled(),
        form('s0', 'PHQ-9', 21, 'session', 0), // before the baseline: neither baseline nor endpoint
        form('b1', 'PHQ-9', 18, 'baseline', 1),
        form('b2', 'PHQ-9', 17, 'baseline', 2), // a later baseline form counts as an ordinary later form
        form('s1', 'PHQ-9', 12, 'session', 30),
        form('e1', 'PHQ-9', 8, 'end', 90),
        form('f1', 'PHQ-9', 6, 'follow_up', 150),
        form('f2', 'PHQ-9', 7, 'follow_up', 200),
      ).instruments['PHQ-9']!;
      expect(v.baseline).toEqual({
        assessmentId: 'b1',
        score: 18,
        severity: 'moderately_severe',
        administeredAt: at(ENROLLED_AT, 1),
      });
      expect(v.endpoint).toEqual({
        assessmentId: 'e1',
        score: 8,
        severity: 'mild',
        administeredAt: at(ENROLLED_AT, 90),
      });
      expect(v.followUp).toEqual({
        assessmentId: 'f2',
        score: 7,
        severity: 'mild',
        administeredAt: at(ENROLLED_AT, 200),
      });
    });

    it('orders by administeredAt, not by recording order', () => {
      const v = outcomes(
        enrolled(),
        form('late', 'GAD-7', 3, 'session', 60),
        form('early', 'GAD-7', 9, 'session', 30),
        form('base', 'GAD-7', 15, 'baseline', 0),
      ).instruments['GAD-7']!;
      expect([v.baseline.assessmentId, v.endpoint?.assessmentId]).toEqual(['base', 'late']);
    });

    it('without a baseline timepoint the earliest form of any timepoint is the baseline', () => {
      const v = outcomes(
        enrolled(),
        form('s2', 'PHQ-9', 10, 'session', 14),
        form('s1', 'PHQ-9', 15, 'session', 7),
      ).instruments['PHQ-9']!;
      expect([v.baseline.assessmentId, v.endpoint?.assessmentId]).toEqual(['s1', 's2']);
      expect(v.change).toBe(5);
    });

    it('ties of administeredAt are ordered by stream revision', () => {
      const v = outcomes(
        enrolled(),
        form('first', 'PHQ-9', 20, 'session', 7),
        form('second', 'PHQ-9', 11, 'session', 7),
      ).instruments['PHQ-9']!;
      expect([v.baseline.assessmentId, v.endpoint?.assessmentId]).toEqual(['first', 'second']);
      const tiedBaselines = outcomes(
        enrolled(),
        form('x', 'PHQ-9', 20, 'baseline', 7),
        form('y', 'PHQ-9', 11, 'baseline', 7),
      ).instruments['PHQ-9']!;
      expect([tiedBaselines.baseline.assessmentId, tiedBaselines.endpoint?.assessmentId]).toEqual([
        'x',
        'y',
      ]);
    });

    it('compares times as instants whatever their offset', () => {
      const a = assessed(
        'a',
        'PHQ-9',
        itemsTotalling('PHQ-9', 20),
        'session',
        '2025-01-10T10:00:00+05:00',
      ); // 05:00Z
      const b = assessed(
        'b',
        'PHQ-9',
        itemsTotalling('PHQ-9', 10),
        'session',
        '2025-01-10T06:00:00Z',
      );
      const v = outcomes(enrolled(), b, a).instruments['PHQ-9']!;
      expect([v.baseline.assessmentId, v.endpoint?.assessmentId]).toEqual(['a', 'b']);
    });

    it('with no endpoint every figure but caseAtBaseline is null', () => {
      const v = outcomes(
        enrolled(),
        form('b', 'PHQ-9', 14, 'baseline', 0),
        form('f', 'PHQ-9', 3, 'follow_up', 150),
      ).instruments['PHQ-9']!;
      expect(v).toEqual({
        baseline: {
          assessmentId: 'b',
          score: 14,
          severity: 'moderate',
          administeredAt: at(ENROLLED_AT, 0),
        },
        endpoint: null,
        followUp: {
          assessmentId: 'f',
          score: 3,
          severity: 'minimal',
          administeredAt: at(ENROLLED_AT, 150),
        },
        change: null,
        percentChange: null,
        response: null,
        remission: null,
        reliableImprovement: null,
        reliableDeterioration: null,
        caseAtBaseline: true,
        recovery: null,
        reliableRecovery: null,
      });
    });

    it('a single form is the baseline and has no endpoint', () => {
      const v = outcomes(enrolled(), form('only', 'BDI-II', 10, 'session', 3)).instruments[
        'BDI-II'
      ]!;
      expect(v.baseline.assessmentId).toBe('only');
      expect(v.endpoint).toBeNull();
      expect(v.caseAtBaseline).toBe(false);
    });
  });

  describe('figures per instrument (hand computed)', () => {
    const figures = (instrument: Instrument, baseline: number, endpoint: number) => {
      const {
        baseline: _b,
        endpoint: _e,
        followUp: _f,
        ...rest
      } = outcomes(
        enrolled(),
        form('b', instrument, baseline, 'baseline', 0),
        form('e', instrument, endpoint, 'end', 100),
      ).instruments[instrument]!;
      return rest;
    };

    it('PHQ-9 18 → 8: response, reliable improvement and recovery, not remission', () => {
      const f = figures('PHQ-9', 18, 8);
      expect(f.percentChange).toBeCloseTo(55.5556, 3);
      expect(f).toMatchObject({
        change: 10,
        response: true,
        remission: false,
        reliableImprovement: true,
        reliableDeterioration: false,
        caseAtBaseline: true,
        recovery: true,
        reliableRecovery: true,
      });
    });

    it('PHQ-9 12 → 6: exactly 50 % is a response; exactly 6 points is reliable', () => {
      expect(figures('PHQ-9', 12, 6)).toMatchObject({
        change: 6,
        percentChange: 50,
        response: true,
        reliableImprovement: true,
        remission: false,
      });
    });

    it('PHQ-9 10 → 4: remission below 5; 9 → 5 not (5 is not < 5); caseness at 10', () => {
      expect(figures('PHQ-9', 10, 4)).toMatchObject({
        remission: true,
        caseAtBaseline: true,
        recovery: true,
        reliableImprovement: true,
        reliableRecovery: true,
      });
      expect(figures('PHQ-9', 9, 5)).toMatchObject({
        remission: false,
        caseAtBaseline: false,
        recovery: false,
        reliableImprovement: false,
      });
      expect(figures('PHQ-9', 15, 10)).toMatchObject({
        recovery: false,
        change: 5,
        reliableImprovement: false,
      });
    });

    it('GAD-7 10 → 4: remission, reliable improvement (4 points), recovery below 8', () => {
      expect(figures('GAD-7', 10, 4)).toEqual({
        change: 6,
        percentChange: 60,
        response: true,
        remission: true,
        reliableImprovement: true,
        reliableDeterioration: false,
        caseAtBaseline: true,
        recovery: true,
        reliableRecovery: true,
      });
    });

    it('GAD-7 7 → 4: not a case at baseline, so no recovery; 8 → 5 is a case, change 3 not reliable', () => {
      expect(figures('GAD-7', 7, 4)).toMatchObject({
        caseAtBaseline: false,
        recovery: false,
        reliableRecovery: false,
        reliableImprovement: false,
      });
      expect(figures('GAD-7', 8, 5)).toMatchObject({
        caseAtBaseline: true,
        recovery: true,
        reliableImprovement: false,
        reliableRecovery: false,
        remission: false,
      });
    });

    it('HRSD-17 20 → 13: reliable improvement at 7 points, no response, no remission, no recovery', () => {
      const f = figures('HRSD-17', 20, 13);
      expect(f.percentChange).toBeCloseTo(35, 10);
      expect(f).toMatchObject({
        change: 7,
        response: false,
        remission: false,
        reliableImprovement: true,
        caseAtBaseline: true,
        recovery: false,
        reliableRecovery: false,
      });
    });

    it('HRSD-17 14 → 7: remission at ≤ 7, recovery below 8, reliable recovery', () => {
      expect(figures('HRSD-17', 14, 7)).toMatchObject({
        change: 7,
        percentChange: 50,
        response: true,
        remission: true,
        recovery: true,
        reliableRecovery: true,
      });
      expect(figures('HRSD-17', 14, 8)).toMatchObject({
        remission: false,
        recovery: false,
        reliableImprovement: false,
      });
    });

    it('BDI-II 30 → 23: 7 points is not reliable (8 needed)', () => {
      const f = figures('BDI-II', 30, 23);
      expect(f.percentChange).toBeCloseTo(23.3333, 3);
      expect(f).toMatchObject({
        change: 7,
        response: false,
        remission: false,
        reliableImprovement: false,
        caseAtBaseline: true,
        recovery: false,
      });
    });

    it('BDI-II 22 → 13: remission at ≤ 13, recovery below 14, reliable (9 points)', () => {
      expect(figures('BDI-II', 22, 13)).toMatchObject({
        change: 9,
        remission: true,
        recovery: true,
        reliableImprovement: true,
        reliableRecovery: true,
      });
    });

    it('BDI-II 10 → 18: reliable deterioration', () => {
      expect(figures('BDI-II', 10, 18)).toEqual({
        change: -8,
        percentChange: -80,
        response: false,
        remission: false,
        reliableImprovement: false,
        reliableDeterioration: true,
        caseAtBaseline: false,
        recovery: false,
        reliableRecovery: false,
      });
    });

    it('percentChange and response are null when the baseline score is 0', () => {
      expect(figures('PHQ-9', 0, 3)).toMatchObject({
        change: -3,
        percentChange: null,
        response: null,
        remission: true,
        reliableDeterioration: false,
        caseAtBaseline: false,
      });
    });
  });

  describe('null items and corrections', () => {
    it('forms with a null item are left out of every figure', () => {
      const nullForm = assessed(
        'n',
        'PHQ-9',
        [3, 3, 3, 3, 3, 3, 3, 3, null],
        'end',
        at(ENROLLED_AT, 120),
      );
      const v = outcomes(
        enrolled(),
        form('b', 'PHQ-9', 20, 'baseline', 0),
        form('e', 'PHQ-9', 10, 'session', 60),
        nullForm,
      );
      expect(v.instruments['PHQ-9']!.endpoint?.assessmentId).toBe('e');
    });

    it('an instrument with only null-total forms is absent; one never assessed is absent', () => {
      const v = outcomes(
        enrolled(),
        assessed('n', 'GAD-7', [1, null, 1, 1, 1, 1, 1], 'baseline'),
        form('b', 'PHQ-9', 5, 'baseline', 0),
      );
      expect(Object.keys(v.instruments)).toEqual(['PHQ-9']);
    });

    it('the latest correction replaces the original items, total and severity', () => {
      const v = outcomes(
        enrolled(),
        form('b', 'PHQ-9', 20, 'baseline', 0),
        form('e', 'PHQ-9', 15, 'end', 90),
        corrected('e', 'PHQ-9', itemsTotalling('PHQ-9', 11)),
        corrected('e', 'PHQ-9', itemsTotalling('PHQ-9', 9)),
      ).instruments['PHQ-9']!;
      expect(v.endpoint).toMatchObject({ assessmentId: 'e', score: 9, severity: 'mild' });
      expect(v).toMatchObject({ change: 11, percentChange: 55, response: true, recovery: true });
      const state = fold([
        enrolled(),
        form('b', 'PHQ-9', 20, 'baseline', 0),
        corrected('b', 'PHQ-9', itemsTotalling('PHQ-9', 19)),
      ]);
      expect(state.assessments[0]).toMatchObject({
        total: 19,
        revision: 1,
        correctedAtRevision: 2,
      });
    });

    it('a correction that introduces a null item takes the form out; one that removes it brings it in', () => {
      const nulled = [...itemsTotalling('PHQ-9', 15)] as (number | null)[];
      nulled[0] = null;
      const base = [
        enrolled(),
        form('b', 'PHQ-9', 20, 'baseline', 0),
        form('e', 'PHQ-9', 15, 'end', 90),
      ];
      expect(
        outcomes(...base, corrected('e', 'PHQ-9', nulled)).instruments['PHQ-9']!.endpoint,
      ).toBeNull();
      const onlyNull = [enrolled(), assessed('n', 'HRSD-17', Array(17).fill(null), 'baseline')];
      expect(outcomes(...onlyNull).instruments).toEqual({});
      expect(
        outcomes(...onlyNull, corrected('n', 'HRSD-17', Array(17).fill(1))).instruments['HRSD-17']!
          .baseline.score,
      ).toBe(17);
    });
  });

  it('lists every risk flag with its status', () => {
    const v = outcomes(
      enrolled(),
      assessed('a', 'PHQ-9', [0, 0, 0, 0, 0, 0, 0, 0, 2]),
      flagRaised('f-1', 'a', 2),
      flagRaised('f-2', 'a', 1),
      flagResolved('f-1', '2025-01-07T09:00:00.000Z'),
    );
    expect(v.riskFlags).toEqual([
      {
        flagId: 'f-1',
        assessmentId: 'a',
        instrument: 'PHQ-9',
        item: 9,
        score: 2,
        raisedAt: ENROLLED_AT,
        status: 'resolved',
        resolvedAt: '2025-01-07T09:00:00.000Z',
        disposition: 'safety_plan',
      },
      {
        flagId: 'f-2',
        assessmentId: 'a',
        instrument: 'PHQ-9',
        item: 9,
        score: 1,
        raisedAt: ENROLLED_AT,
        status: 'open',
        resolvedAt: null,
        disposition: null,
      },
    ]);
    expect(v).toMatchObject({ courseId: COURSE_ID, revision: 4 });
  });
});
