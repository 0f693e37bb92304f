import { COURSE_EVENT_TYPES, type CourseEvent } from '@ipt/course';
import {
  ENROLLED_AT,
  at,
  completed,
  enrolled,
  held,
  missed,
  sessionTime,
} from '../../course/src/testing/fixtures';
import type { RecordedEvent } from '@ipt/event-store';
import { feedSchemas } from '../../../test/support/kafka-asyncapi';
import { generateCourse } from '../../../test/support/kafka-courses';
import { cloudEventType, kebabCase, toCloudEvent } from './cloud-event';
import { emptyCourseTrack, evolveCourseTrack, outcomeSnapshot } from './course-track';

const ISO_DATE = /\d{4}-\d{2}-\d{2}/;

/** The course's events as the store would record them, folded as the relay does. */
function relayed(
  full: boolean,
  ending: 'completed' | 'withdrawn' | 'active' = 'completed',
  erased = false,
) {
  const course = generateCourse(1, { full, ending, erased });
  let track = emptyCourseTrack(course.courseId);
  const out: {
    cloudEvent: ReturnType<typeof toCloudEvent>;
    snapshot: ReturnType<typeof outcomeSnapshot>;
  }[] = [];
  course.appends.flat().forEach((e, revision) => {
    const recorded: RecordedEvent = {
      ...e,
      streamId: course.streamId,
      revision,
      position: BigInt(revision + 1),
      created: new Date(),
    };
    const cloudEvent = toCloudEvent(
      {
        eventId: e.eventId,
        revision,
        event: { type: e.type, data: e.data } as CourseEvent,
        metadata: e.metadata as { clinicId: string },
      },
      track.facts,
    );
    track = evolveCourseTrack(track, recorded);
    out.push({ cloudEvent, snapshot: outcomeSnapshot(track) });
  });
  return { course, out };
}

describe('de-identified CloudEvents', () => {
  const schemas = feedSchemas();

  it('names types in kebab case', () => {
    expect(kebabCase('SessionHeld')).toBe('session-held');
    expect(cloudEventType('AssessmentCorrected')).toBe('org.ipt.course.assessment-corrected.v1');
  });

  it('maps every event type to a CloudEvent that validates against its AsyncAPI schema, with no PHI, free text or date', () => {
    const runs = [
      relayed(true, 'completed'),
      relayed(true, 'withdrawn', true),
      relayed(false, 'active'),
    ];
    const seen = new Set<string>();
    for (const { course, out } of runs) {
      out.forEach(({ cloudEvent, snapshot }, revision) => {
        seen.add(cloudEvent.type);
        expect(schemas.cloudEvent(cloudEvent)).toEqual([]);
        expect(schemas.snapshot(snapshot)).toEqual([]);
        expect(cloudEvent.sequence).toBe(String(revision));
        expect(cloudEvent.subject).toBe(course.courseId);
        expect(cloudEvent).not.toHaveProperty('time');
        for (const text of [JSON.stringify(cloudEvent), JSON.stringify(snapshot)]) {
          expect(text).not.toMatch(ISO_DATE);
          expect(text).not.toContain('"phi"');
          expect(text).not.toContain('patientRef');
          for (const secret of course.secrets) expect(text).not.toContain(secret);
        }
      });
    }
    expect([...seen].sort()).toEqual(COURSE_EVENT_TYPES.map(cloudEventType).sort());
  });

  it('sends days since enrollment, the enrollment year, and homework by its ordinal', () => {
    const { out } = relayed(true);
    const byType = (t: string) =>
      out.map((o) => o.cloudEvent).filter((c) => c.type === cloudEventType(t as never));
    expect(byType('PatientEnrolled')[0].data).toMatchObject({ enrolledYear: 2024 });
    expect(byType('AssessmentRecorded')[0].data).toMatchObject({ timepoint: 'baseline', day: -2 });
    expect(byType('SessionHeld').map((c) => c.data.day)).toEqual(
      Array.from({ length: 12 }, (_, k) => 7 * k),
    );
    expect(byType('HomeworkAssigned')[0].data).toMatchObject({
      homeworkNumber: 1,
      sessionNumber: 1,
      dueDay: 6,
    });
    expect(byType('HomeworkSubmitted')[0].data).toEqual({
      subjectId: expect.any(String),
      homeworkNumber: 1,
      day: 5,
    });
  });

  it('fails validation when a field leaks into data (additionalProperties: false)', () => {
    const { out } = relayed(false);
    const leaked = {
      ...out[0].cloudEvent,
      data: { ...out[0].cloudEvent.data, patientRef: 'MRN-1' },
    };
    expect(schemas.cloudEvent(leaked).join()).toContain('must NOT have additional properties');
  });

  describe('engagement in the outcome snapshot', () => {
    /** Events recorded at the given instants, folded as the relay does. */
    const snapshotAfter = (...events: [CourseEvent, string][]) => {
      let track = emptyCourseTrack('3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f');
      events.forEach(([event, recordedAt], revision) => {
        track = evolveCourseTrack(track, {
          streamId: `course-${track.courseId}`,
          revision,
          position: BigInt(revision + 1),
          eventId: `00000000-0000-4000-8000-${String(revision + 1).padStart(12, '0')}`,
          type: event.type,
          data: event.data as unknown as Record<string, unknown>,
          metadata: { clinicId: 'clinic-1', recordedAt, schemaVersion: 1 },
          created: new Date(recordedAt),
        });
      });
      return outcomeSnapshot(track);
    };

    it('carries the reasons and days since the last contact at the event time, never a date', () => {
      const snapshot = snapshotAfter(
        [enrolled(), ENROLLED_AT],
        [held(1), sessionTime(1)],
        [missed('did_not_attend', at(sessionTime(1), 7)), at(sessionTime(1), 7)],
        // Recorded 16 days after session 1: no_recent_session as well.
        [missed('cancelled_by_patient', at(sessionTime(1), 14)), at(sessionTime(1), 16)],
      );
      expect(snapshot.completion.engagement).toEqual({
        patientMissedSinceLastSession: 2,
        daysSinceLastContact: 16,
        reasons: ['missed_sessions', 'no_recent_session'],
        atRisk: true,
      });
      expect(schemas.snapshot(snapshot)).toEqual([]);
      expect(JSON.stringify(snapshot)).not.toMatch(ISO_DATE);
    });

    it('is null once the course is closed', () => {
      const snapshot = snapshotAfter(
        [enrolled(), ENROLLED_AT],
        [held(1), sessionTime(1)],
        [completed(at(sessionTime(1), 1)), at(sessionTime(1), 1)],
      );
      expect(snapshot.completion.engagement).toBeNull();
      expect(schemas.snapshot(snapshot)).toEqual([]);
    });
  });

  it('takes the W3C traceparent extension, and only in its own shape', () => {
    const { out } = relayed(false);
    const traced = {
      ...out[0].cloudEvent,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'vendor=opaque',
    };
    expect(schemas.cloudEvent(traced)).toEqual([]);
    const malformed = { ...out[0].cloudEvent, traceparent: 'MRN-1' };
    expect(schemas.cloudEvent(malformed).join()).toContain('/traceparent must match pattern');
  });
});
