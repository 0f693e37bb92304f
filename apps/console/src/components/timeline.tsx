/**
 * Every event of the history in stream order: when it was recorded, by whom
 * and in which role, and what it changed. A correction sits beside the
 * assessment it corrects (and the assessment lists its corrections); the
 * erasure event is shown as such.
 */
import { useMemo } from 'preact/hooks';
import type { HistoryEvent } from '../api';
import { formatTime, label } from '../format';
import { correctionsByAssessment, describeEvent } from '../history';

const CARRIES_PHI = new Set([
  'PatientEnrolled',
  'ProblemAreaSelected',
  'HomeworkAssigned',
  'RiskFlagResolved',
  'AssessmentCorrected',
]);

function focusEvent(revision: number): void {
  const target = document.getElementById(`event-${revision}`);
  target?.focus();
  target?.scrollIntoView({ block: 'center' });
}

export function Timeline(props: { events: HistoryEvent[]; erased: boolean }) {
  const { recordedAt, corrections } = useMemo(
    () => correctionsByAssessment(props.events),
    [props.events],
  );
  return (
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline ({props.events.length} events)</h2>
      <ol class="timeline" data-testid="timeline">
        {props.events.map((event) => {
          const line = describeEvent(event);
          const actor = event.metadata.actor;
          const assessmentId =
            typeof event.data.assessmentId === 'string' ? event.data.assessmentId : undefined;
          const original =
            event.type === 'AssessmentCorrected' && assessmentId
              ? recordedAt.get(assessmentId)
              : undefined;
          const ownCorrections =
            event.type === 'AssessmentRecorded' && assessmentId
              ? corrections.get(assessmentId)
              : undefined;
          return (
            <li
              id={`event-${event.revision}`}
              tabIndex={-1}
              class={`event type-${event.type}`}
              data-revision={event.revision}
              data-type={event.type}
              data-event-id={event.eventId}
            >
              <div class="event-head">
                <span class="rev">#{event.revision}</span>
                <strong class="event-title">{line.title}</strong>
                <time dateTime={event.recordedAt}>{formatTime(event.recordedAt)}</time>
                <span class="actor">
                  {actor ? (
                    <>
                      {actor.id} <span class="muted">({label(actor.role)})</span>
                    </>
                  ) : (
                    'unknown actor'
                  )}
                </span>
              </div>
              <div class="event-body">
                <dl class="inline">
                  {line.facts.map(([name, value]) => (
                    <div>
                      <dt>{name}</dt>
                      <dd>{value}</dd>
                    </div>
                  ))}
                  {line.phi.map(([name, value]) => (
                    <div class="phi">
                      <dt>{name}</dt>
                      <dd>{value}</dd>
                    </div>
                  ))}
                  {props.erased && CARRIES_PHI.has(event.type) && line.phi.length === 0 && (
                    <div class="phi">
                      <dt>Free text</dt>
                      <dd class="erased">[erased]</dd>
                    </div>
                  )}
                </dl>
                {original && (
                  <aside class="beside" data-corrects-revision={original.revision}>
                    Corrects the {String(original.data.instrument)} form recorded at{' '}
                    <button
                      type="button"
                      class="link"
                      onClick={() => focusEvent(original.revision)}
                    >
                      revision {original.revision}
                    </button>
                    : total {String(original.data.total ?? '—')} → {String(event.data.total ?? '—')}
                  </aside>
                )}
                {ownCorrections && (
                  <aside
                    class="beside"
                    data-corrected-by={ownCorrections.map((c) => c.revision).join(' ')}
                  >
                    Corrected at{' '}
                    {ownCorrections.map((c, i) => (
                      <>
                        {i > 0 && ', '}
                        <button type="button" class="link" onClick={() => focusEvent(c.revision)}>
                          revision {c.revision}
                        </button>{' '}
                        (total {String(c.data.total ?? '—')})
                      </>
                    ))}
                  </aside>
                )}
              </div>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
