import { DAY_MS, MINUTE_MS, parseInstant, type CourseEvent } from '@ipt/course';
import {
  ENROLLED_AT,
  assessed,
  at,
  completed,
  enrolled,
  held,
  heldSessions,
  homeworkAssigned,
  homeworkSubmitted,
  itemsTotalling,
  missed,
  sessionTime,
  withdrawn,
} from '../../../course/src/testing/fixtures';
import { evolveCourseFolds, initialCourseFolds, toCourseView } from './course-view';
import { courseAsOf } from './course-as-of';
import { noRecentSessionBound, type Engagement } from './engagement';

/**
 * given(events).at(instant) → the course view's `engagement` with the clock
 * set to that instant. Events are stored as the projection stores them:
 * revision = index, recorded a minute apart.
 */
function given(...events: CourseEvent[]) {
  const folds = events.reduce(
    (s, e, revision) =>
      evolveCourseFolds(s, e, { revision, recordedAt: at(ENROLLED_AT, 0, revision / 60) }),
    initialCourseFolds,
  );
  if (!folds?.completion) throw new Error('no enrollment');
  const { completion, outcomes } = folds;
  return {
    at(instant: string): Engagement | null {
      return toCourseView(completion, outcomes, parseInstant(instant)!).engagement;
    },
  };
}

/** A day after session 1: never no_recent_session. */
const SOON = at(sessionTime(1), 1);

describe('engagement (domain.md, "Engagement: catching a dropout early")', () => {
  describe('missed_sessions: at least 2 patient-caused misses after the last held session', () => {
    it('one miss after the last held session is not a reason', () => {
      expect(given(enrolled(), held(1), missed('did_not_attend')).at(SOON)).toEqual({
        patientMissedSinceLastSession: 1,
        daysSinceLastContact: 1,
        reasons: [],
        atRisk: false,
      });
    });

    it('two (did_not_attend, cancelled_by_patient) are', () => {
      expect(
        given(enrolled(), held(1), missed('did_not_attend'), missed('cancelled_by_patient')).at(
          SOON,
        ),
      ).toEqual({
        patientMissedSinceLastSession: 2,
        daysSinceLastContact: 1,
        reasons: ['missed_sessions'],
        atRisk: true,
      });
    });

    it('a clinic cancellation does not count', () => {
      const e = given(
        enrolled(),
        held(1),
        missed('did_not_attend'),
        missed('cancelled_by_clinic'),
      ).at(SOON);
      expect(e).toMatchObject({ patientMissedSinceLastSession: 1, reasons: [], atRisk: false });
    });

    it('a held session resets the count', () => {
      const e = given(
        enrolled(),
        held(1),
        missed('did_not_attend'),
        missed('did_not_attend'),
        held(2),
        missed('did_not_attend'),
      ).at(at(sessionTime(2), 1));
      expect(e).toMatchObject({ patientMissedSinceLastSession: 1, reasons: [], atRisk: false });
    });

    it('counts from enrollment when no session was held', () => {
      const e = given(enrolled(), missed('did_not_attend'), missed('cancelled_by_patient')).at(
        at(ENROLLED_AT, 3),
      );
      expect(e).toMatchObject({ patientMissedSinceLastSession: 2, reasons: ['missed_sessions'] });
    });
  });

  describe('no_recent_session: more than 14 whole days since the last contact (controlled clock)', () => {
    const course = given(enrolled(), held(1));

    it('14 days (a minute short of 15) is not a reason', () => {
      expect(course.at(at(sessionTime(1), 15, 0 - 1 / 60))).toEqual({
        patientMissedSinceLastSession: 0,
        daysSinceLastContact: 14,
        reasons: [],
        atRisk: false,
      });
    });

    it('15 days is', () => {
      expect(course.at(at(sessionTime(1), 15))).toEqual({
        patientMissedSinceLastSession: 0,
        daysSinceLastContact: 15,
        reasons: ['no_recent_session'],
        atRisk: true,
      });
    });

    it('counts from enrollment when no session was held', () => {
      expect(given(enrolled()).at(at(ENROLLED_AT, 15))).toMatchObject({
        daysSinceLastContact: 15,
        reasons: ['no_recent_session'],
      });
      expect(given(enrolled()).at(at(ENROLLED_AT, 14))).toMatchObject({
        daysSinceLastContact: 14,
        reasons: [],
      });
    });

    it('a session reported a few minutes ahead of the clock counts as 0 days, not -1', () => {
      expect(course.at(at(sessionTime(1), 0, -2 / 60))!.daysSinceLastContact).toBe(0);
    });

    it('the range bound the queries use agrees with the rule on both sides of it', () => {
      const last = parseInstant(sessionTime(1))!;
      const now = last + 15 * DAY_MS;
      expect(last <= noRecentSessionBound(now)).toBe(true);
      expect(course.at(new Date(now).toISOString())!.reasons).toContain('no_recent_session');
      expect(last <= noRecentSessionBound(now - MINUTE_MS)).toBe(false);
      expect(course.at(new Date(now - MINUTE_MS).toISOString())!.reasons).toEqual([]);
    });
  });

  describe('homework_not_done: at least 2 assigned and a completion rate under 0.5', () => {
    const assigned = (n: number) =>
      Array.from({ length: n }, (_, i) => homeworkAssigned(`hw-${i + 1}`, 1));
    const submitted = homeworkSubmitted('hw-1', at(sessionTime(1), 1));

    it('1 of 2 submitted (0.5) is not a reason', () => {
      expect(given(enrolled(), held(1), ...assigned(2), submitted).at(SOON)).toMatchObject({
        reasons: [],
        atRisk: false,
      });
    });

    it('1 of 3 submitted is', () => {
      expect(given(enrolled(), held(1), ...assigned(3), submitted).at(SOON)).toMatchObject({
        reasons: ['homework_not_done'],
        atRisk: true,
      });
    });

    it('a single assignment never submitted is not (fewer than 2 assigned)', () => {
      expect(given(enrolled(), held(1), ...assigned(1)).at(SOON)!.reasons).toEqual([]);
    });
  });

  describe("deteriorating: reliable deterioration on any instrument (the outcomes fold's)", () => {
    const phq9 = (id: string, total: number, timepoint: 'baseline' | 'session', day: number) =>
      assessed(id, 'PHQ-9', itemsTotalling('PHQ-9', total), timepoint, at(ENROLLED_AT, day));
    const gad7 = (id: string, total: number, timepoint: 'baseline' | 'session', day: number) =>
      assessed(id, 'GAD-7', itemsTotalling('GAD-7', total), timepoint, at(ENROLLED_AT, day));

    it('PHQ-9 worse by its reliable-change points (6) while GAD-7 improves: a reason', () => {
      const e = given(
        enrolled(),
        held(1),
        phq9('p0', 10, 'baseline', 0),
        gad7('g0', 12, 'baseline', 0),
        phq9('p1', 16, 'session', 1),
        gad7('g1', 5, 'session', 1),
      ).at(SOON);
      expect(e).toMatchObject({ reasons: ['deteriorating'], atRisk: true });
    });

    it('worse by 5 points is not (just below the threshold)', () => {
      const e = given(
        enrolled(),
        held(1),
        phq9('p0', 10, 'baseline', 0),
        phq9('p1', 15, 'session', 1),
      ).at(SOON);
      expect(e).toMatchObject({ reasons: [], atRisk: false });
    });
  });

  it('lists every reason that holds, in the order of domain.md', () => {
    const e = given(
      enrolled(),
      held(1),
      homeworkAssigned('a', 1),
      homeworkAssigned('b', 1),
      assessed('p0', 'PHQ-9', itemsTotalling('PHQ-9', 5), 'baseline', sessionTime(1)),
      assessed('p1', 'PHQ-9', itemsTotalling('PHQ-9', 20), 'session', at(sessionTime(1), 1)),
      missed('did_not_attend', at(sessionTime(1), 7)),
      missed('did_not_attend', at(sessionTime(1), 14)),
    ).at(at(sessionTime(1), 20));
    expect(e).toEqual({
      patientMissedSinceLastSession: 2,
      daysSinceLastContact: 20,
      reasons: ['missed_sessions', 'no_recent_session', 'homework_not_done', 'deteriorating'],
      atRisk: true,
    });
  });

  it('is null on a closed course, whatever would hold on an active one', () => {
    const risky = [enrolled(), held(1), missed('did_not_attend'), missed('did_not_attend')];
    expect(given(...risky, completed()).at(at(ENROLLED_AT, 200))).toBeNull();
    expect(given(...risky, withdrawn('lost_to_contact')).at(at(ENROLLED_AT, 200))).toBeNull();
  });

  describe('in the state "as of" (time travel)', () => {
    // Revision n is recorded n days after enrollment.
    const stream = [enrolled(), ...heldSessions(1), missed('did_not_attend')].map((event, i) => ({
      event,
      meta: { revision: i, recordedAt: at(ENROLLED_AT, i) },
    }));

    it('an instant is the time of the request', () => {
      const s = courseAsOf(stream, { instant: at(sessionTime(1), 16) })!;
      expect(s.revision).toBe(2);
      expect(s.course.engagement).toMatchObject({
        patientMissedSinceLastSession: 1,
        daysSinceLastContact: 16,
        reasons: ['no_recent_session'],
      });
    });

    it('a revision is taken at the moment it was recorded', () => {
      // Revision 2 was recorded on day 2; session 1 was held on day 0 at 10:00.
      expect(courseAsOf(stream, { revision: 2 })!.course.engagement).toMatchObject({
        daysSinceLastContact: 1,
        reasons: [],
      });
    });
  });
});
