/**
 * One course: where it stands, its outcome charts, risk flags, homework, the
 * course replayed at any revision, its full timeline and, for auditors, the
 * verification result and the access log.
 */
import { useMemo } from 'preact/hooks';
import {
  answerOf,
  api,
  type CourseView,
  type History,
  type HistoryEvent,
  type OutcomesView,
  type RiskFlag,
} from '../api';
import { AccessLogPanel, VerificationPanel } from '../components/audit-panels';
import { Show, useLoad } from '../components/load';
import { OutcomeChart } from '../components/outcome-chart';
import { ReplayPanel } from '../components/replay';
import { Timeline } from '../components/timeline';
import { formatDate, formatTime, label, percent } from '../format';
import { scoredForms } from '../history';
import { isAuditor, type Session } from '../session';

interface CourseData {
  course: CourseView;
  outcomes: OutcomesView;
  history: History;
}

export function CoursePage(props: { session: Session; courseId: string }) {
  const { session, courseId } = props;
  const data = useLoad(async (): Promise<CourseData> => {
    const client = api(session);
    const params = { path: { courseId } };
    const [course, outcomes, history] = await Promise.all([
      answerOf(client.GET('/v1/courses/{courseId}', { params })),
      answerOf(client.GET('/v1/courses/{courseId}/outcomes', { params })),
      answerOf(client.GET('/v1/courses/{courseId}/history', { params })),
    ]);
    return { course, outcomes, history };
  }, [courseId, session.token]);

  return (
    <Show loaded={data} what="The course">
      {(d) => <CourseBody key={courseId} session={session} {...d} />}
    </Show>
  );
}

function CourseBody(props: CourseData & { session: Session }) {
  const { course, outcomes, history, session } = props;
  const forms = useMemo(() => scoredForms(history.events), [history]);
  const erased = history.events.find((e) => (e.type as string) === 'PersonalDataErased');
  const instruments = [...forms.keys()].sort();
  const lastRevision = history.events[history.events.length - 1]?.revision ?? 0;

  return (
    <article class="course" data-course-id={course.courseId}>
      <header class="course-head">
        <p>
          <a href="#/courses">← All courses</a>
        </p>
        <h1>
          Course of{' '}
          {erased ? (
            <span class="erased">[patient ref erased]</span>
          ) : (
            (course.patientRef ?? course.subjectId)
          )}
        </h1>
        {erased && (
          <p class="erasure-banner" role="note" data-testid="erasure">
            Personal data erased {formatTime(erased.recordedAt)} (revision {erased.revision}): the
            course’s free text and patient ref can no longer be read. The facts of the history
            remain.
          </p>
        )}
        <dl class="facts" data-testid="course-facts">
          <Fact name="Status" value={course.status} />
          <Fact name="Phase" value={label(course.phase)} />
          <Fact name="Therapist" value={course.therapistId} />
          <Fact name="Problem area" value={course.problemArea ? label(course.problemArea) : '—'} />
          <Fact
            name="Sessions"
            value={`${course.sessionsHeld} held of ${course.plannedSessions}, ${course.sessionsMissed} missed`}
          />
          <Fact name="Attendance" value={percent(course.attendanceRate)} />
          <Fact
            name="Homework"
            value={`${course.homeworkSubmitted} of ${course.homeworkAssigned} submitted`}
          />
          <Fact name="Open risk flags" value={String(course.openRiskFlags)} />
          <Fact name="Enrolled" value={formatDate(course.enrolledAt)} />
          <Fact name="Revision" value={String(course.revision)} />
        </dl>
        {course.engagement && (
          <p
            class={course.engagement.atRisk ? 'engagement at-risk' : 'engagement'}
            data-testid="engagement"
          >
            {course.engagement.atRisk
              ? `At risk of dropout: ${course.engagement.reasons.map(label).join(', ')}. `
              : 'Engaged. '}
            {course.engagement.daysSinceLastContact} days since last contact,{' '}
            {course.engagement.patientMissedSinceLastSession} missed since the last session.
          </p>
        )}
      </header>

      <div class="columns">
        <div class="main-column">
          <section aria-labelledby="outcomes-title">
            <h2 id="outcomes-title">Outcomes</h2>
            {instruments.length === 0 && <p>No scored assessment yet.</p>}
            {instruments.map((instrument) => (
              <OutcomeChart
                key={instrument}
                instrument={instrument}
                forms={forms.get(instrument)!}
                outcome={outcomes.instruments[instrument as keyof typeof outcomes.instruments]}
              />
            ))}
          </section>
          <Timeline events={history.events} erased={!!erased} />
        </div>
        <div class="side-column">
          <ReplayPanel session={session} courseId={course.courseId} lastRevision={lastRevision} />
          <RiskFlags flags={outcomes.riskFlags} />
          <Homework events={history.events} />
          {isAuditor(session) && (
            <>
              <VerificationPanel session={session} courseId={course.courseId} />
              <AccessLogPanel session={session} courseId={course.courseId} />
            </>
          )}
        </div>
      </div>
    </article>
  );
}

function Fact(props: { name: string; value: string }) {
  return (
    <div>
      <dt>{props.name}</dt>
      <dd>{props.value}</dd>
    </div>
  );
}

function RiskFlags(props: { flags: RiskFlag[] }) {
  return (
    <section aria-labelledby="flags-title" class="panel">
      <h2 id="flags-title">Risk flags</h2>
      {props.flags.length === 0 ? (
        <p>None raised.</p>
      ) : (
        <ul class="plain" data-testid="risk-flags">
          {props.flags.map((f) => (
            <li
              data-flag-id={f.flagId}
              data-status={f.status}
              class={f.status === 'open' ? 'flag-open' : 'flag-resolved'}
            >
              <strong>{f.status === 'open' ? 'Open' : 'Resolved'}</strong>: {f.instrument} item{' '}
              {f.item} scored {f.score}, raised {formatTime(f.raisedAt)}
              {f.status === 'resolved' &&
                `; ${label(f.disposition ?? '—')} ${formatTime(f.resolvedAt)}`}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Homework(props: { events: HistoryEvent[] }) {
  const items = useMemo(() => {
    const byId = new Map<
      string,
      { id: string; session: string; due: string; description?: string; submittedAt?: string }
    >();
    for (const e of props.events) {
      const d = e.data;
      if (e.type === 'HomeworkAssigned') {
        const phi = (d.phi ?? {}) as Record<string, unknown>;
        byId.set(String(d.homeworkId), {
          id: String(d.homeworkId),
          session: String(d.sessionNumber),
          due: String(d.dueAt),
          description: typeof phi.description === 'string' ? phi.description : undefined,
        });
      } else if (e.type === 'HomeworkSubmitted') {
        const item = byId.get(String(d.homeworkId));
        if (item) item.submittedAt = String(d.submittedAt);
      }
    }
    return [...byId.values()];
  }, [props.events]);
  return (
    <section aria-labelledby="homework-title" class="panel">
      <h2 id="homework-title">Homework</h2>
      {items.length === 0 ? (
        <p>None assigned.</p>
      ) : (
        <ul class="plain" data-testid="homework">
          {items.map((h) => (
            <li data-homework-id={h.id}>
              <strong>
                {h.description ?? <span class="erased">[description not readable]</span>}
              </strong>
              <br />
              <span class="muted">
                session {h.session}, due {formatDate(h.due)} ·{' '}
                {h.submittedAt ? `submitted ${formatDate(h.submittedAt)}` : 'not submitted'}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
