/** The course as it stood at a chosen revision, replayed by the state route (domain.md, time travel). */
import { useEffect, useState } from 'preact/hooks';
import { answerOf, api, type CourseState, type InstrumentOutcome } from '../api';
import { formatDate, label, percent, yesNo } from '../format';
import type { Session } from '../session';
import { Show, useLoad } from './load';

export function ReplayPanel(props: { session: Session; courseId: string; lastRevision: number }) {
  const [chosen, setChosen] = useState(props.lastRevision);
  const [revision, setRevision] = useState(props.lastRevision);
  // A short pause while the slider moves, so that holding an arrow key asks once.
  useEffect(() => {
    const timer = setTimeout(() => setRevision(chosen), 150);
    return () => clearTimeout(timer);
  }, [chosen]);
  const state = useLoad(
    () =>
      answerOf(
        api(props.session).GET('/v1/courses/{courseId}/state', {
          params: { path: { courseId: props.courseId }, query: { revision: String(revision) } },
        }),
      ),
    [props.courseId, revision],
  );
  const pick = (value: string) => {
    const n = Number(value);
    if (Number.isInteger(n) && n >= 0 && n <= props.lastRevision) setChosen(n);
  };
  return (
    <section aria-labelledby="replay-title" class="panel" data-testid="replay">
      <h2 id="replay-title">Replay</h2>
      <div class="replay-controls">
        <label for="replay-range">Revision</label>
        <input
          id="replay-range"
          type="range"
          min={0}
          max={props.lastRevision}
          step={1}
          value={chosen}
          aria-valuetext={`revision ${chosen} of ${props.lastRevision}`}
          onInput={(e) => pick((e.target as HTMLInputElement).value)}
        />
        <label for="replay-number" class="visually-hidden">
          Revision number
        </label>
        <input
          id="replay-number"
          type="number"
          min={0}
          max={props.lastRevision}
          value={chosen}
          onChange={(e) => pick((e.target as HTMLInputElement).value)}
        />
      </div>
      <Show loaded={state} what="The state at that revision">
        {(s) => <StateFacts state={s} />}
      </Show>
    </section>
  );
}

function StateFacts(props: { state: CourseState }) {
  const { course, outcomes } = props.state;
  const facts: [string, string, string | number | null][] = [
    ['status', 'Status', course.status],
    ['phase', 'Phase', label(course.phase)],
    ['sessionsHeld', 'Sessions held', course.sessionsHeld],
    ['sessionsMissed', 'Sessions missed', course.sessionsMissed],
    ['attendanceRate', 'Attendance', percent(course.attendanceRate)],
    ['problemArea', 'Problem area', course.problemArea ? label(course.problemArea) : '—'],
    [
      'homeworkSubmitted',
      'Homework submitted',
      `${course.homeworkSubmitted} of ${course.homeworkAssigned}`,
    ],
    ['openRiskFlags', 'Open risk flags', course.openRiskFlags],
    ['lastSessionAt', 'Last session', formatDate(course.lastSessionAt)],
  ];
  const raw: Record<string, unknown> = course as unknown as Record<string, unknown>;
  return (
    <div aria-live="polite" data-testid="replay-state" data-revision={props.state.revision}>
      <p>
        As it stood at revision <strong>{props.state.revision}</strong>:
      </p>
      <dl class="facts narrow">
        {facts.map(([key, name, text]) => (
          <div data-field={key} data-value={JSON.stringify(raw[key] ?? null)}>
            <dt>{name}</dt>
            <dd>{text}</dd>
          </div>
        ))}
      </dl>
      {Object.entries<InstrumentOutcome | undefined>(outcomes.instruments).map(
        ([instrument, o]) =>
          o && (
            <p
              class="replay-outcome"
              data-instrument={instrument}
              data-baseline={o.baseline.score}
              data-endpoint={o.endpoint?.score ?? ''}
            >
              {instrument}: baseline {o.baseline.score}, endpoint {o.endpoint?.score ?? '—'},
              response {yesNo(o.response)}, remission {yesNo(o.remission)}
            </p>
          ),
      )}
    </div>
  );
}
