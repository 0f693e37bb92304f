/**
 * The clinic's courses, filtered by status and therapist, one page at a time
 * (the API's cursor). Courses at risk of dropout come first on each page when
 * the server reports engagement.
 */
import { useState } from 'preact/hooks';
import { answerOf, api, type CourseView } from '../api';
import { Show, useLoad } from '../components/load';
import { formatDate, label, percent } from '../format';
import type { Session } from '../session';

interface Filters {
  status: string;
  therapistId: string;
  limit: number;
}

/** At-risk courses first, otherwise the API's order (newest enrollment first). */
export function atRiskFirst(items: CourseView[]): CourseView[] {
  return items
    .map((course, index) => ({ course, index }))
    .sort(
      (a, b) =>
        Number(!!b.course.engagement?.atRisk) - Number(!!a.course.engagement?.atRisk) ||
        a.index - b.index,
    )
    .map(({ course }) => course);
}

export function CoursesPage(props: { session: Session }) {
  const [filters, setFilters] = useState<Filters>({ status: '', therapistId: '', limit: 25 });
  const [draft, setDraft] = useState<Filters>(filters);
  // Cursors of the pages before this one; the last is this page's own cursor.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(
    () =>
      answerOf(
        api(props.session).GET('/v1/courses', {
          params: {
            query: {
              status: (filters.status || undefined) as CourseView['status'] | undefined,
              therapistId: filters.therapistId.trim() || undefined,
              limit: String(filters.limit),
              cursor,
            },
          },
        }),
      ),
    [filters, cursor],
  );

  const apply = (event: Event) => {
    event.preventDefault();
    setFilters(draft);
    setCursors([undefined]);
  };

  return (
    <section aria-labelledby="courses-title">
      <h1 id="courses-title">Courses of {props.session.clinicId}</h1>
      <form class="filters" onSubmit={apply} aria-label="Filter courses">
        <label>
          Status
          <select
            value={draft.status}
            onChange={(e) => setDraft({ ...draft, status: (e.target as HTMLSelectElement).value })}
          >
            <option value="">any</option>
            <option value="active">active</option>
            <option value="completed">completed</option>
            <option value="withdrawn">withdrawn</option>
          </select>
        </label>
        <label>
          Therapist
          <input
            type="text"
            maxLength={64}
            value={draft.therapistId}
            placeholder="therapist id"
            onInput={(e) =>
              setDraft({ ...draft, therapistId: (e.target as HTMLInputElement).value })
            }
          />
        </label>
        <label>
          Per page
          <select
            value={String(draft.limit)}
            onChange={(e) =>
              setDraft({ ...draft, limit: Number((e.target as HTMLSelectElement).value) })
            }
          >
            {[10, 25, 50, 100].map((n) => (
              <option value={String(n)}>{n}</option>
            ))}
          </select>
        </label>
        <button type="submit">Apply</button>
      </form>
      <Show loaded={page} what="Courses">
        {(value) => (
          <>
            <CourseTable items={atRiskFirst(value.items)} />
            <nav class="pager" aria-label="Pages">
              <button
                type="button"
                disabled={cursors.length === 1}
                onClick={() => setCursors(cursors.slice(0, -1))}
              >
                Previous page
              </button>
              <span aria-live="polite">Page {cursors.length}</span>
              <button
                type="button"
                disabled={!value.nextCursor}
                onClick={() => setCursors([...cursors, value.nextCursor ?? undefined])}
              >
                Next page
              </button>
            </nav>
          </>
        )}
      </Show>
    </section>
  );
}

function CourseTable(props: { items: CourseView[] }) {
  if (props.items.length === 0) return <p>No course matches these filters.</p>;
  // Servers without the engagement feature send no `engagement`: no column for it then.
  const engagement = props.items.some((c) => c.engagement !== undefined);
  return (
    <table class="courses" data-testid="course-list">
      <caption class="visually-hidden">Courses, at-risk first</caption>
      <thead>
        <tr>
          <th scope="col">Patient ref</th>
          <th scope="col">Therapist</th>
          <th scope="col">Status</th>
          <th scope="col">Phase</th>
          <th scope="col">Sessions</th>
          <th scope="col">Attendance</th>
          <th scope="col">Open risk flags</th>
          {engagement && <th scope="col">Engagement</th>}
          <th scope="col">Enrolled</th>
        </tr>
      </thead>
      <tbody>
        {props.items.map((c) => (
          <tr
            data-course-id={c.courseId}
            class={c.openRiskFlags > 0 || c.engagement?.atRisk ? 'attention' : undefined}
          >
            <th scope="row">
              <a href={`#/courses/${c.courseId}`}>{c.patientRef ?? c.subjectId}</a>
            </th>
            <td>{c.therapistId}</td>
            <td>
              <span class={`badge status-${c.status}`}>{c.status}</span>
            </td>
            <td>{label(c.phase)}</td>
            <td>
              {c.sessionsHeld} / {c.plannedSessions}
            </td>
            <td data-value={c.attendanceRate ?? ''}>{percent(c.attendanceRate)}</td>
            <td data-value={c.openRiskFlags}>
              {c.openRiskFlags > 0 ? <span class="badge risk">{c.openRiskFlags} open</span> : '0'}
            </td>
            {engagement && (
              <td>
                {c.engagement === undefined ? (
                  '—'
                ) : c.engagement === null ? (
                  'closed'
                ) : c.engagement.atRisk ? (
                  <span class="badge risk">
                    At risk: {c.engagement.reasons.map(label).join(', ')}
                  </span>
                ) : (
                  'engaged'
                )}
              </td>
            )}
            <td>{formatDate(c.enrolledAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
