/** What auditors see beside a course: the verification result and the course's access log (audit.md). */
import { useState } from 'preact/hooks';
import { answerOf, api, type AccessRecord } from '../api';
import { formatTime, label } from '../format';
import type { Session } from '../session';
import { Failure, Show, useLoad } from './load';

export function VerificationPanel(props: { session: Session; courseId: string }) {
  const result = useLoad(
    () =>
      answerOf(
        api(props.session).GET('/v1/courses/{courseId}/verification', {
          params: { path: { courseId: props.courseId } },
        }),
      ),
    [props.courseId],
  );
  return (
    <section aria-labelledby="verification-title" class="panel" data-testid="verification">
      <h2 id="verification-title">Verification</h2>
      <Show loaded={result} what="Verification">
        {(v) => (
          <div data-valid={String(v.valid)}>
            <p class={v.valid ? 'verified' : 'broken'} role="status">
              {v.valid
                ? `Verified: all ${v.events} events chain and are in the checkpoint’s tree.`
                : `Not verified: broken at revision ${v.brokenAtRevision ?? '—'}${v.reason ? ` (${label(v.reason)})` : ''}.`}
            </p>
            <dl class="facts narrow">
              <div>
                <dt>Events</dt>
                <dd>{v.events}</dd>
              </div>
              <div>
                <dt>In the checkpoint</dt>
                <dd>{v.included ? 'yes' : 'no'}</dd>
              </div>
              {v.pending !== undefined && (
                <div>
                  <dt>Pending (after it)</dt>
                  <dd>{v.pending}</dd>
                </div>
              )}
              <div>
                <dt>Checkpoint tree size</dt>
                <dd>{v.checkpoint?.events.size ?? '—'}</dd>
              </div>
              <div>
                <dt>Checkpoint root</dt>
                <dd>
                  <code class="hash">{v.checkpoint?.events.root ?? '—'}</code>
                </dd>
              </div>
            </dl>
          </div>
        )}
      </Show>
    </section>
  );
}

export function AccessLogPanel(props: { session: Session; courseId: string }) {
  const [pages, setPages] = useState<AccessRecord[][]>([]);
  const [more, setMore] = useState<{
    cursor: string | null;
    error: Error | null;
    loading: boolean;
  }>({
    cursor: null,
    error: null,
    loading: false,
  });
  const first = useLoad(async () => {
    const page = await answerOf(
      api(props.session).GET('/v1/audit-log', {
        params: { query: { courseId: props.courseId, limit: '20' } },
      }),
    );
    setPages([]);
    setMore({ cursor: page.nextCursor, error: null, loading: false });
    return page;
  }, [props.courseId]);
  const loadMore = async () => {
    if (!more.cursor) return;
    setMore({ ...more, loading: true });
    try {
      const page = await answerOf(
        api(props.session).GET('/v1/audit-log', {
          params: { query: { courseId: props.courseId, limit: '20', cursor: more.cursor } },
        }),
      );
      setPages([...pages, page.items]);
      setMore({ cursor: page.nextCursor, error: null, loading: false });
    } catch (error) {
      setMore({ ...more, error: error as Error, loading: false });
    }
  };
  return (
    <section aria-labelledby="access-title" class="panel" data-testid="access-log">
      <h2 id="access-title">Access log</h2>
      <Show loaded={first} what="The access log">
        {(page) => {
          const records = [...page.items, ...pages.flat()];
          return (
            <>
              {records.length === 0 ? (
                <p>No access recorded.</p>
              ) : (
                <table class="compact">
                  <caption class="visually-hidden">
                    Reads and writes of this course, newest first
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Who</th>
                      <th scope="col">Request</th>
                      <th scope="col">Status</th>
                    </tr>
                  </thead>
                  <tbody>
                    {records.map((r) => (
                      <tr data-record-id={r.recordId}>
                        <td>{formatTime(r.at)}</td>
                        <td>
                          {r.actor.id} <span class="muted">({label(r.actor.role)})</span>
                        </td>
                        <td>
                          <code>
                            {r.method} {r.route}
                          </code>
                        </td>
                        <td>{r.status}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              {more.error && <Failure error={more.error} what="More of the access log" />}
              {more.cursor && (
                <button type="button" onClick={loadMore} disabled={more.loading}>
                  Older records
                </button>
              )}
            </>
          );
        }}
      </Show>
    </section>
  );
}
